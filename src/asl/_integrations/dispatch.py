"""Task dispatch: a resolved Task (`resources.Invocation`) run against its handler, called
Lambda-style, under the TimeoutSeconds / HeartbeatSeconds machinery. What the handler sees and
answers (its context, the `lambda:invoke` response, Lambda's error payloads) is `lambda_`'s.

`invoke()` / `attempt()` run per attempt and are the one place where a user handler's Python
exception becomes a `StatesError` (design.md, "The one error path").
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import math
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from asl._clock import Clock, Timer, VirtualClock
from asl._errors import (
    HEARTBEAT_TIMEOUT,
    RUNTIME,
    TIMEOUT,
    Failure,
    LambdaError,
    StatesError,
    TaskFailed,
)
from asl._integrations import lambda_ as _lambda
from asl._integrations.lambda_ import (
    LAMBDA_DEFAULT_TIMEOUT,
    LAMBDA_MAX_SECONDS,
    LAMBDA_MEMORY_MB,
    LAST_GROUP,
    SCAN,
    Context,
    Function,
    Heartbeat,
    LambdaResponse,
    error_payload,
    event_copy,
    from_wire,
    function_not_found,
    lambda_service_event,
    make_context,
    request_ids,
    request_text,
    timeout_cause,
    wire_json,
)
from asl._integrations.resources import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    Handler,
    Invocation,
    Kind,
    Pattern,
    parse_function,
)
from asl._json import to_json

T = TypeVar("T")
# AWS's default TimeoutSeconds: anything this long is "no timeout" and takes the inline fast path.
NO_TIMEOUT = 99_999_999

#: The heartbeat of every task that has neither TimeoutSeconds nor HeartbeatSeconds.
_UNWATCHED = Heartbeat()

def invoke(
    plan: Invocation,
    payload: Any,
    *,
    timeout_seconds: float | None = None,
    heartbeat_seconds: float | None = None,
    clock: Clock | None = None,
    heartbeat: Heartbeat | None = None,
    request_id: str | None = None,
    region: str = DEFAULT_REGION,
    account: str = DEFAULT_ACCOUNT,
    task_token: str | None = None,
) -> Any:
    """Run one attempt of the Task: call its handler with (event, context) under the state's
    timeouts and return the task result (for `lambda:invoke`, wrapped as AWS wraps it).

    Raises `Failure` for what AWS reports with its own cause (a handler's exception, a Lambda
    function that does not exist, a timeout) and plain `StatesError` for failures the executor
    prefixes. With `Pattern.WAIT_FOR_TASK_TOKEN` the caller ignores the value and waits for the
    token; a service integration without a handler then returns None without calling anything.
    """
    result = attempt(plan, payload, None, timeout_seconds, heartbeat_seconds, clock, request_id,
                     heartbeat, region, account, task_token)[0]
    return result.value() if type(result) is LambdaResponse else result


def attempt(
    plan: Invocation,
    payload: Any,
    payload_text: str | None,
    timeout_seconds: float | None,
    heartbeat_seconds: float | None,
    clock: Clock | None,
    request_id: str | None,
    heartbeat: Heartbeat | None = None,
    region: str = DEFAULT_REGION,
    account: str = DEFAULT_ACCOUNT,
    task_token: str | None = None,
) -> tuple[Any, Any, str | None]:
    """`invoke` with positional arguments (the executor's call, once per attempt), returning
    `(result, part, text)`: `text` is the history's JSON text of `part` (the handler's value: a
    Lambda function's response, also the Payload of `lambda:invoke`'s result), made anyway when
    the response is serialised; None when nothing was serialised. For `lambda:invoke`, `result`
    is a `LambdaResponse` (its dict made on demand).

    `payload_text`, when given, is `request_text(payload)`: the handler's event is read back
    from it instead of serialising the payload again."""
    if request_id is None:
        request_id = f"{request_ids.prefix}{next(request_ids.counter) & LAST_GROUP:012x}"  # new_request_id()
    limit = (timeout_seconds if timeout_seconds is not None and timeout_seconds < NO_TIMEOUT
             else None)
    if heartbeat is not None:
        beat = heartbeat
    elif limit is None and heartbeat_seconds is None:
        beat = _UNWATCHED  # nothing reads the beats of a task without limits
    else:
        beat = Heartbeat()
    if plan.kind is Kind.LAMBDA_INVOKE and plan.handler is None:
        return _invoke_lambda_service(
            plan, payload, limit, heartbeat_seconds, clock, beat, request_id, region, account,
            task_token, payload_text,
        )
    if plan.kind is Kind.LAMBDA:
        assert plan.function is not None  # resolve() always sets it for Kind.LAMBDA
        arn = plan.function.arn(region, account)
        if plan.handler is None:
            service = plan.handlers.service
            if service is not None and service.has(plan.resource):
                body = payload_text if payload_text is not None else wire_json(payload)
                _, value, text = _from_service(plan, plan.resource, None, body.encode(),
                                               request_id, "RequestResponse", False, limit,
                                               heartbeat_seconds, clock, beat, task_token)
                return value, value, text
            raise function_not_found(arn, request_id)
        event = event_copy(payload, payload_text)
        ref = plan.function
        context = make_context(Function(ref.name, ref.version, arn, plan.resource,
                                        *configured(plan.handler)), request_id, beat, task_token)
        if limit is None and heartbeat_seconds is None:
            value, text = _lambda_call(plan.handler, event, context, request_id, False)
        else:
            value, text = run_with_timeout(
                functools.partial(_lambda_call, plan.handler, event, context, request_id, False),
                limit, heartbeat_seconds, clock, beat)
        return value, value, text
    if plan.handler is None:
        if plan.pattern is Pattern.WAIT_FOR_TASK_TOKEN and plan.kind is Kind.SERVICE:
            return None, None, None
        raise StatesError(RUNTIME, _no_handler_message(plan))
    event = event_copy(payload, payload_text)
    name = plan.resource_name or plan.resource
    context = Context(
        function_name=name, function_version="$LATEST", invoked_function_arn=plan.resource,
        aws_request_id=request_id, resource=plan.resource, deadline=_deadline(limit),
        heartbeat=beat, task_token=task_token,
    )
    value, text = run_with_timeout(
        functools.partial(_service_call, plan.handler, event, context, plan.resource),
        limit, heartbeat_seconds, clock, beat)
    return value, value, text


def run_with_timeout(
    call: Callable[[], T],
    timeout_seconds: float | None,
    heartbeat_seconds: float | None,
    clock: Clock | None = None,
    heartbeat: Heartbeat | None = None,
) -> T:
    """`call()` bounded by TimeoutSeconds and HeartbeatSeconds.

    With neither set, `call` runs inline on this thread: no thread per task. Otherwise it runs
    on a daemon worker thread while this one waits; on expiry this raises `Failure` with
    `States.Timeout` or `States.HeartbeatTimeout`, and the worker is left to finish on its own
    with its late result discarded. The handler is real code, so its real running time counts
    (a virtual clock is then moved forward by the time that passed, so history timestamps show
    the timeout where AWS would); on a virtual clock, time moved past a deadline by
    `clock.advance` (from the test, or the handler itself) ends the wait as well."""
    if not _limited(timeout_seconds):
        timeout_seconds = None
    if timeout_seconds is None and heartbeat_seconds is None:
        return call()
    beat = heartbeat if heartbeat is not None else Heartbeat()
    outcome = _Outcome()
    started = time.monotonic()
    clock_start = clock.now() if clock is not None else 0.0
    watch = None
    if isinstance(clock, VirtualClock):
        beat.clock = clock
        watch = VirtualWatch(clock, clock_start, timeout_seconds, heartbeat_seconds, beat,
                             lambda error: outcome.expire(error, clock.now()))
    beat.reset()
    worker = threading.Thread(target=outcome.run, args=(call,), name="asl-task", daemon=True)
    worker.start()
    deadline = started + timeout_seconds if timeout_seconds is not None else math.inf
    try:
        while True:
            beat_deadline = (beat.last + heartbeat_seconds if heartbeat_seconds is not None
                             else math.inf)
            if outcome.done.wait(max(0.0, min(deadline, beat_deadline) - time.monotonic())):
                break
            now = time.monotonic()
            if now >= deadline:
                _catch_up(clock, clock_start, now - started)
                raise Failure(TIMEOUT)
            if heartbeat_seconds is not None and now >= beat.last + heartbeat_seconds:
                _catch_up(clock, clock_start, now - started)
                raise Failure(HEARTBEAT_TIMEOUT)
    finally:
        if watch is not None:
            watch.cancel()
    if outcome.expired is not None:
        failure = Failure(outcome.expired[0])
        failure.at = outcome.expired[1]
        raise failure
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[return-value]  # set whenever error is None


class VirtualWatch:
    """The TimeoutSeconds and HeartbeatSeconds of one wait as timers on a `VirtualClock`:
    `expire(error)` is called (on the thread moving the clock) with `States.Timeout` once time
    passes `start + timeout`, or `States.HeartbeatTimeout` once it passes the last beat (in
    virtual time) plus `heartbeat`. Whoever wakes first wins; `cancel()` when the wait ends."""

    __slots__ = ("_beat", "_clock", "_expire", "_heartbeat", "_timers")

    def __init__(self, clock: VirtualClock, start: float, timeout: float | None,
                 heartbeat: float | None, beat: Heartbeat,
                 expire: Callable[[str], None]) -> None:
        self._clock = clock
        self._beat = beat
        self._heartbeat = heartbeat
        self._expire = expire
        self._timers: list[Timer] = []
        if timeout is not None:
            self._timers.append(clock.call_at(start + timeout, lambda: self._expire(TIMEOUT)))
        if heartbeat is not None:
            self._arm(start)

    def _arm(self, since: float) -> None:
        assert self._heartbeat is not None
        self._timers.append(self._clock.call_at(since + self._heartbeat, self._beat_due))

    def _beat_due(self) -> None:
        assert self._heartbeat is not None
        last = self._beat.virtual
        if last + self._heartbeat > self._clock.now():
            self._arm(last)  # beaten meanwhile: the next deadline counts from that beat
        else:
            self._expire(HEARTBEAT_TIMEOUT)

    def cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()


class _Outcome:
    __slots__ = ("_lock", "done", "error", "expired", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: object = None
        self.error: BaseException | None = None
        self.expired: tuple[str, float] | None = None  # (error, when)
        self._lock = threading.Lock()

    def run(self, call: Callable[[], object]) -> None:
        try:
            value: object = call()
            error: BaseException | None = None
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, re-raised there
            value, error = None, exc
        with self._lock:
            if self.expired is None:
                self.value, self.error = value, error
            self.done.set()

    def expire(self, error: str, when: float) -> None:
        """A virtual deadline passed: unless the call has ended, the wait ends with `error`."""
        with self._lock:
            if not self.done.is_set():
                self.expired = (error, when)
                self.done.set()


def _limited(timeout_seconds: float | None) -> bool:
    return timeout_seconds is not None and timeout_seconds < NO_TIMEOUT


def _catch_up(clock: Clock | None, clock_start: float, elapsed: float) -> None:
    # A system clock already moved with real time; a virtual one did not, so advance it. A
    # tolerance keeps a system clock from sleeping over rounding between the two time sources.
    if clock is None:
        return
    lag = clock_start + elapsed - clock.now()
    if lag > 0.05:
        clock.sleep(lag)


def _deadline(limit: float | None) -> float:
    return time.monotonic() + min(limit if limit is not None else LAMBDA_MAX_SECONDS,
                                  LAMBDA_MAX_SECONDS)


def _invoke_lambda_service(
    plan: Invocation, parameters: Any, limit: float | None, heartbeat_seconds: float | None,
    clock: Clock | None, beat: Heartbeat, request_id: str, region: str, account: str,
    task_token: str | None, parameters_text: str | None,
) -> tuple[LambdaResponse, Any, str | None]:
    if (type(parameters) is not dict and not isinstance(parameters, Mapping)) or type(
        parameters.get("FunctionName")
    ) is not str:
        raise StatesError(
            RUNTIME,
            f"The Parameters of '{plan.resource}' need a string field 'FunctionName' (a function "
            f"name, or its full or partial ARN); got {_short_json(parameters)}.",
        )
    name = parameters["FunctionName"]
    qualifier = parameters.get("Qualifier")
    key = (name, qualifier if isinstance(qualifier, str) else None, region, account)
    target = plan.targets.get(key)
    if target is None:
        target = _lambda_target(plan, name, key[1], request_id, region, account)
    function, handler = target
    invocation_type = parameters.get("InvocationType")
    if handler is None:  # the run's Lambda service has it
        event = lambda_service_event(parameters.get("Payload"), parameters_text, request_id)
        answer, value, text = _from_service(
            plan, name, key[1], wire_json(event).encode(), request_id,
            invocation_type if isinstance(invocation_type, str) else "RequestResponse", True,
            limit, heartbeat_seconds, clock, beat, task_token)
        second = int(clock.now() if clock is not None else time.time())
        if answer.status != 200:
            return (LambdaResponse(None, "", '""', 0, answer.status, request_id, second),
                    None, None)
        assert text is not None  # a 200 answer always has its text
        return (LambdaResponse(answer.version, value, text, None, 200, request_id, second),
                value, text)
    payload = parameters.get("Payload")
    if parameters_text is not None and type(payload) is dict:
        # The parameters' text (also TaskScheduled's) read back: its Payload is the body.
        event = SCAN(parameters_text, 0)[0]["Payload"]
    else:
        event = lambda_service_event(payload, parameters_text, request_id)
    context = make_context(function, request_id, beat, task_token)
    if limit is None and heartbeat_seconds is None:
        value, text = _lambda_call(handler, event, context, request_id, True)  # inline
    else:
        value, text = run_with_timeout(
            functools.partial(_lambda_call, handler, event, context, request_id, True),
            limit, heartbeat_seconds, clock, beat)
    second = int(clock.now() if clock is not None else time.time())
    if invocation_type in ("Event", "DryRun"):
        # Lambda answers an asynchronous (or dry-run) invocation with an empty body.
        status = 202 if invocation_type == "Event" else 204
        return LambdaResponse(None, "", '""', 0, status, request_id, second), None, None
    return (LambdaResponse(function.version, value, text, None, 200, request_id, second),
            value, text)


def _lambda_target(plan: Invocation, name: str, qualifier: str | None, request_id: str,
                   region: str, account: str) -> tuple[Function, Handler | None]:
    """The function a `lambda:invoke` names, its ARN and handler; remembered per run once found
    (the parsing and matching cost more than a local call)."""
    ref = parse_function(name)
    if ref is not None and qualifier is not None and ref.qualifier is None:
        ref = attrs.evolve(ref, qualifier=qualifier)
    if ref is None:
        raise Failure(
            "Lambda.AWSLambdaException",
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:"
            "lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)"
            "(:(\\$LATEST|[a-zA-Z0-9-_]+))? (Service: AWSLambda; Status Code: 400; Error Code: "
            f"ValidationException; Request ID: {request_id}; Proxy: null)",
        )
    arn = ref.arn(region, account)
    handler = plan.handlers.function(ref, arn)
    function = Function(ref.name, ref.version, arn, plan.resource,
                        *configured(handler) if handler is not None else ())
    if handler is None:
        service = plan.handlers.service
        if service is None or not service.has(name):
            raise function_not_found(arn, request_id)
    target = plan.targets[(name, qualifier, region, account)] = (function, handler)
    return target


def configured(handler: Handler) -> tuple[str, float]:
    """The memory (as the context's text) and timeout of the function a plain handler stands
    for: Lambda's defaults, unless the handler says otherwise with `lambda_memory` (MB) and
    `lambda_timeout` (seconds) attributes, as a template's local functions do."""
    memory = getattr(handler, "lambda_memory", None)
    timeout = getattr(handler, "lambda_timeout", None)
    return (LAMBDA_MEMORY_MB if memory is None else str(memory),
            LAMBDA_DEFAULT_TIMEOUT if timeout is None else timeout)


def _from_service(
    plan: Invocation, name: str, qualifier: str | None, body: bytes, request_id: str,
    invocation_type: str, compact: bool, limit: float | None, heartbeat_seconds: float | None,
    clock: Clock | None, beat: Heartbeat, task_token: str | None = None,
) -> tuple[Any, Any, str | None]:
    """A function of the run's Lambda service invoked, under the state's own timeouts (which,
    as on AWS, end the task but not the function): `(answer, value, text)`."""
    call = functools.partial(_service_answer, plan.handlers.service, plan.handlers.rng, name,
                             qualifier, body, request_id, invocation_type, compact, task_token,
                             beat, clock)
    if limit is None and heartbeat_seconds is None:
        return call()
    return run_with_timeout(call, limit, heartbeat_seconds, clock, beat)


def _service_answer(service: Any, rng: Any, name: str, qualifier: str | None, body: bytes,
                    request_id: str, invocation_type: str, compact: bool,
                    task_token: str | None, beat: Heartbeat,
                    clock: Clock | None) -> tuple[Any, Any, str | None]:
    try:
        answer = service.call(name, qualifier, body, invocation_type=invocation_type,
                              request_id=request_id, rng=rng, task_token=task_token,
                              heartbeat=beat, clock=clock)
    except LambdaError as exc:
        # Step Functions names a Lambda API error `Lambda.<code>`, its cause the SDK's text.
        raise Failure(
            f"Lambda.{exc.code}",
            f"{exc.message} (Service: AWSLambda; Status Code: {exc.status_code}; Error Code: "
            f"{exc.code}; Request ID: {request_id}; Proxy: null)",
        ) from None
    if answer.error:
        raise function_error(answer.payload, compact=compact)
    if answer.status != 200:
        return answer, None, None
    raw = answer.payload.decode("utf-8", "replace")
    try:
        value = json.loads(raw) if raw else None
        text = request_text(value)
    except ValueError:  # bytes a handler returned as is: Step Functions gets them as a string
        value = raw
        text = request_text(value)
    return answer, from_wire(text), text


def function_error(payload: bytes, *, compact: bool) -> Failure:
    """A function's error payload as Step Functions reports it: Error is its `errorType`,
    Cause the payload (re-serialised compactly by `lambda:invoke`, as the runtime wrote it for a
    Lambda ARN resource); without an errorType, `Lambda.Unknown` (FACTS §2d)."""
    text = payload.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    error_type = parsed.get("errorType") if isinstance(parsed, dict) else None
    if not isinstance(error_type, str) or not error_type:
        shown = to_json(parsed) if parsed is not None else text
        return Failure("Lambda.Unknown",
                       "The cause could not be determined because Lambda did not return an "
                       f"error type. Returned payload: {shown}")
    return Failure(error_type, to_json(parsed) if compact else text)


def _no_handler_message(plan: Invocation) -> str:
    if plan.kind is Kind.ACTIVITY:
        name = plan.resource.rpartition(":")[2]
        return (
            f"No handler is registered for the activity '{plan.resource}'; register a worker "
            f"function under its ARN or its name '{name}'."
        )
    return (
        f"No handler is registered for the resource '{plan.resource}'; register one under this "
        "exact resource or a glob pattern that matches it (e.g. 'arn:aws:states:::sqs:*')."
    )


def _call(handler: Handler, event: Any, context: Context) -> Any:
    result = handler(event, context)
    if type(result) not in _PLAIN and inspect.isawaitable(result):
        result = _await(result)
    return result


#: Result types that are certainly not awaitable (isawaitable costs a call per task).
_PLAIN = frozenset({dict, list, str, int, float, bool, type(None)})


def _await(awaitable: Any) -> Any:
    async def wait() -> Any:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wait())
    # Called inline from inside a running event loop (the fast path without timeouts): the
    # coroutine gets a loop of its own on a helper thread.
    outcome = _Outcome()
    helper = threading.Thread(target=outcome.run, args=(lambda: asyncio.run(wait()),))
    helper.start()
    helper.join()
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


