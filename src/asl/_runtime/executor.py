"""The interpreter: walks a compiled `Graph`, one state after another, with Retry and Catch in
one place and the history written as AWS writes it.

Every failure inside a state is a `StatesError`; `Interpreter.state_loop` is the one place that
catches it, words the cause as AWS does, and hands it to the state's retriers and catchers.
The state handlers themselves live in `states`, `tasks` and `parallel_map`, written against
`core.Run`; importing this module registers them in `core.HANDLERS`.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from asl import _errors as E
from asl._clock import Clock, SystemClock, VirtualClock, isoformat
from asl._definition.model import (
    ChoiceState,
    FailState,
    Graph,
    MapState,
    ParallelState,
    PassState,
    Retrier,
    State,
    SucceedState,
    TaskState,
    WaitState,
    build,
)
from asl._errors import Aborted, ExecutionTimedOut, Failure, GraphFailed, StatesError
from asl._json import JsonText, to_json, to_strict_json
from asl._languages import bounds as _bounds
from asl._languages.env import Env
from asl._runtime import parallel_map, states, tasks
from asl._runtime.core import (
    EXECUTION_LIMIT,
    HANDLERS,
    HISTORY_LIMIT,
    NO_CONTEXT,
    PAYLOAD_LIMIT,
    Machine,
    Run,
    Session,
    fits_payload,
)
from asl._runtime.execution import ABORTED, FAILED, SUCCEEDED, TIMED_OUT, Execution
from asl._runtime.fanout import CancelScope
from asl._runtime.history import History, Lane, StreamingHistory
from asl._runtime.itemio import ChildRecord, child_record
from asl._runtime.options import RunOptions

#: Outputs too small to check (nor worth recording as text).
_SCALARS = frozenset({int, float, bool})

HANDLERS.update({
    PassState: states.run_pass,
    SucceedState: states.run_succeed,
    FailState: states.run_fail,
    WaitState: states.run_wait,
    ChoiceState: states.run_choice,
    TaskState: tasks.run_task,
    ParallelState: parallel_map.run_parallel,
    MapState: parallel_map.run_map,
})


def error_matches(names: tuple[str, ...], error: str) -> bool:
    """AWS's ErrorEquals matching: exact names, plus the wildcards States.ALL and
    States.TaskFailed (everything but States.Timeout), and States.Timeout covering heartbeats."""
    for name in names:
        if name == error:
            return True
        if name == E.STATES_ALL:
            return True
        if name == E.TASK_FAILED and error not in (E.TIMEOUT, E.HEARTBEAT_TIMEOUT):
            return True
        if name == E.TIMEOUT and error == E.HEARTBEAT_TIMEOUT:
            return True
    return False


def _terminal(error: str) -> bool:
    # AWS: States.Runtime is never retried or caught, and DataLimitExceeded is terminal too.
    return error in (E.RUNTIME, E.DATA_LIMIT_EXCEEDED)


#: The latest clock reading an execution may start at: a year before 9999-12-31T23:59:59Z.
_LAST_START = 253402300799 - EXECUTION_LIMIT


def retry_delay(retrier: Retrier, attempt: int, rng: random.Random) -> float:
    """Seconds before retry number `attempt` (0-based): IntervalSeconds × BackoffRate^attempt,
    capped by MaxDelaySeconds, and drawn uniformly below that with JitterStrategy FULL."""
    try:
        delay = float(retrier.interval_seconds) * float(retrier.backoff_rate) ** attempt
    except OverflowError:  # BackoffRate ** attempt past a float: "forever", cut by the year
        delay = math.inf
    delay = min(delay, 2.0 * EXECUTION_LIMIT)  # past the execution's year in any case
    if retrier.max_delay_seconds is not None:
        delay = min(delay, float(retrier.max_delay_seconds))
    if retrier.jitter_strategy == "FULL":
        delay = rng.uniform(0, delay)
    return delay


class Interpreter(Run):
    """A `Run` that can run graphs: the per-state loop, Retry and Catch."""

    __slots__ = ()

    def run_graph(self, graph: Graph, data: Any, lane: Lane, variables: dict[str, Any],
                  extra_context: Mapping[str, Any] | None = None) -> Any:
        states_ = graph.states
        name: str | None = graph.start_at
        cancel = self.cancel
        # This thread's JSONata evaluations stop at the machine's TimeoutSeconds too. Once per
        # graph (a Map iteration is one), so the common case is one thread-local read.
        local = _bounds.LOCAL
        outer = getattr(local, "deadline", None)
        deadline = self.session.real_deadline
        swap = outer is not deadline
        if swap:
            local.deadline = deadline
        try:
            while name is not None:
                state = states_[name]
                if cancel is not None and cancel.cut:
                    raise Aborted()  # at the boundary, once a sibling failed or the run was stopped
                try:
                    data, name, variables = self.state_loop(state, data, lane, variables,
                                                            extra_context)
                except Aborted as cut:
                    if cut.state_type is None:  # cut inside this state (a wait, a nested fan-out)
                        cut.state_type = state.type
                    raise
        finally:
            if swap:
                local.deadline = outer
        return data

    def state_loop(self, state: State, data: Any, lane: Lane, variables: dict[str, Any],
                   extra_context: Mapping[str, Any] | None) -> tuple[Any, str | None, dict[str, Any]]:
        """Enter one state, run it (with its retriers and catchers on failure), exit it.

        The per-state hot path: one clock reading each at entry and exit, the context object only
        for states that read it, and the JSON text made by the output's size check reused as the
        next state's input."""
        now = self.clock.now()
        if self.deadline is not None and now >= self.deadline:
            raise ExecutionTimedOut()
        before = lane.last
        checked, text = self.checked
        if data is checked:
            entered = self.history.record_state(lane, state.entered_event, now, state.name,
                                                "input", text, True)
        else:
            entered = self.history.record_state(lane, state.entered_event, now, state.name,
                                                "input", data, False)
        if state.needs_context:
            env = self.env(state, variables, 0, now, extra_context)
        else:
            env = self.plain_env if self.plain_env.variables is variables else self.plain(variables)
        try:
            output, next_name, assigned = HANDLERS[type(state)](self, state, data, env, lane)
        except StatesError as failure:
            output, next_name, assigned = self.recover(
                state, data, lane, variables, extra_context, failure, entered, before, now)
        if assigned:
            self.check_variables(assigned, state, entered)
            variables = {**variables, **assigned}
        shown: Any = output
        checked, text = self.checked  # a task may have checked its result meanwhile
        if output is checked:
            shown = text
        elif output is not None and type(output) not in _SCALARS:
            shown = self.checked_text(output, state)
        self.history.record_state(lane, state.exited_event, self.clock.now(), state.name,
                                  "output", shown, shown is not output, assigned)
        return output, next_name, variables

    def recover(self, state: State, data: Any, lane: Lane, variables: dict[str, Any],
                extra_context: Mapping[str, Any] | None, failure: StatesError, entered: int,
                before: int, entered_at: float) -> tuple[Any, str | None, dict[str, Any] | None]:
        """A failed attempt: retry it as the state's retriers say, else catch it or fail."""
        retries = [0] * len(state.retry)
        retry_count = 0
        while True:
            error, cause = self.word(failure, state, entered)
            if _terminal(error):
                raise GraphFailed(error, cause) from None
            retrier_index = self.pick_retrier(state, error)
            env = (self.env(state, variables, retry_count, entered_at, extra_context)
                   if state.needs_context else self.plain(variables))
            if retrier_index is not None and retries[retrier_index] < int(
                state.retry[retrier_index].max_attempts
            ):
                retrier = state.retry[retrier_index]
                delay = retry_delay(retrier, retries[retrier_index], self.rng)
                retries[retrier_index] += 1
                retry_count += 1
                self.sleep(delay)
                if state.needs_context:
                    env = self.env(state, variables, retry_count, entered_at, extra_context)
                try:
                    outcome: tuple[Any, str | None, dict[str, Any] | None] = HANDLERS[type(state)](
                        self, state, data, env, lane)
                    return outcome
                except StatesError as again:
                    failure = again
                    continue
            catcher = next((c for c in state.catch if error_matches(c.error_equals, error)), None)
            if catcher is None:
                if error == E.QUERY_EVALUATION_ERROR and not isinstance(failure, Failure):
                    # AWS chains EvaluationFailed to what preceded the state's entry, before
                    # MapStateFailed; a branch's or iteration's own failure already has one.
                    details = {"error": error, "cause": cause}
                    location = getattr(failure, "location", None)
                    if location:  # the failed field, as AWS names it (a JSONata failure)
                        details["location"] = location
                    details["state"] = state.name
                    lane.last = self.history.add(Lane(before), "EvaluationFailed", self.clock.now(),
                                                 details)
                self.failed_event(state, lane)
                raise GraphFailed(error, cause) from None
            # An absent Error or Cause (a Fail state without them) stays absent, not "".
            error_output = {key: value for key, value in (("Error", error), ("Cause", cause))
                            if value is not None}
            try:
                output, assigned = state.flow.caught(catcher, data, error_output, env, self.clock)
            except StatesError as unusable:
                # The Catcher's own ResultPath, Output or Assign failed (a ResultPath into a
                # string, say): the state fails with that error, which no Catcher takes again.
                self.failed_event(state, lane)
                raise GraphFailed(*self.word(unusable, state, entered)) from None
            self.failed_event(state, lane)
            return output, catcher.next, assigned

    def failed_event(self, state: State, lane: Lane) -> None:
        if state.type in ("Parallel", "Map"):
            self.event(lane, state.type + "StateFailed")

    def pick_retrier(self, state: State, error: str) -> int | None:
        for index, retrier in enumerate(state.retry):
            if error_matches(retrier.error_equals, error):
                return index
        return None

    def word(self, failure: StatesError, state: State, entered: int) -> tuple[str, str | None]:
        """AWS prefixes the causes of errors the service itself raises with where they arose."""
        if isinstance(failure, Failure):
            return failure.error, failure.cause
        prefix = (f"An error occurred while executing the state '{state.name}' "
                  f"(entered at the event id #{entered}).")
        return failure.error, f"{prefix} {failure.cause}" if failure.cause else prefix

    def env(self, state: State, variables: dict[str, Any], retry_count: int, now: float,
            extra: Mapping[str, Any] | None) -> Env:
        """The environment of a state that reads the context object (`State.needs_context`)."""
        session = self.session
        context: dict[str, Any] = {
            "Execution": session.context_execution,
            "StateMachine": session.context_machine,
            "State": {"EnteredTime": isoformat(now), "Name": state.name, "RetryCount": retry_count},
        }
        if extra:
            context.update(extra)
        return Env(context, variables)

    def plain(self, variables: dict[str, Any]) -> Env:
        """The environment of states that never read the context object: one per set of
        variables, shared by the states that run with it."""
        env = self.plain_env = Env(NO_CONTEXT, variables)
        return env

    def check_variables(self, assigned: Mapping[str, Any], state: State, entered: int) -> None:
        """AWS's variable quota: what one state's Assign stores is at most 256 KiB of JSON."""
        size = len(to_json(assigned).encode("utf-8", "surrogatepass"))
        if size > PAYLOAD_LIMIT:
            raise GraphFailed(*self.word(StatesError(
                E.DATA_LIMIT_EXCEEDED,
                f"The variables assigned by the state ({size} bytes) exceed the maximum number of "
                f"bytes service limit ({PAYLOAD_LIMIT} bytes).",
            ), state, entered))

    def start_child(self, machine: Machine, input: Any, name: str, options: RunOptions,
                    cancel: Any) -> Execution:
        execution, drive = prepare(machine, input, clock=self.clock, name=name, options=options,
                                   synchronous=True, cancel=cancel)
        drive()
        return execution


