"""`asl.test_state`: one state at a time, answering as AWS's TestState API does. The recorded
calls are in test_test_state_cases.py; these pin down the rules around them, state type by
state type, in both query languages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asl
from strategies import JSON, JSON_SCALARS

MACHINE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"total.$": "$.amount"}, "ResultPath": "$.order",
                    "Next": "Charge"},
        "Charge": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload.$": "$.order"},
            "ResultSelector": {"charged.$": "$.Payload.charged"}, "ResultPath": "$.charge",
            "Retry": [{"ErrorEquals": ["Throttled"], "MaxAttempts": 3, "IntervalSeconds": 2,
                       "BackoffRate": 3}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund", "ResultPath": "$.error"}],
            "Next": "Done",
        },
        "Refund": {"Type": "Fail", "Error": "Refunded"},
        "Done": {"Type": "Succeed"},
    },
}


def _inspection(result: asl.TestStateResult) -> dict[str, Any]:
    data = result.inspection_data
    assert data is not None
    return data


# -- the response ---------------------------------------------------------------------------


def test_the_response_is_the_apis_with_json_values_as_text() -> None:
    result = asl.test_state(MACHINE, {"amount": 5}, state_name="Prepare", inspection_level="DEBUG")
    assert result.response == {
        "status": "SUCCEEDED",
        "output": '{"amount":5,"order":{"total":5}}',
        "nextState": "Charge",
        "inspectionData": {
            "input": '{"amount":5}',
            "afterInputPath": '{"amount":5}',
            "afterParameters": '{"total":5}',
            "afterResultSelector": '{"total":5}',
            "afterResultPath": '{"amount":5,"order":{"total":5}}',
        },
    }
    assert result.status == "SUCCEEDED"
    assert result.output == {"amount": 5, "order": {"total": 5}}
    assert result.next_state == "Charge"
    assert result.error is None and result.cause is None
    assert _inspection(result)["afterParameters"] == {"total": 5}


def test_info_has_no_inspection_data() -> None:
    result = asl.test_state(MACHINE, {"amount": 5}, state_name="Prepare")
    assert "inspectionData" not in result.response
    assert result.inspection_data is None


def test_definition_as_text_or_path(tmp_path: Any) -> None:
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(MACHINE))
    by_path = asl.test_state(path, {"amount": 1}, state_name="Prepare")
    by_text = asl.test_state(json.dumps(MACHINE), {"amount": 1}, state_name="Prepare")
    assert by_path.response == by_text.response
    loaded = asl.test_state(asl.load(MACHINE), {"amount": 1}, state_name="Prepare")
    assert loaded.response == by_text.response


# -- Task -------------------------------------------------------------------------------------


def test_a_mocked_task_result_goes_through_the_states_data_flow() -> None:
    result = asl.test_state(MACHINE, {"order": {"total": 5}}, state_name="Charge",
                            inspection_level="TRACE",
                            mock={"result": {"StatusCode": 200, "Payload": {"charged": True}}})
    assert result.status == "SUCCEEDED"
    assert result.output == {"order": {"total": 5}, "charge": {"charged": True}}
    data = _inspection(result)
    assert data["afterParameters"] == {"FunctionName": "charge", "Payload": {"total": 5}}
    assert data["result"] == {"StatusCode": 200, "Payload": {"charged": True}}
    assert data["afterResultSelector"] == {"charged": True}


def test_an_unmocked_task_runs_its_handler() -> None:
    seen = []

    def charge(event: Any, context: Any) -> Any:
        seen.append(event)
        return {"charged": event["total"] > 0}

    result = asl.test_state(MACHINE, {"order": {"total": 5}}, state_name="Charge",
                            handlers={"charge": charge}, role_arn="arn:aws:iam::123456789012:role/r")
    assert seen == [{"total": 5}]
    assert result.output == {"order": {"total": 5}, "charge": {"charged": True}}
    # As on AWS, a Task that really runs needs an execution role.
    with pytest.raises(asl.TestStateError, match="RoleArn must be specified when testing a Task state"):
        asl.test_state(MACHINE, {"order": {}}, state_name="Charge", handlers={"charge": charge})


def test_a_mocked_error_that_a_retrier_matches_is_retriable_with_its_back_off() -> None:
    mock = {"errorOutput": {"error": "Throttled", "cause": "slow down"}}
    result = asl.test_state(MACHINE, {"order": {}}, state_name="Charge", inspection_level="DEBUG",
                            mock=mock, state_configuration={"retrierRetryCount": 2})
    assert (result.status, result.error, result.cause) == ("RETRIABLE", "Throttled", "slow down")
    assert result.output is None and result.next_state is None
    # IntervalSeconds × BackoffRate ^ retries already made: 2 × 3² = 18.
    assert _inspection(result)["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 18}


def test_retries_used_up_fall_to_the_catcher() -> None:
    mock = {"errorOutput": {"error": "Throttled", "cause": "slow down"}}
    result = asl.test_state(MACHINE, {"order": {}}, state_name="Charge", inspection_level="DEBUG",
                            mock=mock, state_configuration={"retrierRetryCount": 3})
    assert result.status == "CAUGHT_ERROR"
    assert result.next_state == "Refund"
    assert result.output == {"order": {}, "error": {"Error": "Throttled", "Cause": "slow down"}}
    assert _inspection(result)["errorDetails"] == {"retryIndex": 0, "catchIndex": 0}


def test_an_error_nothing_handles_fails_the_state() -> None:
    state = {key: value for key, value in MACHINE["States"]["Charge"].items() if key != "Catch"}
    result = asl.test_state(state, {"order": {}}, mock={"errorOutput": {"error": "Declined"}})
    assert result.response == {"status": "FAILED", "error": "Declined"}


def test_a_jsonata_task_shows_its_arguments_and_result() -> None:
    state = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
             "Arguments": {"FunctionName": "f", "Payload": "{% $states.input.n * 2 %}"},
             "Output": "{% $states.result.Payload %}", "Assign": {"seen": "{% $states.input.n %}"},
             "End": True}
    result = asl.test_state(state, {"n": 4}, inspection_level="DEBUG",
                            mock={"result": {"Payload": 8}}, variables={"before": 1})
    assert result.output == 8
    assert _inspection(result) == {
        "input": {"n": 4},
        "afterArguments": {"FunctionName": "f", "Payload": 8},
        "result": {"Payload": 8},
        "variables": {"before": 1, "seen": 4},
    }


# -- mock validation --------------------------------------------------------------------------


SEND = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "q", "MessageBody": "m"}, "End": True}


@pytest.mark.parametrize(("result", "message"), [
    ({"MessageId": 7}, "Field 'MessageId' must be a string"),
    ({"SequenceNumber": ["1"]}, "Field 'SequenceNumber' must be a string"),
])
def test_strict_checks_a_mocked_result_against_the_api_shape(result: Any, message: str) -> None:
    with pytest.raises(asl.TestStateError) as refused:
        asl.test_state(SEND, {}, mock={"result": result})
    assert refused.value.code == "ValidationException"
    assert refused.value.message == "Mock result schema validation error: " + message


def test_fields_outside_the_shape_are_accepted() -> None:
    result = asl.test_state(SEND, {}, mock={"result": {"MessageId": "1", "Extra": [1]}})
    assert result.output == {"MessageId": "1", "Extra": [1]}


def test_strict_wants_the_required_fields_present_only_the_given_ones() -> None:
    start = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
             "Parameters": {"StateMachineArn": "arn"}, "End": True}
    with pytest.raises(asl.TestStateError, match="Required field 'ExecutionArn' is missing"):
        asl.test_state(start, {}, mock={"result": {"StartDate": "2025-01-01T00:00:00Z"}})
    present = asl.test_state(start, {}, mock={"result": {}, "fieldValidationMode": "PRESENT"})
    assert present.output == {}
    with pytest.raises(asl.TestStateError, match="Field 'StartDate' must be a string"):
        asl.test_state(start, {}, mock={"result": {"StartDate": True},
                                        "fieldValidationMode": "PRESENT"})
    unchecked = asl.test_state(start, {}, mock={"result": {"StartDate": True},
                                                "fieldValidationMode": "NONE"})
    assert unchecked.output == {"StartDate": True}


def test_an_sdk_integration_is_checked_against_the_sdk_operation() -> None:
    get = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
           "Parameters": {"Bucket": "b", "Key": "k"}, "End": True}
    with pytest.raises(asl.TestStateError, match="Field 'StorageClass' is not an expected value"):
        asl.test_state(get, {}, mock={"result": {"StorageClass": "Papyrus"}})
    assert asl.test_state(get, {}, mock={"result": {"StorageClass": "GLACIER"}}).status == "SUCCEEDED"


def test_resources_without_an_api_shape_take_any_result() -> None:
    function = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "End": True}
    assert asl.test_state(function, {}, mock={"result": [1, "two"]}).output == [1, "two"]
    callback = {**SEND, "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken"}
    assert asl.test_state(callback, {}, mock={"result": {"MessageId": 1}}).output == {"MessageId": 1}


# -- the other state types --------------------------------------------------------------------


def test_choice_reports_the_next_state() -> None:
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}],
              "Default": "Small"}
    assert asl.test_state(choice, {"n": 2}).next_state == "Big"
    assert asl.test_state(choice, {"n": 0}).next_state == "Small"
    jsonata = {"Type": "Choice", "QueryLanguage": "JSONata",
               "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "Big",
                            "Output": {"size": "big"}}], "Default": "Small"}
    result = asl.test_state(jsonata, {"n": 2})
    assert (result.next_state, result.output) == ("Big", {"size": "big"})


def test_choice_without_a_match_or_default_fails() -> None:
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.n", "IsNull": True, "Next": "X"}]}
    result = asl.test_state(choice, {"n": 1})
    assert result.status == "FAILED"
    assert result.error == "States.NoChoiceMatched"


def test_wait_takes_no_real_time() -> None:
    clock = asl.VirtualClock(0)
    result = asl.test_state({"Type": "Wait", "Seconds": 3600, "Next": "After"}, {"a": 1},
                            clock=clock)
    assert (result.status, result.output, result.next_state) == ("SUCCEEDED", {"a": 1}, "After")
    assert clock.now() == 3600


def test_succeed_and_fail() -> None:
    assert asl.test_state({"Type": "Succeed", "OutputPath": "$.a"}, {"a": [1]}).output == [1]
    result = asl.test_state({"Type": "Fail", "ErrorPath": "$.e", "Cause": "why"}, {"e": "Bad"},
                            inspection_level="DEBUG")
    assert result.response["status"] == "FAILED"
    assert (result.error, result.cause) == ("Bad", "why")
    assert _inspection(result) == {"input": {"e": "Bad"}, "afterInputPath": {"e": "Bad"}}


def test_a_runtime_error_fails_without_retry_or_catch() -> None:
    state = {"Type": "Pass", "InputPath": "$.missing", "End": True}
    result = asl.test_state(state, {"a": 1})
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"


def test_a_parallel_mock_is_its_result() -> None:
    parallel = {"Type": "Parallel", "ResultSelector": {"first.$": "$[0]"}, "End": True,
                "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                             {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]}
    result = asl.test_state(parallel, {}, mock={"result": [1, 2]})
    assert result.output == {"first": 1}


def test_a_map_reports_its_items_and_limits() -> None:
    state = {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value"},
             "MaxConcurrency": 2, "ToleratedFailurePercentage": 50,
             "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                               "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
             "End": True}
    result = asl.test_state(state, {"items": [1, 2]}, inspection_level="DEBUG",
                            mock={"result": ["a", "b"]})
    assert result.output == ["a", "b"]
    data = _inspection(result)
    assert data["afterItemsPath"] == [1, 2]
    assert data["afterItemSelector"] == [{"v": 1}, {"v": 2}]
    assert (data["maxConcurrency"], data["toleratedFailurePercentage"]) == (2, 50)
    exceeded = asl.test_state(state, {"items": [1, 2]}, mock={"result": ["a"]},
                              state_configuration={"mapIterationFailureCount": 2})
    assert exceeded.error == "States.ExceedToleratedFailureThreshold"


# -- what AWS refuses -------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "code", "message"), [
    (dict(definition={"Type": "Pass", "End": True}, mock={"result": {}}), "ValidationException",
     "State type 'Pass' is not supported when a mock is specified"),
    (dict(definition=MACHINE, state_name="Nowhere"), "ValidationException",
     "State not found in definition"),
    (dict(definition={"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}), "InvalidDefinition",
     "TestState API does not support Map or Parallel states. Supported state types include: "
     "[Task, Wait, Pass, Succeed, Fail, Choice]"),
    (dict(definition=SEND, mock={"result": {}}, inspection_level="LOUD"), "ValidationException",
     "1 validation error detected: Value 'LOUD' at 'inspectionLevel' failed to satisfy "
     "constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"),
    (dict(definition=SEND, mock={"result": {}}, context={"Nope": {}}), "ValidationException",
     "Invalid Context object provided: Field 'Nope' is not allowed"),
])
def test_refused_calls_raise_test_state_error(call: dict[str, Any], code: str, message: str) -> None:
    with pytest.raises(asl.TestStateError) as refused:
        asl.test_state(**call)
    assert (refused.value.code, refused.value.message) == (code, message)


PARALLEL = {"Type": "Parallel", "End": True, "Branches": [
    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]}
MAP = {"Type": "Map", "End": True,
       "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}


@pytest.mark.parametrize(("call", "message"), [
    (dict(definition=SEND, mock={"result": {}, "errorOutput": {"error": "E"}}),
     "A test mock should have only one of the following fields: [result, errorOutput]."),
    (dict(definition=SEND, mock={"result": {}}, reveal_secrets=True),
     "TestState does not support RevealSecrets when a mock is specified."),
    (dict(definition=PARALLEL, mock={"result": {"a": 1}}), "Mocked result must be an array."),
    (dict(definition=PARALLEL, mock={"result": [1]}),
     "Mocked result must contain the same number of items as number of Parallel branches."),
    (dict(definition=MAP, mock={"result": {"a": 1}}), "Mocked result must be an array."),
    (dict(definition={**MAP, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                                              "Parameters": {"Bucket": "b", "Prefix": "p"}},
                      "ItemProcessor": {**MAP["ItemProcessor"], "ProcessorConfig": {
                          "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}},
          mock={"result": [1]}), "Mocked result must be a JSON object."),
    (dict(definition=MAP, input=[1], mock={"result": [1]},
          state_configuration={"mapIterationFailureCount": 2}),
     "Map iteration failure count must be less than or equal to the number of Map iterations"),
    (dict(definition=SEND, mock={"result": {}}, state_configuration={"retrierRetryCount": -1}),
     "1 validation error detected: Value '-1' at 'stateConfiguration.retrierRetryCount' failed "
     "to satisfy constraint: Member must have value greater than or equal to 0"),
    (dict(definition=SEND, mock={"result": {}}, context={"Map": {}}),
     "Invalid Context object provided: 'Map' field is not supported when mocking a Context object"),
    (dict(definition=SEND, mock={"result": {}}, context={"Execution": {"Pokemon": 1}}),
     "Invalid Context object provided: Field 'Pokemon' is not allowed"),
    (dict(definition=SEND, mock={"result": {}}, context={"State": {"RetryCount": "0"}}),
     "Invalid Context object provided: State.RetryCount must be an integer"),
])
def test_refused_mocks_and_configurations(call: dict[str, Any], message: str) -> None:
    with pytest.raises(asl.TestStateError) as refused:
        asl.test_state(**call)
    assert (refused.value.code, refused.value.message) == ("ValidationException", message)


@pytest.mark.parametrize("resource", [
    "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "arn:aws:states:::states:startExecution.sync:2",
    "arn:aws:states:us-east-1:123456789012:activity:review",
])
def test_callbacks_jobs_and_activities_run_only_mocked(resource: str) -> None:
    state = {"Type": "Task", "Resource": resource, "End": True}
    with pytest.raises(asl.TestStateError) as refused:
        asl.test_state(state, role_arn="arn:aws:iam::123456789012:role/r")
    assert refused.value.code == "InvalidDefinition"
    assert asl.test_state(state, mock={"result": {"done": True}}).output == {"done": True}


@pytest.mark.parametrize(("mock", "config", "message"), [
    ({"errorOutput": {"error": 5}}, None, "Invalid type for parameter mock.errorOutput.error"),
    ({"errorOutput": {"cause": "c"}}, None, 'Missing required parameter in mock.errorOutput: "error"'),
    ({"result": {}}, {"mapIterationFailureCount": "2"},
     "Invalid type for parameter stateConfiguration.mapIterationFailureCount"),
    ({"result": {}}, {"retryCount": 1}, 'Unknown parameter in state_configuration: "retryCount"'),
])
def test_what_the_sdk_refuses_before_sending_is_a_type_error(
        mock: dict[str, Any], config: dict[str, Any] | None, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        asl.test_state(SEND, mock=mock, state_configuration=config)


def test_a_map_reads_its_items_from_the_context_as_testate_words_it() -> None:
    state = {**MAP, "ItemsPath": "$$.Execution.Input"}
    result = asl.test_state(state, [1], mock={"result": [1]}, context={"Execution": {"Input": {}}})
    assert (result.error, result.cause) == (
        "States.Runtime", 'Reference path "$.Execution.Input" must point to array.')


def test_a_jsonata_map_shows_its_limits_only() -> None:
    state = {**MAP, "QueryLanguage": "JSONata", "Items": "{% $states.input.xs %}",
             "MaxConcurrency": "{% $states.input.n %}", "Output": "{% $count($states.result) %}"}
    result = asl.test_state(state, {"xs": [1, 2], "n": 3}, mock={"result": [5, 6]},
                            inspection_level="TRACE")
    assert result.output == 2
    assert _inspection(result) == {"input": {"xs": [1, 2], "n": 3}, "maxConcurrency": 3}


def test_an_invalid_definition_lists_its_problems() -> None:
    with pytest.raises(asl.TestStateError) as refused:
        asl.test_state('{\n  "Type": "Pass",\n  "Next": 3\n}')
    assert refused.value.code == "InvalidDefinition"
    # AWS's message points into the machine the state is wrapped in ...
    assert refused.value.message.startswith("Invalid State Machine Definition: '")
    assert "at /States/StateName/Next" in refused.value.message
    # ... the Problems into the state as written, with lines and columns.
    wrong = [p for p in refused.value.problems if p.pointer == "/Next"]
    assert [(p.code, p.line) for p in wrong] == [("wrong-type", 3)]


def test_an_unknown_mock_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match='Unknown parameter in mock: "results"'):
        asl.test_state(SEND, mock={"results": {}})


def test_the_context_object_is_testates_own_or_the_callers_as_given() -> None:
    state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
             "Parameters": {"FunctionName": "f", "Context.$": "$$"}}
    result = asl.test_state(state, {"a": 1}, inspection_level="DEBUG", role_arn="arn:role",
                            mock={"result": {}})
    context = _inspection(result)["afterParameters"]["Context"]
    assert context["Execution"]["Input"] == {"a": 1}
    assert context["Execution"]["RoleArn"] == "arn:role"
    assert context["State"] == {"EnteredTime": context["State"]["EnteredTime"],
                                "Name": "StateName", "RetryCount": 0}
    assert ":express:" in context["Execution"]["Id"]
    given = asl.test_state(state, {"a": 1}, inspection_level="DEBUG", mock={"result": {}},
                           context={"Execution": {"Name": "mine"}})
    assert _inspection(given)["afterParameters"]["Context"] == {"Execution": {"Name": "mine"}}


def test_a_callback_task_reads_the_callers_token() -> None:
    state = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
             "Parameters": {"QueueUrl": "q", "MessageBody": {"Token.$": "$$.Task.Token"}},
             "End": True}
    result = asl.test_state(state, inspection_level="DEBUG", mock={"result": {"ok": 1}},
                            context={"Task": {"Token": "abc"}})
    assert _inspection(result)["afterParameters"]["MessageBody"] == {"Token": "abc"}
    with pytest.raises(asl.TestStateError, match="Context object contains 'Task' when state is not"):
        asl.test_state(SEND, mock={"result": {}}, context={"Task": {"Token": "abc"}})


# -- the guide --------------------------------------------------------------------------------


def _guide_snippets() -> list[Any]:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "testing.md").read_text(encoding="utf-8")
    return [pytest.param(code, id=f"snippet-{number}")
            for number, code in enumerate(re.findall(r"```python\n(.*?)```", text, re.S), 1)]


@pytest.mark.parametrize("code", _guide_snippets())
def test_the_guides_examples_run_as_written(code: str) -> None:
    """docs/testing.md's recipes pass their own assertions."""
    exec(compile(code, "docs/testing.md", "exec"), {})  # noqa: S102  # our own documentation


