"""The JSONPath data flow of one state: InputPath, Parameters/Result, ResultPath, OutputPath,
their null forms, and AWS's failures when a path matches nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import asl


def run(definition: dict[str, Any], input: Any = None, **options: Any) -> Any:
    return asl.load(definition).run(input, clock=asl.VirtualClock(), **options)


def pass_machine(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, **fields}}}


def prefix(state: str = "P", event_id: int = 2) -> str:
    return f"An error occurred while executing the state '{state}' (entered at the event id #{event_id}). "


# --- InputPath ---------------------------------------------------------------------------------


def test_input_path_selects_the_effective_input() -> None:
    """InputPath narrows what a Pass state passes on."""
    assert run(pass_machine(InputPath="$.a"), {"a": {"b": 1}, "c": 2}).output == {"b": 1}


def test_input_path_null_gives_an_empty_object() -> None:
    """InputPath null makes the effective input {}."""
    assert run(pass_machine(InputPath=None), {"a": 1}).output == {}


def test_input_path_wildcard_yields_an_array() -> None:
    """An indefinite path (wildcard) yields the matches as an array, as Jayway does."""
    assert run(pass_machine(InputPath="$.a[*].v"), {"a": [{"v": 1}, {"v": 2}]}).output == [1, 2]


def test_input_path_filter_yields_an_array() -> None:
    """A filter expression yields an array of the matches."""
    execution = run(pass_machine(InputPath="$.a[?(@.v > 1)]"), {"a": [{"v": 1}, {"v": 2}]})
    assert execution.output == [{"v": 2}]


def test_missing_input_path_is_a_states_runtime_failure() -> None:
    """A definite InputPath that matches nothing fails with States.Runtime, worded as AWS does."""
    execution = run(pass_machine(InputPath="$.missing"), {"a": 1})
    assert execution.status == "FAILED"
    assert execution.error == "States.Runtime"
    assert execution.cause == prefix() + "Invalid path '$.missing' : No results for path: $['missing']"


def test_failure_cause_names_the_entered_event_of_a_later_state() -> None:
    """The cause prefix names the state and the id of its StateEntered event."""
    definition = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Next": "Second"},
            "Second": {"Type": "Pass", "InputPath": "$.nope", "End": True},
        },
    }
    execution = run(definition, {})
    assert execution.cause is not None
    assert execution.cause.startswith(prefix("Second", 4))


# --- Parameters and Result ------------------------------------------------------------------


def test_parameters_build_from_paths_context_and_intrinsics() -> None:
    """Parameters keys ending in .$ take paths, context paths and intrinsic calls; nesting works."""
    definition = pass_machine(Parameters={
        "plain": "x",
        "fromInput.$": "$.a",
        "state.$": "$$.State.Name",
        "greeting.$": "States.Format('hi {}', $.name)",
        "nested": {"list": [1, {"deep.$": "$.a"}]},
    })
    output = run(definition, {"a": 7, "name": "bo"}).output
    assert output == {
        "plain": "x",
        "fromInput": 7,
        "state": "P",
        "greeting": "hi bo",
        "nested": {"list": [1, {"deep": 7}]},
    }


def test_parameters_apply_after_input_path() -> None:
    """Parameters read the effective input that InputPath selected."""
    definition = pass_machine(InputPath="$.inner", Parameters={"v.$": "$.v"})
    assert run(definition, {"inner": {"v": 3}}).output == {"v": 3}


def test_missing_parameters_path_names_the_field() -> None:
    """A Parameters path that matches nothing is States.Runtime naming the field and the input."""
    execution = run(pass_machine(Parameters={"x.$": "$.missing"}), {})
    assert execution.error == "States.Runtime"
    assert execution.cause == prefix() + (
        "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{}'"
    )


def test_pass_result_replaces_the_input() -> None:
    """A Pass state's Result is its result, whatever the input."""
    assert run(pass_machine(Result={"r": 1}), {"a": 1}).output == {"r": 1}


def test_pass_result_null_is_a_result() -> None:
    """Result: null is a result (null), not an absent field."""
    assert run(pass_machine(Result=None), {"a": 1}).output is None


# --- ResultPath -------------------------------------------------------------------------------


def test_result_path_merges_the_result_into_the_input() -> None:
    """ResultPath $.r puts the result beside the input's fields."""
    assert run(pass_machine(Result=1, ResultPath="$.r"), {"a": 0}).output == {"a": 0, "r": 1}


def test_result_path_creates_missing_objects() -> None:
    """ResultPath creates the objects along its path that the input lacks."""
    output = run(pass_machine(Result=1, ResultPath="$.x.y.z"), {"a": 0}).output
    assert output == {"a": 0, "x": {"y": {"z": 1}}}


def test_result_path_dollar_replaces_the_input() -> None:
    """ResultPath $ (the default) makes the result the output."""
    assert run(pass_machine(Result=1, ResultPath="$"), {"a": 0}).output == 1


def test_result_path_null_discards_the_result() -> None:
    """ResultPath null passes the state's input through unchanged."""
    assert run(pass_machine(Result=1, ResultPath=None), {"a": 0}).output == {"a": 0}


def test_result_path_into_a_non_object_is_a_match_failure() -> None:
    """ResultPath into a value that is not an object fails with States.ResultPathMatchFailure."""
    execution = run(pass_machine(Result=1, ResultPath="$.r.s"), {"r": 5})
    assert execution.error == "States.ResultPathMatchFailure"
    assert execution.cause == prefix() + 'Unable to apply ReferencePath $.r.s to input {"r":5}'


