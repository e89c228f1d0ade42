"""The per-attempt shortcuts of Task dispatch: JSON on the wire as Lambda's Python runtime
writes it, request ids, remembered lambda:invoke targets and lazily made context fields."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest

import asl
from asl._clock import VirtualClock
from asl._errors import StatesError
from asl._integrations.dispatch import invoke
from asl._integrations.lambda_ import from_wire, new_request_id, wire_json
from asl._integrations.resources import resolve

INVOKE = "arn:aws:states:::lambda:invoke"


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, None, True], "é": "漢字"}, "x\"\n", [], 0, {"nested": {"k": [{}]}},
])
def test_wire_json_is_json_dumps(value: Any) -> None:
    """wire_json writes exactly json.dumps(value, allow_nan=False), and from_wire reads it back."""
    text = wire_json(value)
    assert text == json.dumps(value, allow_nan=False)
    assert from_wire(text) == value


@pytest.mark.parametrize("value", [float("nan"), {"a": object()}, {1j: 2}])
def test_wire_json_rejects_what_lambda_cannot_send(value: Any) -> None:
    """Values json.dumps(allow_nan=False) rejects are rejected the same way."""
    with pytest.raises((TypeError, ValueError)):
        wire_json(value)


def test_request_ids_are_version_4_uuids_and_distinct() -> None:
    """Request ids look like Lambda's (random UUIDs) and do not repeat."""
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    for text in list(ids)[:50]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_seeded_request_ids_repeat() -> None:
    """The same seed gives the same request ids."""
    assert new_request_id(random.Random(7)) == new_request_id(random.Random(7))


def test_content_length_counts_the_escaped_ascii_body() -> None:
    """Content-Length is the size of the ASCII JSON body, non-ASCII characters escaped."""
    plan = resolve(INVOKE, {"fn": lambda event, context: "é"})
    out = invoke(plan, {"FunctionName": "fn"}, clock=VirtualClock(0), request_id="rid")
    assert out["Payload"] == "é"
    assert out["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == str(len('"\\u00e9"'))


def test_handler_mutating_its_event_leaves_the_state_data_alone() -> None:
    """A handler may mutate its event and keep it: the state's data and result are copies."""
    kept: list[Any] = []

    def mutate(event: Any, context: Any) -> Any:
        event["seen"] = True
        kept.append(event)
        return event

    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "m", "Payload.$": "$"},
        "OutputPath": "$.Payload", "End": True}}}
    data = {"n": 1}
    execution = asl.load(definition).run(data, handlers={"m": mutate}, clock=VirtualClock())
    kept[0]["later"] = True
    assert data == {"n": 1}
    assert execution.output == {"n": 1, "seen": True}


def test_a_function_found_once_is_found_again_and_a_missing_one_fails_each_time() -> None:
    """lambda:invoke targets are remembered per run; a missing function fails every attempt."""
    calls: list[str] = []
    plan = resolve(INVOKE, {"fn": lambda event, context: calls.append(context.function_name)})
    for _ in range(2):
        invoke(plan, {"FunctionName": "fn"}, clock=VirtualClock(0))
    assert calls == ["fn", "fn"]
    for _ in range(2):
        with pytest.raises(StatesError) as info:
            invoke(plan, {"FunctionName": "other"}, clock=VirtualClock(0), request_id="r")
        assert "Function not found" in str(info.value)


def test_context_log_names_are_lambdas() -> None:
    """The context's log group and stream names have Lambda's shape."""
    seen: dict[str, str] = {}

    def look(event: Any, context: Any) -> None:
        seen["group"] = context.log_group_name
        seen["stream"] = context.log_stream_name

    invoke(resolve(INVOKE, {"fn": look}), {"FunctionName": "fn"}, request_id="ab-cd")
    assert seen["group"] == "/aws/lambda/fn"
    assert seen["stream"].endswith("/[$LATEST]abcd") and seen["stream"].count("/") == 3


def _echo_task(output_path: str | None = "$.Payload") -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": INVOKE,
                             "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": True}
    if output_path is not None:
        state["OutputPath"] = output_path
    return {"StartAt": "T", "States": {"T": state}}


@pytest.mark.parametrize("size, fails", [(200_000, False), (300_000, True)])
def test_a_task_response_over_the_quota_fails_the_execution(size: int, fails: bool) -> None:
    """A handler's response is held to the 256 KiB quota like any state output."""
    machine = asl.load(_echo_task())
    execution = machine.run({}, handlers={"f": lambda event, context: "x" * size},
                            clock=VirtualClock())
    assert (execution.error == "States.DataLimitExceeded") is fails


def test_a_response_escaped_past_the_quota_on_the_wire_but_within_it_as_utf8_fits() -> None:
    """The quota counts UTF-8 bytes, not the escaped body Lambda sends: 60,000 'é' fit."""
    machine = asl.load(_echo_task())
    execution = machine.run({}, handlers={"f": lambda event, context: "é" * 60_000},
                            clock=VirtualClock())
    assert execution.status == "SUCCEEDED"
    assert execution.output == "é" * 60_000
