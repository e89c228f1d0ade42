"""Inline Map: items, ItemSelector, concurrency, tolerated failures, errors and history shape."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import asl
from clocks import PeakClock


def _map(**fields: Any) -> dict[str, Any]:
    processor = fields.pop("processor", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": processor,
                                             **fields}}}


FAIL_ON_NEGATIVE = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "F"}],
          "Default": "OK"},
    "F": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
    "OK": {"Type": "Pass", "End": True}}}


def _run(definition: dict[str, Any], data: Any, **options: Any) -> Any:
    return asl.load(definition).run(data, clock=asl.VirtualClock(), **options)


def test_results_in_item_order() -> None:
    """The result holds each iteration's output at its item's index."""
    assert _run(_map(), [3, 1, 2]).output == [3, 1, 2]


def test_items_path_and_item_selector_with_context() -> None:
    """ItemsPath picks the array; ItemSelector sees $$.Map.Item.Index and Value."""
    definition = _map(ItemsPath="$.xs", ItemSelector={"i.$": "$$.Map.Item.Index",
                                                      "v.$": "$$.Map.Item.Value", "k.$": "$.k"})
    assert _run(definition, {"xs": ["a", "b"], "k": 0}).output == [
        {"i": 0, "v": "a", "k": 0}, {"i": 1, "v": "b", "k": 0}]


def test_not_an_array_is_a_runtime_error() -> None:
    """A non-array ItemsPath value fails the execution with States.Runtime in AWS's words."""
    execution = _run(_map(ItemsPath="$.xs"), {"xs": {"a": 1}})
    assert execution.error == "States.Runtime"
    assert execution.cause.endswith("Map state input must be an array but was: object")


def test_history_shape() -> None:
    """Iteration events chain; MapIterationSucceeded does not move the lane until the end."""
    execution = _run(_map(), [1, 2])
    shape = [(e["id"], e["previousEventId"], e["type"]) for e in execution.history]
    assert shape == [
        (1, 0, "ExecutionStarted"), (2, 0, "MapStateEntered"), (3, 2, "MapStateStarted"),
        (4, 3, "MapIterationStarted"), (5, 4, "PassStateEntered"), (6, 5, "PassStateExited"),
        (7, 6, "MapIterationSucceeded"), (8, 6, "MapIterationStarted"), (9, 8, "PassStateEntered"),
        (10, 9, "PassStateExited"), (11, 10, "MapIterationSucceeded"), (12, 11, "MapStateSucceeded"),
        (13, 11, "MapStateExited"), (14, 13, "ExecutionSucceeded")]


def test_failing_iteration_fails_with_its_error() -> None:
    """Without tolerance, the first failing iteration's error and cause fail the Map."""
    execution = _run(_map(processor=FAIL_ON_NEGATIVE), [1, -1, 2])
    assert (execution.error, execution.cause) == ("Negative", "below zero")
    assert "MapIterationFailed" in execution.history_types


@pytest.mark.parametrize(("count", "status"), [(1, "FAILED"), (2, "SUCCEEDED")])
def test_tolerated_failure_count_boundary(count: int, status: str) -> None:
    """Two failures pass with ToleratedFailureCount 2 and fail the Map with 1."""
    execution = _run(_map(processor=FAIL_ON_NEGATIVE, ToleratedFailureCount=count), [-1, 1, -2, 3])
    assert execution.status == status
    if status == "FAILED":
        assert execution.error == "States.ExceedToleratedFailureThreshold"
    else:
        assert execution.output[1] == 1 and execution.output[0]["Error"] == "Negative"


@pytest.mark.parametrize(("percentage", "status"), [(49, "FAILED"), (50, "SUCCEEDED")])
def test_tolerated_failure_percentage_boundary(percentage: float, status: str) -> None:
    """Half the items failing passes at 50 percent and fails at 49."""
    execution = _run(_map(processor=FAIL_ON_NEGATIVE, ToleratedFailurePercentage=percentage),
                     [-1, 1, -2, 3])
    assert execution.status == status


