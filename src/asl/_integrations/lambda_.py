"""What a local handler sees and answers as a Lambda function would: the context object, request
ids, the `lambda:invoke` response shape, Lambda's error payloads and the JSON text on the wire.

Data shapes only: calling handlers and bounding them by timeouts is `dispatch`'s job.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from email.utils import formatdate
from typing import Any, NamedTuple

from asl._errors import RUNTIME, Failure, StatesError
from asl._json import Deferred, to_json

# Lambda's own ceiling on a function's run time.
LAMBDA_MAX_SECONDS = 900
#: A function's timeout when created without one (FACTS §1, recorded): what a handler's
#: get_remaining_time_in_millis counts down from, as Lambda's does from the function's timeout
#: (a state's TimeoutSeconds never reaches the function).
LAMBDA_DEFAULT_TIMEOUT = 3
# The context's memory size is a string in the real Python runtime (read from the environment).
LAMBDA_MEMORY_MB = "128"


class Heartbeat:
    """When a task last showed signs of life: beaten by the handler's `context.heartbeat()` and
    by `send_task_heartbeat`, read by `run_with_timeout`. Safe from any thread.

    `last` is real (monotonic) time; on a virtual clock (`clock` set) `virtual` is the clock's
    reading at the last beat, which HeartbeatSeconds is measured from."""

    __slots__ = ("clock", "count", "last", "virtual")

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.count = 0
        self.clock: Any = None
        self.virtual = 0.0

    def beat(self) -> None:
        # Plain attribute stores: atomic under the GIL, and a late reader only sees an
        # earlier beat, which errs towards a timeout by at most one wake-up.
        self.count += 1
        self.last = time.monotonic()
        clock = self.clock
        if clock is not None:
            self.virtual = clock.now()

    def reset(self) -> None:
        self.last = time.monotonic()
        clock = self.clock
        if clock is not None:
            self.virtual = clock.now()


def new_request_id(rng: random.Random | None = None) -> str:
    """A request id shaped like Lambda's (a version-4 UUID). With `rng` (a seeded run), drawn
    from it; otherwise unique rather than unpredictable: a random per-process prefix and a
    counter, since drawing and formatting 128 random bits costs more than a local call."""
    if rng is None:
        return f"{request_ids.prefix}{next(request_ids.counter) & LAST_GROUP:012x}"
    text = f"{rng.getrandbits(128) & _UUID_RANDOM | _UUID4:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# The version (4) and variant (10xx) bits of a random UUID, and the bits left random.
_UUID4 = (0x4 << 76) | (0x8 << 60)
_UUID_RANDOM = ((1 << 128) - 1) ^ (0xF << 76) ^ (0xC << 60)
LAST_GROUP = (1 << 48) - 1


class _RequestIds:
    """The process's request id source; started afresh in a forked child, which would
    otherwise repeat its parent's ids."""

    def __init__(self) -> None:
        self.start()

    def start(self) -> None:
        rng = random.Random()
        first = new_request_id(rng)
        self.prefix = first[:24]
        self.counter = itertools.count(rng.getrandbits(48))


request_ids = _RequestIds()
os.register_at_fork(after_in_child=request_ids.start)


class Function(NamedTuple):
    """The fields of a handler's context that every invocation of one function shares."""

    name: str
    version: str
    arn: str
    resource: str
    memory_limit_in_mb: str = LAMBDA_MEMORY_MB
    timeout: float = LAMBDA_DEFAULT_TIMEOUT


class Context:
    """The second argument of a handler, mirroring the AWS Lambda Python context object, plus
    `heartbeat()` (this task is still alive), `resource` and `task_token`."""

    # What every invocation of one function shares is one tuple (`Function`), so a context is
    # five stores per attempt; its fields read through properties.
    __slots__ = ("_deadline", "_function", "_heartbeat", "aws_request_id", "task_token")

    identity = None
    client_context = None

    def __init__(
        self,
        *,
        function_name: str,
        function_version: str,
        invoked_function_arn: str,
        aws_request_id: str,
        resource: str,
        deadline: float,
        heartbeat: Heartbeat,
        task_token: str | None = None,
        memory_limit_in_mb: str = LAMBDA_MEMORY_MB,
    ) -> None:
        self._function = Function(function_name, function_version, invoked_function_arn,
                                  resource, memory_limit_in_mb)
        self.aws_request_id = aws_request_id
        self.task_token = task_token
        self._deadline = deadline
        self._heartbeat = heartbeat

    @property
    def function_name(self) -> str:
        return self._function.name

    @property
    def function_version(self) -> str:
        return self._function.version

    @property
    def invoked_function_arn(self) -> str:
        return self._function.arn

    @property
    def resource(self) -> str:
        return self._function.resource

    @property
    def memory_limit_in_mb(self) -> str:
        return self._function.memory_limit_in_mb

    # The log names are made when read: few handlers do, and a date costs more than the call.
    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        stamp = time.strftime("%Y/%m/%d", time.gmtime())
        return f"{stamp}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def heartbeat(self) -> None:
        """Tell the timeout machinery the task is alive (SendTaskHeartbeat, for local handlers)."""
        self._heartbeat.beat()

    def send_task_success(self, output: Any) -> None:
        """SendTaskSuccess for this `.waitForTaskToken` task, from the handler or any thread."""
        self._callback().succeed(output)

    def send_task_failure(self, error: str | None = None, cause: str | None = None) -> None:
        """SendTaskFailure for this `.waitForTaskToken` task, from the handler or any thread."""
        self._callback().fail(error, cause)

    def _callback(self) -> Any:
        # The callback task's heartbeat is its pending answer (asl._runtime.tasks.Callback).
        if self.task_token is None or not hasattr(self._heartbeat, "succeed"):
            raise RuntimeError(
                f"'{self.resource}' is not a .waitForTaskToken task: it has no task token to "
                "answer; return the result from the handler instead."
            )
        return self._heartbeat

    def __repr__(self) -> str:
        return f"Context(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"