def run_child(definition: str, item: Any, name: str, machine_arn: str, options: RunOptions,
              virtual_start: float | None, index: int, keep_history: bool) -> ChildRecord:
    """The picklable work unit of a distributed Map in another process: compile the iteration's
    definition (once per worker; the parent validated it) and run one child execution of it."""
    machine = _CHILD_MACHINES.get(definition)
    if machine is None:
        graph, errors = build(json.loads(definition))
        if errors:  # the parent compiled the same definition: not expected
            return ChildRecord(index, name, "", FAILED, item, error=E.RUNTIME,
                               cause=f"The child execution could not be compiled: {errors[0][1]}")
        machine = _CHILD_MACHINES.setdefault(
            definition, Machine(graph, machine_arn.rsplit(":", 1)[-1], machine_arn))
    clock = VirtualClock(virtual_start) if virtual_start is not None else SystemClock()
    try:
        execution, drive = prepare(machine, item, clock=clock, name=name, options=options,
                                   synchronous=True)
        drive()
    except Exception as error:  # noqa: BLE001 - a worker must report, never hang the Map Run
        return ChildRecord(index, name, "", FAILED, item, error=E.RUNTIME,
                           cause=f"The child execution could not run: {type(error).__name__}: {error}")
    return child_record(execution, index, keep_history)


