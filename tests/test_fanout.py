"""The fan-out engine: cutting the other branches or iterations when one fails, and the
`on_progress` hook."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import asl
from asl._errors import TaskFailed

FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def _task(name: str, fn: str, **extra: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": FN + fn, **extra}


def pause(event: Any, context: Any) -> Any:
    time.sleep(0.2)
    return event


PAUSE = {FN + "pause": pause}


def _events_after(execution: Any, event_type: str) -> list[dict[str, Any]]:
    events = execution.history
    at = next(i for i, e in enumerate(events) if e["type"] == event_type)
    return events[at:]


# -- cutting ------------------------------------------------------------------------------------


def test_parallel_branch_in_a_long_handler_is_not_awaited_beyond_its_task() -> None:
    """A sibling's failure stops a branch after its running Task: its later states never run."""
    started = threading.Event()
    calls: list[str] = []

    def gate(event: Any, context: Any) -> Any:
        started.wait(5)
        raise TaskFailed("Boom", "gate failed")

    def slow(event: Any, context: Any) -> Any:
        started.set()
        time.sleep(0.3)
        calls.append("slow")
        return {}

    def never(event: Any, context: Any) -> Any:
        calls.append("never")
        time.sleep(5)
        return {}

    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Gate", "States": {"Gate": _task("Gate", "gate", End=True)}},
        {"StartAt": "Slow", "States": {"Slow": _task("Slow", "slow", Next="After"),
                                       "After": {"Type": "Pass", "Next": "Never"},
                                       "Never": _task("Never", "never", End=True)}}]}}})
    begun = time.monotonic()
    execution = machine.run({}, handlers={FN + "gate": gate, FN + "slow": slow, FN + "never": never})
    assert time.monotonic() - begun < 3
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "Boom", "gate failed")
    assert calls == ["slow"]
    names = [e["stateEnteredEventDetails"]["name"] for e in execution.history
             if e["type"].endswith("StateEntered")]
    assert "After" not in names and "Never" not in names


def test_parallel_wait_on_the_real_clock_is_cut_at_once() -> None:
    """A branch in a long Wait ends at once, recorded as WaitStateAborted after the failure."""
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 60, "End": True}}},
        {"StartAt": "Pause", "States": {"Pause": _task("Pause", "pause", Next="Boom"),
                                        "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}}]}}})
    begun = time.monotonic()
    execution = machine.run({}, handlers=PAUSE)
    assert time.monotonic() - begun < 5
    assert execution.error == "Boom"
    tail = _events_after(execution, "FailStateEntered")
    assert [e["type"] for e in tail] == [
        "FailStateEntered", "WaitStateAborted", "ParallelStateFailed", "ExecutionFailed"]
    assert tail[1]["previousEventId"] == tail[0]["id"] == tail[2]["previousEventId"]


def test_map_iteration_cut_is_recorded_as_aws_records_it() -> None:
    """A failing iteration cuts the others: MapIterationAborted and the state it was in, chained
    to the failing iteration's last event, before MapIterationFailed and MapStateFailed."""
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemsPath": "$.items", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Route", "States": {
                "Route": {"Type": "Choice", "Default": "Long", "Choices": [
                    {"Variable": "$.kind", "StringEquals": "fail", "Next": "Pause"}]},
                "Long": {"Type": "Wait", "Seconds": 60, "End": True},
                "Pause": _task("Pause", "pause", Next="Boom"),
                "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "sibling failed"}}}}}})
    begun = time.monotonic()
    execution = machine.run({"items": [{"kind": "long"}, {"kind": "fail"}]}, handlers=PAUSE)
    assert time.monotonic() - begun < 5
    assert execution.error == "Boom"
    tail = _events_after(execution, "FailStateEntered")
    assert [e["type"] for e in tail] == [
        "FailStateEntered", "MapIterationAborted", "WaitStateAborted", "MapIterationFailed",
        "MapStateFailed", "ExecutionFailed"]
    assert all(e["previousEventId"] == tail[0]["id"] for e in tail[1:5])
    assert tail[1]["mapIterationAbortedEventDetails"] == {"index": 0, "name": "M"}
    assert tail[3]["mapIterationFailedEventDetails"] == {"index": 1, "name": "M"}


def test_cut_inside_a_nested_parallel_aborts_the_outer_state() -> None:
    """A branch cut while its nested Parallel waits is recorded as ParallelStateAborted."""
    inner = {"StartAt": "In", "States": {"In": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 60, "End": True}}}]}}}
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        inner, {"StartAt": "Pause", "States": {"Pause": _task("Pause", "pause", Next="Boom"),
                                               "Boom": {"Type": "Fail", "Error": "Boom"}}}]}}})
    begun = time.monotonic()
    execution = machine.run({}, handlers=PAUSE)
    assert time.monotonic() - begun < 5
    assert execution.error == "Boom"
    assert execution.history_types[-3:] == ["ParallelStateAborted", "ParallelStateFailed", "ExecutionFailed"]


def test_tolerated_failures_do_not_cut() -> None:
    """Failures within the tolerated count leave the other iterations running to their end."""
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ToleratedFailureCount": 1, "ItemProcessor": {
            "StartAt": "Route", "States": {
                "Route": {"Type": "Choice", "Default": "Long", "Choices": [
                    {"Variable": "$", "NumericEquals": 1, "Next": "Boom"}]},
                "Long": _task("Long", "pause", End=True),
                "Boom": {"Type": "Fail", "Error": "Boom"}}}}}})
    execution = machine.run([0, 1, 2], handlers=PAUSE)
    assert execution.status == "SUCCEEDED"
    assert execution.output == [0, {"Error": "Boom", "Cause": None}, 2]
    assert "MapIterationAborted" not in execution.history_types


