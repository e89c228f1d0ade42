"""Task states end to end: handlers, Lambda-style failures, timeouts and heartbeats on real
threads, the lambda:invoke shape, unresolvable resources and the history AWS writes."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

import asl

FN = "arn:aws:lambda:us-east-1:123456789012:function:work"
INVOKE = "arn:aws:states:::lambda:invoke"


def task(resource: str = FN, **fields: Any) -> asl.StateMachine:
    return asl.load({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": resource, "End": True, **fields}}})


def run(machine: asl.StateMachine, handlers: dict[str, Any], input: Any = None,
        **options: Any) -> Any:
    return machine.run({"n": 1} if input is None else input, handlers=handlers,
                       clock=asl.VirtualClock(), **options)


def details(execution: Any, event_type: str) -> dict[str, Any]:
    event = next(e for e in execution.history if e["type"] == event_type)
    key = event_type[0].lower() + event_type[1:] + "EventDetails"
    return event.get(key, {})


def sleeper(seconds: float, beat_every: float | None = None) -> Any:
    def handler(event: Any, context: Any) -> Any:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(beat_every or seconds)
            if beat_every:
                context.heartbeat()
        return {"slept": seconds}

    return handler


# --- handlers ---------------------------------------------------------------------------------


def test_handler_result_is_the_task_result():
    """A Lambda ARN resource passes the handler's return value on as the result."""
    execution = run(task(), {FN: lambda event, context: {"got": event["n"]}})
    assert (execution.status, execution.output) == ("SUCCEEDED", {"got": 1})


def test_handler_found_by_function_name():
    """A handler registered under the bare function name serves the function's ARN."""
    execution = run(task(), {"work": lambda event, context: "by name"})
    assert execution.output == "by name"


def test_parameters_and_result_path_around_the_handler():
    """Parameters shape the event; ResultPath merges the result into the state input."""
    machine = task(Parameters={"value.$": "$.n", "fixed": "x"}, ResultPath="$.result")
    execution = run(machine, {FN: lambda event, context: event})
    assert execution.output == {"n": 1, "result": {"value": 1, "fixed": "x"}}


def test_handler_cannot_change_the_state_input():
    """A handler mutating its event changes neither the caller's input nor the state data."""
    data = {"n": 1, "list": [1]}

    def mutate(event, context):
        event["list"].append(2)
        return "done"

    execution = run(task(ResultPath="$.r"), {FN: mutate}, input=data)
    assert data == {"n": 1, "list": [1]}
    assert execution.output == {"n": 1, "list": [1], "r": "done"}


def test_coroutine_handler_is_awaited():
    """An async handler is awaited and its value used."""
    async def handler(event, context):
        await asyncio.sleep(0)
        return {"async": True}

    assert run(task(), {FN: handler}).output == {"async": True}


def test_coroutine_handler_under_a_timeout():
    """An async handler also runs under TimeoutSeconds on the worker thread."""
    async def handler(event, context):
        await asyncio.sleep(0.01)
        return "in time"

    assert run(task(TimeoutSeconds=5), {FN: handler}).output == "in time"


def test_handler_exception_fails_as_lambda_reports_it():
    """A raised exception: Error = its class name, Cause = Lambda's JSON error payload."""
    class OrderRejected(Exception):
        pass

    def handler(event, context):
        raise OrderRejected("no stock")

    execution = run(task(), {FN: handler})
    assert (execution.status, execution.error) == ("FAILED", "OrderRejected")
    cause = json.loads(execution.cause)
    assert cause["errorMessage"] == "no stock"
    assert cause["errorType"] == "OrderRejected"
    assert isinstance(cause["requestId"], str)
    assert any("in handler" in line for line in cause["stackTrace"])
    assert details(execution, "LambdaFunctionFailed") == {"error": "OrderRejected",
                                                          "cause": execution.cause}


def test_task_failed_gives_exact_names():
    """asl.TaskFailed(error, cause) fails the task with exactly that error and cause."""
    def handler(event, context):
        raise asl.TaskFailed("Payment.Declined", "card expired")

    execution = run(task(), {FN: handler})
    assert (execution.error, execution.cause) == ("Payment.Declined", "card expired")