def test_result_path_applies_to_the_raw_input_not_the_effective_input() -> None:
    """ResultPath merges into the state's raw input, ignoring InputPath."""
    definition = pass_machine(InputPath="$.a", ResultPath="$.copy")
    assert run(definition, {"a": {"b": 1}}).output == {"a": {"b": 1}, "copy": {"b": 1}}


# --- OutputPath -------------------------------------------------------------------------------


def test_output_path_selects_from_the_merged_output() -> None:
    """OutputPath selects after ResultPath merged the result."""
    definition = pass_machine(Result={"v": 1}, ResultPath="$.r", OutputPath="$.r.v")
    assert run(definition, {"a": 0}).output == 1


def test_output_path_null_gives_an_empty_object() -> None:
    """OutputPath null makes the output {}."""
    assert run(pass_machine(OutputPath=None), {"a": 1}).output == {}


def test_missing_output_path_is_a_states_runtime_failure() -> None:
    """An OutputPath that matches nothing fails with States.Runtime."""
    execution = run(pass_machine(OutputPath="$.gone"), {"a": 1})
    assert execution.error == "States.Runtime"
    assert execution.cause == prefix() + "Invalid path '$.gone' : No results for path: $['gone']"


def test_states_runtime_is_not_caught_by_the_next_state() -> None:
    """States.Runtime ends the execution: the following states never run."""
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "OutputPath": "$.gone", "Next": "Q"},
            "Q": {"Type": "Succeed"},
        },
    }
    execution = run(definition, {})
    assert execution.history_types == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


# --- Succeed ------------------------------------------------------------------------------------


def test_succeed_applies_input_and_output_paths() -> None:
    """A Succeed state filters its input with InputPath and OutputPath."""
    definition = {"StartAt": "S", "States": {"S": {"Type": "Succeed", "InputPath": "$.a",
                                                   "OutputPath": "$.b"}}}
    assert run(definition, {"a": {"b": 2}}).output == 2


# --- copy-on-write ------------------------------------------------------------------------------


@pytest.mark.parametrize("fields", [
    {"Result": 1, "ResultPath": "$.a.new"},
    {"Parameters": {"x.$": "$.a"}, "ResultPath": "$.a.p"},
    {"InputPath": "$.a", "ResultPath": "$.a2"},
])
def test_the_callers_input_is_never_mutated(fields: dict[str, Any]) -> None:
    """Running never changes the input object the caller passed."""
    data = {"a": {"b": [1, 2]}, "c": "d"}
    before = copy.deepcopy(data)
    run(pass_machine(**fields), data)
    assert data == before


def test_output_of_one_state_is_not_shared_mutably_with_history() -> None:
    """A later ResultPath merge does not change an earlier event's recorded output."""
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Result": {"k": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Result": 2, "ResultPath": "$.extra", "End": True},
        },
    }
    execution = run(definition, {})
    exited = execution.history[2]
    assert exited["type"] == "PassStateExited"
    assert exited["stateExitedEventDetails"]["output"] == '{"k":1}'
    assert execution.output == {"k": 1, "extra": 2}


# --- payload limit --------------------------------------------------------------------------------


def test_output_over_256_kib_is_data_limit_exceeded() -> None:
    """A state output over 256 KiB fails the execution with States.DataLimitExceeded."""
    execution = run(pass_machine(Parameters={"a.$": "$.s", "b.$": "$.s"}), {"s": "x" * 150_000})
    assert execution.status == "FAILED"
    assert execution.error == "States.DataLimitExceeded"
    assert execution.cause is not None and "'P'" in execution.cause


def test_input_over_256_kib_is_data_limit_exceeded() -> None:
    """An execution input over 256 KiB fails at once with States.DataLimitExceeded."""
    execution = run(pass_machine(), {"s": "x" * (256 * 1024)})
    assert execution.error == "States.DataLimitExceeded"
    assert execution.history_types == ["ExecutionStarted", "ExecutionFailed"]


def test_output_just_under_the_limit_passes() -> None:
    """A payload below 256 KiB is fine."""
    execution = run(pass_machine(), {"s": "x" * (200 * 1024)})
    assert execution.status == "SUCCEEDED"


def test_changing_one_executions_output_leaves_the_next_run_alone() -> None:
    """The output handed to the caller is its own: a Pass Result constant is not shared with it."""
    machine = asl.load({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"x": [1]}, "End": True}}})
    first = machine.run({}, clock=asl.VirtualClock())
    first.output["x"].append(2)
    second = machine.run({}, clock=asl.VirtualClock())
    assert second.output == {"x": [1]}
    assert first.history[-1]["executionSucceededEventDetails"]["output"] == '{"x":[1]}'


def test_changing_the_input_after_a_run_leaves_its_output_alone() -> None:
    """An output that passes the input through is not the caller's input object."""
    machine = asl.load({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    given = {"a": [1]}
    execution = machine.run(given, clock=asl.VirtualClock())
    given["a"].append(5)
    assert execution.output == {"a": [1]}


def test_parameters_need_not_be_an_object() -> None:
    """AWS creates and runs machines whose Parameters is a string, array or number
    (aws/amazon-states-language-service#83): the value is a template, and a string in it is
    literal text, not a path (only a key ending in `.$` selects)."""
    import asl

    definition = {"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "Parameters": ["$.foo", {"a.$": "$.a"}], "End": True,
        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]}}}
    assert asl.validate(definition) == []
    execution = asl.load(definition).run({"a": 1}, clock=asl.VirtualClock())
    assert execution.output == [["$.foo", {"a": 1}]]