def _lambda_call(
    handler: Handler, event: Any, context: Context, request_id: str, compact: bool
) -> tuple[Any, str]:
    """The handler call as Lambda makes it: the result serialised once, giving the value the
    state gets (a copy: the handler may keep and mutate its own) and its history text. (The
    response body's size, Content-Length, is `LambdaResponse`'s to work out if asked.)"""
    started = time.monotonic()
    try:
        result = handler(event, context)
        if type(result) not in _PLAIN and inspect.isawaitable(result):
            result = _await(result)
    except (TaskFailed, StatesError) as exc:
        raise _task_failed(exc, lambda_=True) from None
    except KeyboardInterrupt:
        raise  # Ctrl-C still stops the program
    except BaseException as exc:  # noqa: BLE001 - the handler boundary: SystemExit too fails the task
        raise _lambda_error(exc, request_id, compact=compact) from None
    timeout = context._function.timeout
    if time.monotonic() - started > timeout:
        # It ran past its function's timeout: Lambda would have ended it and answered this
        # (a thread cannot be stopped, so the late result is discarded).
        raise Failure("Sandbox.Timedout", timeout_cause(request_id, timeout, compact=compact))
    try:
        text = request_text(result)
    except (TypeError, ValueError) as exc:
        # What Lambda's Python runtime answers for a value json.dumps rejects.
        raise Failure(
            "Runtime.MarshalError",
            error_payload(f"Unable to marshal response: {exc}", "Runtime.MarshalError",
                           request_id, [], compact=compact),
        ) from None
    return SCAN(text, 0)[0], text