def test_task_failed_for_a_service_integration():
    """TaskFailed from a service handler writes TaskFailed with the resource in its details."""
    resource = "arn:aws:states:::dynamodb:putItem"

    def handler(event, context):
        raise asl.TaskFailed("DynamoDB.ConditionalCheckFailedException", "exists")

    execution = run(task(resource), {resource: handler})
    assert execution.error == "DynamoDB.ConditionalCheckFailedException"
    assert details(execution, "TaskFailed") == {
        "resource": "putItem", "resourceType": "dynamodb",
        "error": "DynamoDB.ConditionalCheckFailedException", "cause": "exists"}


# --- unresolvable resources -------------------------------------------------------------------


def test_missing_lambda_function_fails_as_aws_does():
    """An unregistered Lambda ARN fails with Lambda.ResourceNotFoundException naming it."""
    execution = run(task(), {})
    assert execution.error == "Lambda.ResourceNotFoundException"
    assert FN in execution.cause


def test_missing_lambda_invoke_function():
    """lambda:invoke of an unregistered FunctionName fails with ResourceNotFoundException."""
    machine = task(INVOKE, Parameters={"FunctionName": "nowhere", "Payload.$": "$"})
    execution = run(machine, {})
    assert execution.error == "Lambda.ResourceNotFoundException"
    assert "function:nowhere" in execution.cause


def test_missing_service_handler_says_how_to_register():
    """An unregistered service integration fails with States.Runtime naming the resource."""
    resource = "arn:aws:states:::sns:publish"
    execution = run(task(resource), {})
    assert execution.error == "States.Runtime"
    assert resource in execution.cause
    assert "register" in execution.cause


def test_glob_pattern_handler():
    """A handler keyed by a glob pattern serves every resource it matches."""
    resource = "arn:aws:states:::aws-sdk:s3:getObject"
    execution = run(task(resource), {"arn:aws:states:::aws-sdk:s3:*":
                                     lambda event, context: context.resource})
    assert execution.output == resource


# --- lambda:invoke ----------------------------------------------------------------------------


def test_lambda_invoke_output_shape():
    """lambda:invoke wraps the handler's value as AWS does, with Task* history events."""
    machine = task(INVOKE, Parameters={"FunctionName": FN, "Payload.$": "$"})
    execution = run(machine, {FN: lambda event, context: {"echo": event}})
    output = execution.output
    assert output["Payload"] == {"echo": {"n": 1}}
    assert output["StatusCode"] == 200
    assert output["ExecutedVersion"] == "$LATEST"
    assert set(output) == {"ExecutedVersion", "Payload", "SdkHttpMetadata",
                           "SdkResponseMetadata", "StatusCode"}
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert execution.history_types[2:5] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    scheduled = details(execution, "TaskScheduled")
    assert (scheduled["resource"], scheduled["resourceType"], scheduled["region"]) == (
        "invoke", "lambda", "us-east-1")
    assert json.loads(scheduled["parameters"]) == {"FunctionName": FN, "Payload": {"n": 1}}


def test_lambda_invoke_error_is_compact_json():
    """A handler's exception under lambda:invoke gives a compact JSON cause."""
    def handler(event, context):
        raise KeyError("k")

    machine = task(INVOKE, Parameters={"FunctionName": FN})
    execution = run(machine, {FN: handler})
    assert execution.error == "KeyError"
    assert execution.cause.startswith('{"errorMessage":')


# --- timeouts and heartbeats --------------------------------------------------------------------


def test_blocking_handler_is_timed_out_on_time():
    """TimeoutSeconds 1 ends a handler that blocks for 3 s after about 1 s, with States.Timeout
    and LambdaFunctionTimedOut; the virtual clock shows the second that passed."""
    began = time.monotonic()
    execution = run(task(TimeoutSeconds=1), {FN: sleeper(3)})
    elapsed = time.monotonic() - began
    assert 0.9 <= elapsed < 2.0
    assert (execution.status, execution.error) == ("FAILED", "States.Timeout")
    assert execution.history_types[-2:] == ["LambdaFunctionTimedOut", "ExecutionFailed"]
    assert details(execution, "LambdaFunctionTimedOut")["error"] == "States.Timeout"
    seconds = (execution.history[-1]["timestamp"] - execution.history[0]["timestamp"]).total_seconds()
    assert seconds == pytest.approx(1, abs=0.5)


