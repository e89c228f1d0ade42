"""The interpreter loop: Wait on a virtual clock, Fail, Choice, the context object, execution
names, limits (history, timeout) and the shape of the history."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

import asl

START = datetime(2024, 1, 1, tzinfo=UTC).timestamp()


def run(definition: dict[str, Any], input: Any = None, *, clock: Any = None, **options: Any) -> Any:
    return asl.load(definition).run(input, clock=clock or asl.VirtualClock(START), **options)


def one(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": state}}


def prefix(state: str = "S", event_id: int = 2) -> str:
    return f"An error occurred while executing the state '{state}' (entered at the event id #{event_id}). "


# --- Wait -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fields, input, waited", [
    ({"Seconds": 86_400}, {}, 86_400),
    ({"SecondsPath": "$.s"}, {"s": 90}, 90),
    ({"Timestamp": "2024-01-02T00:00:00Z"}, {}, 86_400),
    ({"TimestampPath": "$.t"}, {"t": "2024-01-01T01:00:00+01:00"}, 0),
    ({"TimestampPath": "$.t"}, {"t": "2024-01-01T00:00:30.500Z"}, 30.5),
    ({"Timestamp": "2023-01-01T00:00:00Z"}, {}, 0),
])
def test_wait_advances_virtual_time_without_sleeping(fields: dict[str, Any], input: Any,
                                                      waited: float) -> None:
    """Every form of Wait moves the virtual clock by the wait (a past timestamp waits 0s), at once."""
    clock = asl.VirtualClock(START)
    began = time.monotonic()
    execution = run(one({"Type": "Wait", "End": True, **fields}), input, clock=clock)
    assert time.monotonic() - began < 1.0
    assert execution.status == "SUCCEEDED"
    assert execution.output == input
    assert clock.now() == pytest.approx(START + waited)
    exited = execution.history[-2]
    assert exited["type"] == "WaitStateExited"
    assert exited["timestamp"].timestamp() == pytest.approx(START + waited)


def test_wait_seconds_path_negative_is_states_runtime() -> None:
    """A negative SecondsPath value fails with AWS's recorded wording."""
    execution = run(one({"Type": "Wait", "SecondsPath": "$.s", "End": True}), {"s": -1})
    assert execution.error == "States.Runtime"
    assert execution.cause == prefix() + "The SecondsPath parameter references a negative value: $.s == -1"


@pytest.mark.parametrize("value", ["10", 1.5, None, True])
def test_wait_seconds_path_not_an_integer_is_states_runtime(value: Any) -> None:
    """A SecondsPath value that is not an integer fails with States.Runtime, worded as AWS words
    an object there (recorded)."""
    execution = run(one({"Type": "Wait", "SecondsPath": "$.s", "End": True}), {"s": value})
    assert execution.error == "States.Runtime"
    assert execution.cause == (
        prefix() + f"The SecondsPath parameter cannot be parsed as a long value: $.s == {json.dumps(value)}"
    )


@pytest.mark.parametrize("value", ["yesterday", "2024-01-01T00:00:00", 5])
def test_wait_timestamp_path_not_a_timestamp_is_states_runtime(value: Any) -> None:
    """A TimestampPath value that is not an RFC 3339 date-time with offset fails, naming the
    path and the value (recorded for a number)."""
    execution = run(one({"Type": "Wait", "TimestampPath": "$.t", "End": True}), {"t": value})
    assert execution.error == "States.Runtime"
    assert execution.cause == prefix() + (
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
        f"date-time format string: $.t == {json.dumps(value)}"
    )


def test_wait_longer_than_aws_allows_is_states_runtime() -> None:
    """A computed wait beyond 99,999,999 seconds fails instead of overflowing the clock."""
    definition = {"StartAt": "S", "States": {"S": {"Type": "Wait", "SecondsPath": "$.s", "Next": "P"},
                                             "P": {"Type": "Pass", "End": True}}}
    execution = run(definition, {"s": 10**18})
    assert execution.error == "States.Runtime"
    assert (execution.cause or "").startswith(prefix())


def test_wait_applies_input_and_output_paths() -> None:
    """A JSONPath Wait filters with InputPath and OutputPath."""
    state = {"Type": "Wait", "Seconds": 1, "InputPath": "$.a", "OutputPath": "$.b", "End": True}
    assert run(one(state), {"a": {"b": 3}}).output == 3


# --- Fail -------------------------------------------------------------------------------------


def test_fail_with_error_and_cause() -> None:
    """A Fail state's Error and Cause become the execution's, unprefixed."""
    execution = run(one({"Type": "Fail", "Error": "Oops", "Cause": "it broke"}), {})
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "Oops", "it broke")
    assert execution.history_types == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert execution.history[-1]["executionFailedEventDetails"] == {"error": "Oops", "cause": "it broke"}


