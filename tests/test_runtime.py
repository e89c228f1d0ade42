"""Tests for asl._integrations.dispatch: resolving Task resources, invoking handlers, timeouts and heartbeats."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

from asl._clock import VirtualClock
from asl._errors import Failure, StatesError, TaskFailed
from asl._integrations.dispatch import invoke, run_with_timeout
from asl._integrations.lambda_ import Heartbeat
from asl._integrations.resources import LAMBDA_INVOKE, Kind, Pattern, parse_function, resolve

ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"


def echo(event, context):
    return event


def raise_exception(event, context):
    raise Exception("Some exception was raised.")  # noqa: TRY002 - what the AWS recording raises


# --- resolution -------------------------------------------------------------------------------


def test_lambda_arn_resource():
    """A Lambda function ARN resolves to its handler keyed by ARN."""
    plan = resolve(ARN, {ARN: echo})
    assert (plan.kind, plan.pattern, plan.handler) == (Kind.LAMBDA, Pattern.REQUEST_RESPONSE, echo)
    assert plan.resource_type == "lambda" and plan.resource_name == ARN


def test_lambda_arn_resource_found_by_function_name():
    """A handler keyed by bare function name serves a Lambda ARN of that name, qualified or not."""
    assert resolve(ARN, {"fn": echo}).handler is echo
    assert resolve(ARN + ":prod", {"fn": echo}).handler is echo
    assert resolve(ARN + ":prod", {"fn:prod": echo, "fn": raise_exception}).handler is echo


def test_qualified_arn_handler_is_preferred():
    """A handler for the exact qualified ARN wins over the unqualified one."""
    plan = resolve(ARN + ":2", {ARN: raise_exception, ARN + ":2": echo})
    assert plan.handler is echo
    assert resolve(ARN + ":3", {ARN: echo}).handler is echo


def test_bare_function_name_resource():
    """A bare function name as Resource is a Lambda function (a local convenience)."""
    plan = resolve("fn", {ARN: echo})
    assert plan.kind is Kind.LAMBDA and plan.handler is echo


def test_arn_keyed_handler_with_ambiguous_name():
    """Two ARN keys sharing a function name leave the bare name unresolved."""
    other = "arn:aws:lambda:eu-west-1:222222222222:function:fn"
    plan = resolve("fn", {ARN: echo, other: raise_exception})
    assert plan.handler is None and plan.missing
    assert resolve(other, {ARN: echo, other: raise_exception}).handler is raise_exception


def test_lambda_invoke_resource():
    """lambda:invoke resolves to the runtime lookup of FunctionName; history says lambda/invoke."""
    plan = resolve(LAMBDA_INVOKE, {ARN: echo})
    assert (plan.kind, plan.handler, plan.missing) == (Kind.LAMBDA_INVOKE, None, False)
    assert (plan.resource_type, plan.resource_name) == ("lambda", "invoke")
    token = resolve(LAMBDA_INVOKE + ".waitForTaskToken", {})
    assert token.pattern is Pattern.WAIT_FOR_TASK_TOKEN
    assert token.resource_name == "invoke.waitForTaskToken"


def test_service_integration_exact_and_suffix():
    """A handler for the plain resource also serves its .waitForTaskToken and .sync forms."""
    sqs = "arn:aws:states:::sqs:sendMessage"
    plan = resolve(sqs + ".waitForTaskToken", {sqs: echo})
    assert (plan.kind, plan.pattern, plan.handler) == (Kind.SERVICE, Pattern.WAIT_FOR_TASK_TOKEN, echo)
    assert (plan.resource_type, plan.resource_name) == ("sqs", "sendMessage.waitForTaskToken")
    run = resolve("arn:aws:states:::states:startExecution.sync:2", {})
    assert run.pattern is Pattern.SYNC2 and run.resource_name == "startExecution.sync:2"
    assert resolve("arn:aws:states:::ecs:runTask.sync", {}).pattern is Pattern.SYNC


def test_exact_resource_beats_pattern():
    """An exact key wins over a glob pattern that also matches."""
    sqs = "arn:aws:states:::sqs:sendMessage"
    assert resolve(sqs, {"arn:aws:states:::sqs:*": raise_exception, sqs: echo}).handler is echo


def test_aws_sdk_glob_pattern():
    """aws-sdk resources match glob patterns; history's resourceType is aws-sdk:SERVICE."""
    plan = resolve("arn:aws:states:::aws-sdk:s3:listBuckets", {"arn:aws:states:::aws-sdk:s3:*": echo})
    assert plan.handler is echo
    assert (plan.resource_type, plan.resource_name) == ("aws-sdk:s3", "listBuckets")


