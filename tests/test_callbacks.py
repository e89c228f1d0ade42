"""The callback pattern (`.waitForTaskToken`): answers from other threads, from the handler, by
heartbeat, and what a run does when nothing can ever answer."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import asl
from asl._errors import TaskTokenError

SQS = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


def callback_machine(**fields: Any) -> asl.StateMachine:
    task = {
        "Type": "Task", "Resource": SQS,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token", "in.$": "$"}},
        "End": True, **fields,
    }
    return asl.load({"StartAt": "Wait", "States": {"Wait": task}})


class Recorder:
    """A handler that records the message it was sent and answers like SQS."""

    def __init__(self) -> None:
        self.message: Any = None
        self.sent = threading.Event()

    def __call__(self, event: Any, context: Any) -> Any:
        self.message = event["MessageBody"]
        self.sent.set()
        return {"MessageId": "m-1"}


def started(machine: asl.StateMachine, handler: Any, input: Any = None, **options: Any) -> Any:
    execution = machine.start(input or {"n": 1}, handlers={SQS: handler},
                              clock=asl.VirtualClock(), **options)
    assert handler.sent.wait(5), "the handler was never called"
    return execution


def test_send_task_success_from_another_thread():
    """A test thread answers with send_task_success; the output becomes the task result."""
    handler = Recorder()
    execution = started(callback_machine(), handler)
    token = handler.message["token"]
    threading.Thread(target=execution.send_task_success, args=(token, {"done": True})).start()
    assert execution.wait(5)
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"done": True}
    assert handler.message["in"] == {"n": 1}


def test_callback_history_has_task_submitted():
    """AWS writes TaskScheduled, TaskStarted, TaskSubmitted (the service's response), then
    TaskSucceeded with the token's output."""
    handler = Recorder()
    execution = started(callback_machine(), handler)
    execution.send_task_success(handler.message["token"], "answer")
    assert execution.wait(5)
    types = execution.history_types
    assert types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted = execution.history[4]["taskSubmittedEventDetails"]
    assert submitted["resource"] == "sendMessage.waitForTaskToken"
    assert submitted["resourceType"] == "sqs"
    assert submitted["output"] == '{"MessageId":"m-1"}'
    assert execution.history[5]["taskSucceededEventDetails"]["output"] == '"answer"'


def test_send_task_failure_fails_the_task_with_exact_names():
    """send_task_failure fails the task with the given error and cause, catchable as usual."""
    handler = Recorder()
    execution = started(callback_machine(), handler)
    execution.send_task_failure(handler.message["token"], "Order.Rejected", "out of stock")
    assert execution.wait(5)
    assert (execution.status, execution.error, execution.cause) == (
        "FAILED", "Order.Rejected", "out of stock")
    assert "TaskFailed" in execution.history_types


def test_send_task_failure_is_caught():
    """A Catcher sees a callback failure like any task failure."""
    machine = asl.load({"StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": SQS,
                 "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}},
                 "Catch": [{"ErrorEquals": ["Order.Rejected"], "Next": "Done"}], "End": True},
        "Done": {"Type": "Pass", "End": True}}})
    handler = Recorder()
    execution = started(machine, handler)
    execution.send_task_failure(handler.message["token"], "Order.Rejected", "no")
    assert execution.wait(5)
    assert execution.output == {"Error": "Order.Rejected", "Cause": "no"}


def test_answer_from_a_thread_the_handler_starts_in_run():
    """In a synchronous run() the handler's own thread answers through its context."""
    def handler(event, context):
        def later():
            time.sleep(0.05)
            context.send_task_success({"from": "worker", "token": event["MessageBody"]["token"]})

        threading.Thread(target=later).start()
        return {"MessageId": "m"}

    execution = callback_machine().run({}, handlers={SQS: handler}, clock=asl.VirtualClock())
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output["from"] == "worker"


def test_answer_from_inside_the_handler():
    """A handler may answer its own token before it returns (context.send_task_failure)."""
    def handler(event, context):
        context.send_task_failure("Nope", "said no at once")

    execution = callback_machine().run({}, handlers={SQS: handler}, clock=asl.VirtualClock())
    assert (execution.error, execution.cause) == ("Nope", "said no at once")