def _service_call(
    handler: Handler, event: Any, context: Context, resource: str
) -> tuple[Any, str]:
    """The handler call of a service integration: its result (a copy) and that result's text."""
    try:
        result = _call(handler, event, context)
    except (TaskFailed, StatesError) as exc:
        raise _task_failed(exc, lambda_=False) from None
    except KeyboardInterrupt:
        raise  # Ctrl-C still stops the program
    except BaseException as exc:  # noqa: BLE001 - the handler boundary: SystemExit too fails the task
        # An integration reports its own error name; locally that is the exception's class.
        raise Failure(type(exc).__name__, _message(exc)) from None
    try:
        text = request_text(result)
    except (TypeError, ValueError) as exc:
        raise StatesError(
            RUNTIME, f"The handler for '{resource}' returned a value that is not JSON: {exc}."
        ) from None
    return SCAN(text, 0)[0], text


def _message(exc: BaseException) -> str:
    """`str(exc)`, or what can be said of an exception whose `__str__` itself raises."""
    try:
        return str(exc)
    except BaseException as inner:  # noqa: BLE001 - whatever a user's __str__ raises
        return f"<str() of the {type(exc).__name__} raised {type(inner).__name__}>"


def _text(value: object) -> str | None:
    """A TaskFailed's error or cause as the string AWS carries: non-strings as their JSON text."""
    if value is None or isinstance(value, str):
        return value
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except Exception:  # noqa: BLE001 - not JSON (or hostile): its repr, or at least its type
        try:
            return repr(value)
        except Exception:  # noqa: BLE001
            return f"<{type(value).__name__}>"