_CHILD_MACHINES: dict[str, Machine] = {}
Interpreter.child_worker = staticmethod(run_child)


def prepare(machine: Machine, input: Any, *, clock: Clock | None, name: str | None,
            options: RunOptions, synchronous: bool, cancel: Any = None,
            interpreter: Callable[[Session, History, Any], Interpreter] | None = None,
            ) -> tuple[Execution, Callable[[], None]]:
    """An execution ready to go, and the function that drives it to its end (never raising
    for a failed run). Refuses input that is not JSON, as StartExecution does. (`interpreter`:
    a durable execution's `durable.DurableInterpreter`.)"""
    clock = clock if clock is not None else SystemClock()
    start = clock.now()
    if not (isinstance(start, int | float) and 0 <= start <= _LAST_START):
        raise ValueError(f"the clock reads {start!r}: an execution needs a time from 1970 on "
                         "that leaves it a year before the year 10000 (timestamps end there)")
    exec_name = name or str(uuid.UUID(int=random.Random(options.seed).getrandbits(128))
                            if options.seeded else uuid.uuid4())
    arn = machine.arn.replace(":stateMachine:", ":execution:") + ":" + exec_name
    try:
        text = to_strict_json(input)
    except (TypeError, ValueError) as error:
        raise E.InvalidExecutionInput(f"The execution input is not JSON: {error}") from None
    except RecursionError:
        raise E.InvalidExecutionInput("The execution input is nested too deeply to be JSON") from None
    history = (History(HISTORY_LIMIT) if options.on_event is None
               else StreamingHistory(HISTORY_LIMIT, options.on_event))
    execution = Execution(name=exec_name, arn=arn, state_machine_arn=machine.arn, input=input,
                          start=start, history=history)
    session = Session(machine, execution, clock, options, synchronous=synchronous)
    # The root cancel scope: Execution.stop() cuts the run through it (and a distributed Map's
    # child is cut with its Map Run's scope, its parent).
    scope = execution._scope = CancelScope(cancel)
    run = (interpreter or Interpreter)(session, execution._history, scope)

    def drive() -> None:
        try:
            _drive(run, input, text)
        except E.Error as error:  # the caller's misuse (a mock file that does not fit): run()
            _crashed(run, error)  # raises it as ever; start() ends FAILED with its message
            if synchronous:
                raise
        except Exception as error:  # noqa: BLE001 - asl's own bug: still an ended execution
            _crashed(run, error)
        finally:
            scope.close()
            execution._done.set()

    return execution, drive


