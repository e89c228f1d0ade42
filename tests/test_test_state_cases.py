"""The TestState calls recorded against AWS (../shared/teststate/, read in place, never copied):
each request goes through `asl._test_state.call` as the API takes it (JSON values as JSON text),
and the answer must equal AWS's after decoding JSON texts and dropping the case's
`ignore_fields`; a refused call must raise `TestStateError` with AWS's code and message."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from asl import TestStateError, TestStateResult
from asl._test_state import call

SHARED = Path(__file__).resolve().parents[2] / "shared" / "teststate"
CASES = sorted((SHARED / "cases").glob("*.json")) if SHARED.is_dir() else []

#: Cases asl cannot answer as AWS does, each with what AWS does (strict xfails).
XFAIL: dict[str, str] = {
    "test_field_validation_mode__TestFieldValidationMode__test_strict_mode_aws_sdk_lambda_get_"
    "function_task_integer_more_than_maximum_allowed": (
        "AWS (December 2025) refused Configuration.MemorySize 10241 ('exceeds the maximum "
        "value'): its Lambda model capped MemorySize at 10240; botocore's current Lambda model "
        "allows up to 32768, and asl takes the shape from botocore rather than a table of its own"),
    "test_test_state_scenarios__TestStateCaseScenarios__test_base_lambda_task_state_TRACE": (
        "AWS's Python Lambda runtime sends the bytes a handler returns unchanged as the payload "
        "(here the JSON text '\"HelloWorld!\"', so the result is 'HelloWorld!'); asl's "
        "Lambda service answers Runtime.MarshalError for bytes, as it does for any value that is "
        "not JSON"),
}

#: Request fields the API sends as JSON text (the cases hold them decoded).
_TEXT_FIELDS = (("input",), ("context",), ("variables",), ("mock", "result"),
                ("stateConfiguration", "mapItemReaderData"))


def _request(case: dict[str, Any]) -> dict[str, Any]:
    request = json.loads(json.dumps(case["request"]))
    verbatim = set(case["request"].get("verbatim_text_fields", ()))
    request.pop("verbatim_text_fields", None)
    for path in _TEXT_FIELDS:
        holder = request
        for key in path[:-1]:
            holder = holder.get(key) or {}
        if path[-1] in holder and ".".join(path) not in verbatim:
            holder[path[-1]] = json.dumps(holder[path[-1]])
    return request


def _handlers(case: dict[str, Any]) -> dict[str, Any]:
    handlers = {}
    for function in case.get("needs", {}).get("lambda_functions", ()):
        path = SHARED / function["handler_copy"]
        spec = importlib.util.spec_from_file_location(f"teststate_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        handler = getattr(module, function["handler"])
        handlers[function["arn"]] = handler
        handlers[function["name"]] = handler
    return handlers


def _drop(value: Any, path: str) -> None:
    """Remove what a `$.a.b[0].c` or `$..key` path selects from `value`, in place."""
    tokens = re.findall(r"\.\.[^.\[]+|\.[^.\[]+|\[\d+\]", path[1:])
    _drop_tokens(value, tokens)


def _drop_tokens(value: Any, tokens: list[str]) -> None:
    if not tokens:
        return
    token, rest = tokens[0], tokens[1:]
    if token.startswith(".."):  # the key at any depth, this level included
        children = _children(value)
        _drop_tokens(value, ["." + token[2:], *rest])
        for child in children:
            _drop_tokens(child, tokens)
        return
    if token.startswith("["):
        index = int(token[1:-1])
        if isinstance(value, list) and index < len(value):
            if rest:
                _drop_tokens(value[index], rest)
            else:
                value.pop(index)
        return
    key = token[1:]
    if isinstance(value, dict) and key in value:
        if rest:
            _drop_tokens(value[key], rest)
        else:
            del value[key]


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return []


def _answer(case: dict[str, Any]) -> dict[str, Any]:
    try:
        response = call(_request(case), handlers=_handlers(case))
    except TestStateError as error:
        return {"exception": {"code": error.code, "message": error.message}}
    result = TestStateResult(response)
    answer: dict[str, Any] = dict(response)
    if "output" in response:
        answer["output"] = result.output
    if "inspectionData" in response:
        answer["inspectionData"] = result.inspection_data
    return answer


def _params() -> list[Any]:
    params = []
    for path in CASES:
        marks = []
        reason = XFAIL.get(path.stem)
        if reason is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(path, marks=marks, id=path.stem.split("__", 2)[-1]))
    return params


@pytest.mark.skipif(not CASES, reason="../shared/teststate is not beside the project")
@pytest.mark.parametrize("path", _params())
def test_recorded_call(path: Path) -> None:
    case = json.loads(path.read_text())
    expect = json.loads(json.dumps(case["expect"]))
    exception = expect.get("exception")
    if exception is not None and exception.get("client_side"):
        pytest.skip("the AWS SDK refuses this request before sending it")
    answer = _answer(case)
    if exception is not None:
        exception.pop("http_status", None)
    for field in case.get("ignore_fields", ()):
        _drop(expect, field)
        _drop(answer, field)
    assert answer == expect
