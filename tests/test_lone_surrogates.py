"""Lone surrogates (JSON's "\\ud800" escapes) reach Python as unencodable str: never a traceback."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import asl

LONE = json.loads('"a\\ud800"')


def _run(definition: dict[str, Any]) -> asl.Execution:
    return asl.load(definition).run({"s": LONE}, clock=asl.VirtualClock())


def _pass(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, **fields}}}


def test_assign_size_check_counts_a_lone_surrogate() -> None:
    """A variable holding a lone surrogate is measured for the variable quota, not a crash."""
    execution = _run(_pass(Assign={"x.$": "$.s"}))
    assert execution.status == "SUCCEEDED"


def test_base64_encode_writes_a_question_mark_as_java_does() -> None:
    """States.Base64Encode encodes a lone surrogate as '?', as Java's UTF-8 encoder does."""
    execution = _run(_pass(Parameters={"x.$": "States.Base64Encode($.s)"}))
    assert execution.output == {"x": base64.b64encode(b"a?").decode("ascii")}


def test_hash_writes_a_question_mark_as_java_does() -> None:
    """States.Hash hashes a lone surrogate as '?', as Java's UTF-8 encoder does."""
    execution = _run(_pass(Parameters={"x.$": "States.Hash($.s, 'SHA-1')"}))
    assert execution.output == {"x": hashlib.sha1(b"a?").hexdigest()}


def test_jsonata_hash_writes_a_question_mark_as_java_does() -> None:
    """JSONata's $hash hashes a lone surrogate as '?', not a QueryEvaluationError."""
    definition = _pass(Output="{% $hash($states.input.s, 'SHA-1') %}")
    execution = _run({"QueryLanguage": "JSONata", **definition})
    assert execution.output == hashlib.sha1(b"a?").hexdigest()
