"""The interpreter: walks a compiled `Graph`, applying each state's data flow, with Retry and
Catch in one place and the history written as AWS writes it.

Every failure inside a state is a `StatesError`; `_Run.state_loop` is the one place that catches
it, words the cause as AWS does, and hands it to the state's retriers and catchers.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from asl import _errors as E
from asl._clock import Clock, SystemClock, isoformat
from asl._definition.model import (
    DISCARD,
    JSONATA,
    ChoiceState,
    FailState,
    Graph,
    JsonataChoice,
    MapState,
    ParallelState,
    PassState,
    Retrier,
    State,
    SucceedState,
    TaskState,
    WaitState,
)
from asl._errors import StatesError
from asl._json import JsonText, to_json, to_strict_json
from asl._languages.env import Env
from asl._runtime.history import History, HistoryFull, Lane

#: AWS's payload quota: 256 KiB of UTF-8 JSON for any state input, output or result.
PAYLOAD_LIMIT = 256 * 1024
#: The largest Wait AWS accepts in a definition (Seconds), applied to computed waits too.
WAIT_LIMIT = 99_999_999
#: AWS's history quota per execution.
HISTORY_LIMIT = 25_000

#: Below this many characters, JSON text is within PAYLOAD_LIMIT whatever its characters are.
SMALL_PAYLOAD = PAYLOAD_LIMIT // 4
#: Outputs too small to check (nor worth recording as text).
_SCALARS = frozenset({int, float, bool})
#: The context object of states that never read it (`State.needs_context` is decided at load).
_NO_CONTEXT: Mapping[str, Any] = MappingProxyType({})
#: Nothing has been checked yet.
_NOTHING = object()

SUCCEEDED, FAILED, TIMED_OUT, RUNNING, ABORTED = (
    "SUCCEEDED", "FAILED", "TIMED_OUT", "RUNNING", "ABORTED",
)


class ExecutionFailure(Exception):
    """A graph (the machine, a branch or an iteration) ended in failure; not caught by states."""

    def __init__(self, error: str | None, cause: str | None, *, timed_out: bool = False) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause
        self.timed_out = timed_out


class _CaughtFailure(StatesError):
    """A failure that is already worded (a task's, a branch's, a Fail state's): no AWS prefix."""


class _Timeout(Exception):
    """The execution's TimeoutSeconds passed."""


class _Terminal(StatesError):
    """An error no Retry or Catch may handle (States.Runtime, States.DataLimitExceeded, ...)."""


class Aborted(Exception):
    """A branch or iteration cut because a sibling failed (see `_fanout.CancelScope`); not a
    state's error, so no Retry or Catch sees it. `state_type` is the state it was cut in, if any."""

    def __init__(self, state_type: str | None = None) -> None:
        super().__init__(state_type)
        self.state_type = state_type


class Execution:
    """The result of one run, shaped like DescribeExecution plus GetExecutionHistory."""

    def __init__(self, *, name: str, arn: str, state_machine_arn: str, input: Any, start: float) -> None:
        self.name = name
        self.execution_arn = arn
        self.state_machine_arn = state_machine_arn
        self.input = input
        self.start_date = start
        self.stop_date: float | None = None
        self.status = RUNNING
        self.output: Any = None
        self.error: str | None = None
        self.cause: str | None = None
        self._history: History | None = None
        #: One summary per distributed Map run (`_itemio.MapRun`), in the order they started.
        self.map_runs: list[Any] = []
        self._tokens: Any = None
        self._done = threading.Event()

    def send_task_success(self, token: str, output: Any) -> None:
        """Complete a `.waitForTaskToken` Task with `output` (SendTaskSuccess)."""
        from asl._runtime.tasks import send_success

        send_success(self._tokens, token, output)

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """Fail a `.waitForTaskToken` Task (SendTaskFailure)."""
        from asl._runtime.tasks import send_failure

        send_failure(self._tokens, token, error, cause)

    def send_task_heartbeat(self, token: str) -> None:
        """Keep a `.waitForTaskToken` Task alive (SendTaskHeartbeat)."""
        from asl._runtime.tasks import send_heartbeat

        send_heartbeat(self._tokens, token)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the execution ends (for `StateMachine.start`); False on timeout."""
        return self._done.wait(timeout)

    @property
    def history(self) -> list[dict[str, Any]]:
        """The events, as AWS's GetExecutionHistory returns them (oldest first)."""
        return self._history.events() if self._history is not None else []

    @property
    def history_types(self) -> list[str]:
        return self._history.types() if self._history is not None else []

    def __repr__(self) -> str:
        return f"<Execution {self.name} {self.status}>"


def history_full() -> ExecutionFailure:
    # Not a state's error (no Retry/Catch): the execution ends, and its closing event is the
    # last of the HISTORY_LIMIT events AWS allows.
    return ExecutionFailure(
        E.RUNTIME,
        f"The execution reached the maximum number of history events ({HISTORY_LIMIT}); "
        f"a loop that never ends? Bound it with a counter in a variable, or use a Map.",
    )


def fits_payload(text: str) -> bool:
    """Whether JSON text is within AWS's payload quota: 256 KiB of UTF-8 (a lone surrogate
    counts its 3 bytes). Callers on the hot path skip it for text of SMALL_PAYLOAD characters
    or fewer, which always fits."""
    return ((len(text) <= PAYLOAD_LIMIT and text.isascii())
            or len(text.encode("utf-8", "surrogatepass")) <= PAYLOAD_LIMIT)


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


def retry_delay(retrier: Retrier, attempt: int, rng: random.Random) -> float:
    """Seconds before retry number `attempt` (0-based): IntervalSeconds × BackoffRate^attempt,
    capped by MaxDelaySeconds, and drawn uniformly below that with JitterStrategy FULL."""
    delay = float(retrier.interval_seconds) * float(retrier.backoff_rate) ** attempt
    if retrier.max_delay_seconds is not None:
        delay = min(delay, float(retrier.max_delay_seconds))
    if retrier.jitter_strategy == "FULL":
        delay = rng.uniform(0, delay)
    return delay


class _Run:
    """One execution in progress: its history, clock, handlers and context."""

    def __init__(
        self,
        machine: Any,
        execution: Execution,
        clock: Clock,
        handlers: Mapping[str, Callable[..., Any]],
        options: Mapping[str, Any],
    ) -> None:
        self.machine = machine
        self.execution = execution
        self.clock = clock
        self.handlers = handlers
        self.options = options
        self.history = History(HISTORY_LIMIT)
        execution._history = self.history
        self.rng = random.Random(options.get("seed"))
        self.seeded = options.get("seed") is not None
        self.deadline: float | None = None
        self.context_execution = {
            "Id": execution.execution_arn,
            "Input": execution.input,
            "Name": execution.name,
            "RoleArn": options.get("role_arn", "arn:aws:iam::123456789012:role/asl-local"),
            "StartTime": isoformat(execution.start_date),
            "RedriveCount": 0,
        }
        self.context_machine = {"Id": machine.arn, "Name": machine.name}
        from asl._integrations import dispatch as _runtime
        from asl._runtime.tasks import TaskTokens

        self.handler_index = _runtime.Handlers(handlers)
        self.plans: dict[str, Any] = {}
        self.tokens = TaskTokens()
        execution._tokens = self.tokens
        self.test_case = options.get("test_case")
        # True for run(): the caller gets the Execution only at the end, so only handlers can
        # answer a .waitForTaskToken task (StateMachine.start() leaves it False).
        self.synchronous = False
        self.mock_invocations: dict[str, int] = {}
        # A fan-out's cancel scope (`_fanout.CancelScope`) when this run is one of its units, or
        # a distributed Map's child; checked before each state. None costs one test per state.
        self.cancel: Any = options.get("_cancel")
        # The last value whose size was checked, with its JSON text (see `checked_text`; a
        # task's response is checked on its way back from the handler, in `_tasks`).
        self.checked: tuple[Any, str | None] = (_NOTHING, None)
        self.plain_env = Env(_NO_CONTEXT, {})

    def task_plan(self, resource: str) -> Any:
        """How a Task resource is dispatched, resolved once per run (handlers come with the run)."""
        plan = self.plans.get(resource)
        if plan is None:
            from asl._integrations import dispatch as _runtime

            plan = self.plans[resource] = _runtime.resolve(resource, self.handler_index)
        return plan

    # -- events ------------------------------------------------------------------------------

    def event(self, lane: Lane, kind: str, details: Mapping[str, Any] | None = None, *,
              chain: bool = True) -> int:
        try:
            return self.history.record(lane, kind, self.clock.now(), details, chain)
        except HistoryFull:
            raise history_full() from None

    # -- graphs ------------------------------------------------------------------------------

    def run_graph(self, graph: Graph, data: Any, lane: Lane, variables: dict[str, Any],
                  extra_context: Mapping[str, Any] | None = None) -> Any:
        """Run states from StartAt until an end; returns the output or raises ExecutionFailure."""
        states = graph.states
        name: str | None = graph.start_at
        cancel = self.cancel
        while name is not None:
            state = states[name]
            if cancel is not None:
                cancel.check()  # raises Aborted() at the boundary once a sibling has failed
            try:
                data, name, variables = self.state_loop(state, data, lane, variables, extra_context)
            except Aborted as cut:
                if cut.state_type is None:  # cut inside this state (a wait, a nested fan-out)
                    cut.state_type = state.type
                raise
        return data

    def state_loop(self, state: State, data: Any, lane: Lane, variables: dict[str, Any],
                   extra_context: Mapping[str, Any] | None) -> tuple[Any, str | None, dict[str, Any]]:
        """Enter one state, run it (with its retriers and catchers on failure), exit it.

        The per-state hot path: one clock reading each at entry and exit, the context object only
        for states that read it, and the JSON text made by the output's size check reused as the
        next state's input."""
        now = self.clock.now()
        if self.deadline is not None and now >= self.deadline:
            raise _Timeout()
        before = lane.last
        checked, text = self.checked
        try:
            if data is checked:
                entered = self.history.record_state(lane, state.entered_event, now, state.name,
                                                    "input", text, True)
            else:
                entered = self.history.record_state(lane, state.entered_event, now, state.name,
                                                    "input", data, False)
        except HistoryFull:
            raise history_full() from None
        if state.needs_context:
            env = self.env(state, variables, 0, now, extra_context)
        else:
            env = self.plain_env if self.plain_env.variables is variables else self.plain(variables)
        try:
            output, next_name, assigned = _DISPATCH[type(state)](self, state, data, env, lane)
        except StatesError as failure:
            output, next_name, assigned = self.recover(
                state, data, lane, variables, extra_context, failure, entered, before, now)
        if state.type == "Fail":
            return output, next_name, variables
        if assigned:
            self.check_variables(assigned, state, entered)
            variables = {**variables, **assigned}
        shown: Any = output
        checked, text = self.checked  # a task may have checked its result meanwhile
        if output is checked:
            shown = text
        elif output is not None and type(output) not in _SCALARS:
            shown = self.checked_text(output, state)
        try:
            self.history.record_state(lane, state.exited_event, self.clock.now(), state.name,
                                      "output", shown, shown is not output, assigned)
        except HistoryFull:
            raise history_full() from None
        return output, next_name, variables

    def recover(self, state: State, data: Any, lane: Lane, variables: dict[str, Any],
                extra_context: Mapping[str, Any] | None, failure: StatesError, entered: int,
                before: int, entered_at: float) -> tuple[Any, str | None, dict[str, Any] | None]:
        """A failed attempt: retry it as the state's retriers say, else catch it or fail."""
        retries = [0] * len(state.retry)
        retry_count = 0
        while True:
            error, cause = self.word(failure, state, entered)
            if isinstance(failure, _Terminal) or _terminal(error):
                raise ExecutionFailure(error, cause) from None
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
                    return self.dispatch(state, data, env, lane)
                except StatesError as again:
                    failure = again
                    continue
            catcher = next((c for c in state.catch if error_matches(c.error_equals, error)), None)
            if catcher is None:
                if error == E.QUERY_EVALUATION_ERROR and not isinstance(failure, _CaughtFailure):
                    # AWS chains EvaluationFailed to what preceded the state's entry, before
                    # MapStateFailed; a branch's or iteration's own failure already has one.
                    lane.last = self.history.add(Lane(before), "EvaluationFailed", self.clock.now(), {
                        "error": error, "cause": cause, "state": state.name})
                self.failed_event(state, lane)
                raise ExecutionFailure(error, cause) from None
            output, assigned = self.caught(state, catcher, data, error, cause, env)
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
        if type(failure) is StatesError or isinstance(failure, _Terminal):
            prefix = (f"An error occurred while executing the state '{state.name}' "
                      f"(entered at the event id #{entered}).")
            cause = f"{prefix} {failure.cause}" if failure.cause else prefix
            return failure.error, cause
        return failure.error, failure.cause

    def caught(self, state: State, catcher: Any, data: Any, error: str, cause: str | None,
               env: Env) -> tuple[Any, dict[str, Any] | None]:
        error_output = {"Error": error, "Cause": cause} if cause is not None else {"Error": error}
        if state.query_language == JSONATA:
            states = {"input": data, "errorOutput": error_output, "context": env.context}
            assigned = self.jsonata_assign(catcher.assign, states, env)
            output = (self.render_jsonata(catcher.output, states, env, "Output")
                      if catcher.output is not None else error_output)
            return output, assigned
        assigned = catcher.assign.render(error_output, env) if catcher.assign is not None else None
        if catcher.result_path is None:
            return error_output, assigned
        if catcher.result_path is DISCARD:
            return data, assigned
        return catcher.result_path.apply(data, error_output), assigned

    def sleep(self, seconds: float) -> None:
        if self.deadline is not None and self.clock.now() + seconds >= self.deadline:
            self.clock.sleep(max(0.0, self.deadline - self.clock.now()))
            raise _Timeout()
        if self.cancel is not None:
            self.cancel.sleep(self.clock, seconds)  # a real wait ends early when cut
            return
        self.clock.sleep(seconds)

    def env(self, state: State, variables: dict[str, Any], retry_count: int, now: float,
            extra: Mapping[str, Any] | None) -> Env:
        """The environment of a state that reads the context object (`State.needs_context`)."""
        context: dict[str, Any] = {
            "Execution": self.context_execution,
            "StateMachine": self.context_machine,
            "State": {"EnteredTime": isoformat(now), "Name": state.name, "RetryCount": retry_count},
        }
        if extra:
            context.update(extra)
        return Env(context, variables)

    def plain(self, variables: dict[str, Any]) -> Env:
        """The environment of states that never read the context object: one per set of
        variables, shared by the states that run with it."""
        env = self.plain_env = Env(_NO_CONTEXT, variables)
        return env

    def checked_text(self, value: Any, state: State, encode: Callable[[Any], str] = to_json
                     ) -> str:
        """A state's output as JSON text, once it is known to fit AWS's payload quota (256 KiB
        of UTF-8); remembered, so that the next state's input needs neither check nor text.
        (`encode`: `_history.lean_json` for outputs that may hold many items.)"""
        text = encode(value)
        if len(text) > SMALL_PAYLOAD and not fits_payload(text):
            raise ExecutionFailure(
                    E.DATA_LIMIT_EXCEEDED,
                    f"The state/task '{state.name}' returned a result with a size exceeding the "
                    f"maximum number of bytes service limit.",
                )
        self.checked = (value, text)
        return text

    def check_variables(self, assigned: Mapping[str, Any], state: State, entered: int) -> None:
        """AWS's variable quota: what one state's Assign stores is at most 256 KiB of JSON."""
        size = len(to_json(assigned).encode("utf-8", "surrogatepass"))
        if size > PAYLOAD_LIMIT:
            raise ExecutionFailure(*self.word(StatesError(
                E.DATA_LIMIT_EXCEEDED,
                f"The variables assigned by the state ({size} bytes) exceed the maximum number of "
                f"bytes service limit ({PAYLOAD_LIMIT} bytes).",
            ), state, entered))

    def now_ms(self) -> int:
        """The run's clock in epoch milliseconds: JSONata's `$now()`/`$millis()` read it, so a
        virtual clock makes them reproducible."""
        return int(self.clock.now() * 1000)

    def render_jsonata(self, template: Any, states: Mapping[str, Any], env: Env, field: str,
                       *, expect: str | None = None) -> Any:
        """Evaluate a JSONata field (Output, Assign, Arguments, Condition, Seconds...) of a state
        on the run's clock."""
        return template.render(states, env.variables, field, expect=expect, now_ms=self.now_ms())

    # -- the data flow -----------------------------------------------------------------------

    def effective_input(self, state: State, data: Any, env: Env) -> Any:
        path = state.input_path
        return data if path is None else _select(path, data, env)

    def finish(self, state: State, raw_input: Any, result: Any, env: Env,
               ) -> tuple[Any, dict[str, Any] | None]:
        """ResultSelector, ResultPath, OutputPath and Assign for a JSONPath state."""
        if state.result_selector is not None:
            result = state.result_selector.render(result, env)
        assigned = state.assign.render(result, env) if state.assign is not None else None
        result_path = state.result_path
        if result_path is None:
            output = result
        elif result_path is DISCARD:
            output = raw_input
        else:
            output = result_path.apply(raw_input, result)
        if state.output_path is not None:
            output = _select(state.output_path, output, env)
        return output, assigned

    def jsonata_assign(self, assign: Any, states: Mapping[str, Any], env: Env) -> dict[str, Any] | None:
        if assign is None:
            return None
        assigned: dict[str, Any] = self.render_jsonata(assign, states, env, "Assign")
        return assigned

    def jsonata_finish(self, state: State, raw_input: Any, result: Any, env: Env, *,
                       default: Any) -> tuple[Any, dict[str, Any] | None]:
        states = {"input": raw_input, "result": result, "context": env.context}
        assigned = self.jsonata_assign(state.assign, states, env)
        output = (self.render_jsonata(state.output, states, env, "Output")
                  if state.output is not None else default)
        return output, assigned

    # -- states ------------------------------------------------------------------------------

    def dispatch(self, state: State, data: Any, env: Env, lane: Lane
                 ) -> tuple[Any, str | None, dict[str, Any] | None]:
        handler = _DISPATCH[type(state)]
        outcome: tuple[Any, str | None, dict[str, Any] | None] = handler(self, state, data, env, lane)
        return outcome

    def run_pass(self, state: PassState, data: Any, env: Env, lane: Lane) -> Any:
        if state.query_language == JSONATA:
            output, assigned = self.jsonata_finish(state, data, data, env, default=data)
            return output, state.next, assigned
        effective = self.effective_input(state, data, env)
        if state.has_result:
            result = state.result
        elif state.parameters is not None:
            result = state.parameters.render(effective, env)
        else:
            result = effective
        output, assigned = self.finish(state, data, result, env)
        return output, state.next, assigned

    def run_succeed(self, state: SucceedState, data: Any, env: Env, lane: Lane) -> Any:
        if state.query_language == JSONATA:
            output, assigned = self.jsonata_finish(state, data, data, env, default=data)
            return output, None, assigned
        effective = self.effective_input(state, data, env)
        if state.output_path is not None:
            effective = _select(state.output_path, effective, env)
        return effective, None, None

    def run_fail(self, state: FailState, data: Any, env: Env, lane: Lane) -> Any:
        error = self.fail_field(state, state.error, data, env, "Error")
        cause = self.fail_field(state, state.cause, data, env, "Cause")
        raise _FailState(error, cause)

    def fail_field(self, state: FailState, value: Any, data: Any, env: Env, field: str) -> Any:
        if value is None or isinstance(value, str):
            return value
        if state.query_language == JSONATA:
            return self.render_jsonata(value, {"input": data, "context": env.context}, env, field,
                                       expect="string")
        found = value.get(data, env) if hasattr(value, "get") else value.evaluate(data, env)
        if not isinstance(found, str):
            # An execution's error and cause are strings; AWS fails rather than stringify.
            raise StatesError(E.RUNTIME, f"The {field}Path field must reference a string, but "
                                         f"'{value.text}' is {to_json(found)}")
        return found

    def run_wait(self, state: WaitState, data: Any, env: Env, lane: Lane) -> Any:
        jsonata = state.query_language == JSONATA
        effective = data if jsonata else self.effective_input(state, data, env)
        states = {"input": data, "context": env.context}
        seconds: Any = None
        if state.seconds is not None:
            seconds = state.seconds
            if not isinstance(seconds, (int, float)):
                seconds = self.render_jsonata(seconds, states, env, "Seconds")
                if not _is_int(seconds) or seconds < 0:
                    raise StatesError(E.RUNTIME,
                                      f"The Seconds field must be a non-negative integer: {to_json(seconds)}")
        elif state.seconds_path is not None:
            seconds = state.seconds_path.get(effective, env)
            if not _is_int(seconds):
                raise StatesError(
                    E.RUNTIME,
                    f"The SecondsPath parameter does not reference a valid integer value: "
                    f"{state.seconds_path.text} == {to_json(seconds)}",
                )
            if seconds < 0:
                raise StatesError(
                    E.RUNTIME,
                    f"The SecondsPath parameter references a negative value: "
                    f"{state.seconds_path.text} == {to_json(seconds)}",
                )
        else:
            stamp = state.timestamp
            field = "Timestamp"
            if state.timestamp_path is not None:
                stamp = state.timestamp_path.get(effective, env)
                field = "TimestampPath"
            elif not isinstance(stamp, str):
                stamp = self.render_jsonata(stamp, states, env, "Timestamp")
            moment = _parse_timestamp(stamp)
            if moment is None:
                raise StatesError(E.RUNTIME, f"The {field} parameter does not reference a valid "
                                             f"ISO-8601 extended offset date-time format string: "
                                             f"{to_json(stamp)}")
            seconds = max(0.0, moment - self.clock.now())
        if seconds > WAIT_LIMIT:
            # Past the one-year execution quota; also keeps the clock inside datetime's range.
            raise StatesError(E.RUNTIME, f"The Wait state's duration ({seconds} seconds) exceeds "
                                         f"the maximum of {WAIT_LIMIT} seconds.")
        self.sleep(float(seconds))
        if jsonata:
            output, assigned = self.jsonata_finish(state, data, data, env, default=data)
            return output, state.next, assigned
        assigned = state.assign.render(effective, env) if state.assign is not None else None
        output = effective
        if state.output_path is not None:
            output = _select(state.output_path, output, env)
        return output, state.next, assigned

    def run_choice(self, state: ChoiceState, data: Any, env: Env, lane: Lane) -> Any:
        if state.query_language == JSONATA:
            states = {"input": data, "context": env.context}
            for rule in state.choices:
                assert isinstance(rule, JsonataChoice)
                # Worded as AWS words a mistyped Items result ("Expected 'boolean', but was ...").
                verdict = self.render_jsonata(rule.condition, states, env, "Condition",
                                              expect="boolean")
                if not isinstance(verdict, bool):  # a literal Condition that is not a boolean
                    raise StatesError(
                        E.QUERY_EVALUATION_ERROR,
                        f"The Condition field must be a boolean, but was: {to_json(verdict)}",
                    )
                if verdict:
                    assigned = self.jsonata_assign(rule.assign, states, env)
                    output = (self.render_jsonata(rule.output, states, env, "Output")
                              if rule.output is not None else data)
                    return output, rule.next, assigned
            return self.choice_default(state, data, env)
        effective = self.effective_input(state, data, env)
        for rule in state.choices:
            if rule.matches(effective, env):
                return self.choice_exit(state, rule.next, effective, env, getattr(rule, "assign", None))
        return self.choice_default(state, effective, env)

    def choice_default(self, state: ChoiceState, data: Any, env: Env) -> Any:
        if state.default is None:
            raise _CaughtFailure(E.NO_CHOICE_MATCHED,
                                 f"No Choice Rules matched and no Default was specified "
                                 f"in the state '{state.name}'.")
        if state.query_language == JSONATA:
            output, assigned = self.jsonata_finish(state, data, data, env, default=data)
            return output, state.default, assigned
        return self.choice_exit(state, state.default, data, env, None)

    def choice_exit(self, state: ChoiceState, target: str, data: Any, env: Env, rule_assign: Any) -> Any:
        assign = rule_assign if rule_assign is not None else state.assign
        assigned = assign.render(data, env) if assign is not None else None
        output = data
        if state.output_path is not None:
            output = _select(state.output_path, output, env)
        return output, target, assigned

    def run_task(self, state: TaskState, data: Any, env: Env, lane: Lane) -> Any:
        # _tasks (and _runtime's imports) load with the first Task run, not with `asl validate`;
        # from then on the dispatch table calls it directly (no import statement per task).
        from asl._runtime.tasks import run_task

        _DISPATCH[TaskState] = run_task
        return run_task(self, state, data, env, lane)

    def run_parallel(self, state: ParallelState, data: Any, env: Env, lane: Lane) -> Any:
        from asl._runtime import fanout as _fanout

        return _fanout.run_parallel(self, state, data, env, lane)

    def run_map(self, state: MapState, data: Any, env: Env, lane: Lane) -> Any:
        from asl._runtime import fanout as _fanout

        return _fanout.run_map(self, state, data, env, lane)


class _FailState(_CaughtFailure):
    """A Fail state: its Error and Cause are the execution's, unprefixed."""


_DISPATCH: dict[type, Callable[..., Any]] = {
    PassState: _Run.run_pass,
    SucceedState: _Run.run_succeed,
    FailState: _Run.run_fail,
    WaitState: _Run.run_wait,
    ChoiceState: _Run.run_choice,
    TaskState: _Run.run_task,
    ParallelState: _Run.run_parallel,
    MapState: _Run.run_map,
}


def _select(path: Any, value: Any, env: Env) -> Any:
    """An InputPath or OutputPath: null (`DISCARD`) selects an empty object, as AWS does."""
    return {} if path is DISCARD else path.get(value, env)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_timestamp(value: Any) -> float | None:
    """RFC 3339 date-time (with offset or Z) as epoch seconds, or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


def execute(machine: Any, input: Any, *, handlers: Mapping[str, Callable[..., Any]] | None = None,
            clock: Clock | None = None, name: str | None = None,
            options: Mapping[str, Any] | None = None) -> Execution:
    """Run `machine` to completion and return its Execution (never raises for a failed run)."""
    run, drive = prepare(machine, input, handlers=handlers, clock=clock, name=name, options=options)
    run.synchronous = True
    drive()
    return run.execution


def prepare(machine: Any, input: Any, *, handlers: Mapping[str, Callable[..., Any]] | None = None,
            clock: Clock | None = None, name: str | None = None,
            options: Mapping[str, Any] | None = None) -> tuple[_Run, Callable[[], None]]:
    """An execution ready to go: its run, and the function that drives it to its end."""
    clock = clock if clock is not None else SystemClock()
    options = dict(options or {})
    exec_name = name or str(uuid.UUID(int=random.Random(options.get("seed")).getrandbits(128))
                            if options.get("seed") is not None else uuid.uuid4())
    arn = machine.arn.replace(":stateMachine:", ":execution:") + ":" + exec_name
    try:
        text = to_strict_json(input)
    except (TypeError, ValueError) as error:
        raise E.InvalidExecutionInput(f"The execution input is not JSON: {error}") from None
    start = clock.now()
    execution = Execution(name=exec_name, arn=arn, state_machine_arn=machine.arn, input=input, start=start)
    run = _Run(machine, execution, clock, handlers or {}, options)

    def drive() -> None:
        try:
            _drive(run, machine, execution, input, text, clock)
        finally:
            execution._done.set()

    return run, drive


def _drive(run: _Run, machine: Any, execution: Execution, input: Any, text: str,
           clock: Clock) -> None:
    start = execution.start_date
    lane = Lane()
    graph: Graph = machine.graph
    if graph.timeout_seconds is not None:
        run.deadline = start + graph.timeout_seconds
    run.history.add(lane, "ExecutionStarted", start, {
        "input": JsonText(text), "roleArn": run.context_execution["RoleArn"],
        "stateMachineArn": machine.arn,
    }, chain=False)
    try:
        if not fits_payload(text):
            raise ExecutionFailure(E.DATA_LIMIT_EXCEEDED,
                                   "The execution input exceeds the maximum number of bytes service limit.")
        run.checked = (input, text)
        output = run.run_graph(graph, input, lane, {})
    except ExecutionFailure as failure:
        execution.status = FAILED
        execution.error, execution.cause = failure.error, failure.cause
        details = {k: v for k, v in (("error", failure.error), ("cause", failure.cause)) if v is not None}
        run.history.add(lane, "ExecutionFailed", clock.now(), details)
    except _Timeout:
        execution.status = TIMED_OUT
        run.history.add(lane, "ExecutionTimedOut", clock.now(),
                        {"error": E.TIMEOUT, "cause": "The execution timed out."})
    except Aborted:  # a distributed Map's child, stopped because its Map Run failed
        execution.status = ABORTED
        run.history.add(lane, "ExecutionAborted", clock.now())
    else:
        execution.status = SUCCEEDED
        text = run.checked[1] if output is run.checked[0] else to_json(output)
        # The caller gets a value of its own: the engine shares literal parts of the definition
        # (a Pass Result, template constants) and the caller's input between states, so handing
        # out the live value would let one execution's caller change the next execution.
        execution.output = json.loads(text) if isinstance(output, (dict, list)) else output
        run.history.add(lane, "ExecutionSucceeded", clock.now(), {"output": JsonText(text)})
    execution.stop_date = clock.now()
