"""`asl.load` and `asl.validate` agree: `validate()` reports an error-severity Problem exactly
when `load()` raises DefinitionError, and `load()` raises nothing else. Checked on random
definitions (tests/strategies.py) and on every definition in the shared corpora."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import asl
from asl import _machine
from strategies import choice_definitions, definitions, garbled_definitions, mutated_definitions

# jsonata-python raises the recursion limit while evaluating; hypothesis notices and says so.
pytestmark = pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Beside the repository, as ../shared from its root.
SHARED = Path(__file__).resolve().parents[2] / "shared"


def disagreement(definition: Any) -> str | None:
    """Why validate() and load() disagree on `definition`, or None when they agree."""
    errors = [p for p in asl.validate(definition) if p.severity == "error"]
    try:
        asl.load(definition)
    except asl.DefinitionError as error:
        if not errors:
            return f"validate() found nothing, load() raised {error.problems}"
        return None
    if errors:
        return f"validate() reported {errors}, load() succeeded"
    return None


@SETTINGS
@given(choice_definitions())
def test_choice_rules_validate_exactly_when_they_load(definition: dict[str, Any]) -> None:
    """A machine with random (often malformed) Choice rules fails validation iff load raises."""
    assert disagreement(definition) is None


@SETTINGS
@given(mutated_definitions())
def test_mutated_definitions_validate_exactly_when_they_load(definition: Any) -> None:
    """A randomly broken definition fails validation iff load raises DefinitionError."""
    assert disagreement(definition) is None


@SETTINGS
@given(garbled_definitions())
def test_garbled_definitions_validate_exactly_when_they_load(definition: Any) -> None:
    """A definition with a garbled path or template value fails validation iff load raises."""
    assert disagreement(definition) is None


@SETTINGS
@given(definitions())
def test_generated_definitions_load(definition: dict[str, Any]) -> None:
    """A generated valid definition loads."""
    asl.load(definition)


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


# --- the shared corpora ---------------------------------------------------------------------


def _as_machine(definition: Any) -> Any:
    """A TestState definition may be a single state: wrap it in a machine whose other states
    are the Succeed states it transitions to, so that it can validate."""
    if not isinstance(definition, dict) or "States" in definition or "Type" not in definition:
        return definition
    targets = {definition.get("Next"), definition.get("Default")}
    for field in ("Choices", "Catch"):
        items = definition.get(field)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                targets.add(item.get("Next"))
    states = {"Tested": definition}
    states.update({t: {"Type": "Succeed"} for t in targets if isinstance(t, str) and t != "Tested"})
    return {"StartAt": "Tested", "States": states}


def _shared_definitions() -> Iterator[Any]:
    for corpus in ("conformance", "conformance-b"):
        for path in sorted((SHARED / corpus / "cases").glob("*.json")):
            case = json.loads(path.read_text())
            yield pytest.param(case["definition"], id=f"{corpus}/{path.stem}")
    for path in sorted((SHARED / "teststate" / "cases").glob("*.json")):
        request = json.loads(path.read_text())["request"]
        yield pytest.param(_as_machine(request.get("definition")), id=f"teststate/{path.stem}")
    for path in sorted((SHARED / "validation").glob("*/*.json")):
        # The file itself, not its parsed JSON: some are YAML, broken JSON or duplicate keys.
        yield pytest.param(path, id=f"validation/{path.parent.name}/{path.stem}")


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared corpora are absent ({SHARED})")
@pytest.mark.parametrize("definition", list(_shared_definitions()) if SHARED.is_dir() else [])
def test_shared_definitions_validate_exactly_when_they_load(definition: Any) -> None:
    """Every definition in ../shared fails validation iff load raises DefinitionError."""
    assert disagreement(definition) is None


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared corpora are absent ({SHARED})")
def test_shared_corpora_are_found() -> None:
    """The corpora hold the definitions the test above runs on, so it is not vacuous."""
    assert len(list(_shared_definitions())) > 900