# -- test_state and run agree -----------------------------------------------------------------

_INPUT_PATHS = st.sampled_from(["$", "$.a", "$.a.b", "$.items[0]", "$['x y']"])
_RESULT_PATHS = st.sampled_from(["$", "$.a", "$.result", "$.a[1].b"])


@st.composite
def _pass_states(draw: st.DrawFn) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Pass", "End": True}
    for field, paths in (("InputPath", _INPUT_PATHS), ("ResultPath", _RESULT_PATHS),
                         ("OutputPath", _INPUT_PATHS)):
        if draw(st.booleans()):
            state[field] = draw(paths)
    if draw(st.booleans()):
        state["Parameters"] = {"v.$": draw(_INPUT_PATHS), "k": draw(JSON_SCALARS)}
    elif draw(st.booleans()):
        state["Result"] = draw(JSON)
    return state


@settings(max_examples=150, deadline=None)
@given(_pass_states(), st.dictionaries(st.sampled_from(["a", "items", "x y", "b"]), JSON, max_size=3))
def test_one_state_answers_as_a_one_state_run_does(state: dict[str, Any], data: dict[str, Any]) -> None:
    """The same handlers and data flow: a state's TestState output is the output of a machine
    made of that state alone, and a failure is the same error (a run adds where it arose)."""
    execution = asl.load({"StartAt": "S", "States": {"S": state}}).run(data, clock=asl.VirtualClock())
    result = asl.test_state(state, data, inspection_level="DEBUG")
    if execution.status == "SUCCEEDED":
        assert (result.status, result.output) == ("SUCCEEDED", execution.output)
        if "OutputPath" not in state:
            assert _inspection(result)["afterResultPath"] == execution.output
    else:
        assert (result.status, result.error) == ("FAILED", execution.error)
        assert execution.cause is not None and result.cause is not None
        assert execution.cause.endswith(result.cause)