def test_activity_resource():
    """An activity resolves by its ARN or by its name."""
    activity = "arn:aws:states:us-east-1:111111111111:activity:approve"
    assert resolve(activity, {activity: echo}).kind is Kind.ACTIVITY
    assert resolve(activity, {"approve": echo}).handler is echo
    assert resolve(activity, {}).missing


def test_unregistered_service_is_missing():
    """A service integration nobody registered is reported missing, except a callback one."""
    assert resolve("arn:aws:states:::sns:publish", {}).missing
    assert not resolve("arn:aws:states:::sns:publish.waitForTaskToken", {}).missing


def test_non_callable_handler_is_rejected():
    """A handler that is not callable is refused when the handlers are indexed."""
    with pytest.raises(TypeError, match="not callable"):
        resolve(ARN, {ARN: "echo"})


@pytest.mark.parametrize(
    ("text", "name", "qualifier", "account"),
    [
        ("fn", "fn", None, None),
        ("fn:live", "fn", "live", None),
        ("111111111111:function:fn", "fn", None, "111111111111"),
        ("111111111111:function:fn:7", "fn", "7", "111111111111"),
        (ARN + ":$LATEST", "fn", "$LATEST", "111111111111"),
    ],
)
def test_parse_function(text, name, qualifier, account):
    """Function names, name:qualifier, partial and full ARNs are all function references."""
    ref = parse_function(text)
    assert ref is not None and (ref.name, ref.qualifier, ref.account) == (name, qualifier, account)


# --- invoking a Lambda function ARN -----------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, {}, [], "text", None, {"a": [1, {"b": True}]}])
def test_lambda_arn_returns_handler_value(value):
    """A Lambda ARN Task's result is the handler's value itself, as JSON."""
    assert invoke(resolve(ARN, {ARN: echo}), value) == value


def test_handler_gets_a_copy_of_the_input():
    """A handler mutating its event never changes the caller's data."""
    def mutate(event, context):
        event["list"].append(2)
        return event

    data = {"list": [1]}
    assert invoke(resolve(ARN, {ARN: mutate}), data) == {"list": [1, 2]}
    assert data == {"list": [1]}


def test_lambda_arn_exception_cause():
    """An exception fails the task with its class name and the Python runtime's JSON error text."""
    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {ARN: raise_exception}), {}, request_id="rid-1")
    assert info.value.error == "Exception"
    cause = info.value.cause
    assert cause.startswith('{"errorMessage": "Some exception was raised.", "errorType": "Exception", '
                            '"requestId": "rid-1", "stackTrace": ["  File \\"')
    trace = json.loads(cause)["stackTrace"]
    assert len(trace) == 1 and trace[0].startswith('  File "')
    assert "^^^" not in trace[0]
    assert 'in raise_exception\n    raise Exception("Some exception was raised.")' in trace[0]
    assert list(json.loads(cause)) == ["errorMessage", "errorType", "requestId", "stackTrace"]


def test_custom_exception_class_name_is_the_error():
    """The error name is the exception's class name, so Retry/Catch can match it."""
    class PaymentDeclined(Exception):
        pass

    def decline(event, context):
        raise PaymentDeclined("card expired")

    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {ARN: decline}), {})
    assert info.value.error == "PaymentDeclined"
    assert json.loads(info.value.cause)["errorMessage"] == "card expired"