def test_tolerated_count_path_rejects_non_numbers() -> None:
    """ToleratedFailureCountPath naming a non-integer is States.Runtime in AWS's words."""
    execution = _run(_map(ToleratedFailureCountPath="$.n", ItemsPath="$.xs"), {"xs": [1], "n": "x"})
    assert execution.error == "States.Runtime"
    assert execution.cause.endswith('refers to value "x" which is not a valid integer: $.n')


def test_catch_and_retry_on_map() -> None:
    """Retry re-runs the whole Map (MapStateStarted again); Catch then handles the error."""
    definition = _map(processor=FAIL_ON_NEGATIVE,
                      Retry=[{"ErrorEquals": ["Negative"], "MaxAttempts": 1}],
                      Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}])
    definition["States"]["M"].pop("End")
    definition["States"]["M"]["Next"] = "Done"
    definition["States"]["Done"] = {"Type": "Pass", "End": True}
    execution = _run(definition, [-1])
    assert execution.output == {"Error": "Negative", "Cause": "below zero"}
    assert execution.history_types.count("MapStateStarted") == 2


def test_jsonata_items_and_selector() -> None:
    """JSONata Items and ItemSelector read $states.input and $states.context.Map.Item."""
    definition = _map(QueryLanguage="JSONata", Items="{% $states.input.xs %}",
                      ItemSelector={"v": "{% $states.context.Map.Item.Value * 10 %}"})
    assert _run(definition, {"xs": [1, 2]}).output == [{"v": 10}, {"v": 20}]


WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}


@pytest.mark.parametrize("limit", [1, 3])
def test_max_concurrency_is_honoured(limit: int) -> None:
    """No more than MaxConcurrency iterations wait at once, and at least that many do."""
    clock = PeakClock()
    execution = asl.load(_map(processor=WAIT, MaxConcurrency=limit)).run(list(range(9)), clock=clock)
    assert execution.status == "SUCCEEDED"
    assert clock.peak == limit


def test_max_concurrency_path() -> None:
    """MaxConcurrencyPath reads the limit from the input."""
    clock = PeakClock()
    definition = _map(processor=WAIT, MaxConcurrencyPath="$.n", ItemsPath="$.xs")
    execution = asl.load(definition).run({"n": 2, "xs": list(range(6))}, clock=clock)
    assert execution.status == "SUCCEEDED" and clock.peak == 2


def test_concurrent_history_is_in_index_order() -> None:
    """Iterations that run concurrently are still recorded in index order."""
    execution = asl.load(_map(processor=WAIT)).run(list(range(5)), clock=PeakClock())
    started = [e["mapIterationStartedEventDetails"]["index"] for e in execution.history
               if e["type"] == "MapIterationStarted"]
    assert started == [0, 1, 2, 3, 4]
    ids = [e["id"] for e in execution.history]
    assert ids == list(range(1, len(ids) + 1))


def test_handlers_run_concurrently() -> None:
    """Task handlers in iterations run concurrently up to MaxConcurrency."""
    running = peak = 0
    lock = threading.Lock()

    def handler(event: Any, context: Any = None) -> Any:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.03)
        with lock:
            running -= 1
        return event * 2

    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double", "End": True}}}
    execution = asl.load(_map(processor=processor, MaxConcurrency=4)).run(
        list(range(8)), clock=asl.VirtualClock(),
        handlers={"arn:aws:lambda:us-east-1:123456789012:function:double": handler})
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output == [i * 2 for i in range(8)]
    assert peak == 4


def test_input_is_not_mutated() -> None:
    """Running a Map never changes the caller's input."""
    data = {"xs": [{"a": 1}], "k": [1]}
    _run(_map(ItemsPath="$.xs", ItemSelector={"k.$": "$.k"}, ResultPath="$.out"), data)
    assert data == {"xs": [{"a": 1}], "k": [1]}
