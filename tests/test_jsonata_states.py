"""JSONata states in the executor: Output, $states, Choice Condition, Wait and Fail expressions,
the run's clock for $now/$millis, evaluation failures and mixed query-language machines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import asl

START = datetime(2024, 1, 1, tzinfo=UTC).timestamp()


def run(definition: dict[str, Any], input: Any = None, *, clock: Any = None) -> Any:
    return asl.load(definition).run(input, clock=clock or asl.VirtualClock(START), name="e1")


def one(**state: Any) -> dict[str, Any]:
    return {"StartAt": "S", "QueryLanguage": "JSONata", "States": {"S": state}}


def prefix(state: str = "S", event_id: int = 2) -> str:
    return f"An error occurred while executing the state '{state}' (entered at the event id #{event_id}). "


# --- Output and $states ------------------------------------------------------------------------


def test_pass_without_output_passes_its_input() -> None:
    """A JSONata Pass with no Output outputs its input."""
    assert run(one(Type="Pass", End=True), {"a": 1}).output == {"a": 1}


def test_output_template_mixes_literals_and_expressions() -> None:
    """Output is a JSON template whose {% %} strings are evaluated at any depth."""
    state = {"Type": "Pass", "End": True, "Output": {
        "sum": "{% $sum($states.input.n) %}", "lit": [1, "two", {"deep": "{% $states.input.n[0] %}"}]}}
    assert run(one(**state), {"n": [1, 2, 3]}).output == {"sum": 6, "lit": [1, "two", {"deep": 1}]}


def test_states_context_is_the_context_object() -> None:
    """$states.context carries the execution and state fields."""
    state = {"Type": "Pass", "End": True, "Output": {
        "name": "{% $states.context.Execution.Name %}",
        "state": "{% $states.context.State.Name %}",
        "input": "{% $states.context.Execution.Input %}",
        "sm": "{% $states.context.StateMachine.Name %}"}}
    output = run(one(**state), {"k": 1}).output
    assert output == {"name": "e1", "state": "S", "input": {"k": 1}, "sm": "StateMachine"}


def test_pass_result_is_its_input() -> None:
    """In a Pass state, $states.result is the state's input (there is no task)."""
    assert run(one(Type="Pass", End=True, Output="{% $states.result %}"), {"a": [1]}).output == {"a": [1]}


def test_succeed_output() -> None:
    """A JSONata Succeed state may shape its output."""
    assert run(one(Type="Succeed", Output="{% $states.input.a %}"), {"a": [1]}).output == [1]


def test_now_and_millis_read_the_run_clock() -> None:
    """$now() and $millis() read the execution's clock, so a virtual clock makes them reproducible."""
    definition = {"StartAt": "W", "QueryLanguage": "JSONata", "States": {
        "W": {"Type": "Wait", "Seconds": 90, "Next": "S"},
        "S": {"Type": "Pass", "End": True, "Output": {"now": "{% $now() %}", "ms": "{% $millis() %}"}},
    }}
    output = run(definition, {}).output
    assert output == {"now": "2024-01-01T00:01:30.000Z", "ms": int((START + 90) * 1000)}


def test_output_expression_that_yields_nothing_fails() -> None:
    """An Output expression returning undefined is States.QueryEvaluationError with an EvaluationFailed event."""
    execution = run(one(Type="Pass", End=True, Output={"r": "{% $states.input.nope %}"}), {})
    assert execution.error == "States.QueryEvaluationError"
    assert execution.cause == prefix() + (
        "The JSONata expression '$states.input.nope' specified for the field 'Output/r' "
        "returned nothing (undefined)."
    )
    assert execution.history_types == [
        "ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"]
    failed = execution.history[2]
    assert failed["previousEventId"] == 0
    assert failed["evaluationFailedEventDetails"]["state"] == "S"
    assert failed["evaluationFailedEventDetails"]["location"] == "Output"


def test_expression_that_throws_is_a_query_evaluation_error() -> None:
    """A JSONata runtime error is reported with its code."""
    execution = run(one(Type="Pass", End=True, Output="{% $error('boom') %}"), {})
    assert execution.error == "States.QueryEvaluationError"
    assert execution.cause == prefix() + (
        "The JSONata expression '$error('boom')' specified for the field 'Output' threw an error "
        "during evaluation. D3137: boom"
    )


# --- Choice ---------------------------------------------------------------------------------------


CHOICE = {"StartAt": "C", "QueryLanguage": "JSONata", "States": {
    "C": {"Type": "Choice", "Choices": [
        {"Condition": "{% $states.input.n > 1 %}", "Next": "D", "Output": {"big": True},
         "Assign": {"v": "{% $states.input.n %}"}}],
        "Default": "E", "Output": "{% 'default' %}"},
    "D": {"Type": "Pass", "Output": {"in": "{% $states.input %}", "v": "{% $v %}"}, "End": True},
    "E": {"Type": "Succeed"},
}}