def test_answer_through_the_execution_from_the_handler_thread():
    """With start(), a thread the handler starts can answer through the Execution as well."""
    holder: dict[str, Any] = {}
    ready = threading.Event()

    def handler(event, context):
        token = context.task_token

        def later():
            ready.wait(5)
            holder["execution"].send_task_success(token, "via execution")

        threading.Thread(target=later).start()

    holder["execution"] = callback_machine().start({}, handlers={SQS: handler},
                                                   clock=asl.VirtualClock())
    ready.set()
    assert holder["execution"].wait(5)
    assert holder["execution"].output == "via execution"


def test_heartbeats_keep_a_callback_alive():
    """send_task_heartbeat resets HeartbeatSeconds: beats every 45 virtual seconds keep a 60 s
    heartbeat alive for five minutes, then the answer arrives."""
    handler = Recorder()
    clock = asl.VirtualClock()
    execution = started_on(clock, callback_machine(HeartbeatSeconds=60), handler)
    token = handler.message["token"]
    for _ in range(7):
        clock.advance(45)
        execution.send_task_heartbeat(token)
    assert not execution.wait(0.05)
    execution.send_task_success(token, "alive")
    assert execution.wait(5)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)


def started_on(clock: Any, machine: asl.StateMachine, handler: Any) -> Any:
    execution = machine.start({"n": 1}, handlers={SQS: handler}, clock=clock)
    assert handler.sent.wait(5), "the handler was never called"
    return execution


def test_missing_heartbeat_times_out_the_callback():
    """Without heartbeats, HeartbeatSeconds ends the wait with States.HeartbeatTimeout once the
    virtual clock passes it (and not before)."""
    handler = Recorder()
    clock = asl.VirtualClock()
    execution = started_on(clock, callback_machine(HeartbeatSeconds=60), handler)
    clock.advance(59)
    assert not execution.wait(0.05)
    clock.advance(1)
    assert execution.wait(5)
    assert (execution.status, execution.error) == ("FAILED", "States.HeartbeatTimeout")
    assert execution.history_types[-2] == "TaskTimedOut"
    details = execution.history[-2]["taskTimedOutEventDetails"]
    assert details["error"] == "States.HeartbeatTimeout"
    assert details["resourceType"] == "sqs"
    elapsed = execution.history[-1]["timestamp"] - execution.history[0]["timestamp"]
    assert elapsed.total_seconds() == 60


def test_timeout_seconds_bounds_the_callback():
    """TimeoutSeconds ends an unanswered callback with States.Timeout when the virtual clock
    reaches it."""
    handler = Recorder()
    clock = asl.VirtualClock()
    execution = started_on(clock, callback_machine(TimeoutSeconds=3600), handler)
    clock.advance(3600)
    assert execution.wait(5)
    assert (execution.status, execution.error) == ("FAILED", "States.Timeout")


def test_timeout_seconds_bounds_the_callback_in_real_time():
    """On the system clock, the same limit is real time."""
    handler = Recorder()
    began = time.monotonic()
    execution = started_on(asl.SystemClock(), callback_machine(TimeoutSeconds=1), handler)
    assert execution.wait(5)
    assert time.monotonic() - began < 3
    assert (execution.status, execution.error) == ("FAILED", "States.Timeout")


def test_late_answer_is_rejected():
    """Answering a token whose task has ended raises TaskTokenError (TaskTimedOut), even before
    the execution's thread has noticed the deadline."""
    handler = Recorder()
    clock = asl.VirtualClock()
    execution = started_on(clock, callback_machine(TimeoutSeconds=1), handler)
    clock.advance(1)
    with pytest.raises(TaskTokenError) as info:
        execution.send_task_success(handler.message["token"], "late")
    assert info.value.code == "TaskTimedOut"
    assert execution.wait(5)
    assert execution.error == "States.Timeout"


def test_unknown_token_is_rejected():
    """A token no task was given raises TaskTokenError (TaskDoesNotExist)."""
    handler = Recorder()
    execution = started(callback_machine(), handler)
    with pytest.raises(TaskTokenError) as info:
        execution.send_task_success("not-a-token", {})
    assert info.value.code == "TaskDoesNotExist"
    execution.send_task_success(handler.message["token"], {})
    assert execution.wait(5)


