"""`asl.load` and `asl.validate` agree: `load()` raises DefinitionError exactly when
`validate()` reports an error-severity Problem, with the same, located, Problems."""

from __future__ import annotations

from typing import Any

import pytest

import asl
from asl import _machine


def test_load_problems_are_located() -> None:
    """load's DefinitionError carries each Problem's line and column, as validate's does."""
    text = (
        '{"StartAt": "C", "States": {\n'
        '  "C": {"Type": "Choice", "Default": "S", "Choices": [\n'
        '    {"Variable": "$.a", "And": [{"Variable": "$.a", "IsNull": true}], "Next": "S"}]},\n'
        '  "S": {"Type": "Succeed"}}}'
    )
    with pytest.raises(asl.DefinitionError) as info:
        asl.load(text)
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.column) == ("choice-rule-variable", 3, 6)
    assert asl.validate(text) == [problem]


def test_a_compile_error_validation_missed_is_internal_and_located(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should build() find an error validate() did not, load reports it as an asl bug (code
    internal), located and saying what failed, never as an unlocated compile error."""
    real_build = _machine.build

    def build(document: Any) -> Any:
        graph, _ = real_build(document)
        return graph, [("/States/A/InputPath", "a path must start with '$'")]

    monkeypatch.setattr(_machine, "build", build)
    with pytest.raises(asl.DefinitionError) as info:
        asl.load('{"StartAt": "A",\n "States": {"A": {"Type": "Pass", "InputPath": "$", "End": true}}}')
    (problem,) = info.value.problems
    assert (problem.code, problem.pointer, problem.line) == ("internal", "/States/A/InputPath", 2)
    assert "a path must start with '$'" in problem.message and "bug" in problem.message