def test_task_failed_gives_exact_error_and_cause():
    """asl.TaskFailed fails the task with exactly the given error and cause."""
    def fail(event, context):
        raise TaskFailed("Order.Invalid", "no items")

    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {ARN: fail}), {})
    assert (info.value.error, info.value.cause) == ("Order.Invalid", "no items")


def test_task_failed_without_error_is_lambda_unknown():
    """A Lambda error without a type is Lambda.Unknown, as AWS reports it."""
    def fail(event, context):
        raise TaskFailed("", None)

    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {ARN: fail}), {})
    assert info.value.error == "Lambda.Unknown"
    assert "did not return an error type" in info.value.cause


def test_task_error_is_a_states_error():
    """Failure is a StatesError, so the executor's one catch handles it."""
    assert issubclass(Failure, StatesError)


def test_missing_function_is_resource_not_found():
    """A Lambda ARN nobody registered fails with Lambda.ResourceNotFoundException naming it."""
    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {}), {}, request_id="rid")
    assert info.value.error == "Lambda.ResourceNotFoundException"
    assert info.value.cause == (
        f"Function not found: {ARN} (Service: AWSLambda; Status Code: 404; Error Code: "
        "ResourceNotFoundException; Request ID: rid; Proxy: null)"
    )


def test_non_json_result_is_marshal_error():
    """A handler value json cannot encode fails as Lambda's Python runtime does."""
    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {ARN: lambda event, context: {1, 2}}), {})
    assert info.value.error == "Runtime.MarshalError"
    assert "Unable to marshal response: Object of type set is not JSON serializable" in info.value.cause


def test_context_attributes():
    """The context mirrors Lambda's: names, version, ARN, memory, request id, log names, time."""
    seen = {}

    def look(event, context):
        seen.update(
            name=context.function_name, version=context.function_version,
            arn=context.invoked_function_arn, memory=context.memory_limit_in_mb,
            request=context.aws_request_id, group=context.log_group_name,
            stream=context.log_stream_name, remaining=context.get_remaining_time_in_millis(),
        )
        context.heartbeat()

    beat = Heartbeat()
    invoke(resolve(ARN + ":5", {"fn": look}), {}, request_id="abc-def", timeout_seconds=30,
           heartbeat=beat)
    assert seen["name"] == "fn" and seen["version"] == "5"
    assert seen["arn"] == ARN + ":5" and seen["memory"] == "128"
    assert seen["request"] == "abc-def" and seen["group"] == "/aws/lambda/fn"
    assert seen["stream"].endswith("[5]abcdef")
    assert 2_000 < seen["remaining"] <= 3_000  # the function's default timeout, not the state's
    assert beat.count == 1


def test_bare_name_gets_full_arn_from_region_and_account():
    """A bare function name's invoked ARN uses the execution's region and account."""
    seen = []
    invoke(resolve("fn", {"fn": lambda e, c: seen.append(c.invoked_function_arn)}), {},
           region="eu-west-1", account="222222222222")
    assert seen == ["arn:aws:lambda:eu-west-1:222222222222:function:fn"]


def test_coroutine_handler_is_awaited():
    """An async handler is awaited and its value is the result."""
    async def handler(event, context):
        await asyncio.sleep(0)
        return {"async": event}

    assert invoke(resolve(ARN, {ARN: handler}), 1) == {"async": 1}
    assert invoke(resolve(ARN, {ARN: handler}), 2, timeout_seconds=5) == {"async": 2}


def test_coroutine_handler_inside_a_running_loop():
    """An async handler also works when asl is called from inside an event loop."""
    async def handler(event, context):
        return event + 1

    async def main():
        return invoke(resolve(ARN, {ARN: handler}), 1)

    assert asyncio.run(main()) == 2


def test_coroutine_handler_exception():
    """An async handler's exception is reported like a sync one, with its own frames only."""
    async def handler(event, context):
        raise KeyError("k")

    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {ARN: handler}), {})
    assert info.value.error == "KeyError"
    trace = json.loads(info.value.cause)["stackTrace"]
    assert len(trace) == 1 and "in handler" in trace[0]


