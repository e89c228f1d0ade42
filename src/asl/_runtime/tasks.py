"""Task states: the data flow around one attempt, its history events, mocked responses and the
callback (`.waitForTaskToken`) pattern. Dispatch itself is
`_integrations.dispatch`'s job.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from typing import Any, cast

from asl import _errors as E
from asl._clock import VirtualClock
from asl._definition.model import TaskState
from asl._errors import ExecutionTimedOut, Failure, StatesError
from asl._integrations import dispatch as _dispatch
from asl._integrations import lambda_ as _lambda
from asl._integrations.lambda_ import LambdaResponse
from asl._integrations.resources import Invocation, Kind, Pattern
from asl._json import JsonText, to_json
from asl._languages.env import Env
from asl._runtime.core import SMALL_PAYLOAD, Run, StateResult, fits_payload
from asl._runtime.execution import Callback
from asl._runtime.history import Lane


def run_task(run: Run, state: TaskState, data: Any, env: Env, lane: Lane) -> StateResult:
    """One attempt of a Task state: returns (output, next, assigned) or raises StatesError."""
    flow = state.flow
    plan = run.task_plan(state.resource)
    token = None
    if plan.pattern is Pattern.WAIT_FOR_TASK_TOKEN:
        # Made before the payload is rendered: Parameters pass it on as $$.Task.Token.
        token = str(uuid.UUID(int=run.rng.getrandbits(128)))
        if run.session.journal is not None:  # a durable execution keeps a waiting task's token
            token = run.session.journal.token(run, state, token)
        # The executor builds each attempt's context as a fresh dict (see Interpreter.env); a
        # callback task always has one (State.needs_context).
        cast("dict[str, Any]", env.context)["Task"] = {"Token": token}
    effective = flow.effective(data, env)
    payload = flow.arguments(data, effective, env, run.clock)
    timeout = state.timeout_seconds
    if state.timeout_seconds_path is not None or (timeout is not None
                                                  and not _plain_seconds(timeout)):
        timeout = _seconds(run, state, timeout, state.timeout_seconds_path, effective, env, data,
                           "TimeoutSeconds")
    heartbeat = state.heartbeat_seconds
    if state.heartbeat_seconds_path is not None or (heartbeat is not None
                                                    and not _plain_seconds(heartbeat)):
        heartbeat = _seconds(run, state, heartbeat, state.heartbeat_seconds_path, effective, env,
                             data, "HeartbeatSeconds")
    result = _attempt(run, state, plan, payload, timeout, heartbeat, token, lane)
    if type(result) is LambdaResponse:
        if flow.selects_payload:
            # The common `OutputPath: $.Payload` (nothing else reads the result): the output is
            # the Payload, and the response's dict is never made.
            return result.payload, state.next, None
        result = result.value()
    output, assigned = flow.finish(data, result, env, run.clock)
    return output, state.next, assigned


def _plain_seconds(value: Any) -> bool:
    return value is None or isinstance(value, (int, float))


def _seconds(run: Run, state: TaskState, value: Any, path: Any, effective: Any, env: Env,
             data: Any, field: str) -> float | None:
    if path is not None:
        seconds = path.get(effective, env)
        field = field + "Path"
    elif _plain_seconds(value):
        return value  # type: ignore[no-any-return]  # a number or None, checked just above
    else:
        seconds = state.flow.expression(value, data, env, run.clock, field)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise StatesError(E.RUNTIME, f"The {field} field must be a positive integer; got {to_json(seconds)}.")
    return seconds


def _attempt(run: Run, state: TaskState, plan: Invocation, payload: Any,
             timeout: float | None, heartbeat: float | None, token: str | None, lane: Lane) -> Any:
    is_function = plan.kind is Kind.LAMBDA
    scheduled_type, started_type, succeeded_type = plan.event_types
    # Shared by this plan's events: the history never mutates a details mapping.
    ids: dict[str, Any] = plan.event_ids
    # The payload's text: TaskScheduled shows it, and the handler's copy is read back from it.
    text = _payload_text(payload, run.checked)
    tail: dict[str, Any] | None = None
    if timeout is not None:
        tail = {"timeoutInSeconds": timeout}
    if heartbeat is not None and not is_function:
        tail = {**(tail or {}), "heartbeatInSeconds": heartbeat}
    history = run.history
    history.record_task_start(lane, run.clock.now(), scheduled_type, plan.scheduled_ids,
                              "input" if is_function else "parameters",
                              payload if text is None else JsonText(text), tail,
                              started_type, ids or None)
    session = run.session
    mocks = session.mocks
    try:
        if session.journal is not None:  # a durable execution: completed attempts replay
            result = session.journal.task(run, state, text, payload, lambda: _call(
                run, state, plan, payload, text, timeout, heartbeat, token, lane, ids),
                token, lambda elapsed: _await_again(run, token, timeout, heartbeat, elapsed))
        elif token is None and (mocks is None or not mocks.mocked(state.name)):
            # The common case, inline: the handler's response, serialised once on its way back.
            # With a seed, request ids come from the run's generator so two runs match exactly.
            # The machine's TimeoutSeconds bounds a task that would block past it.
            limit, by_machine = timeout, False
            if run.deadline is not None and session.machine.graph.timeout_seconds is not None:
                left = max(0.0, run.deadline - run.clock.now())
                if limit is None or left < limit:
                    limit, by_machine = left, True
            try:
                result, part, part_text = _dispatch.attempt(
                    plan, payload, text, limit, heartbeat, run.clock,
                    _lambda.new_request_id(run.rng) if session.seeded else None)
            except Failure as failure:
                if by_machine and failure.error == E.TIMEOUT:
                    raise ExecutionTimedOut() from None
                raise
            if part_text is not None and (len(part_text) <= SMALL_PAYLOAD
                                          or fits_payload(part_text)):
                # The executor's size check and the history reuse this text when the state's
                # output is that value.
                run.checked = (part, part_text)
            if plan.pattern is Pattern.SYNC or plan.pattern is Pattern.SYNC2:
                # A .sync job: AWS records the start call's response, then the job's result.
                # Locally the handler stands for the whole job, so both carry its value.
                run.event(lane, "TaskSubmitted", {**ids, "output": result})
        else:
            result = _invoke(run, state, plan, payload, timeout, heartbeat, token, lane, ids)
    except StatesError as failure:
        error = failure.error
        timed_out = error in (E.TIMEOUT, E.HEARTBEAT_TIMEOUT)
        details = {**ids, "error": error}
        if failure.cause is not None:
            details["cause"] = failure.cause
        if isinstance(failure, Failure) or timed_out:
            kind_prefix = "LambdaFunction" if is_function else "Task"
            event_type = kind_prefix + ("TimedOut" if timed_out else "Failed")
            at = failure.at if isinstance(failure, Failure) else None
            if at is None:
                run.event(lane, event_type, details)
            else:
                history.record(lane, event_type, at, details)
        raise
    history.record_task(lane, succeeded_type, run.clock.now(), ids, "output", result)
    return result


def _call(run: Run, state: TaskState, plan: Invocation, payload: Any, text: str | None,
          timeout: float | None, heartbeat: float | None, token: str | None, lane: Lane,
          ids: dict[str, Any]) -> Any:
    """One attempt's call, as `_attempt` makes it inline, for a durable execution's journal."""
    mocks = run.session.mocks
    if token is None and (mocks is None or not mocks.mocked(state.name)):
        result, _part, _text = _dispatch.attempt(
            plan, payload, text, timeout, heartbeat, run.clock,
            _lambda.new_request_id(run.rng) if run.session.seeded else None)
        if plan.pattern is Pattern.SYNC or plan.pattern is Pattern.SYNC2:
            run.event(lane, "TaskSubmitted", {**ids, "output": result})
        return result
    return _invoke(run, state, plan, payload, timeout, heartbeat, token, lane, ids)


def _payload_text(payload: Any, checked: tuple[Any, str | None]) -> str | None:
    """`request_text(payload)`, or None if the payload is not JSON. Parameters often pass the
    state's input on whole (`"Payload.$": "$"`, or no Parameters at all), whose text the
    executor already has: that text is reused rather than made again."""
    value, known = checked
    # NaN and infinities pass the history's encoder but no request: made anew, they fail.
    if known is not None and "NaN" not in known and "Infinity" not in known:
        if payload is value:
            return known
        if type(payload) is dict and len(payload) <= 8:
            for item in payload.values():
                if item is value:
                    try:
                        return _splice(payload, value, known)
                    except (TypeError, ValueError):
                        break  # a key that is not a string, or a value that is not JSON
    try:
        return _lambda.request_text(payload)
    except (TypeError, ValueError):
        return None  # not JSON: recorded as it is, and the invocation fails saying why


def _splice(payload: dict[str, Any], value: Any, known: str) -> str:
    """The object's text with `known` standing for `value`."""
    keys = _KEYS
    parts = []
    for key, item in payload.items():
        head = keys.get(key)
        if head is None:
            if type(key) is not str:
                raise TypeError("an object key that is not a string")
            head = _lambda.request_text(key) + ":"
            if len(keys) < 1024:  # Parameters' keys: few, and the same every time
                keys[key] = head
        parts.append(head + (known if item is value else _lambda.request_text(item)))
    return "{" + ",".join(parts) + "}"


