"""Execution.stop (StopExecution): status ABORTED, error and cause as given, the history ending
with ExecutionAborted, and whatever was running (a Wait, a callback, Map iterations, Parallel
branches) cut."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import asl
from asl._errors import TaskTokenError

SQS = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
LONG = 600  # seconds of a real Wait that the tests never sit through


def long_wait() -> asl.StateMachine:
    return asl.load({"StartAt": "Sleep", "States": {
        "Sleep": {"Type": "Wait", "Seconds": LONG, "Next": "After"},
        "After": {"Type": "Pass", "End": True}}})


def entered(execution: asl.Execution, name: str, timeout: float = 5) -> None:
    """Block until the execution has entered the state `name` (read from its history)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(e.get("stateEnteredEventDetails", {}).get("name") == name for e in execution.history):
            return
        time.sleep(0.01)
    raise AssertionError(f"{name} was never entered: {execution.history_types}")


def test_stop_in_a_wait_ends_it_at_once_as_aws_records():
    """Stopped in a Wait (recorded against AWS): no event for the Wait's end, and an
    ExecutionAborted that points at no event, with empty details."""
    execution = long_wait().start({}, clock=asl.SystemClock())
    entered(execution, "Sleep")
    began = time.monotonic()
    execution.stop()
    assert execution.wait(5)
    assert time.monotonic() - began < 2
    assert (execution.status, execution.error, execution.cause) == ("ABORTED", None, None)
    assert execution.history_types == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    last = execution.history[-1]
    assert last["previousEventId"] == 0
    assert last["executionAbortedEventDetails"] == {}
    assert execution.stop_date is not None


def test_stop_with_error_and_cause():
    execution = long_wait().start({}, clock=asl.SystemClock())
    entered(execution, "Sleep")
    execution.stop(error="Operator", cause="stopped by hand")
    assert execution.wait(5)
    assert (execution.status, execution.error, execution.cause) == ("ABORTED", "Operator", "stopped by hand")
    assert execution.history[-1]["executionAbortedEventDetails"] == {
        "error": "Operator", "cause": "stopped by hand"}


@pytest.mark.parametrize("clock", [asl.VirtualClock, asl.SystemClock])
def test_stop_a_pending_callback_refuses_its_answer(clock: Any):
    """A callback waiting for its token is cut, on either clock; answering the token afterwards
    is refused."""
    sent = threading.Event()
    tokens: list[str] = []

    def handler(event: Any, context: Any) -> Any:
        tokens.append(context.task_token)
        sent.set()

    machine = asl.load({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": SQS, "End": True}}})
    execution = machine.start({}, handlers={SQS: handler}, clock=clock())
    assert sent.wait(5)
    execution.stop(cause="no longer needed")
    assert execution.wait(5)
    assert (execution.status, execution.cause) == ("ABORTED", "no longer needed")
    assert execution.history_types[-1] == "ExecutionAborted"
    assert "TaskSucceeded" not in execution.history_types
    with pytest.raises(TaskTokenError):
        execution.send_task_success(tokens[0], "too late")


def test_stop_cuts_map_iterations_in_flight():
    """Every running iteration is cut and no state after the stop runs."""
    machine = asl.load({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "Sleep", "States": {
            "Sleep": {"Type": "Wait", "Seconds": LONG, "Next": "After"},
            "After": {"Type": "Pass", "End": True}}}}}})
    execution = machine.start([1, 2, 3], clock=asl.SystemClock())
    end = time.monotonic() + 5
    while "MapStateStarted" not in execution.history_types and time.monotonic() < end:
        time.sleep(0.01)
    execution.stop(error="Stop")
    assert execution.wait(5)
    assert execution.status == "ABORTED"
    types = execution.history_types
    assert "PassStateEntered" not in types and "MapStateSucceeded" not in types
    assert types[-1] == "ExecutionAborted"


def test_stop_cuts_parallel_branches():
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "After", "Branches": [
        {"StartAt": f"S{i}", "States": {f"S{i}": {"Type": "Wait", "Seconds": LONG, "End": True}}}
        for i in range(2)]}, "After": {"Type": "Pass", "End": True}}})
    execution = machine.start({}, clock=asl.SystemClock())
    end = time.monotonic() + 5
    while "ParallelStateStarted" not in execution.history_types and time.monotonic() < end:
        time.sleep(0.01)
    execution.stop()
    assert execution.wait(5)
    assert execution.status == "ABORTED"
    assert "ParallelStateExited" not in execution.history_types
    assert "PassStateEntered" not in execution.history_types


def test_stopping_an_ended_execution_changes_nothing():
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    execution = machine.run({"a": 1}, clock=asl.VirtualClock())
    execution.stop(error="Late")
    assert (execution.status, execution.error, execution.output) == ("SUCCEEDED", None, {"a": 1})
    assert execution.history_types[-1] == "ExecutionSucceeded"


@pytest.mark.parametrize(("kwargs", "kind"), [
    ({"error": 3}, TypeError), ({"cause": b"x"}, TypeError),
    ({"error": "e" * 257}, ValueError), ({"cause": "c" * 32769}, ValueError)])
def test_stop_checks_error_and_cause(kwargs: dict[str, Any], kind: type):
    execution = long_wait().start({}, clock=asl.SystemClock())
    try:
        with pytest.raises(kind):
            execution.stop(**kwargs)
        assert execution.status == "RUNNING"
    finally:
        execution.stop()
        assert execution.wait(5)