# --- lambda:invoke ----------------------------------------------------------------------------


def test_lambda_invoke_wraps_output():
    """lambda:invoke wraps the result as AWS does, keys in AWS's order."""
    out = invoke(resolve(LAMBDA_INVOKE, {"fn": echo}), {"FunctionName": "fn", "Payload": {"a": 1}},
                 request_id="rid")
    assert list(out) == ["ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata",
                         "StatusCode"]
    assert (out["ExecutedVersion"], out["Payload"], out["StatusCode"]) == ("$LATEST", {"a": 1}, 200)
    assert out["SdkResponseMetadata"] == {"RequestId": "rid"}
    http = out["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    assert http["HttpHeaders"]["x-amzn-RequestId"] == "rid"
    assert http["AllHttpHeaders"]["X-Amz-Executed-Version"] == ["$LATEST"]


@pytest.mark.parametrize(
    ("payload", "event"),
    [(None, {}), ("0", 0), ("true", True), ("{}", {}), ({"k": "v"}, {"k": "v"}), ([1], [1])],
)
def test_lambda_invoke_payload(payload, event):
    """A null Payload arrives as {}, a string Payload is parsed as JSON text (as recorded on AWS)."""
    out = invoke(resolve(LAMBDA_INVOKE, {"fn": echo}), {"FunctionName": "fn", "Payload": payload})
    assert out["Payload"] == event


def test_lambda_invoke_payload_absent():
    """Parameters without Payload invoke the function with {}."""
    assert invoke(resolve(LAMBDA_INVOKE, {"fn": echo}), {"FunctionName": "fn"})["Payload"] == {}


def test_lambda_invoke_payload_not_json_text():
    """A string Payload that is not JSON fails as Lambda rejects the request body."""
    with pytest.raises(Failure) as info:
        invoke(resolve(LAMBDA_INVOKE, {"fn": echo}), {"FunctionName": "fn", "Payload": "hello"})
    assert info.value.error == "Lambda.InvalidRequestContentException"


@pytest.mark.parametrize(
    "name", ["fn", ARN, "111111111111:function:fn", ARN + ":$LATEST"]
)
def test_lambda_invoke_function_name_forms(name):
    """FunctionName may be a name, a full ARN or a partial ARN."""
    out = invoke(resolve(LAMBDA_INVOKE, {ARN: echo}), {"FunctionName": name, "Payload": 1})
    assert out["Payload"] == 1


def test_lambda_invoke_version_qualifier():
    """A numeric qualifier (in FunctionName or Qualifier) is the ExecutedVersion."""
    plan = resolve(LAMBDA_INVOKE, {"fn": echo})
    assert invoke(plan, {"FunctionName": "fn:3"})["ExecutedVersion"] == "3"
    assert invoke(plan, {"FunctionName": "fn", "Qualifier": "4"})["ExecutedVersion"] == "4"


def test_lambda_invoke_event_invocation():
    """InvocationType Event answers 202 with an empty Payload."""
    out = invoke(resolve(LAMBDA_INVOKE, {"fn": echo}),
                 {"FunctionName": "fn", "Payload": {}, "InvocationType": "Event"})
    assert (out["StatusCode"], out["Payload"]) == (202, "")
    assert "ExecutedVersion" not in out


def test_lambda_invoke_no_such_function():
    """An unknown FunctionName fails with Lambda.ResourceNotFoundException naming the full ARN."""
    with pytest.raises(Failure) as info:
        invoke(resolve(LAMBDA_INVOKE, {ARN: echo}), {"FunctionName": "no_such", "Payload": None},
               account="111111111111")
    assert info.value.error == "Lambda.ResourceNotFoundException"
    assert info.value.cause.startswith(
        "Function not found: arn:aws:lambda:us-east-1:111111111111:function:no_such (Service: "
    )


def test_lambda_invoke_exception_cause_is_compact():
    """Through lambda:invoke the error payload is re-serialised compactly, as AWS records it."""
    with pytest.raises(Failure) as info:
        invoke(resolve(LAMBDA_INVOKE, {"fn": raise_exception}), {"FunctionName": "fn"},
               request_id="rid")
    assert info.value.error == "Exception"
    assert info.value.cause.startswith(
        '{"errorMessage":"Some exception was raised.","errorType":"Exception","requestId":"rid",'
        '"stackTrace":["  File \\"'
    )


def test_lambda_invoke_without_function_name():
    """Parameters without a FunctionName string fail with a plain (prefixed) States.Runtime."""
    with pytest.raises(StatesError) as info:
        invoke(resolve(LAMBDA_INVOKE, {"fn": echo}), {"Payload": {}})
    assert not isinstance(info.value, Failure)
    assert info.value.error == "States.Runtime" and "FunctionName" in info.value.cause


def test_lambda_invoke_resource_handler_overrides():
    """A handler registered for the lambda:invoke resource itself gets the whole parameters."""
    out = invoke(resolve(LAMBDA_INVOKE, {LAMBDA_INVOKE: echo}), {"FunctionName": "x", "Payload": 1})
    assert out == {"FunctionName": "x", "Payload": 1}


# --- other integrations -----------------------------------------------------------------------


def test_service_handler_result_and_context():
    """A service handler's value is the task result; its context names the resource."""
    seen = []

    def send(event, context):
        seen.append((context.resource, context.task_token))
        return {"MessageId": "m-1"}

    sqs = "arn:aws:states:::sqs:sendMessage"
    assert invoke(resolve(sqs, {sqs: send}), {"MessageBody": "x"}, task_token="tok") == {
        "MessageId": "m-1"
    }
    assert seen == [(sqs, "tok")]


def test_service_handler_exception():
    """A service handler's exception fails with its class name and message."""
    def broken(event, context):
        raise ValueError("no queue")

    with pytest.raises(Failure) as info:
        invoke(resolve("arn:aws:states:::sqs:sendMessage", {"arn:aws:states:::sqs:*": broken}), {})
    assert (info.value.error, info.value.cause) == ("ValueError", "no queue")


def test_service_handler_non_json_result():
    """A service handler's non-JSON value is a States.Runtime failure naming the resource."""
    sns = "arn:aws:states:::sns:publish"
    with pytest.raises(StatesError, match="not JSON") as info:
        invoke(resolve(sns, {sns: lambda e, c: object()}), {})
    assert info.value.error == "States.Runtime"


def test_unregistered_service_fails_with_instructions():
    """Invoking an unregistered integration says how to register a handler."""
    with pytest.raises(StatesError, match="No handler is registered for the resource") as info:
        invoke(resolve("arn:aws:states:::sns:publish", {}), {})
    assert info.value.error == "States.Runtime"


def test_unregistered_callback_service_returns_none():
    """A .waitForTaskToken integration without handler calls nothing; the token completes it."""
    assert invoke(resolve("arn:aws:states:::sqs:sendMessage.waitForTaskToken", {}), {}) is None


def test_unregistered_activity_fails():
    """An activity without a worker handler fails naming the activity."""
    with pytest.raises(StatesError, match="activity 'arn:aws:states:us-east-1:1:activity:a'"):
        invoke(resolve("arn:aws:states:us-east-1:1:activity:a", {}), {})


def test_activity_handler():
    """An activity handler works like a Lambda-style handler."""
    activity = "arn:aws:states:us-east-1:111111111111:activity:approve"
    assert invoke(resolve(activity, {"approve": echo}), {"ok": True}) == {"ok": True}


# --- timeouts and heartbeats ------------------------------------------------------------------


def test_no_timeout_runs_inline():
    """Without TimeoutSeconds or HeartbeatSeconds the handler runs on the caller's thread."""
    threads = []
    invoke(resolve(ARN, {ARN: lambda e, c: threads.append(threading.current_thread())}), {})
    invoke(resolve(ARN, {ARN: lambda e, c: threads.append(threading.current_thread())}), {},
           timeout_seconds=99999999)
    assert threads == [threading.current_thread()] * 2


def test_blocking_handler_times_out():
    """A handler blocking past TimeoutSeconds fails with States.Timeout on time, result discarded."""
    release = threading.Event()
    finished = []

    def blocking(event, context):
        release.wait(5)
        finished.append(True)
        return "late"

    started = time.monotonic()
    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {ARN: blocking}), {}, timeout_seconds=0.2)
    elapsed = time.monotonic() - started
    assert info.value.error == "States.Timeout" and info.value.cause is None
    assert 0.15 < elapsed < 1.5
    release.set()