def _task_failed(exc: TaskFailed | StatesError, *, lambda_: bool) -> Failure:
    if not isinstance(exc.error, str | None) or not isinstance(exc.cause, str | None):
        exc = TaskFailed(_text(exc.error) or "", _text(exc.cause))
    if exc.error:
        return Failure(exc.error, exc.cause)
    if lambda_:
        return Failure(
            "Lambda.Unknown",
            "The cause could not be determined because Lambda did not return an error type.",
        )
    return Failure("States.TaskFailed", exc.cause)


def _lambda_error(exc: BaseException, request_id: str, *, compact: bool) -> Failure:
    name = type(exc).__name__
    try:
        stack = _stack(exc)
    except Exception:  # noqa: BLE001 - a traceback that cannot be read is left out, not fatal
        stack = []
    return Failure(
        name, error_payload(_message(exc), name, request_id, stack, compact=compact)
    )


# The dispatcher's own files: the handler call here, and the context's methods in _lambda (a
# handler's misuse of `send_task_success` raises there).
_HERE = frozenset({os.path.abspath(__file__), os.path.abspath(_lambda.__file__)})
_ASYNCIO = os.path.dirname(os.path.abspath(asyncio.__file__))


def _stack(exc: BaseException) -> list[str]:
    # As the Lambda runtime reports it: the handler's frames only, without the dispatcher's own,
    # each rendered '  File "...", line N, in fn\n    source\n' (no 3.11 caret lines, as recorded).
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        path = os.path.abspath(frame.filename)
        if path in _HERE or path.startswith(_ASYNCIO):
            continue
        text = f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
        if frame.line:
            text += f"    {frame.line.strip()}\n"
        lines.append(text)
    return lines


def _short_json(value: Any) -> str:
    try:
        text = json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
