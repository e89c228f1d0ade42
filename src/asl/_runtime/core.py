"""The core the state handlers are written against: the interface of a running execution (`Run`),
what the units of one execution share (`Session`), the dispatch table the executor fills, and
AWS's quotas.

Tasks, fan-out and distributed Map import this module, never the executor: the executor
subclasses `Run` (running a sub-graph, starting a child execution) and registers every state
type's handler in `HANDLERS` when it is imported.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from asl._clock import Clock, isoformat
from asl._errors import DATA_LIMIT_EXCEEDED, ExecutionTimedOut, GraphFailed
from asl._integrations import resources as _resources
from asl._json import to_json
from asl._languages.env import Env
from asl._runtime.execution import Execution, TaskTokens
from asl._runtime.history import History, Lane
from asl._runtime.options import RunOptions

if TYPE_CHECKING:
    from asl._definition.model import Graph, State

#: AWS's payload quota: 256 KiB of UTF-8 JSON for any state input, output or result.
PAYLOAD_LIMIT = 256 * 1024
#: The largest Wait AWS accepts in a definition (Seconds), applied to computed waits too.
WAIT_LIMIT = 99_999_999
#: AWS's history quota per execution.
HISTORY_LIMIT = 25_000
#: AWS's longest Standard execution: a year (365 days: inferred), then it times out.
EXECUTION_LIMIT = 365 * 24 * 3600
#: Below this many characters, JSON text is within PAYLOAD_LIMIT whatever its characters are.
SMALL_PAYLOAD = PAYLOAD_LIMIT // 4

#: The context object of states that never read it (`State.needs_context` is decided at load).
NO_CONTEXT: Mapping[str, Any] = MappingProxyType({})
#: Nothing has been checked yet (see `Run.checked`).
NOTHING: Any = object()

#: What a state handler returns: its output, the next state's name (None: the graph ends) and
#: the variables it assigns (None: none).
StateResult = tuple[Any, str | None, dict[str, Any] | None]
#: A state handler: `handler(run, state, data, env, lane)`; it raises `StatesError` on failure.
StateHandler = Callable[["Run", Any, Any, Env, Lane], StateResult]
#: State class -> its handler; filled by the executor when it is imported.
HANDLERS: dict[type, StateHandler] = {}


def fits_payload(text: str) -> bool:
    """Whether JSON text is within AWS's payload quota: 256 KiB of UTF-8 (a lone surrogate
    counts its 3 bytes). Callers on the hot path skip it for text of SMALL_PAYLOAD characters
    or fewer, which always fits."""
    return ((len(text) <= PAYLOAD_LIMIT and text.isascii())
            or len(text.encode("utf-8", "surrogatepass")) <= PAYLOAD_LIMIT)


class Machine:
    """What a run needs of a state machine: its graph, name and ARN (a `StateMachine`, or a
    distributed Map's iteration run as a child execution)."""

    __slots__ = ("arn", "graph", "name")

    def __init__(self, graph: Graph, name: str, arn: str) -> None:
        self.graph = graph
        self.name = name
        self.arn = arn


class Session:
    """What every unit of one execution shares, whichever thread it runs on: the machine, the
    `Execution`, the clock and options, the random source, the task plans, the callbacks, the
    deadline and the context object's constant parts. Fixed when the execution starts, except
    the caches (`plans`, `mock_invocations`), whose writes are single dict stores."""

    __slots__ = ("clock", "context_execution", "context_machine", "deadline", "execution",
                 "handlers", "journal", "machine", "mock_invocations", "mock_lock", "mocks",
                 "options", "plans", "real_deadline", "rng", "seeded", "synchronous", "tokens")

    def __init__(self, machine: Machine, execution: Execution, clock: Clock, options: RunOptions,
                 *, synchronous: bool) -> None:
        self.machine = machine
        self.execution = execution
        self.clock = clock
        self.options = options
        self.rng = random.Random(options.seed)
        self.seeded = options.seeded
        timeout = machine.graph.timeout_seconds
        # A clock never passes the year limit either, so no timestamp leaves datetime's range.
        self.deadline = execution.start_date + (
            EXECUTION_LIMIT if timeout is None else min(timeout, EXECUTION_LIMIT))
        # TimeoutSeconds in real time (`time.monotonic()`), for what runs without sleeping on
        # the clock (a JSONata evaluation): on a virtual clock, a bound that comes no sooner.
        import time

        self.real_deadline = None if timeout is None else time.monotonic() + timeout
        self.context_execution = {
            "Id": execution.execution_arn,
            "Input": execution.input,
            "Name": execution.name,
            "RoleArn": options.role_arn,
            "StartTime": isoformat(execution.start_date),
            "RedriveCount": 0,
        }
        self.context_machine = {"Id": machine.arn, "Name": machine.name}
        self.handlers = _resources.Handlers(options.handlers, options.functions,
                                            self.rng if self.seeded else None)
        self.plans: dict[str, _resources.Invocation] = {}
        self.tokens: TaskTokens = execution._tokens
        self.mocks = options.mocks
        self.mock_invocations: dict[str, int] = {}
        self.mock_lock = threading.Lock()
        # True for run(): the caller gets the Execution only at the end, so only handlers can
        # answer a .waitForTaskToken task (StateMachine.start() leaves it False).
        self.synchronous = synchronous
        # A durable execution's task journal (`durable.Journal`); None without a store.
        self.journal: Any = None


class Run:
    """One unit of a running execution, as a state handler sees it: the execution itself, or a
    branch or iteration running on a thread of its own.

    Units share the `session`; each has its own history buffer (`History.fork`), cancel scope
    and payload memo (`checked`), so nothing else is shared by accident. `clock`, `deadline`,
    `options`, `rng` and `history` are read on every state, so they are slots of the unit."""

    __slots__ = ("cancel", "checked", "clock", "deadline", "history", "options", "plain_env",
                 "rng", "session")

    def __init__(self, session: Session, history: History, cancel: Any = None) -> None:
        self.session = session
        self.history = history
        self.clock = session.clock
        self.deadline = session.deadline
        self.options = session.options
        self.rng = session.rng
        # A fan-out's cancel scope (`fanout.CancelScope`) when this unit is one of its units, or
        # a distributed Map's child; checked before each state. None costs one test per state.
        self.cancel = cancel
        # The last value whose size was checked, with its JSON text (see `checked_text`).
        self.checked: tuple[Any, str | None] = (NOTHING, None)
        self.plain_env = Env(NO_CONTEXT, {})

    # -- what only the executor can do ---------------------------------------------------------

    def run_graph(self, graph: Graph, data: Any, lane: Lane, variables: dict[str, Any],
                  extra_context: Mapping[str, Any] | None = None) -> Any:
        """Run states from StartAt until an end; returns the output or raises GraphFailed."""
        raise NotImplementedError

    def start_child(self, machine: Machine, input: Any, name: str, options: RunOptions,
                    cancel: Any) -> Execution:
        """Run a child execution (a distributed Map's iteration) in this process to its end."""
        raise NotImplementedError

    #: The picklable work unit that runs a child execution in another process (see `itemio`).
    child_worker: Callable[..., Any]

    # -- units ----------------------------------------------------------------------------------

    def fork(self, cancel: Any, index: int = 0) -> Run:
        """A unit for one branch or iteration (number `index`) on its own thread: the same
        session, a forked history buffer (spliced back by the fan-out) and the fan-out's cancel
        scope."""
        return type(self)(self.session, self.history.fork(), cancel)

    # -- what every state may do ----------------------------------------------------------------

    def event(self, lane: Lane, kind: str, details: Mapping[str, Any] | None = None, *,
              chain: bool = True) -> int:
        """Record one event of the state's (within the history quota)."""
        return self.history.record(lane, kind, self.clock.now(), details, chain)

    def sleep(self, seconds: float) -> None:
        """Wait on the run's clock; the execution's TimeoutSeconds and a cut end it early."""
        deadline = self.deadline
        if deadline is not None and self.clock.now() + seconds >= deadline:
            self.clock.sleep(max(0.0, deadline - self.clock.now()))
            raise ExecutionTimedOut()
        if self.cancel is not None:
            self.cancel.sleep(self.clock, seconds)  # a real wait ends early when cut
            return
        self.clock.sleep(seconds)

    def task_plan(self, resource: str) -> _resources.Invocation:
        """How a Task resource is dispatched, resolved once per run (handlers come with the run)."""
        plans = self.session.plans
        plan = plans.get(resource)
        if plan is None:
            plan = plans[resource] = _resources.resolve(resource, self.session.handlers)
        return plan

    def checked_text(self, value: Any, state: State, encode: Callable[[Any], str] = to_json) -> str:
        """A state's output as JSON text, once it is known to fit AWS's payload quota (256 KiB
        of UTF-8); remembered, so that the next state's input needs neither check nor text.
        (`encode`: `history.lean_json` for outputs that may hold many items.)"""
        text = encode(value)
        if len(text) > SMALL_PAYLOAD and not fits_payload(text):
            raise GraphFailed(
                DATA_LIMIT_EXCEEDED,
                f"The state/task '{state.name}' returned a result with a size exceeding the "
                f"maximum number of bytes service limit.",
            )
        self.checked = (value, text)
        return text
