"""Tests of asl._definition.schema and schemas/asl.schema.json: what the structure allows, and how errors read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl._definition.schema import _fast, _validator, check, load_schema
from asl._errors import Problem
from strategies import JSON, definitions, mutated_definitions

CASES = Path(__file__).parents[2] / "shared" / "conformance" / "cases"


def _machine(**state: Any) -> dict[str, Any]:
    return {"StartAt": "A", "States": {"A": state}}


def _problems(document: Any) -> list[tuple[str, str]]:
    return [(p.code, p.pointer) for p in check(document)]


def test_schema_is_valid_draft_2020_12() -> None:
    """The shipped schema is itself a valid draft 2020-12 schema."""
    jsonschema.Draft202012Validator.check_schema(load_schema())


@pytest.mark.parametrize(
    "state",
    [
        {"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$.r", "Assign": {"x": 1}, "End": True},
        {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input %}", "End": True},
        {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": "{% $x %}",
         "TimeoutSeconds": "{% 3 %}", "HeartbeatSecondsPath": "$.h", "Credentials": {"RoleArn": "r"},
         "Retry": [{"ErrorEquals": ["States.ALL"], "MaxDelaySeconds": 5, "JitterStrategy": "FULL"}],
         "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A", "Output": {}, "Assign": {}}], "End": True},
        {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "A", "Output": 1}], "Default": "A"},
        {"Type": "Wait", "Timestamp": "2024-01-01T00:00:00Z", "Next": "A"},
        {"Type": "Fail", "ErrorPath": "$.e", "Cause": "why"},
        {"Type": "Succeed", "OutputPath": None},
        {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}],
         "ResultSelector": {"a.$": "$"}, "End": True},
        {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                                           "StartAt": "B", "States": {"B": {"Type": "Succeed"}}},
         "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {},
                        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a"], "MaxItems": 10}},
         "ItemBatcher": {"MaxItemsPerBatch": 5, "BatchInput": {}}, "ItemSelector": {"v.$": "$$.Map.Item.Value"},
         "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {},
                          "WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"}},
         "MaxConcurrency": 10, "ToleratedFailurePercentage": 5.5, "ToleratedFailureCountPath": "$.c",
         "Label": "files", "End": True},
        {"Type": "Map", "Iterator": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}, "ItemsPath": "$.i", "End": True},
    ],
)
def test_valid_states(state: dict[str, Any]) -> None:
    """Every state type with its full set of fields passes the structural check."""
    assert check(_machine(**state)) == []


def test_unknown_field_names_allowed_fields_and_suggests() -> None:
    """An unknown field is reported at its own pointer with the allowed list and a suggestion."""
    (problem,) = check(_machine(Type="Pass", End=True, Reslt=1))
    assert (problem.code, problem.pointer) == ("unknown-field", "/States/A/Reslt")
    assert problem.message.startswith("State 'A' of type Pass does not allow field 'Reslt'; did you mean 'Result'?")
    assert "ResultPath" in problem.message


def test_unknown_field_list_hides_rule_owned_fields() -> None:
    """Next/End are left to the rules in a Succeed state, and not offered as allowed fields."""
    (problem,) = check(_machine(Type="Succeed", Next="B", Foo=1))
    assert problem.pointer == "/States/A/Foo"
    assert "Next" not in problem.message


def test_missing_required_field() -> None:
    """A missing required field is reported at the object that lacks it."""
    assert _problems(_machine(Type="Task", End=True)) == [("required-field", "/States/A")]
    assert _problems({"States": {}}) == [("required-field", "")] or ("required-field", "") in _problems({"States": {}})


def test_unknown_type_lists_the_types() -> None:
    """An unknown Type names the valid types, and nothing else is reported for that state."""
    (problem,) = check(_machine(Type="Pas", End=True))
    assert problem.code == "bad-value"
    assert "unknown Type 'Pas'" in problem.message and '"Pass"' in problem.message


@pytest.mark.parametrize(
    ("state", "code", "pointer"),
    [
        ({"Type": "Task", "Resource": "r", "TimeoutSeconds": "abc", "End": True}, "wrong-type", "/States/A/TimeoutSeconds"),
        ({"Type": "Task", "Resource": "r", "TimeoutSeconds": 0, "End": True}, "wrong-type", "/States/A/TimeoutSeconds"),
        ({"Type": "Task", "Resource": "r", "End": True, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}, "out-of-range", "/States/A/Retry/0/BackoffRate"),
        ({"Type": "Task", "Resource": "r", "End": True, "Retry": [{"ErrorEquals": []}]}, "bad-size", "/States/A/Retry/0/ErrorEquals"),
        ({"Type": "Task", "Resource": "r", "End": True, "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "ALL"}]}, "bad-value", "/States/A/Retry/0/JitterStrategy"),
        ({"Type": "Pass", "End": "yes"}, "wrong-type", "/States/A/End"),
        ({"Type": "Map", "End": True}, "required-field", "/States/A"),
        ({"Type": "Map", "End": True, "Label": "x" * 41, "Iterator": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}}, "bad-size", "/States/A/Label"),
        ({"Type": "Pass", "End": True, "QueryLanguage": "jsonata"}, "bad-value", "/States/A/QueryLanguage"),
    ],
)
def test_value_errors(state: dict[str, Any], code: str, pointer: str) -> None:
    """Wrong types, ranges, sizes and enum values get their own code at the value's pointer."""
    assert (code, pointer) in _problems(_machine(**state))


