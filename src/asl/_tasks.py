"""Task states: the data flow around one attempt, its history events, mocked responses and the
callback (`.waitForTaskToken`) pattern. Dispatch itself is `_runtime`'s job.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from asl import _errors as E
from asl import _runtime
from asl._env import Env
from asl._errors import StatesError
from asl._history import Lane
from asl._model import JSONATA, TaskState
from asl._runtime import Heartbeat, Kind, Pattern, TaskError


class TaskTokens:
    """The callbacks an execution is waiting for: token -> its pending outcome.

    `send_task_*` may be called from any thread (a handler's, a test's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, _Callback] = {}

    def open(self, token: str, heartbeat: Heartbeat) -> _Callback:
        callback = _Callback(heartbeat)
        with self._lock:
            self._pending[token] = callback
        return callback

    def close(self, token: str) -> None:
        with self._lock:
            self._pending.pop(token, None)

    def get(self, token: str) -> _Callback:
        with self._lock:
            callback = self._pending.get(token)
        if callback is None:
            raise E.TaskFailed("States.InvalidToken" if token else "States.InvalidToken",
                               f"Task Token '{token}' is not waiting (TaskDoesNotExist).")
        return callback


class _Callback:
    __slots__ = ("done", "heartbeat", "output", "failure")

    def __init__(self, heartbeat: Heartbeat) -> None:
        self.done = threading.Event()
        self.heartbeat = heartbeat
        self.output: Any = None
        self.failure: TaskError | None = None

    def wait(self) -> Any:
        self.done.wait()
        if self.failure is not None:
            raise self.failure
        return self.output


def run_task(run: Any, state: TaskState, data: Any, env: Env, lane: Lane) -> Any:
    """One attempt of a Task state: returns (output, next, assigned) or raises StatesError."""
    jsonata = state.query_language == JSONATA
    plan = run.task_plan(state.resource)
    token = None
    if plan.pattern is Pattern.WAIT_FOR_TASK_TOKEN:
        # Made before the payload is rendered: Parameters pass it on as $$.Task.Token.
        token = str(uuid.UUID(int=run.rng.getrandbits(128)))
        env.context["Task"] = {"Token": token}
    states: dict[str, Any] = {"input": data, "context": env.context}
    if jsonata:
        effective = data
        payload = (state.parameters.render(states, env.variables, "Arguments")
                   if state.parameters is not None else data)
    else:
        effective = run.effective_input(state, data, env)
        payload = state.parameters.render(effective, env) if state.parameters is not None else effective
    timeout = _seconds(state.timeout_seconds, state.timeout_seconds_path, effective, env, states,
                       "TimeoutSeconds")
    heartbeat = _seconds(state.heartbeat_seconds, state.heartbeat_seconds_path, effective, env,
                         states, "HeartbeatSeconds")
    result = _attempt(run, state, plan, payload, timeout, heartbeat, token, lane)
    if jsonata:
        output, assigned = run.jsonata_finish(state, data, result, env, default=result)
        return output, state.next, assigned
    output, assigned = run.finish(state, data, result, env)
    return output, state.next, assigned


def _seconds(value: Any, path: Any, data: Any, env: Env, states: Any, field: str) -> float | None:
    if path is not None:
        seconds = path.get(data, env)
        field = field + "Path"
    elif value is None or isinstance(value, (int, float)):
        return value
    else:
        seconds = value.render(states, env.variables, field)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise StatesError(E.RUNTIME, f"The {field} field must be a positive integer; got {seconds!r}.")
    return seconds


def _attempt(run: Any, state: TaskState, plan: _runtime.Invocation, payload: Any,
             timeout: float | None, heartbeat: float | None, token: str | None, lane: Lane) -> Any:
    is_function = plan.kind is Kind.LAMBDA
    kind_prefix = "LambdaFunction" if is_function else "Task"
    ids = {} if is_function else {"resource": plan.resource_name, "resourceType": plan.resource_type}
    scheduled: dict[str, Any] = (
        {"resource": state.resource, "input": payload} if is_function else
        {**ids, "region": _runtime.DEFAULT_REGION, "parameters": payload}
    )
    if timeout is not None:
        scheduled["timeoutInSeconds"] = timeout
    if heartbeat is not None and not is_function:
        scheduled["heartbeatInSeconds"] = heartbeat
    run.event(lane, kind_prefix + "Scheduled", scheduled)
    run.event(lane, kind_prefix + "Started", ids or None)
    try:
        result = _invoke(run, state, plan, payload, timeout, heartbeat, token)
    except StatesError as failure:
        error = failure.error
        timed_out = error in (E.TIMEOUT, E.HEARTBEAT_TIMEOUT)
        details = {**ids, "error": error}
        if failure.cause is not None:
            details["cause"] = failure.cause
        if isinstance(failure, TaskError) or timed_out:
            run.event(lane, kind_prefix + ("TimedOut" if timed_out else "Failed"), details)
        raise
    run.event(lane, kind_prefix + "Succeeded", {**ids, "output": result})
    return result


def _invoke(run: Any, state: TaskState, plan: _runtime.Invocation, payload: Any,
            timeout: float | None, heartbeat: float | None, token: str | None) -> Any:
    mocks = run.test_case
    if mocks is not None and mocks.mocked(state.name):
        index = run.mock_invocations.get(state.name, 0)
        run.mock_invocations[state.name] = index + 1
        outcome = mocks.response_for(state.name, index)
        if outcome[0] == "throw":
            raise TaskError(outcome[1], outcome[2])
        return outcome[1]
    beat = Heartbeat()
    if token is None:
        return _runtime.invoke(plan, payload, timeout_seconds=timeout, heartbeat_seconds=heartbeat,
                               clock=run.clock, heartbeat=beat, task_token=None)
    # The callback pattern: the handler (if any) starts the work and someone later calls
    # send_task_success/failure with the token; the handler's own return value is ignored.
    callback = run.tokens.open(token, beat)
    try:
        _runtime.invoke(plan, payload, timeout_seconds=timeout, heartbeat_seconds=heartbeat,
                        clock=run.clock, heartbeat=beat, task_token=token)
        return _runtime.run_with_timeout(callback.wait, timeout, heartbeat, run.clock, beat)
    finally:
        run.tokens.close(token)


def send_success(tokens: TaskTokens, token: str, output: Any) -> None:
    callback = tokens.get(token)
    callback.output = output
    callback.done.set()


def send_failure(tokens: TaskTokens, token: str, error: str | None, cause: str | None) -> None:
    callback = tokens.get(token)
    callback.failure = TaskError(error or "", cause)
    callback.done.set()


def send_heartbeat(tokens: TaskTokens, token: str) -> None:
    tokens.get(token).heartbeat.beat()
