"""Virtual time everywhere: on a `VirtualClock`, Wait, back-off, task timeouts, heartbeats and
callback deadlines pass when the clock moves (`clock.advance`, or a Wait that runs ahead), never
in real time, also under `start()`."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import asl
from asl._clock import VirtualClock
from asl._errors import TaskTokenError

SQS = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
FN = "arn:aws:lambda:us-east-1:123456789012:function:work"
DAY = 86_400


class Approver:
    """Sends the approval request (an SQS message carrying the token) and remembers it."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.sent = threading.Event()

    def __call__(self, event: Any, context: Any) -> Any:
        self.token = event["MessageBody"]["token"]
        self.sent.set()
        return {"MessageId": "m-1"}


def approval_machine(**limits: Any) -> asl.StateMachine:
    return asl.load({"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": SQS, **limits,
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.late",
                           "Next": "Escalate"}],
                "Next": "Approved"},
        "Approved": {"Type": "Pass", "End": True},
        "Escalate": {"Type": "Pass", "Result": "escalated", "ResultPath": "$.outcome", "End": True},
    }})


def seconds_between(execution: asl.Execution, first: str, last: str) -> float:
    events = {e["type"]: e["timestamp"] for e in execution.history}
    return (events[last] - events[first]).total_seconds()


def test_the_approver_answers_after_the_24_hour_deadline():
    """The approver answers a day and a minute after the request: by then the 24-hour
    TimeoutSeconds has passed, so the answer is refused (TaskTimedOut) and the execution has
    escalated; no real time passed for the day."""
    clock = VirtualClock()
    approver = Approver()
    execution = approval_machine(TimeoutSeconds=DAY).start(
        {"order": 7}, handlers={SQS: approver}, clock=clock)
    assert approver.sent.wait(5)
    clock.advance(DAY)
    clock.advance(60)
    with pytest.raises(TaskTokenError) as refused:
        execution.send_task_success(approver.token, {"approved": True})
    assert refused.value.code == "TaskTimedOut"
    assert execution.wait(5)
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"order": 7, "late": {"Error": "States.Timeout"}, "outcome": "escalated"}
    assert seconds_between(execution, "TaskScheduled", "TaskTimedOut") == DAY


def test_the_approver_answers_within_the_deadline():
    """An answer a minute before the deadline is the task's result, a day later in the history."""
    clock = VirtualClock()
    approver = Approver()
    execution = approval_machine(TimeoutSeconds=DAY, HeartbeatSeconds=DAY - 1).start(
        {"order": 7}, handlers={SQS: approver}, clock=clock)
    assert approver.sent.wait(5)
    clock.advance(DAY - 60)
    assert not execution.wait(0.05)
    execution.send_task_success(approver.token, {"approved": True})
    assert execution.wait(5)
    assert execution.output == {"approved": True}
    assert seconds_between(execution, "TaskScheduled", "TaskSucceeded") == DAY - 60


def test_heartbeat_deadline_counts_from_the_last_beat():
    """HeartbeatSeconds of an hour: beats every 50 minutes keep the task alive; then an hour
    without one ends it with States.HeartbeatTimeout, an hour after the last beat."""
    clock = VirtualClock()
    approver = Approver()
    machine = asl.load({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": SQS, "HeartbeatSeconds": 3600, "End": True,
        "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}}}}})
    execution = machine.start({}, handlers={SQS: approver}, clock=clock)
    assert approver.sent.wait(5)
    for _ in range(3):
        clock.advance(3000)
        execution.send_task_heartbeat(approver.token)
    clock.advance(3599)
    assert not execution.wait(0.05)
    clock.advance(1)
    assert execution.wait(5)
    assert execution.error == "States.HeartbeatTimeout"
    assert seconds_between(execution, "TaskScheduled", "TaskTimedOut") == 3 * 3000 + 3600


def test_a_wait_elsewhere_moves_time_past_a_callback_deadline():
    """Time moved by a Wait state passes every deadline on the clock: while one execution waits
    a day for its approver, another on the same clock waits two days, and the first times out
    with nobody calling advance()."""
    clock = VirtualClock()
    approver = Approver()
    waiting = approval_machine(TimeoutSeconds=DAY).start({}, handlers={SQS: approver}, clock=clock)
    assert approver.sent.wait(5)
    sleeper = asl.load({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2 * DAY, "End": True}}})
    assert sleeper.run({}, clock=clock).status == "SUCCEEDED"
    assert waiting.wait(5)
    assert waiting.output == {"late": {"Error": "States.Timeout"}, "outcome": "escalated"}
    assert seconds_between(waiting, "TaskScheduled", "TaskTimedOut") == DAY