def test_with_state_name_the_definition_must_be_a_whole_machine() -> None:
    with pytest.raises(asl.TestStateError) as refused:
        asl.test_state({"Type": "Pass", "End": True}, state_name="Pass")
    assert refused.value.code == "InvalidDefinition"
    assert "StartAt" in refused.value.message
    with pytest.raises(asl.TestStateError) as unnamed:
        asl.test_state(MACHINE)
    assert unnamed.value.code == "ValidationException"


def test_an_item_reader_reads_map_item_reader_data_as_its_object() -> None:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    state = {"Type": "Map", "End": True, "ItemProcessor": processor,
             "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW",
                                             "MaxItems": 2},
                            "Parameters": {"Bucket": "b", "Key": "k.csv"}},
             "ItemSelector": {"name.$": "$$.Map.Item.Value.name"},
             "ItemBatcher": {"MaxItemsPerBatch": 1}, "ToleratedFailureCount": 0}
    config = {"mapItemReaderData": "name,age\nada,36\nbob,41\ncy,20\n", "mapIterationFailureCount": 1}
    result = asl.test_state(state, {}, inspection_level="DEBUG", mock={"result": [1, 2]},
                            state_configuration=config)
    data = _inspection(result)
    assert data["afterItemSelector"] == [{"name": "ada"}, {"name": "bob"}]  # MaxItems: 2
    assert data["afterItemBatcher"] == [{"Items": [{"name": "ada"}]}, {"Items": [{"name": "bob"}]}]
    assert result.error == "States.ExceedToleratedFailureThreshold"


@pytest.mark.parametrize(("result_path", "after"), [
    (None, {"r": 1}),                       # absent: the result
    ("$.out", {"a": 1, "out": {"r": 1}}),   # merged into the input
    ("__null__", {"a": 1}),                 # null: the result is dropped, the input passes
])
def test_the_result_path_step_is_the_merge_a_run_makes(result_path: Any, after: Any) -> None:
    state: dict[str, Any] = {"Type": "Pass", "Result": {"r": 1}, "End": True}
    if result_path is not None:
        state["ResultPath"] = None if result_path == "__null__" else result_path
    result = asl.test_state(state, {"a": 1}, inspection_level="DEBUG")
    assert _inspection(result)["afterResultPath"] == after == result.output
