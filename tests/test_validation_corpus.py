"""The shared validation corpus: definitions from other validators' test suites with expected
verdicts. A scored file is valid exactly when validation reports no error-severity Problem.

Every case where we knowingly differ is listed in KNOWN_DIVERGENCES with what AWS does, and runs
as a strict xfail (so fixing it, or a change that breaks it differently, is noticed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from asl._errors import Problem

SHARED = Path(__file__).parents[2] / "shared"
CORPUS = SHARED / "validation"
REPO = Path(__file__).parents[1]

# file -> why our verdict differs from the expected one (and what AWS does).
KNOWN_DIVERGENCES: dict[str, str] = {
    "valid/asls__documentSucceedFailTerminalState.json": (
        "reuses state names in two branches; the ASL spec requires names unique in the whole "
        "machine and AWS rejects it with DUPLICATE_STATE_NAME"
    ),
    "invalid/aslvalidator__invalid-json-surround-syntax-extra-spaces.json": (
        "asl-validator's regex rejects a newline inside {% %}; JSONata treats it as whitespace "
        "and AWS accepts the expression"
    ),
    "invalid/aslvalidator__invalid-jsonata-surround-syntax-no-spaces.json": (
        "asl-validator requires spaces inside {% %}; AWS only requires the string to start "
        "with {% and end with %}"
    ),
    "valid/aslvalidator__valid-task-intrisic-function.json": (
        "a CloudFormation template fragment ({'Fn::GetAtt': ...}, {'Ref': ...} as Resource); AWS "
        "receives the substituted ARN string and rejects an object Resource"
    ),
    "invalid/pystatelint__retrier-bad_fields-3.json": (
        "MaxAttempts 99999999: AWS documents 99999999 as the maximum, so it is valid; "
        "statelint's own message calls 99999999 the allowed ceiling (an off-by-one there)"
    ),
    "invalid/pystatelint__state_machine-positive_int_fields-3-99999999.json": (
        "TimeoutSeconds 99999999: AWS's maximum is 99999999 (the same off-by-one in statelint)"
    ),
}


def _index() -> list[dict[str, Any]]:
    if not (CORPUS / "index.json").is_file():
        return []
    entries: list[dict[str, Any]] = json.loads((CORPUS / "index.json").read_text())["files"]
    return [entry for entry in entries if entry["scored"]]


def _params() -> list[Any]:
    params = []
    for entry in _index():
        reason = KNOWN_DIVERGENCES.get(entry["file"])
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(entry, id=entry["file"], marks=marks))
    return params


def problems_of(path: Path) -> list[Problem]:
    """Validate a definition file with `asl.validate`, or with the rules plus whatever schema
    exists while `asl.validate` is not wired yet."""
    import asl

    validate = getattr(asl, "validate", None)
    if validate is not None:
        return list(validate(path))
    return _fallback(path)


def _fallback(path: Path) -> list[Problem]:
    from asl._definition.rules import check

    try:
        document = json.loads(path.read_text())
    except ValueError as err:
        return [Problem("", "invalid-json", str(err))]
    found = list(check(document))
    schema_file = REPO / "schemas" / "asl.schema.json"
    if schema_file.is_file():
        import jsonschema

        schema = json.loads(schema_file.read_text())
        for error in jsonschema.Draft202012Validator(schema).iter_errors(document):
            pointer = "".join(f"/{part}" for part in error.absolute_path)
            found.append(Problem(pointer, "schema", error.message))
    return found


pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the shared validation corpus is absent ({CORPUS})"
)


@pytest.mark.parametrize("entry", _params())
def test_verdict(entry: dict[str, Any]) -> None:
    """A scored corpus file is valid exactly when validation reports no error."""
    errors = [p for p in problems_of(CORPUS / entry["file"]) if p.severity == "error"]
    if entry["expected"] == "valid":
        assert errors == []
    else:
        assert errors, f"expected invalid ({', '.join(entry['problems'])})"


def test_divergences_are_scored_files() -> None:
    """Every known divergence names a scored file of the corpus (no stale entries)."""
    scored = {entry["file"] for entry in _index()}
    assert set(KNOWN_DIVERGENCES) <= scored