def test_timed_out_task_is_caught_and_execution_goes_on():
    """A timed-out task is caught; the late result of the handler is discarded."""
    machine = asl.load({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": FN, "TimeoutSeconds": 1,
                 "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "After"}], "End": True},
        "After": {"Type": "Pass", "Result": "went on", "End": True}}})
    execution = run(machine, {FN: sleeper(1.5)})
    assert execution.output == "went on"


def test_timeout_seconds_path():
    """TimeoutSecondsPath reads the timeout from the input."""
    execution = run(task(TimeoutSecondsPath="$.limit"), {FN: sleeper(2)}, input={"limit": 1})
    assert execution.error == "States.Timeout"
    assert details(execution, "LambdaFunctionScheduled")["timeoutInSeconds"] == 1


def test_timeout_seconds_path_must_be_a_positive_integer():
    """A TimeoutSecondsPath value that is not a positive integer fails with States.Runtime."""
    execution = run(task(TimeoutSecondsPath="$.limit"), {FN: sleeper(0)}, input={"limit": "x"})
    assert execution.error == "States.Runtime"
    assert "TimeoutSecondsPath" in execution.cause


def test_heartbeat_timeout_for_a_silent_handler():
    """HeartbeatSeconds 1 ends a handler silent for 3 s with States.HeartbeatTimeout in ~1 s."""
    began = time.monotonic()
    resource = "arn:aws:states:::ecs:runTask"
    execution = run(task(resource, HeartbeatSeconds=1, TimeoutSeconds=10),
                    {resource: sleeper(3)})
    assert time.monotonic() - began < 2.0
    assert execution.error == "States.HeartbeatTimeout"
    assert details(execution, "TaskTimedOut") == {
        "resource": "runTask", "resourceType": "ecs", "error": "States.HeartbeatTimeout"}
    scheduled = details(execution, "TaskScheduled")
    assert (scheduled["timeoutInSeconds"], scheduled["heartbeatInSeconds"]) == (10, 1)


def test_heartbeats_keep_a_handler_alive():
    """context.heartbeat() every 0.3 s keeps a 1 s HeartbeatSeconds task alive for 1.5 s."""
    execution = run(task(HeartbeatSeconds=1), {FN: sleeper(1.5, beat_every=0.3)})
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output == {"slept": 1.5}


def test_remaining_time_follows_the_function_timeout_not_timeout_seconds():
    """context.get_remaining_time_in_millis() counts down from the function's timeout (Lambda's
    default 3 s for a plain handler), not from the state's TimeoutSeconds, which never reaches
    the function on AWS (../shared/lambda/FACTS.md §1, §7)."""
    execution = run(task(TimeoutSeconds=5),
                    {FN: lambda event, context: context.get_remaining_time_in_millis()})
    assert 2000 < execution.output <= 3000


# --- history shapes -----------------------------------------------------------------------------


def test_lambda_function_history():
    """A Lambda ARN writes LambdaFunctionScheduled (resource, input), Started, Succeeded."""
    execution = run(task(TimeoutSeconds=30), {FN: lambda event, context: "ok"})
    assert execution.history_types == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
        "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    scheduled = details(execution, "LambdaFunctionScheduled")
    assert (scheduled["resource"], json.loads(scheduled["input"]), scheduled["timeoutInSeconds"]) \
        == (FN, {"n": 1}, 30)
    assert details(execution, "LambdaFunctionSucceeded")["output"] == '"ok"'


def test_sync_task_writes_task_submitted():
    """A .sync integration writes TaskSubmitted before TaskSucceeded."""
    resource = "arn:aws:states:::glue:startJobRun.sync"
    execution = run(task(resource), {resource: lambda event, context: {"JobRunState": "SUCCEEDED"}})
    assert execution.history_types[2:6] == [
        "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert details(execution, "TaskSubmitted")["resource"] == "startJobRun.sync"
    assert execution.output == {"JobRunState": "SUCCEEDED"}


def test_seeded_runs_have_identical_histories():
    """With a seed and a virtual clock, two runs (request ids included) give the same history."""
    def fail(event, context):
        raise ValueError("x")

    machine = task(Retry=[{"ErrorEquals": ["States.ALL"], "JitterStrategy": "FULL"}])
    first = machine.run({}, handlers={FN: fail}, clock=asl.VirtualClock(), seed=3)
    second = machine.run({}, handlers={FN: fail}, clock=asl.VirtualClock(), seed=3)
    assert first.history == second.history