#: Object keys as text, with their colon.
_KEYS: dict[str, str] = {}


def _invoke(run: Run, state: TaskState, plan: Invocation, payload: Any,
            timeout: float | None, heartbeat: float | None, token: str | None, lane: Lane,
            ids: dict[str, Any]) -> Any:
    """A mocked response (a test case), or a callback (`.waitForTaskToken`) task's answer."""
    session = run.session
    mocks = session.mocks
    if mocks is not None and mocks.mocked(state.name):
        with session.mock_lock:  # Map iterations on threads count one invocation each
            index = session.mock_invocations.get(state.name, 0)
            session.mock_invocations[state.name] = index + 1
        outcome = mocks.response_for(state.name, index)
        if outcome[0] == "throw":
            raise Failure(outcome[1], outcome[2])
        return outcome[1]
    # With a seed, request ids come from the run's generator so that two runs match exactly.
    request_id = _lambda.new_request_id(run.rng) if session.seeded else None
    assert token is not None  # _attempt calls the handler itself otherwise
    # The callback pattern: the handler (if any) starts the work and the answer comes with the
    # token (send_task_success/failure, from any thread); the handler's own value is what AWS
    # records as the service's response in TaskSubmitted.
    callback = session.tokens.open(token)
    started, clock_start = time.monotonic(), run.clock.now()
    # On a virtual clock the deadlines are timers from the task's start, so time moved past
    # them while the handler still runs counts too, and a late answer is refused at once.
    watch = _watch(run, run.clock, callback, timeout, heartbeat, clock_start) if isinstance(
        run.clock, VirtualClock) else None
    threads_before = set(threading.enumerate())
    try:
        response = _dispatch.invoke(plan, payload, timeout_seconds=timeout,
                                   heartbeat_seconds=heartbeat, clock=run.clock,
                                   heartbeat=callback, task_token=token, request_id=request_id)
        submitted = {**ids, "output": response} if response is not None else dict(ids)
        run.event(lane, "TaskSubmitted", submitted)
        if session.journal is not None:  # a durable execution: the token is out
            session.journal.submitted(run)
        helpers = [thread for thread in threading.enumerate()
                   if thread not in threads_before and thread.is_alive()]
        return _await_answer(run, callback, timeout, heartbeat, started, clock_start, helpers)
    finally:
        if watch is not None:
            for timer in watch:
                timer.cancel()
        session.tokens.close(token)


