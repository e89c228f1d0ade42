"""Properties of validation: it never raises, returns Problems, and accepts valid definitions."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings

import asl
from asl._definition.rules import check
from asl._definition.validate import INTERNAL
from asl._errors import Problem
from strategies import definitions, mutated_definitions

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _validate(document: Any) -> list[Problem]:
    validate = getattr(asl, "validate", None)
    return list(validate(document)) if validate is not None else list(check(document))


@SETTINGS
@given(definitions())
def test_generated_definitions_pass_the_rules(document: dict[str, Any]) -> None:
    """A generated valid definition has no error-severity Problem from the rules."""
    assert [p for p in check(document) if p.severity == "error"] == []


@SETTINGS
@given(mutated_definitions())
def test_rules_never_raise(document: Any) -> None:
    """The rules return Problems for any mutated definition and never raise."""
    problems = list(check(document))
    assert all(isinstance(p, Problem) for p in problems)


@SETTINGS
@given(mutated_definitions())
def test_validate_never_raises(document: Any) -> None:
    """validate (or the rules, until it is wired) returns a list of Problems, never raises,
    and leaves its input unchanged."""
    before = copy.deepcopy(document)
    problems = _validate(document)
    assert isinstance(problems, list)
    assert all(isinstance(p, Problem) for p in problems)
    assert document == before


@SETTINGS
@given(mutated_definitions())
def test_validate_reports_no_internal_error(document: Any) -> None:
    """validate turns its own exceptions into an INTERNAL Problem; none should ever occur."""
    assert [p for p in _validate(document) if p.code == INTERNAL] == []


@SETTINGS
@given(mutated_definitions())
def test_validate_accepts_json_text(document: Any) -> None:
    """validate of the JSON text never raises either (until validate exists, the rules run)."""
    validate = getattr(asl, "validate", None)
    text = json.dumps(document)
    problems = list(validate(text)) if validate is not None else list(check(json.loads(text)))
    assert all(isinstance(p, Problem) for p in problems)