def test_choice_condition_true_takes_the_rule_with_its_output_and_assign() -> None:
    """A matching rule's Output and Assign apply on the way to its Next."""
    assert run(CHOICE, {"n": 2}).output == {"in": {"big": True}, "v": 2}


def test_choice_default_uses_the_states_output() -> None:
    """When no Condition holds, Default is taken with the state's own Output."""
    assert run(CHOICE, {"n": 0}).output == "default"


def test_choice_condition_must_be_boolean() -> None:
    """A Condition that is not a boolean fails with States.QueryEvaluationError (no truthiness)."""
    definition = {"StartAt": "C", "QueryLanguage": "JSONata", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n %}", "Next": "D"}],
              "Default": "D"},
        "D": {"Type": "Succeed"}}}
    execution = run(definition, {"n": 1})
    assert execution.error == "States.QueryEvaluationError"
    assert execution.cause == prefix("C") + (
        "The JSONata expression '$states.input.n' specified for the field 'Condition' returned an "
        "unexpected result type. Expected 'boolean', but was 'number' for value: 1"
    )


def test_choice_no_match_without_default() -> None:
    """No Condition holds and no Default: States.NoChoiceMatched."""
    definition = {"StartAt": "C", "QueryLanguage": "JSONata", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% false %}", "Next": "D"}]},
        "D": {"Type": "Succeed"}}}
    assert run(definition, {}).error == "States.NoChoiceMatched"


# --- Wait and Fail --------------------------------------------------------------------------------


def test_wait_seconds_expression_advances_the_clock() -> None:
    """A Seconds expression is evaluated and waited, virtually."""
    clock = asl.VirtualClock(START)
    execution = run(one(Type="Wait", Seconds="{% $states.input.s * 2 %}", End=True), {"s": 5}, clock=clock)
    assert execution.status == "SUCCEEDED"
    assert clock.now() == START + 10


def test_wait_timestamp_expression() -> None:
    """A Timestamp expression yields the moment to wait until."""
    clock = asl.VirtualClock(START)
    run(one(Type="Wait", Timestamp="{% $states.input.t %}", End=True),
        {"t": "2024-01-01T00:00:10Z"}, clock=clock)
    assert clock.now() == START + 10


@pytest.mark.parametrize("value", ["5", -1, 1.5])
def test_wait_seconds_expression_must_be_a_non_negative_integer(value: Any) -> None:
    """A Seconds expression yielding something else fails the execution."""
    execution = run(one(Type="Wait", Seconds="{% $states.input.s %}", End=True), {"s": value})
    assert execution.status == "FAILED"
    assert (execution.cause or "").startswith(prefix())


def test_fail_error_and_cause_expressions() -> None:
    """A JSONata Fail state's Error and Cause may be expressions."""
    state = {"Type": "Fail", "Error": "{% 'E.' & $states.input.k %}",
             "Cause": "{% $states.context.State.Name %}"}
    execution = run(one(**state), {"k": "x"})
    assert (execution.error, execution.cause) == ("E.x", "S")


def test_fail_error_expression_must_be_a_string() -> None:
    """A Fail Error expression that yields a number is a QueryEvaluationError."""
    execution = run(one(Type="Fail", Error="{% 5 %}"), {})
    assert execution.error == "States.QueryEvaluationError"


# --- mixed machines --------------------------------------------------------------------------------


def test_jsonpath_machine_with_a_jsonata_state() -> None:
    """A JSONata state inside a JSONPath machine reads $states.input; JSONPath states around it work."""
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"v.$": "$.x"}, "Next": "B"},
        "B": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"w": "{% $states.input.v + 1 %}"},
              "Next": "C"},
        "C": {"Type": "Pass", "InputPath": "$.w", "End": True},
    }}
    assert run(definition, {"x": 1}).output == 2


def test_jsonata_output_feeds_a_jsonpath_state() -> None:
    """What a JSONata state outputs is the next JSONPath state's $."""
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "QueryLanguage": "JSONata",
              "Output": {"v": "{% $states.input.x * 10 %}"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"got.$": "$.v"}, "End": True},
    }}
    assert run(definition, {"x": 2}).output == {"got": 20}


def test_a_jsonata_state_under_a_jsonata_machine_cannot_say_jsonpath() -> None:
    """The validator rejects a JSONPath state inside a JSONata machine, as AWS does."""
    definition = {"StartAt": "A", "QueryLanguage": "JSONata", "States": {
        "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}}
    with pytest.raises(asl.DefinitionError):
        asl.load(definition)