def _crashed(run: Interpreter, error: Exception) -> None:
    """End an execution that asl itself failed to run (a bug): FAILED with States.Runtime and a
    cause that says so, never an exception out of run() or an execution left RUNNING."""
    execution = run.session.execution
    execution.status = FAILED
    execution.error = E.RUNTIME
    try:
        detail = f"{type(error).__name__}: {error}"
    except Exception:  # noqa: BLE001 - an exception whose str() raises
        detail = type(error).__name__
    execution.cause = (detail if isinstance(error, E.Error) else
                       f"asl failed while running the execution ({detail}); this is a bug in "
                       "asl, please report it with the definition and input")
    try:
        run.history.add(Lane(), "ExecutionFailed", run.clock.now(),
                        {"error": execution.error, "cause": execution.cause})
        execution.stop_date = run.clock.now()
    except Exception:  # noqa: BLE001 - the status above is what matters
        pass


def _drive(run: Interpreter, input: Any, text: str) -> None:
    session = run.session
    execution, machine = session.execution, session.machine
    lane = Lane()
    run.history.add(lane, "ExecutionStarted", execution.start_date, {
        "input": JsonText(text), "roleArn": session.context_execution["RoleArn"],
        "stateMachineArn": machine.arn,
    }, chain=False)

    def body() -> Any:
        if not fits_payload(text):
            raise GraphFailed(E.DATA_LIMIT_EXCEEDED,
                              "The execution input exceeds the maximum number of bytes service limit.")
        run.checked = (input, text)
        return run.run_graph(machine.graph, input, lane, {})

    conclude(run, lane, body)


def conclude(run: Interpreter, lane: Lane, body: Callable[[], Any]) -> None:
    """Run the execution's graph (`body`) and record how it ended: its status, output or error
    and closing event."""
    session = run.session
    execution, clock = session.execution, session.clock
    history = run.history
    try:
        output = body()
    except GraphFailed as failure:
        execution.status = FAILED
        execution.error, execution.cause = failure.error, failure.cause
        details = {k: v for k, v in (("error", failure.error), ("cause", failure.cause)) if v is not None}
        history.add(lane, "ExecutionFailed", clock.now(), details)
    except ExecutionTimedOut:
        execution.status = TIMED_OUT
        history.add(lane, "ExecutionTimedOut", clock.now(),
                    {"error": E.TIMEOUT, "cause": "The execution timed out."})
    except Aborted:
        execution.status = ABORTED
        stopped = execution._stopped
        if stopped is None:  # a distributed Map's child, stopped because its Map Run failed
            history.add(lane, "ExecutionAborted", clock.now())
        else:
            # StopExecution (recorded: stopped in a Wait, AWS writes no event for the state it
            # was in, and ExecutionAborted points at no event, with its details empty when no
            # error or cause was given).
            execution.error, execution.cause = stopped
            history.add(Lane(), "ExecutionAborted", clock.now(), {
                k: v for k, v in (("error", stopped[0]), ("cause", stopped[1])) if v is not None})
    else:
        execution.status = SUCCEEDED
        value, known = run.checked
        text = known if output is value and known is not None else to_json(output)
        # The caller gets a value of its own: the engine shares literal parts of the definition
        # (a Pass Result, template constants) and the caller's input between states, so handing
        # out the live value would let one execution's caller change the next execution.
        execution.output = json.loads(text) if isinstance(output, (dict, list)) else output
        history.add(lane, "ExecutionSucceeded", clock.now(), {"output": JsonText(text)})
    execution.stop_date = clock.now()