def make_context(function: Function, request_id: str, beat: Heartbeat,
                 task_token: str | None) -> Context:
    # Context(...) field by field, without its keyword-argument parsing (once per attempt).
    context = blank_context(Context)
    context._function = function
    context.aws_request_id = request_id
    context.task_token = task_token
    context._deadline = time.monotonic() + function.timeout
    context._heartbeat = beat
    return context


blank_context = object.__new__


def lambda_service_event(payload: Any, parameters_text: str | None, request_id: str) -> Any:
    # Lambda's Python runtime hands an invocation without a body to the handler as {}.
    if payload is None:
        return {}
    # A string Payload is sent as the request body as is, and Lambda parses that text as JSON:
    # "0" arrives as 0 and "{}" as {} (recorded against AWS).
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise Failure(
                "Lambda.InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: "
                f"{exc} (Service: AWSLambda; Status Code: 400; Error Code: "
                f"InvalidRequestContentException; Request ID: {request_id}; Proxy: null)",
            ) from None
    if parameters_text is not None:
        # The parameters' text (also TaskScheduled's) read back: its Payload is the body.
        return SCAN(parameters_text, 0)[0]["Payload"]
    return round_trip_event(payload)


class LambdaResponse(Deferred):
    """What `lambda:invoke` returns: Lambda's Invoke response as the AWS SDK shapes it
    (ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode).

    Made lazily: a state that only selects the Payload (OutputPath `$.Payload`) never needs the
    dict, and the history's TaskSucceeded text is made, when read, around the Payload's text
    that the size check already made. `value()` builds a fresh dict per call, so no two
    executions (nor a user mutating one's output) share any part of it."""

    __slots__ = ("length", "payload", "request_id", "second", "status", "text", "version")

    def __init__(self, version: str | None, payload: Any, text: str, length: int | None,
                 status: int, request_id: str, second: int) -> None:
        self.version = version
        self.payload = payload
        self.text = text  # the Payload's compact JSON text (non-ASCII kept)
        # The response body's size (Content-Length), worked out when first needed.
        self.length = length
        self.status = status
        self.request_id = request_id
        self.second = second  # when it was answered (Date, trace id)

    def value(self) -> dict[str, Any]:
        """The response as the state's result (made as the task ends, while `payload` is as the
        handler's response left it)."""
        if self.length is None:
            self.length = len(wire_json(self.payload))
        output: dict[str, Any] = (
            {"ExecutedVersion": self.version, "Payload": self.payload} if self.version
            else {"Payload": self.payload}
        )
        output.update(self._metadata())
        return output

    def json_text(self) -> str:
        # Key for key what to_json(self.value()) writes, without encoding the Payload again.
        head = f'{{"ExecutedVersion":{to_json(self.version)},' if self.version else "{"
        return f'{head}"Payload":{self.text},{to_json(self._metadata())[1:]}'

    def _metadata(self) -> dict[str, Any]:
        request_id, version, second = self.request_id, self.version, self.second
        date = _http_date(second)
        # An X-Ray-like trace id: the second in hex, then 24 hex digits of the request id.
        trace = (f"root=1-{second:08x}-{request_id[:8]}{request_id[9:13]}{request_id[-12:]}"
                 ";sampled=0")
        if self.length is None:
            # Read from the text: a user may have changed the Payload value since.
            self.length = len(wire_json(SCAN(self.text, 0)[0]))
        length = str(self.length)
        if version:
            headers = {
                "Connection": "keep-alive", "Content-Length": length,
                "Content-Type": "application/json", "Date": date, "X-Amz-Executed-Version": version,
                "x-amzn-Remapped-Content-Length": "0", "x-amzn-RequestId": request_id,
                "X-Amzn-Trace-Id": trace,
            }
        else:
            headers = {
                "Connection": "keep-alive", "Content-Length": length,
                "Content-Type": "application/json", "Date": date,
                "x-amzn-Remapped-Content-Length": "0", "x-amzn-RequestId": request_id,
                "X-Amzn-Trace-Id": trace,
            }
        return {
            "SdkHttpMetadata": {
                "AllHttpHeaders": {name: [value] for name, value in headers.items()},
                "HttpHeaders": headers, "HttpStatusCode": self.status,
            },
            "SdkResponseMetadata": {"RequestId": request_id},
            "StatusCode": self.status,
        }