def test_fail_without_error_or_cause() -> None:
    """A bare Fail state fails with neither error nor cause."""
    execution = run(one({"Type": "Fail"}), {})
    assert (execution.status, execution.error, execution.cause) == ("FAILED", None, None)
    assert execution.history[-1]["executionFailedEventDetails"] == {}


def test_fail_error_path_and_cause_path_intrinsic() -> None:
    """ErrorPath reads the input; CausePath may be an intrinsic call."""
    state = {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('n={}', $.n)"}
    execution = run(one(state), {"e": "Custom.Error", "n": 4})
    assert (execution.error, execution.cause) == ("Custom.Error", "n=4")


def test_fail_error_path_to_a_non_string_is_states_runtime() -> None:
    """An ErrorPath that selects a number fails with States.Runtime (an error name is a string)."""
    execution = run(one({"Type": "Fail", "ErrorPath": "$.e"}), {"e": 5})
    assert execution.error == "States.Runtime"
    assert (execution.cause or "").startswith(prefix())


def test_fail_error_path_missing_is_states_runtime() -> None:
    """An ErrorPath that matches nothing fails with States.Runtime."""
    execution = run(one({"Type": "Fail", "ErrorPath": "$.nope"}), {})
    assert execution.error == "States.Runtime"


# --- Choice -------------------------------------------------------------------------------------


CHOICE = {
    "StartAt": "C",
    "States": {
        "C": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
                {"And": [{"Variable": "$.s", "IsPresent": True},
                         {"Variable": "$.s", "StringMatches": "a*"}], "Next": "A"},
            ],
            "Default": "Other",
        },
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "A": {"Type": "Pass", "Result": "a", "End": True},
        "Other": {"Type": "Pass", "Result": "other", "End": True},
    },
}


@pytest.mark.parametrize("input, expected", [
    ({"n": 11}, "big"),
    ({"n": 1, "s": "abc"}, "a"),
    ({"n": 1, "s": "xyz"}, "other"),
    ({"n": 1}, "other"),
])
def test_choice_takes_the_first_matching_rule_or_default(input: Any, expected: str) -> None:
    """Rules are tried in order; Default when none matches."""
    assert run(CHOICE, input).output == expected


def test_choice_without_default_fails_with_no_choice_matched() -> None:
    """No matching rule and no Default: States.NoChoiceMatched, worded as AWS does."""
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
        "D": {"Type": "Succeed"},
    }}
    execution = run(definition, {"n": 2})
    assert execution.error == "States.NoChoiceMatched"
    assert execution.cause == "No Choice Rules matched and no Default was specified in the state 'C'."


def test_choice_on_a_missing_variable_is_states_runtime() -> None:
    """Comparing a Variable that is absent fails the execution (only IsPresent tolerates it)."""
    execution = run(CHOICE, {})
    assert execution.error == "States.Runtime"
    assert execution.cause == prefix("C") + "Invalid path '$.n' : No results for path: $['n']"


def test_choice_passes_its_input_through() -> None:
    """A Choice state's output is its input (after OutputPath)."""
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}],
              "OutputPath": "$.keep"},
        "D": {"Type": "Succeed"},
    }}
    assert run(definition, {"n": 1, "keep": [1]}).output == [1]


# --- the context object ------------------------------------------------------------------------


def test_context_object_fields() -> None:
    """$$ carries the execution, state machine and state as AWS documents them."""
    definition = {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Ctx"},
        "Ctx": {"Type": "Pass", "End": True, "Parameters": {
            "id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name", "input.$": "$$.Execution.Input",
            "start.$": "$$.Execution.StartTime", "role.$": "$$.Execution.RoleArn",
            "redrive.$": "$$.Execution.RedriveCount", "smId.$": "$$.StateMachine.Id",
            "smName.$": "$$.StateMachine.Name", "state.$": "$$.State.Name",
            "entered.$": "$$.State.EnteredTime", "retries.$": "$$.State.RetryCount",
        }},
    }}
    machine = asl.load(definition, name="Orders")
    execution = machine.run({"k": 1}, clock=asl.VirtualClock(START), name="run-1")
    assert execution.output == {
        "id": "arn:aws:states:us-east-1:123456789012:execution:Orders:run-1",
        "name": "run-1",
        "input": {"k": 1},
        "start": "2024-01-01T00:00:00.000Z",
        "role": execution.history[0]["executionStartedEventDetails"]["roleArn"],
        "redrive": 0,
        "smId": "arn:aws:states:us-east-1:123456789012:stateMachine:Orders",
        "smName": "Orders",
        "state": "Ctx",
        "entered": "2024-01-01T00:00:05.000Z",
        "retries": 0,
    }


