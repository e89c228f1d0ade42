"""The `on_event` run option: each history event, AWS-shaped and with its final id, handed to a
listener as it enters the history."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import asl

WAIT_BRANCH = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}
MACHINE = {
    "StartAt": "Fan",
    "States": {
        "Fan": {"Type": "Parallel", "Next": "Each",
                "Branches": [WAIT_BRANCH, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "Next": "Boom",
                 "ItemProcessor": {"StartAt": "Double", "States": {
                     "Double": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double", "End": True}}}},
        "Boom": {"Type": "Fail", "Error": "Oops", "Cause": "on purpose"},
    },
}


def _run(definition: dict[str, Any], data: Any, **options: Any) -> tuple[Any, list[dict[str, Any]]]:
    heard: list[dict[str, Any]] = []
    execution = asl.load(definition).run(
        data, handlers={"double": lambda event, context: event * 2}, clock=asl.VirtualClock(),
        on_event=heard.append, **options)
    return execution, heard


def test_the_listener_hears_the_whole_history_in_order() -> None:
    """Parallel branches, Map iterations, a task and a failure: the listener hears exactly the
    events `execution.history` holds, ids and all, in the same order."""
    execution, heard = _run(MACHINE, {"items": [1, 2, 3]})
    assert execution.status == "FAILED"
    assert heard == execution.history
    assert [event["id"] for event in heard] == list(range(1, len(heard) + 1))
    assert heard[-1]["type"] == "ExecutionFailed"


def test_events_arrive_while_the_execution_runs() -> None:
    """By the time a Task's handler runs, the listener has heard the events before it: the
    task's entry, its scheduling and its start, not yet its end."""
    heard: list[str] = []
    seen_by_handler: list[str] = []

    def handler(event: Any, context: Any) -> Any:
        seen_by_handler.extend(heard)
        return event

    machine = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": True}}})
    execution = machine.run({}, handlers={"f": handler}, clock=asl.VirtualClock(),
                            on_event=lambda event: heard.append(event["type"]))
    assert execution.status == "SUCCEEDED"
    assert seen_by_handler == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                               "LambdaFunctionStarted"]
    assert heard == execution.history_types


def test_a_started_execution_streams_from_its_own_thread() -> None:
    """Under `start()`, the listener is called from the execution's thread."""
    threads: set[str] = set()
    machine = asl.load({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    execution = machine.start({}, clock=asl.VirtualClock(),
                              on_event=lambda event: threads.add(threading.current_thread().name))
    assert execution.wait(5)
    assert threading.current_thread().name not in threads and len(threads) == 1


def test_a_listener_that_raises_is_dropped_with_a_warning() -> None:
    """The run goes on without it; a RuntimeWarning names the exception."""
    calls: list[str] = []

    def listen(event: dict[str, Any]) -> None:
        calls.append(event["type"])
        raise BrokenPipeError("reader went away")

    machine = asl.load({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    with pytest.warns(RuntimeWarning, match="on_event raised BrokenPipeError: reader went away"):
        execution = machine.run({}, clock=asl.VirtualClock(), on_event=listen)
    assert execution.status == "SUCCEEDED"
    assert calls == ["ExecutionStarted"]


def test_a_listener_must_be_callable() -> None:
    machine = asl.load({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    with pytest.raises(TypeError, match="on_event must be callable"):
        machine.run({}, on_event="events.jsonl")  # type: ignore[arg-type]


def test_distributed_map_children_are_not_heard(tmp_path: Path) -> None:
    """A distributed Map's child executions have histories of their own: the parent's listener
    hears the parent's events only."""
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
    execution, heard = _run(definition, [1, 2], s3_root=str(tmp_path))
    assert execution.status == "SUCCEEDED"
    assert heard == execution.history
    assert [e["type"] for e in heard].count("ExecutionStarted") == 1