def test_execution_timeout_during_a_callback_is_virtual():
    """The machine's own TimeoutSeconds ends a waiting callback when the clock reaches it."""
    clock = VirtualClock()
    approver = Approver()
    machine = asl.load({"StartAt": "Ask", "TimeoutSeconds": 7 * DAY, "States": {"Ask": {
        "Type": "Task", "Resource": SQS, "End": True,
        "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}}}}})
    execution = machine.start({}, handlers={SQS: approver}, clock=clock)
    assert approver.sent.wait(5)
    clock.advance(7 * DAY)
    assert execution.wait(5)
    assert execution.status == "TIMED_OUT"
    assert execution.history_types[-1] == "ExecutionTimedOut"


def test_task_timeout_passes_when_the_handler_moves_the_clock():
    """A handler standing for a slow call moves the virtual clock itself: past TimeoutSeconds,
    the task times out and its late result is dropped."""
    clock = VirtualClock()

    def slow(event: Any, context: Any) -> Any:
        clock.advance(301)
        return "too late"

    machine = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": FN, "TimeoutSeconds": 300, "End": True}}})
    execution = machine.start({}, handlers={FN: slow}, clock=clock)
    assert execution.wait(5)
    assert execution.error == "States.Timeout"
    assert "LambdaFunctionTimedOut" in execution.history_types


def test_task_heartbeats_in_virtual_time():
    """A handler that beats between virtual minutes of work outlives HeartbeatSeconds; one
    that stops beating fails with States.HeartbeatTimeout."""
    clock = VirtualClock()

    def worker(beats: bool) -> Any:
        def handler(event: Any, context: Any) -> Any:
            for _ in range(5):
                clock.advance(50)
                if beats:
                    context.heartbeat()
            return "done"
        return handler

    machine = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
        "HeartbeatSeconds": 60, "TimeoutSeconds": 3600, "End": True}}})
    alive = machine.run({}, handlers={"arn:aws:states:::aws-sdk:s3:getObject": worker(True)}, clock=clock)
    assert (alive.status, alive.output) == ("SUCCEEDED", "done")
    silent = machine.run({}, handlers={"arn:aws:states:::aws-sdk:s3:getObject": worker(False)}, clock=clock)
    assert silent.error == "States.HeartbeatTimeout"


def test_waits_and_back_off_run_ahead_under_start():
    """Under start(), a week's Wait and an hour of back-off need nobody to move the clock."""
    calls: list[int] = []

    def flaky(event: Any, context: Any) -> Any:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("not yet")
        return "ok"

    machine = asl.load({"StartAt": "Week", "States": {
        "Week": {"Type": "Wait", "Seconds": 7 * DAY, "Next": "T"},
        "T": {"Type": "Task", "Resource": FN, "End": True,
              "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1200, "BackoffRate": 2}]}}})
    execution = machine.start({}, handlers={FN: flaky}, clock=VirtualClock())
    assert execution.wait(5)
    assert execution.output == "ok"
    assert seconds_between(execution, "ExecutionStarted", "ExecutionSucceeded") == 7 * DAY + 1200 + 2400


# -- the clock itself ----------------------------------------------------------------------------


def test_timers_fire_in_deadline_order_reading_their_deadline():
    clock = VirtualClock(100.0)
    seen: list[tuple[str, float]] = []
    clock.call_at(130, lambda: seen.append(("b", clock.now())))
    clock.call_at(110, lambda: seen.append(("a", clock.now())))
    cancelled = clock.call_at(120, lambda: seen.append(("x", clock.now())))
    cancelled.cancel()
    clock.advance(25)
    assert seen == [("a", 110.0)] and clock.now() == 125.0
    clock.sleep(10)
    assert seen == [("a", 110.0), ("b", 130.0)] and clock.now() == 135.0


def test_a_timer_already_due_fires_at_once():
    clock = VirtualClock(100.0)
    seen: list[float] = []
    clock.call_at(90, lambda: seen.append(clock.now()))
    assert seen == [100.0]


@pytest.mark.parametrize("bad", [-1, float("nan"), "5", True])
def test_advance_takes_seconds_that_move_forward(bad: Any):
    with pytest.raises(ValueError, match="advance"):
        VirtualClock().advance(bad)


def test_cancelled_timers_do_not_pile_up():
    """Waits that end before their deadline leave no timers behind for long."""
    clock = VirtualClock()
    for _ in range(5000):
        clock.call_at(clock.now() + 3600, lambda: None).cancel()
    assert len(clock._timers) < 1000
    fired: list[float] = []
    clock.call_at(clock.now() + 10, lambda: fired.append(clock.now()))
    clock.advance(10)
    assert fired == [clock.now()]


def test_unanswerable_callbacks_in_a_map_take_no_real_time():
    """In run(), a hundred callbacks nothing can answer each end at their deadline at once,
    without waiting (in real time) to see whether an answer comes."""
    machine = asl.load({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": SQS, "TimeoutSeconds": 60, "End": True,
            "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}},
            "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Late"}]},
            "Late": {"Type": "Pass", "Result": "late", "End": True}}}}}})
    execution = machine.run(list(range(100)), handlers={SQS: lambda e, c: None},
                            clock=VirtualClock(), executor=None)
    assert execution.output == ["late"] * 100
