"""A second set of executions recorded against AWS by another project (../shared/conformance-b/),
replayed on a virtual clock with no handlers, beside ../shared/conformance/.

SUCCEEDED and FAILED cases compare status, output or error, and the cause exactly (a key absent
from the expectation was absent in AWS's answer: a Fail state without Error or Cause); the
history's event types where the case has them. INVALID cases are definitions AWS refused:
`asl.validate` reports at least one error and `asl.load` raises. A case we knowingly cannot
match is in KNOWN_DIVERGENCES with the evidence, and runs as a strict xfail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import asl
from test_conformance import _json_equal

SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance-b"
CASES = sorted((SHARED / "cases").glob("*.json")) if SHARED.is_dir() else []

#: case id -> why we differ from the recording, naming the evidence.
KNOWN_DIVERGENCES: dict[str, str] = {
    "b__States.JsonToString-012-serialize-nested-mixed-structure": (
        "the case file stores its input with sorted keys ({'arr', 'nested'}), while AWS's "
        "recorded output shows the input it was given in another order ('nested' first); "
        "JsonToString keeps the order it receives, here and on AWS"
    ),
}


def _check(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if expect["status"] == "INVALID":
        errors = [p for p in asl.validate(case["definition"]) if p.severity == "error"]
        assert errors, f"AWS refused it: {expect.get('validation_messages')}"
        with pytest.raises(asl.DefinitionError):
            asl.load(case["definition"])
        return
    execution = asl.load(case["definition"]).run(case["input"], clock=asl.VirtualClock())
    assert execution.status == expect["status"], (execution.error, execution.cause)
    if expect["status"] == "SUCCEEDED":
        assert _json_equal(execution.output, expect["output"]), (
            f"output {execution.output!r} != {expect['output']!r}"
        )
    else:
        assert execution.error == expect.get("error")
        assert execution.cause == expect.get("cause")
    if "history_types" in expect:
        assert execution.history_types == expect["history_types"]


def _params() -> list[Any]:
    params = []
    for path in CASES:
        reason = KNOWN_DIVERGENCES.get(path.stem)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.skipif(not CASES, reason="../shared/conformance-b is not beside the project")
@pytest.mark.parametrize("path", _params())
def test_conformance_b_case(path: Path) -> None:
    """The execution ends as AWS's did, or the definition is refused as AWS refused it."""
    _check(json.loads(path.read_text()))


def test_known_divergences_are_cases() -> None:
    """Every known divergence names a case of the corpus (no stale entries)."""
    if not CASES:
        pytest.skip("../shared/conformance-b is not beside the project")
    assert set(KNOWN_DIVERGENCES) <= {path.stem for path in CASES}
