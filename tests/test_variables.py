"""Workflow variables (Assign) in JSONPath and JSONata states: what Assign sees, when values take
effect, how they appear in the history, and AWS's size quota."""

from __future__ import annotations

from typing import Any

import asl


def run(definition: dict[str, Any], input: Any = None) -> Any:
    return asl.load(definition).run(input, clock=asl.VirtualClock())


def assigned(execution: Any) -> list[dict[str, str] | None]:
    """The assignedVariables of each StateExited event, in order."""
    return [e["stateExitedEventDetails"].get("assignedVariables")
            for e in execution.history if e["type"].endswith("StateExited")]


def chain(*states: dict[str, Any], **machine: Any) -> dict[str, Any]:
    names = [f"S{i}" for i in range(len(states))]
    body = {}
    for i, state in enumerate(states):
        step = dict(state)
        if step["Type"] not in ("Succeed", "Fail", "Choice"):
            step.update({"Next": names[i + 1]} if i + 1 < len(states) else {"End": True})
        body[names[i]] = step
    return {"StartAt": names[0], "States": body, **machine}


def test_assigned_variables_are_read_by_later_states() -> None:
    """A value assigned in one state is read as $name by the next."""
    definition = chain(
        {"Type": "Pass", "Assign": {"x.$": "$.a", "const": "c"}},
        {"Type": "Pass", "Parameters": {"x.$": "$x", "const.$": "$const"}},
    )
    assert run(definition, {"a": 5}).output == {"x": 5, "const": "c"}


def test_jsonpath_assign_reads_the_result_after_parameters() -> None:
    """In a JSONPath state, Assign's $ is the state's result (here what Parameters built)."""
    definition = chain(
        {"Type": "Pass", "Parameters": {"p.$": "$.a"}, "Assign": {"x.$": "$.p"}},
        {"Type": "Pass", "Parameters": {"x.$": "$x"}},
    )
    assert run(definition, {"a": 1}).output == {"x": 1}


def test_jsonpath_assign_reads_the_context_object() -> None:
    """Assign values may be context paths."""
    definition = chain({"Type": "Pass", "Assign": {"me.$": "$$.State.Name"}},
                       {"Type": "Pass", "Parameters": {"me.$": "$me"}})
    assert run(definition, {}).output == {"me": "S0"}


def test_jsonpath_assign_calls_intrinsics() -> None:
    """Assign values may be intrinsic calls."""
    definition = chain({"Type": "Pass", "Assign": {"n.$": "States.ArrayLength($.l)"}},
                       {"Type": "Pass", "Parameters": {"n.$": "$n"}})
    assert run(definition, {"l": [1, 2, 3]}).output == {"n": 3}


def test_all_assignments_of_a_state_happen_at_once() -> None:
    """Within one Assign, a reference reads the value from before the state, not its sibling."""
    definition = chain(
        {"Type": "Pass", "Assign": {"a": 1}},
        {"Type": "Pass", "Assign": {"a": 2, "b.$": "$a"}},
        {"Type": "Pass", "Parameters": {"a.$": "$a", "b.$": "$b"}},
    )
    assert run(definition, {}).output == {"a": 2, "b": 1}


def test_a_states_own_assign_is_not_visible_to_its_output() -> None:
    """A JSONata state's Output reads the variables as they were before its own Assign."""
    definition = chain(
        {"Type": "Pass", "Assign": {"x": 1}},
        {"Type": "Pass", "Assign": {"x": 2}, "Output": "{% $x %}"},
        {"Type": "Pass", "Output": "{% $x %}"},
        QueryLanguage="JSONata",
    )
    execution = run(definition, {})
    exits = [e for e in execution.history if e["type"] == "PassStateExited"]
    assert exits[1]["stateExitedEventDetails"]["output"] == "1"
    assert execution.output == 2


def test_assigned_variables_appear_in_the_exited_event_as_json_text() -> None:
    """StateExited carries assignedVariables: each value as JSON text, as AWS shows them."""
    definition = chain({"Type": "Pass", "Assign": {"s": "t", "n": 1, "o": {"k": [True, None]}}})
    execution = run(definition, {})
    assert assigned(execution) == [{"s": '"t"', "n": "1", "o": '{"k":[true,null]}'}]
    details = execution.history[2]["stateExitedEventDetails"]
    assert details["assignedVariablesDetails"] == {"truncated": False}


def test_a_state_without_assign_has_no_assigned_variables() -> None:
    """StateExited has no assignedVariables when the state assigns nothing."""
    details = run(chain({"Type": "Pass"}), {}).history[2]["stateExitedEventDetails"]
    assert "assignedVariables" not in details


def test_wait_assigns_from_its_input() -> None:
    """A Wait state (no result) assigns from its effective input."""
    definition = chain({"Type": "Wait", "Seconds": 1, "Assign": {"w.$": "$.k"}},
                       {"Type": "Pass", "Parameters": {"w.$": "$w"}})
    assert run(definition, {"k": 3}).output == {"w": 3}