def test_non_object_state_is_one_problem() -> None:
    """A state that is not an object is one wrong-type Problem, not one per state type."""
    assert _problems({"StartAt": "A", "States": {"A": 7}}) == [("wrong-type", "/States/A")]


def test_nested_states_are_checked() -> None:
    """States inside Parallel branches and Map processors are checked too."""
    branch = {"StartAt": "B", "States": {"B": {"Type": "Succeed", "Bad": 1}}}
    document = _machine(Type="Parallel", Branches=[branch], End=True)
    assert _problems(document) == [("unknown-field", "/States/A/Branches/0/States/B/Bad")]


def test_only_failing_states_reach_jsonschema() -> None:
    """An error in one state of many is found with the valid states skipped."""
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(300)}
    states["S300"] = {"Type": "Succeed", "Oops": True}
    assert _problems({"StartAt": "S0", "States": states}) == [("unknown-field", "/States/S300/Oops")]


@pytest.mark.skipif(not CASES.is_dir(), reason="the shared conformance cases are absent")
def test_recorded_aws_definitions_pass() -> None:
    """Every definition AWS ran in the conformance recordings passes the structural check."""
    for path in sorted(CASES.glob("*.json")):
        assert check(json.loads(path.read_text())["definition"]) == [], path.name


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(mutated_definitions() | definitions() | JSON)
def test_compiled_checker_agrees_with_jsonschema(document: Any) -> None:
    """The fast compiled check says valid exactly when jsonschema finds no error."""
    assert _fast()[0](document) == _validator().is_valid(document)


@SETTINGS
@given(mutated_definitions() | JSON)
def test_check_reports_iff_invalid(document: Any) -> None:
    """check() returns Problems exactly when jsonschema finds errors."""
    problems = check(document)
    assert all(isinstance(p, Problem) for p in problems)
    assert bool(problems) == (not _validator().is_valid(document))


@given(st.sampled_from(["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"]), JSON)
@SETTINGS
def test_any_field_value_is_checked_without_crashing(kind: str, value: Any) -> None:
    """Arbitrary values in any field of any state type produce Problems, never exceptions."""
    for field in ("Next", "Parameters", "Choices", "Branches", "ItemProcessor", "Retry", "Catch", "Seconds"):
        check(_machine(Type=kind, **{field: value}))


def test_the_schema_loads_from_a_source_checkout(tmp_path: Path) -> None:
    """With only src/ on the path (no install), the repository's schemas/ folder is read."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    code = ("import asl; problems = asl.validate({'StartAt': 'A', 'States': {'A': "
            "{'Type': 'Pass', 'End': True, 'Nope': 1}}}); print(problems[0].code)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(repo / "src"), "PATH": ""}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "unknown-field"
