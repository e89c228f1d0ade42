"""What a Task's payload and response look like after one serialisation each way: the
TaskScheduled text, the lazily made lambda:invoke response, and the text reused downstream."""

from __future__ import annotations

import json
from typing import Any

import pytest

import asl
from asl._clock import VirtualClock
from asl._json import to_json

INVOKE = "arn:aws:states:::lambda:invoke"


def _machine(**fields: Any) -> Any:
    task = {"Type": "Task", "Resource": INVOKE,
            "Parameters": {"FunctionName": "fn", "Payload.$": "$"}, "End": True, **fields}
    return asl.load({"StartAt": "T", "States": {"T": task}})


def _details(execution: Any, event_type: str) -> dict[str, Any]:
    event = next(e for e in execution.history if e["type"] == event_type)
    return next(value for key, value in event.items() if key.endswith("EventDetails"))


def _identity(event: Any, context: Any) -> Any:
    return event


def test_task_events_are_as_aws_writes_them() -> None:
    """A lambda:invoke Task writes its five events with the parameters and response as text."""
    data = {"name": "é", "n": [1, 2.5, None]}
    execution = _machine(OutputPath="$.Payload").run(data, handlers={"fn": _identity},
                                                     clock=VirtualClock(0))
    assert execution.history_types == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded",
        "TaskStateExited", "ExecutionSucceeded"]
    scheduled = _details(execution, "TaskScheduled")
    assert scheduled == {
        "resource": "invoke", "resourceType": "lambda", "region": "us-east-1",
        "parameters": to_json({"FunctionName": "fn", "Payload": data}),
        "parametersDetails": {"truncated": False}}
    assert _details(execution, "TaskStarted") == {"resource": "invoke", "resourceType": "lambda"}
    succeeded = _details(execution, "TaskSucceeded")
    response = json.loads(succeeded["output"])
    assert list(response) == ["ExecutedVersion", "Payload", "SdkHttpMetadata",
                              "SdkResponseMetadata", "StatusCode"]
    assert response["Payload"] == data and response["StatusCode"] == 200
    assert '"name":"é"' in succeeded["output"]  # non-ASCII kept, as AWS shows it
    assert execution.output == data
    assert _details(execution, "TaskStateExited")["output"] == to_json(data)


def test_the_recorded_response_is_the_result_the_state_sees() -> None:
    """Without OutputPath, the output is the whole response, and TaskSucceeded shows that value."""
    execution = _machine().run({"k": "v"}, handlers={"fn": _identity}, clock=VirtualClock(0))
    succeeded = _details(execution, "TaskSucceeded")["output"]
    assert succeeded == to_json(execution.output)
    headers = execution.output["SdkHttpMetadata"]["HttpHeaders"]
    assert headers["Content-Length"] == str(len(json.dumps({"k": "v"})))
    assert execution.output["SdkHttpMetadata"]["AllHttpHeaders"]["Content-Length"] == [
        headers["Content-Length"]]


def test_mutating_one_output_leaves_other_runs_alone() -> None:
    """Each execution gets its own response: mutating one's output touches no other run."""
    machine = _machine()
    first = machine.run({"k": 1}, handlers={"fn": _identity}, clock=VirtualClock(0))
    first.output["SdkHttpMetadata"]["AllHttpHeaders"]["Connection"].append("close")
    first.output["SdkResponseMetadata"]["RequestId"] = "changed"
    second = machine.run({"k": 1}, handlers={"fn": _identity}, clock=VirtualClock(0))
    assert second.output["SdkHttpMetadata"]["AllHttpHeaders"]["Connection"] == ["keep-alive"]
    assert second.output["SdkResponseMetadata"]["RequestId"] != "changed"
    recorded = json.loads(_details(first, "TaskSucceeded")["output"])
    assert recorded["SdkHttpMetadata"]["AllHttpHeaders"]["Connection"] == ["keep-alive"]


def test_a_handler_keeping_its_result_cannot_change_the_run() -> None:
    """The state gets a copy of what the handler returned: later mutation by the handler is unseen."""
    kept: list[Any] = []

    def keep(event: Any, context: Any) -> Any:
        result = {"items": [1]}
        kept.append(result)
        return result

    execution = _machine(OutputPath="$.Payload").run({}, handlers={"fn": keep},
                                                     clock=VirtualClock(0))
    kept[0]["items"].append(2)
    assert execution.output == {"items": [1]}
    assert json.loads(_details(execution, "TaskSucceeded")["output"])["Payload"] == {"items": [1]}


