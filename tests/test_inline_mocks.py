"""Mocks by state name without a file: `run(..., mocks={"Charge": ...})`, with Step Functions
Local's semantics (one response per invocation, retries and Map iterations counting), and the
mock file still working beside them."""

from __future__ import annotations

from typing import Any

import pytest

import asl

CHARGE = "arn:aws:states:::lambda:invoke"

ORDER = {"StartAt": "Charge", "States": {
    "Charge": {"Type": "Task", "Resource": CHARGE, "OutputPath": "$.Payload", "Next": "Ship",
               "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
               "Retry": [{"ErrorEquals": ["Card.Declined"], "MaxAttempts": 2, "IntervalSeconds": 1}],
               "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}]},
    "Ship": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
             "Parameters": {"QueueUrl": "q", "MessageBody.$": "$"}},
    "Refund": {"Type": "Pass", "Result": "refunded", "End": True},
}}


def run(mocks: Any, **options: Any) -> asl.Execution:
    return asl.load(ORDER).run({"amount": 5}, clock=asl.VirtualClock(), mocks=mocks, **options)


def test_one_response_per_state_without_handlers():
    """Mocked Task states need no handlers; each returns its mock, shaped as the file would."""
    execution = run({"Charge": {"Return": {"Payload": {"charged": 5}}},
                     "Ship": {"Return": {"MessageId": "m-1"}}})
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {"MessageId": "m-1"}
    scheduled = [e["type"] for e in execution.history if e["type"].startswith("Task")]
    assert scheduled.count("TaskScheduled") == 2


def test_a_sequence_serves_retries_in_order():
    """[Throw, Return]: the first attempt fails, the retry gets the second response."""
    execution = run({"Charge": [{"Throw": {"Error": "Card.Declined", "Cause": "try again"}},
                                {"Return": {"Payload": "ok"}}],
                     "Ship": {"Return": {}}})
    assert execution.status == "SUCCEEDED"
    types = execution.history_types
    assert types.count("TaskFailed") == 1 and types.count("TaskSucceeded") == 2


def test_a_thrown_error_is_caught_by_name():
    execution = run({"Charge": [{"Throw": {"Error": "Card.Stolen"}}]})
    assert execution.output == "refunded"
    failed = next(e for e in execution.history if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"]["error"] == "Card.Stolen"


def test_invocation_ranges_as_the_file_writes_them():
    execution = run({"Charge": {"0-1": {"Throw": {"Error": "Card.Declined"}},
                                "2": {"Return": {"Payload": 1}}},
                     "Ship": {"Return": {}}})
    assert execution.status == "SUCCEEDED"
    assert execution.history_types.count("TaskFailed") == 2


def test_more_invocations_than_responses_say_what_to_add():
    """As in Step Functions Local, a response covers its invocations only: a Map of three items
    needs three (or a range)."""
    machine = asl.load({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "Charge", "States": {"Charge": {"Type": "Task", "Resource": CHARGE, "End": True,
                                                    "Parameters": {"FunctionName": "charge"}}}}}}})
    with pytest.raises(asl.MockConfigError, match=r"invoked [23] times.*covers 1 invocation"):
        execution = machine.run([1, 2, 3], clock=asl.VirtualClock(), mocks={"Charge": {"Return": 1}})
        raise AssertionError(execution.history_types)
    execution = machine.run([1, 2, 3], clock=asl.VirtualClock(), mocks={"Charge": {"0-2": {"Return": 1}}})
    assert execution.output == [1, 1, 1]


@pytest.mark.parametrize(("mocks", "message"), [
    ({"Chrage": {"Return": 1}}, "does not have (did you mean 'Charge'?)"),
    ({"Refund": {"Return": 1}}, "a Pass state; only Task states"),
    ({"Charge": {"Retrun": 1}}, 'must be {"Return": value}'),
    ({"Charge": {"Return": 1, "Throw": {"Error": "E"}}}, 'exactly one field, "Return" or "Throw"'),
    ({"Charge": {"Throw": {"Error": "E", "Clause": "x"}}}, "unknown: Clause"),
    ({"Charge": []}, "empty list"),
    ({"Charge": {"0": {"Return": 1}, "2": {"Return": 2}}}, "skips invocation 1"),
    ({"Charge": {"Return": {1, 2}}}, "is not JSON"),
    (["Charge"], "must be a mapping"),
])
def test_mistakes_are_errors_that_say_where(mocks: Any, message: str):
    with pytest.raises(asl.MockConfigError) as info:
        run(mocks)
    assert message in str(info.value)
    assert "mocks" in str(info.value)


def test_the_callers_mocks_are_copied():
    mocks = {"Charge": {"Return": {"Payload": {"list": [1]}}}}
    machine = asl.load({**ORDER, "States": {**ORDER["States"], "Ship": {"Type": "Pass", "End": True}}})
    first = machine.run({}, clock=asl.VirtualClock(), mocks=mocks)
    mocks["Charge"]["Return"]["Payload"]["list"].append(2)
    assert first.output == {"list": [1]}


def test_inline_mocks_override_a_test_case_of_the_file():
    config = {"StateMachines": {"Order": {"TestCases": {"Happy": {"Charge": "Ok", "Ship": "Sent"}}}},
              "MockedResponses": {"Ok": {"0": {"Return": {"Payload": "file"}}},
                                  "Sent": {"0": {"Return": {"MessageId": "file"}}}}}
    machine = asl.load(ORDER, name="Order")
    execution = machine.run({}, clock=asl.VirtualClock(), mock_config=config, test_case="Happy",
                            mocks={"Ship": {"Return": {"MessageId": "inline"}}})
    assert execution.output == {"MessageId": "inline"}
    charged = next(e for e in execution.history if e["type"] == "TaskSucceeded")
    assert '"file"' in charged["taskSucceededEventDetails"]["output"]