def _await_again(run: Run, token: str | None, timeout: float | None, heartbeat: float | None,
                 elapsed: float) -> Any:
    """A durable execution's callback task that was waiting when its process died: wait for
    the same token again, its TimeoutSeconds counted from the task's first start (`elapsed`
    seconds ago), without calling the handler again."""
    assert token is not None
    if _dispatch._limited(timeout):
        assert timeout is not None
        timeout = max(0.0, timeout - elapsed)
    callback = run.session.tokens.open(token)
    started, clock_start = time.monotonic(), run.clock.now()
    watch = _watch(run, run.clock, callback, timeout, heartbeat, clock_start) if isinstance(
        run.clock, VirtualClock) else None
    try:
        return _await_answer(run, callback, timeout, heartbeat, started, clock_start, [])
    finally:
        if watch is not None:
            for timer in watch:
                timer.cancel()
        run.session.tokens.close(token)


def _watch(run: Run, clock: VirtualClock, callback: Callback, timeout: float | None,
           heartbeat: float | None, clock_start: float) -> list[Any]:
    """A callback's TimeoutSeconds, HeartbeatSeconds and the execution's deadline as timers."""
    if not _dispatch._limited(timeout):
        timeout = None
    callback.clock = clock  # heartbeats are counted in virtual time
    callback.virtual = clock_start
    def expire(error: str) -> None:
        failure = Failure(error)
        failure.at = clock.now()  # the deadline: the clock is moving past it
        callback.interrupt(failure)

    timers: list[Any] = [_dispatch.VirtualWatch(clock, clock_start, timeout, heartbeat, callback,
                                                expire)]
    if run.deadline is not None:
        timers.append(clock.call_at(run.deadline, lambda: callback.interrupt(ExecutionTimedOut())))
    return timers


