"""Tests of asl._definition.validate: the whole pipeline, positions, ordering, and never raising."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl._definition import rules
from asl._definition.validate import INTERNAL, validate
from strategies import JSON, mutated_definitions

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALID = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def test_valid_definition_has_no_problems() -> None:
    """A valid definition validates to an empty list, whatever form it is given in."""
    assert validate(VALID) == []
    assert validate(json.dumps(VALID)) == []
    assert validate(json.dumps(VALID).encode()) == []


def test_problems_are_located_and_sorted() -> None:
    """Problems carry the line and column of their pointer and come in source order."""
    text = '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass", "End": true, "Zap": 1},\n    "B": {"Type": "Task", "End": true}\n  }\n}'
    problems = validate(text)
    codes = [(p.code, p.line) for p in problems]
    assert ("unknown-field", 4) in codes
    assert ("required-field", 5) in codes
    assert [(p.line, p.column) for p in problems] == sorted((p.line or 0, p.column or 0) for p in problems)


def test_source_problems_stop_the_pipeline() -> None:
    """A syntax error is reported alone: no schema or rules run on a broken text."""
    (problem,) = validate('{"StartAt": "A", "States": {')
    assert problem.code == "syntax"


def test_duplicate_key_warning_does_not_stop_the_pipeline() -> None:
    """A duplicate-key warning is reported together with the schema's findings."""
    codes = {p.code for p in validate('{"StartAt": "A", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "X": 1}}}')}
    assert {"duplicate-key", "unknown-field"} <= codes


def test_file_path(tmp_path: Path) -> None:
    """A path is read and validated like text."""
    path = tmp_path / "m.asl.yaml"
    path.write_text("StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n    Bad: 1\n")
    (problem,) = validate(path)
    assert (problem.code, problem.line, problem.column) == ("unknown-field", 6, 5)


def test_large_definition_is_fast() -> None:
    """A 2,000-state definition validates end to end within the budget (rules included)."""
    states = {f"S{i}": {"Type": "Pass", "Parameters": {"a.$": "$.x"}, "Next": f"S{i + 1}"} for i in range(2000)}
    states["S2000"] = {"Type": "Succeed"}
    text = json.dumps({"StartAt": "S0", "States": states})
    validate(text)
    start = time.perf_counter()
    assert validate(text) == []
    assert time.perf_counter() - start < 1.0  # generous: the machine is shared; ~60 ms alone


def _assert_plain(problems: Any) -> None:
    assert isinstance(problems, list)
    assert all(p.code != INTERNAL for p in problems), problems


def test_a_crash_in_the_rules_is_an_internal_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception inside the rules comes back as one Problem coded INTERNAL, the code that the
    never-raises properties look for."""

    def crash(document: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(rules, "check", crash)
    assert [p.code for p in validate(VALID)] == [INTERNAL]


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data: bytes) -> None:
    """Random bytes validate to a list of Problems without raising or an internal error."""
    _assert_plain(validate(data))


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_never_raises(text: str) -> None:
    """Random text (JSON, YAML or neither) validates without raising or an internal error."""
    _assert_plain(validate("{" + text))
    _assert_plain(validate("\n" + text))


@SETTINGS
@given(JSON | mutated_definitions())
def test_random_json_values_never_raise(value: Any) -> None:
    """Any JSON value, given parsed or as text, validates without raising or an internal error."""
    _assert_plain(validate(value))
    _assert_plain(validate(json.dumps(value)))


def test_a_choice_rule_mistake_the_schema_also_finds_is_reported_once() -> None:
    """An unknown field in a Choice rule is reported once, in the schema's words, though the
    Choice parser finds it too."""
    rule = {"Variable": "$.a", "IsNull": True, "Nxt": "S", "Next": "S"}
    document = {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [rule]},
                                           "S": {"Type": "Succeed"}}}  # fmt: skip
    (problem,) = validate(document)
    assert (problem.pointer, problem.code) == ("/States/C/Choices/0/Nxt", "unknown-field")
    assert "allowed:" in problem.message
