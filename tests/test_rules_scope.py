"""The rules of asl._definition.rules_scope: which `$states` members a JSONata field reads, the
variable names nested scopes may assign, and the ReaderConfig fields each input type takes."""

from __future__ import annotations

from typing import Any

import pytest

from asl._definition.rules import check


def _errors(document: Any) -> list[tuple[str, str]]:
    return [(p.code, p.pointer) for p in check(document) if p.severity == "error"]


def _jsonata(state: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": state}}


def test_error_output_outside_a_catcher_is_refused() -> None:
    """AWS refuses a Pass Output reading $states.errorOutput, in its words (recorded)."""
    problems = list(check(_jsonata({"Type": "Pass", "Output": "{% $states.errorOutput %}", "End": True})))
    assert [p.message.split(" (")[0] for p in problems if p.code == "states-member"] == [
        "Field '$states.errorOutput' does not exist."
    ]


def test_error_output_in_a_catcher_and_result_in_output_are_accepted() -> None:
    """A Catcher's Output and Assign read errorOutput; a state's Output and Assign read result;
    a string literal that mentions either is no read at all."""
    task = {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Arguments": {"note": "{% '$states.result is later' %}"},
        "Output": "{% $states.result %}", "Assign": {"r": "{% $states.result.Payload %}"},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F",
                   "Output": "{% $states.errorOutput %}", "Assign": {"e": "{% $states.errorOutput.Error %}"}}],
    }  # fmt: skip
    document = {"QueryLanguage": "JSONata", "StartAt": "S",
                "States": {"S": task, "F": {"Type": "Fail"}}}  # fmt: skip
    assert _errors(document) == []


def test_a_member_states_does_not_hold_is_refused_everywhere() -> None:
    """$states holds input, result, errorOutput and context; anything else does not exist."""
    problems = list(check(_jsonata({"Type": "Pass", "End": True,
                                    "Output": {"a": "{% $states.inputs %}", "b": "{% $states.context.State.Name %}"}})))  # fmt: skip
    assert [(p.pointer, p.message.split(" (")[0]) for p in problems if p.code == "states-member"] == [
        ("/States/S/Output/a", "Field '$states.inputs' does not exist.")
    ]


def test_result_is_not_read_before_the_work() -> None:
    """Arguments run before the task, so $states.result is not there yet (documented)."""
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
            "Arguments": {"x": "{% $states.result %}"}}  # fmt: skip
    assert _errors(_jsonata(task)) == [("states-member", "/States/S/Arguments/x")]


def _map(inner_assign: dict[str, Any], mode: str = "INLINE") -> dict[str, Any]:
    return {"StartAt": "Seed", "States": {
        "Seed": {"Type": "Pass", "Assign": {"shared": 1}, "Next": "M"},
        "M": {"Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": mode, **({"ExecutionType": "STANDARD"} if mode == "DISTRIBUTED" else {})},
            "StartAt": "In", "States": {"In": {"Type": "Pass", "Assign": inner_assign, "End": True}}}},
    }}  # fmt: skip


def test_an_iteration_may_not_reassign_an_outer_variable() -> None:
    """Recorded: "The variable name 'shared' was already defined in a parent scope." A `.$`
    key names the same variable."""
    assert _errors(_map({"shared.$": "$"})) == [
        ("variable-shadows", "/States/M/ItemProcessor/States/In/Assign/shared.$")
    ]
    assert _errors(_map({"other": 2})) == []


def test_a_distributed_map_starts_afresh() -> None:
    """A distributed Map's children see no outer variable, so they may reuse its name."""
    assert [c for c, _ in _errors(_map({"shared": 2}, "DISTRIBUTED"))] == []


def test_parallel_branches_may_share_a_name_between_them() -> None:
    """Two sibling branches are not each other's parent scope."""
    branches = [{"StartAt": name, "States": {name: {"Type": "Pass", "Assign": {"x": 1}, "End": True}}}
                for name in ("A", "B")]
    document = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": branches}}}
    assert _errors(document) == []


def _reader(config: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "Parameters": {"Bucket": "b", "Key": "k"}, "ReaderConfig": config},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "E", "States": {"E": {"Type": "Pass", "End": True}}}}}}  # fmt: skip


@pytest.mark.parametrize(
    ("config", "found"),
    [
        ({"InputType": "JSON", "CSVHeaderLocation": "FIRST_ROW"}, ["/CSVHeaderLocation"]),
        ({"InputType": "JSONL", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id"]},
         ["/CSVHeaderLocation", "/CSVHeaders"]),
        ({"InputType": "CSV", "ManifestType": "S3_INVENTORY"}, [""]),
        ({"InputType": "JSON", "ManifestType": "ATHENA_DATA"}, ["/ManifestType"]),
        ({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}, []),
        ({"InputType": "JSONL"}, []),
        ({"InputType": "PARQUET", "ManifestType": "ATHENA_DATA"}, []),
    ],
)  # fmt: skip
def test_reader_config_fields_fit_the_input_type(config: dict[str, Any], found: list[str]) -> None:
    """AWS's ReaderConfig combinations (recorded messages for each refusal)."""
    base = "/States/M/ItemReader/ReaderConfig"
    assert _errors(_reader(config)) == [("reader-config", base + suffix) for suffix in found]