def test_execution_name_and_arns_are_settable() -> None:
    """run(name=...) and load(arn=...) set the execution's name and ARNs."""
    arn = "arn:aws:states:eu-west-1:111122223333:stateMachine:Mine"
    execution = asl.load(one({"Type": "Succeed"}), arn=arn).run({}, name="n1", clock=asl.VirtualClock())
    assert execution.name == "n1"
    assert execution.execution_arn == "arn:aws:states:eu-west-1:111122223333:execution:Mine:n1"
    assert execution.state_machine_arn == arn
    assert execution.history[0]["executionStartedEventDetails"]["stateMachineArn"] == arn


def test_execution_name_is_generated_when_absent() -> None:
    """Without a name, each execution gets a fresh UUID name."""
    machine = asl.load(one({"Type": "Succeed"}))
    names = {machine.run({}, clock=asl.VirtualClock()).name for _ in range(3)}
    assert len(names) == 3


# --- limits -------------------------------------------------------------------------------------


LOOP = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Next": "B"},
    "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "End"}],
          "Default": "A"},
    "End": {"Type": "Succeed"},
}}


def test_an_endless_loop_fails_at_the_history_limit() -> None:
    """A loop that never ends fails with a clear cause at AWS's 25,000-event history quota."""
    execution = run(LOOP, {})
    assert execution.status == "FAILED"
    assert execution.error == "States.Runtime"
    assert "25000" in (execution.cause or "")
    assert len(execution.history) == 25_000
    assert execution.history_types[-1] == "ExecutionFailed"


def test_machine_timeout_ends_timed_out() -> None:
    """TimeoutSeconds ends the execution TIMED_OUT; States.Timeout is in the event, not the execution."""
    definition = {"StartAt": "W", "TimeoutSeconds": 60, "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    clock = asl.VirtualClock(START)
    execution = run(definition, {}, clock=clock)
    assert execution.status == "TIMED_OUT"
    assert execution.error is None and execution.output is None
    assert execution.history_types == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    event = execution.history[-1]
    assert event["executionTimedOutEventDetails"]["error"] == "States.Timeout"
    assert event["timestamp"].timestamp() == pytest.approx(START + 60)


def test_machine_timeout_not_reached_succeeds() -> None:
    """A machine that finishes inside TimeoutSeconds succeeds."""
    definition = {"StartAt": "W", "TimeoutSeconds": 60, "States": {
        "W": {"Type": "Wait", "Seconds": 59, "End": True}}}
    assert run(definition, {}).status == "SUCCEEDED"


# --- history shape --------------------------------------------------------------------------------


def test_history_ids_and_previous_event_chain() -> None:
    """Ids count from 1; each state event points back to the one before (the first state to 0)."""
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 1, "Next": "S"},
        "S": {"Type": "Succeed"},
    }}
    history = run(definition, {"x": 1}).history
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    assert [e["previousEventId"] for e in history] == [0, 0, 2, 3, 4, 5, 6, 7]
    assert [e["type"] for e in history] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "WaitStateEntered",
        "WaitStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded",
    ]
    assert history[1]["stateEnteredEventDetails"] == {
        "name": "A", "input": '{"x":1}', "inputDetails": {"truncated": False}}
    assert history[-1]["executionSucceededEventDetails"]["output"] == '{"x":1}'


def test_history_records_compact_json_text() -> None:
    """Inputs and outputs are compact JSON text with non-ASCII kept, as AWS shows them."""
    history = run(one({"Type": "Pass", "End": True}), {"k": "é", "n": [1, 2]}).history
    assert history[1]["stateEnteredEventDetails"]["input"] == '{"k":"é","n":[1,2]}'


def test_two_runs_on_a_virtual_clock_have_identical_histories() -> None:
    """The same machine, input, name and start time give the same history."""
    machine = asl.load(CHOICE)
    first = machine.run({"n": 1, "s": "ab"}, clock=asl.VirtualClock(START), name="x")
    second = machine.run({"n": 1, "s": "ab"}, clock=asl.VirtualClock(START), name="x")
    assert first.history == second.history


def test_execution_times_come_from_the_clock() -> None:
    """start_date and stop_date are the clock's readings at start and end."""
    clock = asl.VirtualClock(START)
    execution = run(one({"Type": "Wait", "Seconds": 10, "End": True}), {}, clock=clock)
    assert (execution.start_date, execution.stop_date) == (START, START + 10)