def _await_answer(run: Run, callback: Callback, timeout: float | None, heartbeat: float | None,
                  started: float, clock_start: float, helpers: list[threading.Thread]) -> Any:
    """Wait for the token's answer within TimeoutSeconds (counted from the task's start) and
    HeartbeatSeconds (from the last heartbeat). On a virtual clock both are virtual time: they
    pass when the clock is moved past them (`clock.advance`, or another unit's Wait), never in
    real time. On any other clock they are measured in real time."""
    if not _dispatch._limited(timeout):
        timeout = None
    # In a synchronous run() nobody holds the Execution, so only the handler's own threads
    # (through its context) can answer: once they are gone, waiting longer would hang forever.
    sole_answerers = helpers if run.session.synchronous else None
    if isinstance(run.clock, VirtualClock):
        _await_virtual(run, run.clock, callback, timeout, heartbeat, clock_start, sole_answerers)
    else:
        _await_real(run, callback, timeout, heartbeat, started, clock_start, sole_answerers)
    if callback.failure is not None:
        raise callback.failure
    return callback.output


def _await_virtual(run: Run, clock: VirtualClock, callback: Callback, timeout: float | None,
                   heartbeat: float | None, clock_start: float,
                   sole_answerers: list[threading.Thread] | None) -> None:
    """The deadlines are the clock's timers (`_watch`): the wait ends with the answer or them."""
    if sole_answerers is None:
        callback.done.wait()
        return
    while not callback.done.is_set():
        if any(t.is_alive() for t in sole_answerers):
            callback.done.wait(_POLL_SECONDS)
        elif not callback.done.is_set():
            # Nothing else can happen: run ahead to the first deadline, which ends the wait.
            limits = [clock_start + timeout] if timeout is not None else []
            if heartbeat is not None:
                limits.append(callback.virtual + heartbeat)
            if run.deadline is not None and run.session.machine.graph.timeout_seconds is not None:
                limits.append(run.deadline)  # the year alone: unanswerable, say so now
            if not limits:
                raise StatesError(E.RUNTIME, _UNANSWERABLE)
            clock.sleep(max(0.0, min(limits) - clock.now()))


def _await_real(run: Run, callback: Callback, timeout: float | None, heartbeat: float | None,
                started: float, clock_start: float,
                sole_answerers: list[threading.Thread] | None) -> None:
    deadline = started + timeout if timeout is not None else math.inf
    while True:
        beat_deadline = callback.last + heartbeat if heartbeat is not None else math.inf
        limit = min(deadline, beat_deadline)
        if sole_answerers is not None and not any(t.is_alive() for t in sole_answerers):
            if callback.done.is_set():
                return
            _unanswerable(run, limit, deadline, started, clock_start)
        wait = limit - time.monotonic()
        if sole_answerers is not None:
            wait = min(wait, _POLL_SECONDS)
        if callback.done.wait(max(0.0, wait) if wait < math.inf else None):
            return
        now = time.monotonic()
        # Re-read the last beat: one may have arrived while this thread slept.
        beat_deadline = callback.last + heartbeat if heartbeat is not None else math.inf
        if now >= deadline or now >= beat_deadline:
            _dispatch._catch_up(run.clock, clock_start, now - started)
            callback.interrupt(Failure(E.TIMEOUT if now >= deadline else E.HEARTBEAT_TIMEOUT))
            return


def _unanswerable(run: Run, limit: float, deadline: float, started: float,
                  clock_start: float) -> None:
    """End a callback wait that nothing can answer as AWS would end it: at the first limit.

    A real clock is not made to sleep through a wait whose outcome is already known. With no
    limit at all, AWS would wait out the execution's one-year maximum: locally that fails now,
    saying why."""
    if limit == math.inf:
        raise StatesError(E.RUNTIME, _UNANSWERABLE)
    raise Failure(E.TIMEOUT if limit >= deadline else E.HEARTBEAT_TIMEOUT)


_UNANSWERABLE = (
    "The task waits for a task token (.waitForTaskToken) that nothing can send: run() "
    "returns only when the execution ends. Answer from the handler with "
    "context.send_task_success(output) / send_task_failure(error, cause) (also from a "
    "thread it starts), use StateMachine.start() and execution.send_task_success(token, "
    "output), or set TimeoutSeconds or HeartbeatSeconds on the state."
)

_POLL_SECONDS = 0.02