def test_result_selector_and_result_path_see_the_whole_response() -> None:
    """Other data flows than OutputPath $.Payload read the response as a dict."""
    machine = _machine(ResultSelector={"code.$": "$.StatusCode", "body.$": "$.Payload"},
                       ResultPath="$.r")
    execution = machine.run({"a": 1}, handlers={"fn": _identity}, clock=VirtualClock(0))
    assert execution.output == {"a": 1, "r": {"code": 200, "body": {"a": 1}}}


def test_a_payload_that_is_not_json_never_reaches_a_task() -> None:
    """A NaN in the execution input is refused before the execution starts (InvalidExecutionInput,
    as StartExecution refuses it), so no task is ever scheduled with it."""
    with pytest.raises(asl.InvalidExecutionInput, match="not JSON"):
        _machine(OutputPath="$.Payload").run({"x": float("nan")}, handlers={"fn": _identity},
                                             clock=VirtualClock(0))


def test_an_asynchronous_invocation_has_an_empty_payload() -> None:
    """InvocationType Event answers 202 with an empty Payload, recorded as such."""
    machine = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": INVOKE, "End": True,
        "Parameters": {"FunctionName": "fn", "InvocationType": "Event", "Payload.$": "$"}}}})
    execution = machine.run({}, handlers={"fn": _identity}, clock=VirtualClock(0))
    assert execution.output["StatusCode"] == 202 and execution.output["Payload"] == ""
    assert "ExecutedVersion" not in execution.output
    assert _details(execution, "TaskSucceeded")["output"] == to_json(execution.output)


def test_a_lambda_arn_task_records_input_and_output_text() -> None:
    """A Lambda function ARN Resource writes LambdaFunction* events with JSON text."""
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    machine = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": arn, "End": True}}})
    execution = machine.run({"a": "é"}, handlers={"fn": _identity}, clock=VirtualClock(0))
    assert _details(execution, "LambdaFunctionScheduled") == {
        "resource": arn, "input": '{"a":"é"}', "inputDetails": {"truncated": False}}
    assert _details(execution, "LambdaFunctionSucceeded")["output"] == '{"a":"é"}'
    assert execution.output == {"a": "é"}


def test_a_payload_passing_the_input_on_reuses_its_text_exactly() -> None:
    """The spliced parameters text equals a fresh encoding, and anything odd falls back to one."""
    from asl._integrations.lambda_ import request_text
    from asl._runtime.tasks import _payload_text

    data = {"a": ["é", 1.5, None], "b": {"c": True}}
    known = to_json(data)
    for payload in ({"FunctionName": "f", "Payload": data}, {"Payload": data, "x": [1, {"y": 2}]},
                    data, {"Other": {"z": 1}}):
        assert _payload_text(payload, (data, known)) == request_text(payload)
    assert _payload_text({1: data}, (data, known)) == request_text({1: data})
    assert _payload_text({"P": {"x": float("nan")}}, ({"x": 1}, '{"x":1}')) is None
    nan = {"x": float("nan")}
    assert _payload_text({"P": nan}, (nan, to_json(nan))) is None


def test_scheduled_and_started_leave_room_for_the_closing_event() -> None:
    """The pair of task events is refused, whole or in part, where the quota would be passed."""
    import pytest

    from asl._errors import GraphFailed
    from asl._runtime.history import History, Lane

    for room in (1, 2, 3):
        history = History(limit=10)
        lane = Lane()
        for _ in range(10 - room):
            history.add(lane, "Filler", 0.0)
        if room == 3:
            history.record_task_start(lane, 0.0, "TaskScheduled", {}, "parameters", 1, None,
                                      "TaskStarted", None)
            assert len(history) == 9 and lane.last == 9
            continue
        with pytest.raises(GraphFailed):
            history.record_task_start(lane, 0.0, "TaskScheduled", {}, "parameters", 1, None,
                                      "TaskStarted", None)
        assert len(history) == 9