def test_timeout_advances_a_virtual_clock():
    """On a virtual clock, a timeout moves time forward by the time that passed."""
    clock = VirtualClock(1000.0)
    with pytest.raises(Failure):
        run_with_timeout(lambda: time.sleep(2), 0.2, None, clock)
    assert 1000.15 < clock.now() < 1001.5


def test_fast_handler_within_timeout():
    """A handler finishing within TimeoutSeconds returns normally, and its errors still surface."""
    assert invoke(resolve(ARN, {ARN: echo}), {"x": 1}, timeout_seconds=5) == {"x": 1}
    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {ARN: raise_exception}), {}, timeout_seconds=5)
    assert info.value.error == "Exception"


def test_heartbeat_timeout():
    """A handler that stops heartbeating fails with States.HeartbeatTimeout before TimeoutSeconds."""
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(Failure) as info:
        invoke(resolve(ARN, {ARN: lambda e, c: release.wait(5)}), {}, timeout_seconds=5,
               heartbeat_seconds=0.2)
    release.set()
    assert info.value.error == "States.HeartbeatTimeout"
    assert time.monotonic() - started < 1.5


def test_heartbeats_keep_the_task_alive():
    """Heartbeats through the context extend the task past HeartbeatSeconds."""
    def busy(event, context):
        for _ in range(6):
            time.sleep(0.05)
            context.heartbeat()
        return "done"

    assert invoke(resolve(ARN, {ARN: busy}), {}, heartbeat_seconds=0.15, timeout_seconds=5) == "done"


