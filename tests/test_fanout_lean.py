"""Fan-out details that save time and memory without changing what a run shows: the Map.Item
context only where read, JSONata fields on the run's clock, and large results encoded in slices."""

from __future__ import annotations

import json
from typing import Any

import pytest

import asl
from asl._clock import VirtualClock
from asl._json import to_json
from asl._runtime.history import lean_json

_START = 1_700_000_000.0
_NOW = "2023-11-14T22:13:20.000Z"  # _START as $now() writes it


@pytest.mark.parametrize("value", [
    [], {}, [[]] * 600, {"a": [{}] * 700, "b": {str(i): i for i in range(600)}},
    {str(i): [i] for i in range(300)}, [1] * 257, {"é": ["\u2028", "x"] * 500}, {"": None},
    {1: [2] * 300}, {"x": [float("nan")] * 300}, "text", 1.5, None,
])
def test_lean_json_writes_what_to_json_writes(value: Any) -> None:
    """lean_json's text is to_json's, whatever the sizes and keys."""
    assert lean_json(value) == to_json(value)


def _map(processor_state: dict[str, Any]) -> Any:
    return asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.xs", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                          "States": {"P": {**processor_state, "End": True}}}}}})


def test_iterations_that_read_the_context_still_see_their_item() -> None:
    """A processor state reading $$ sees the iteration's Map.Item."""
    machine = _map({"Type": "Pass", "Parameters": {"i.$": "$$.Map.Item.Index",
                                                    "v.$": "$$.Map.Item.Value"}})
    execution = machine.run({"xs": ["a", "b"]}, clock=VirtualClock())
    assert execution.output == [{"i": 0, "v": "a"}, {"i": 1, "v": "b"}]


def test_iterations_that_never_read_the_context_run_as_before() -> None:
    """Without $$ in the processor, iterations give the same outputs and history."""
    machine = _map({"Type": "Pass", "Parameters": {"v.$": "$"}})
    execution = machine.run({"xs": [1, 2, 3]}, clock=VirtualClock())
    assert execution.output == [{"v": 1}, {"v": 2}, {"v": 3}]
    assert execution.history_types.count("MapIterationSucceeded") == 3


def test_jsonata_fan_out_fields_read_the_run_clock() -> None:
    """$now() in a Map's Items and ItemSelector and a Parallel's Arguments is the run's clock."""
    machine = asl.load({"QueryLanguage": "JSONata", "StartAt": "M", "States": {
        "M": {"Type": "Map", "Items": "{% [$now()] %}", "ItemSelector": {"at": "{% $now() %}"},
              "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
              "Next": "B"},
        "B": {"Type": "Parallel", "Arguments": {"at": "{% $now() %}"}, "End": True,
              "Branches": [{"StartAt": "Q", "States": {"Q": {"Type": "Pass", "End": True}}}]}}})
    execution = machine.run({}, clock=VirtualClock(_START))
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [{"at": _NOW}]
    map_exit = next(e for e in execution.history if e["type"] == "MapStateExited")
    assert json.loads(map_exit["stateExitedEventDetails"]["output"]) == [{"at": _NOW}]


def test_a_large_map_result_is_recorded_and_checked() -> None:
    """A Map's many results are recorded as their exact text; over the quota they still fail."""
    machine = _map({"Type": "Pass", "Parameters": {"v.$": "$"}})
    execution = machine.run({"xs": list(range(1000))}, clock=VirtualClock())
    exited = next(e for e in execution.history if e["type"] == "MapStateExited")
    assert exited["stateExitedEventDetails"]["output"] == to_json(execution.output)
    doubling = _map({"Type": "Pass", "Parameters": {"v.$": "$", "w.$": "$"}})
    big = doubling.run({"xs": ["x" * 200] * 1000}, clock=VirtualClock())  # input within quota
    assert big.status == "FAILED" and big.error == "States.DataLimitExceeded"
    assert "'M'" in (big.cause or "")