def test_second_answer_is_rejected():
    """Only the first answer counts; a second one for the same token raises."""
    tokens: list[str] = []

    def handler(event, context):
        context.send_task_success(1)
        tokens.append(context.task_token)
        with pytest.raises(TaskTokenError):
            context.send_task_success(2)

    execution = callback_machine().run({}, handlers={SQS: handler}, clock=asl.VirtualClock())
    assert execution.output == 1


def test_callback_answer_is_a_copy():
    """The answered value is copied: changing it afterwards does not change the output."""
    answer = {"list": [1]}

    def handler(event, context):
        context.send_task_success(answer)

    execution = callback_machine().run({}, handlers={SQS: handler}, clock=asl.VirtualClock())
    answer["list"].append(2)
    assert execution.output == {"list": [1]}


def test_token_is_unique_per_attempt():
    """Each attempt gets a fresh token (a retried callback task cannot be answered twice)."""
    seen: list[str] = []

    def handler(event, context):
        seen.append(context.task_token)
        if len(seen) == 1:
            context.send_task_failure("Again")
        else:
            context.send_task_success("ok")

    machine = callback_machine(Retry=[{"ErrorEquals": ["Again"], "IntervalSeconds": 1}])
    execution = machine.run({}, handlers={SQS: handler}, clock=asl.VirtualClock())
    assert execution.output == "ok"
    assert len(set(seen)) == 2


# --- nothing can answer -------------------------------------------------------------------------


def test_unanswerable_callback_with_timeout_jumps_the_virtual_clock():
    """In run(), once the handler and its threads are done without answering, a TimeoutSeconds
    of an hour ends the task at once with States.Timeout, an hour later on the virtual clock."""
    clock = asl.VirtualClock()
    began = time.monotonic()
    execution = callback_machine(TimeoutSeconds=3600).run(
        {}, handlers={SQS: lambda event, context: None}, clock=clock)
    assert time.monotonic() - began < 2
    assert (execution.status, execution.error) == ("FAILED", "States.Timeout")
    seconds = (execution.history[-1]["timestamp"] - execution.history[0]["timestamp"]).total_seconds()
    assert seconds == pytest.approx(3600, abs=1)


def test_unanswerable_callback_with_heartbeat():
    """HeartbeatSeconds shorter than TimeoutSeconds ends an unanswerable wait as a heartbeat
    timeout."""
    execution = callback_machine(TimeoutSeconds=3600, HeartbeatSeconds=60).run(
        {}, handlers={SQS: lambda event, context: None}, clock=asl.VirtualClock())
    assert execution.error == "States.HeartbeatTimeout"


def test_unanswerable_callback_without_limits_fails_with_instructions():
    """With no TimeoutSeconds or HeartbeatSeconds, an unanswerable wait fails the run at once
    with States.Runtime saying how to answer, instead of hanging."""
    began = time.monotonic()
    execution = callback_machine().run({}, clock=asl.VirtualClock())
    assert time.monotonic() - began < 2
    assert execution.error == "States.Runtime"
    assert "send_task_success" in execution.cause
    assert "TimeoutSeconds" in execution.cause


def test_unanswerable_callback_hits_the_execution_timeout():
    """The machine's own TimeoutSeconds, if it comes first, times the execution out."""
    machine = asl.load({"StartAt": "Wait", "TimeoutSeconds": 30, "States": {
        "Wait": {"Type": "Task", "Resource": SQS, "End": True}}})
    execution = machine.run({}, clock=asl.VirtualClock())
    assert execution.status == "TIMED_OUT"


def test_context_answer_outside_a_callback_task_fails_the_task():
    """context.send_task_success in a task without a token fails that task with a clear cause."""
    def handler(event, context):
        context.send_task_success("x")

    resource = "arn:aws:states:::sqs:sendMessage"
    machine = asl.load({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": resource, "End": True}}})
    execution = machine.run({}, handlers={resource: handler}, clock=asl.VirtualClock())
    assert execution.error == "RuntimeError"
    assert "not a .waitForTaskToken task" in execution.cause