def test_external_heartbeat_object():
    """A Heartbeat beaten from another thread (send_task_heartbeat) also keeps the task alive."""
    beat = Heartbeat()
    stop = threading.Event()

    def beater():
        while not stop.is_set():
            beat.beat()
            time.sleep(0.03)

    helper = threading.Thread(target=beater)
    helper.start()
    try:
        assert run_with_timeout(lambda: time.sleep(0.4) or 7, None, 0.15, None, beat) == 7
    finally:
        stop.set()
        helper.join()


def test_run_with_timeout_reraises_base_errors():
    """Any exception of the call is re-raised on the waiting thread."""
    def boom():
        raise RuntimeError("x")

    with pytest.raises(RuntimeError, match="x"):
        run_with_timeout(boom, 1, None)


def test_lambda_invoke_headers_follow_body_and_clock():
    """Content-Length is the JSON body's size and Date comes from the execution's clock."""
    clock = VirtualClock(1_704_067_200.0)
    out = invoke(resolve(LAMBDA_INVOKE, {"fn": echo}), {"FunctionName": "fn", "Payload": {"é": 1}},
                 clock=clock, request_id="rid")
    headers = out["SdkHttpMetadata"]["HttpHeaders"]
    assert headers["Content-Length"] == str(len(json.dumps({"é": 1}).encode()))
    assert headers["Date"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_resolve_accepts_an_indexed_handlers_object():
    """Handlers indexed once can be shared by every Task state's resolve()."""
    from asl._integrations.resources import Handlers

    index = Handlers({ARN: echo})
    assert resolve(ARN, index).handler is echo
    assert resolve("fn", index).handler is echo


def test_two_runs_are_deterministic_with_given_request_ids():
    """With the request id and a virtual clock given, the same invocation gives the same output."""
    def run():
        return invoke(resolve(LAMBDA_INVOKE, {"fn": echo}), {"FunctionName": "fn", "Payload": [1]},
                      clock=VirtualClock(0), request_id="r-1")

    assert run() == run()