def test_choice_rule_assign_applies_when_the_rule_matches() -> None:
    """A Choice rule's Assign takes effect when that rule is taken; variables drive Choice."""
    definition = {"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"a": 1}, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$a", "NumericEquals": 1, "Next": "D", "Assign": {"r": "one"}}],
            "Default": "D"},
        "D": {"Type": "Pass", "Parameters": {"r.$": "$r"}, "End": True},
    }}
    assert run(definition, {}).output == {"r": "one"}


def test_jsonpath_variables_are_read_by_jsonata_states() -> None:
    """Variables cross query languages: assigned in JSONPath, read in JSONata and back."""
    definition = chain(
        {"Type": "Pass", "Assign": {"x": 1}},
        {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"x": "{% $x %}"},
         "Assign": {"y": "{% $x + 1 %}"}},
        {"Type": "Pass", "Parameters": {"x.$": "$.x", "y.$": "$y"}},
    )
    assert run(definition, {}).output == {"x": 1, "y": 2}


def test_jsonata_assign_sees_states_input() -> None:
    """A JSONata Assign reads $states.input and the context."""
    definition = chain(
        {"Type": "Pass", "Assign": {"v": "{% $states.input.k %}",
                                    "n": "{% $states.context.State.Name %}"}},
        {"Type": "Pass", "Output": {"v": "{% $v %}", "n": "{% $n %}"}},
        QueryLanguage="JSONata",
    )
    assert run(definition, {"k": "in"}).output == {"v": "in", "n": "S0"}


def test_jsonata_assign_that_yields_nothing_fails() -> None:
    """An Assign expression that returns undefined is States.QueryEvaluationError naming the field."""
    definition = chain({"Type": "Pass", "Assign": {"r": "{% $nope %}"}}, QueryLanguage="JSONata")
    execution = run(definition, {})
    assert execution.error == "States.QueryEvaluationError"
    assert execution.cause == (
        "An error occurred while executing the state 'S0' (entered at the event id #2). "
        "The JSONata expression '$nope' specified for the field 'Assign/r' returned nothing (undefined)."
    )
    assert execution.history_types[-2:] == ["EvaluationFailed", "ExecutionFailed"]


def test_variables_over_256_kib_in_one_state_are_data_limit_exceeded() -> None:
    """One state's Assign storing more than 256 KiB fails with States.DataLimitExceeded."""
    big = "x" * 140_000
    definition = chain({"Type": "Pass", "Assign": {"a.$": "$.s", "b.$": "$.s"}})
    execution = run(definition, {"s": big})
    assert execution.status == "FAILED"
    assert execution.error == "States.DataLimitExceeded"


def test_variables_just_under_the_quota_are_fine() -> None:
    """A state may assign up to 256 KiB."""
    definition = chain({"Type": "Pass", "Assign": {"a.$": "$.s"}, "OutputPath": None})
    assert run(definition, {"s": "x" * 200_000}).status == "SUCCEEDED"


def test_constant_jsonata_text_in_a_jsonpath_assign_is_a_plain_string() -> None:
    """In a JSONPath state, '{% ... %}' and '$x' without .$ are plain strings (AWS accepts them)."""
    definition = chain({"Type": "Pass", "Assign": {"j": "{% $x %}", "p": "$.a"}},
                       {"Type": "Pass", "Parameters": {"j.$": "$j", "p.$": "$p"}})
    assert run(definition, {}).output == {"j": "{% $x %}", "p": "$.a"}


def test_map_iterations_read_outer_variables_but_keep_their_own() -> None:
    """A Map iteration sees the outer scope; what it assigns stays in that iteration."""
    execution = run({"StartAt": "S", "States": {
        "S": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "M"},
        "M": {"Type": "Map", "Next": "After", "ItemProcessor": {
            "StartAt": "Keep", "States": {
                "Keep": {"Type": "Pass", "Assign": {"mine.$": "$"}, "Next": "Use"},
                "Use": {"Type": "Pass", "End": True,
                        "Parameters": {"item.$": "$mine", "factor.$": "$factor"}}}}},
        "After": {"Type": "Pass", "End": True,
                  "Parameters": {"results.$": "$", "factor.$": "$factor"}}}}, [1, 2])
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {"results": [{"item": 1, "factor": 10}, {"item": 2, "factor": 10}],
                                "factor": 10}


def test_a_variable_assigned_inside_a_map_is_undefined_after_it() -> None:
    """Reading an iteration's variable after the Map fails as an unknown variable (States.Runtime)."""
    execution = run({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "After", "ItemProcessor": {
            "StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "Assign": {"inner": 1},
                                                   "End": True}}}},
        "After": {"Type": "Pass", "End": True, "Parameters": {"x.$": "$inner"}}}}, [1])
    assert execution.status == "FAILED"
    assert execution.error == "States.Runtime"
    assert "'After'" in (execution.cause or "")


def test_jsonata_map_items_and_iterations_read_variables() -> None:
    """In JSONata, Items may come from a variable and iterations read outer variables by name."""
    execution = run({"QueryLanguage": "JSONata", "StartAt": "S", "States": {
        "S": {"Type": "Pass", "Assign": {"xs": [1, 2, 3], "add": 100}, "Next": "M"},
        "M": {"Type": "Map", "Items": "{% $xs %}", "End": True, "ItemProcessor": {
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True,
                                             "Output": "{% $states.input + $add %}"}}}}}})
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [101, 102, 103]