def test_distributed_children_are_aborted_when_the_map_run_fails() -> None:
    """Running child executions stop (ABORTED) once the Map Run fails; they are not failures."""
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Route", "States": {
                "Route": {"Type": "Choice", "Default": "Long", "Choices": [
                    {"Variable": "$", "NumericEquals": 1, "Next": "Pause"}]},
                "Long": {"Type": "Wait", "Seconds": 60, "End": True},
                "Pause": _task("Pause", "pause", Next="Boom"),
                "Boom": {"Type": "Fail", "Error": "Boom"}}}}}})
    begun = time.monotonic()
    execution = machine.run([0, 1], handlers=PAUSE)
    assert time.monotonic() - begun < 5
    assert execution.error == "States.ExceedToleratedFailureThreshold"
    (map_run,) = execution.map_runs
    counts = map_run.execution_counts
    assert (counts["failed"], counts["aborted"]) == (1, 1)
    aborted = map_run.children[0]
    assert aborted.status == "ABORTED" and aborted.history[-1]["type"] == "ExecutionAborted"


def test_sequential_map_stops_at_the_failure() -> None:
    """Without threads nothing runs beside the failing iteration: later ones never start."""
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Default": "Ok", "Choices": [
                {"Variable": "$", "NumericEquals": 1, "Next": "Boom"}]},
            "Ok": {"Type": "Pass", "End": True},
            "Boom": {"Type": "Fail", "Error": "Boom"}}}}}})
    execution = machine.run([0, 1, 2], clock=asl.VirtualClock())
    assert execution.history_types.count("MapIterationStarted") == 2
    assert "MapIterationAborted" not in execution.history_types


# -- progress -----------------------------------------------------------------------------------


def _recorder() -> tuple[list[tuple[str, int, int, int]], Any]:
    calls: list[tuple[str, int, int, int]] = []

    def hook(state_name: str, done: int, total: int, failed: int) -> None:
        calls.append((state_name, done, total, failed))

    return calls, hook


def test_progress_hook_starts_and_ends_with_the_counts() -> None:
    """on_progress is called at the start (0 done) and at the end (all done), with failures."""
    calls, hook = _recorder()
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ToleratedFailurePercentage": 50, "ItemProcessor": {
            "StartAt": "C", "States": {
                "C": {"Type": "Choice", "Default": "Ok", "Choices": [
                    {"Variable": "$", "NumericLessThan": 10, "Next": "Boom"}]},
                "Ok": {"Type": "Pass", "End": True},
                "Boom": {"Type": "Fail", "Error": "Boom"}}}}}})
    execution = machine.run(list(range(250)), clock=asl.VirtualClock(), on_progress=hook)
    assert execution.status == "SUCCEEDED"
    assert calls[0] == ("M", 0, 250, 0)
    assert calls[-1] == ("M", 250, 250, 10)


def test_progress_hook_is_throttled() -> None:
    """Calls come at most about ten times a second, with `done` never going back."""
    calls, hook = _recorder()

    def slow(event: Any, context: Any) -> Any:
        time.sleep(0.004)
        return event

    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "MaxConcurrency": 4, "ItemProcessor": {
            "StartAt": "T", "States": {"T": _task("T", "slow", End=True)}}}}})
    begun = time.monotonic()
    execution = machine.run(list(range(300)), handlers={FN + "slow": slow}, on_progress=hook)
    elapsed = time.monotonic() - begun
    assert execution.status == "SUCCEEDED"
    assert len(calls) <= elapsed * 10 + 3
    done = [call[1] for call in calls]
    assert done == sorted(done) and done[-1] == 300


def test_progress_hook_reports_a_map_that_stops_early() -> None:
    """A Map that fails before its end still gets a last call with the counts reached."""
    calls, hook = _recorder()
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Default": "Ok", "Choices": [
                {"Variable": "$", "NumericEquals": 5, "Next": "Boom"}]},
            "Ok": {"Type": "Pass", "End": True},
            "Boom": {"Type": "Fail", "Error": "Boom"}}}}}})
    execution = machine.run(list(range(200)), clock=asl.VirtualClock(), on_progress=hook)
    assert execution.status == "FAILED"
    assert calls[-1] == ("M", 6, 200, 1)


@pytest.mark.parametrize("mode", ["INLINE", "DISTRIBUTED"])
def test_progress_hook_for_both_map_modes(mode: str) -> None:
    """Inline and distributed Maps both report through on_progress."""
    calls, hook = _recorder()
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": mode, "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}})
    execution = machine.run(list(range(120)), clock=asl.VirtualClock(), on_progress=hook,
                            child_history=False)
    assert execution.status == "SUCCEEDED"
    assert calls[0] == ("M", 0, 120, 0) and calls[-1] == ("M", 120, 120, 0)


def test_parallel_does_not_report_progress() -> None:
    """Only Maps report; a Parallel's few branches do not call the hook."""
    calls, hook = _recorder()
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}]}}})
    machine.run({}, clock=asl.VirtualClock(), on_progress=hook)
    assert calls == []


def test_threshold_cause_is_worded_as_aws_words_it() -> None:
    """Passing the tolerated failures fails with AWS's error name and cause (no final period)."""
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ToleratedFailureCount": 0, "ItemProcessor": {
            "StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}}}})
    execution = machine.run([1], clock=asl.VirtualClock())
    assert (execution.error, execution.cause) == (
        "States.ExceedToleratedFailureThreshold", "The specified tolerated failure threshold was exceeded")