def _http_date(second: int) -> str:
    """RFC 7231's date for a response header; remembered per second (a clock reads the same
    second for many tasks, and formatting it costs more than the call)."""
    global _last_date
    last = _last_date
    if last[0] != second:
        last = _last_date = (second, formatdate(second, usegmt=True))
    return last[1]


_last_date: tuple[int, str] = (-1, "")


def function_not_found(arn: str, request_id: str) -> Failure:
    return Failure(
        "Lambda.ResourceNotFoundException",
        f"Function not found: {arn} (Service: AWSLambda; Status Code: 404; Error Code: "
        f"ResourceNotFoundException; Request ID: {request_id}; Proxy: null)",
    )


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The C encoders and scanner built once instead of per call (each call of json.dumps with
# arguments builds an encoder, which costs more than encoding a small payload).
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
#: json.dumps(value, allow_nan=False): what Lambda's Python runtime writes.
_ENCODE_WIRE: Any = (
    _make_encoder({}, _not_json, json.encoder.encode_basestring_ascii, None, ": ", ", ",
                  False, False, False)
    if _make_encoder is not None else None
)
#: The history's compact text (non-ASCII kept), refusing NaN and infinities as Lambda does.
_ENCODE_TEXT: Any = (
    _make_encoder({}, _not_json, json.encoder.encode_basestring, None, ":", ",",
                  False, False, False)
    if _make_encoder is not None else None
)
SCAN: Any = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set by __init__


def wire_json(value: Any) -> str:
    """`json.dumps(value, allow_nan=False)`: ASCII JSON text, as Lambda's Python runtime writes
    a response (so its length is the response's Content-Length). TypeError/ValueError if the
    value is not JSON."""
    if _ENCODE_WIRE is None:  # pragma: no cover - CPython has the C encoder
        return json.dumps(value, allow_nan=False)
    return "".join(_ENCODE_WIRE(value, 0))


def request_text(value: Any) -> str:
    """The history's JSON text of `value` (as `_json.to_json` writes it), refusing what a
    request or response cannot carry (TypeError/ValueError), as `wire_json` does."""
    if _ENCODE_TEXT is None:  # pragma: no cover - CPython has the C encoder
        return json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    if type(value) is str:
        return json.encoder.encode_basestring(value)
    return "".join(_ENCODE_TEXT(value, 0))


def from_wire(text: str) -> Any:
    """`json.loads` of text made by `wire_json` or `request_text` (no surrounding whitespace)."""
    return SCAN(text, 0)[0]


def round_trip_event(payload: Any) -> Any:
    # The handler gets its own copy, as a real invocation gets a deserialised request body: it
    # may mutate it freely without touching the state's data.
    try:
        if _ENCODE_WIRE is None:  # pragma: no cover - CPython has the C encoder
            return json.loads(json.dumps(payload, allow_nan=False))
        return SCAN("".join(_ENCODE_WIRE(payload, 0)), 0)[0]
    except (TypeError, ValueError) as exc:
        raise StatesError(RUNTIME, f"The task input is not JSON: {exc}.") from None


def event_copy(payload: Any, payload_text: str | None) -> Any:
    """The handler's own copy of the payload, read back from its text when it was made."""
    if payload_text is not None:
        return SCAN(payload_text, 0)[0]
    return round_trip_event(payload)


def timeout_cause(request_id: str, timeout: float, *, compact: bool) -> str:
    """Lambda's timeout payload (FACTS §2c, current shape: errorType then errorMessage)."""
    payload = {"errorType": "Sandbox.Timedout",
               "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                               f"{timeout:.2f} seconds"}
    return to_json(payload) if compact else json.dumps(payload)


def error_payload(
    message: str, error_type: str, request_id: str, stack: list[str], *, compact: bool
) -> str:
    """The cause text of a Lambda function error. A Lambda-ARN Resource passes the Python
    runtime's own `json.dumps` text through (", " and ": " separators, ASCII escapes); with
    `lambda:invoke` Step Functions re-serialises the payload compactly (recorded against AWS)."""
    payload = {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack,
    }
    if compact:
        return to_json(payload)
    return json.dumps(payload)
