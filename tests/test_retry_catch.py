"""Retry and Catch on Task states, end to end: ErrorEquals matching, back-off on the virtual clock,
$$.State.RetryCount, and what a Catcher hands to its Next state."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

import asl
from asl._runtime.executor import error_matches

FN = "arn:aws:lambda:us-east-1:123456789012:function:work"


class Flaky:
    """A handler that fails with `errors` in turn (an error name, or an exception), then
    returns `result`; it records each event it was called with."""

    def __init__(self, *errors: Any, result: Any = "ok") -> None:
        self.errors = list(errors)
        self.result = result
        self.events: list[Any] = []

    def __call__(self, event: Any, context: Any) -> Any:
        self.events.append(event)
        if self.errors:
            error = self.errors.pop(0)
            if isinstance(error, BaseException):
                raise error
            raise asl.TaskFailed(error, f"cause of {error}")
        return self.result

    @property
    def calls(self) -> int:
        return len(self.events)


def task_machine(retry: list[dict[str, Any]] | None = None, catch: list[dict[str, Any]] | None = None,
                 **fields: Any) -> asl.StateMachine:
    task: dict[str, Any] = {"Type": "Task", "Resource": FN, "End": True, **fields}
    if retry is not None:
        task["Retry"] = retry
    if catch is not None:
        task["Catch"] = catch
    states: dict[str, Any] = {"Work": task}
    if catch:
        states["Handled"] = {"Type": "Pass", "End": True}
    return asl.load({"StartAt": "Work", "States": states})


def run(machine: asl.StateMachine, handler: Any, input: Any = None, **options: Any) -> Any:
    clock = asl.VirtualClock()
    execution = machine.run({"in": 1} if input is None else input, handlers={FN: handler},
                            clock=clock, **options)
    execution.clock = clock
    return execution


def scheduled_times(execution: Any) -> list[float]:
    """Seconds after the start at which each attempt was scheduled."""
    start = execution.history[0]["timestamp"].timestamp()
    return [event["timestamp"].timestamp() - start for event in execution.history
            if event["type"] == "LambdaFunctionScheduled"]


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 6) for a, b in itertools.pairwise(times)]


# --- error_matches ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "error", "matches"),
    [
        (("States.ALL",), "Custom", True),
        (("States.ALL",), "States.Timeout", True),
        (("States.ALL",), "States.HeartbeatTimeout", True),
        (("States.TaskFailed",), "Custom", True),
        (("States.TaskFailed",), "Lambda.Unknown", True),
        (("States.TaskFailed",), "States.Timeout", False),
        (("States.TaskFailed",), "States.HeartbeatTimeout", False),
        (("States.Timeout",), "States.HeartbeatTimeout", True),
        (("States.Timeout",), "States.TaskFailed", False),
        (("States.HeartbeatTimeout",), "States.Timeout", False),
        (("Custom",), "Custom", True),
        (("Custom",), "custom", False),
        (("Custom",), "Custom.Sub", False),
        (("Custom.Sub",), "Custom", False),
        (("A", "B"), "B", True),
        ((), "A", False),
    ],
)
def test_error_matches(names, error, matches):
    """ErrorEquals matches exact, case-sensitive names plus AWS's wildcards (States.ALL;
    States.TaskFailed for all but timeouts; States.Timeout also for heartbeat timeouts)."""
    assert error_matches(names, error) is matches


# --- matching, end to end -----------------------------------------------------------------------


def test_states_all_catches_a_custom_error():
    """A Catcher on States.ALL catches an error a handler raised by name."""
    execution = run(task_machine(catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]),
                    Flaky("Custom"))
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"Error": "Custom", "Cause": "cause of Custom"}


def test_task_failed_does_not_catch_a_timeout():
    """States.TaskFailed does not catch States.Timeout; a later States.Timeout Catcher does."""
    machine = task_machine(
        catch=[{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.tf", "Next": "Handled"},
               {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.to", "Next": "Handled"}],
        TimeoutSeconds=1,
    )
    execution = run(machine, _sleeper(1.5))
    assert execution.status == "SUCCEEDED"
    assert execution.output["to"]["Error"] == "States.Timeout"
    assert "tf" not in execution.output


def _sleeper(seconds: float, result: Any = "late") -> Any:
    def handler(event: Any, context: Any) -> Any:
        import time

        time.sleep(seconds)
        return result

    return handler


def test_timeout_retrier_covers_a_heartbeat_timeout():
    """A Retrier on States.Timeout also retries States.HeartbeatTimeout."""
    calls = []

    def handler(event, context):
        calls.append(1)
        if len(calls) == 1:
            import time

            time.sleep(1.5)
        return "second"

    machine = task_machine(retry=[{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1}],
                           HeartbeatSeconds=1)
    execution = run(machine, handler)
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output == "second"
    assert "LambdaFunctionTimedOut" in execution.history_types


def test_runtime_error_is_never_retried_or_caught():
    """States.Runtime (here an OutputPath that selects nothing) ends the execution even under
    States.ALL retriers and catchers, and the handler runs once."""
    handler = Flaky(result={"a": 1})
    machine = task_machine(retry=[{"ErrorEquals": ["States.ALL"]}],
                           catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
                           OutputPath="$.missing")
    execution = run(machine, handler)
    assert execution.status == "FAILED"
    assert execution.error == "States.Runtime"
    assert handler.calls == 1


def test_exact_name_does_not_match_other_errors():
    """A Catcher for one exact name lets a different error fail the execution."""
    machine = task_machine(catch=[{"ErrorEquals": ["Other"], "Next": "Handled"}])
    execution = run(machine, Flaky("Custom"))
    assert (execution.status, execution.error, execution.cause) == (
        "FAILED", "Custom", "cause of Custom")


def test_first_matching_retrier_wins():
    """Only the first Retrier whose ErrorEquals matches is used: when it is spent, a later one
    that also names the error is not consulted."""
    machine = task_machine(retry=[
        {"ErrorEquals": ["Custom"], "IntervalSeconds": 1, "MaxAttempts": 1},
        {"ErrorEquals": ["Other", "Custom"], "IntervalSeconds": 5, "MaxAttempts": 5},
    ])
    handler = Flaky("Custom", "Custom", "Custom")
    execution = run(machine, handler)
    assert execution.status == "FAILED"
    assert handler.calls == 2
    assert gaps(scheduled_times(execution)) == [1.0]


def test_each_retrier_counts_its_own_attempts():
    """Errors matched by different Retriers spend each Retrier's own MaxAttempts."""
    machine = task_machine(retry=[
        {"ErrorEquals": ["A"], "IntervalSeconds": 1, "MaxAttempts": 1},
        {"ErrorEquals": ["B"], "IntervalSeconds": 10, "MaxAttempts": 1},
    ])
    handler = Flaky("A", "B", result="done")
    execution = run(machine, handler)
    assert execution.status == "SUCCEEDED"
    assert gaps(scheduled_times(execution)) == [1.0, 10.0]


def test_max_attempts_zero_never_retries():
    """MaxAttempts 0 means the Retrier never retries: the error goes straight to the Catchers."""
    machine = task_machine(retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}],
                           catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}])
    handler = Flaky("Custom", result="never")
    execution = run(machine, handler)
    assert execution.status == "SUCCEEDED"
    assert handler.calls == 1
    assert execution.output["Error"] == "Custom"


def test_retries_exhausted_then_caught():
    """When the matching Retrier is spent, the Catchers get the last error."""
    machine = task_machine(retry=[{"ErrorEquals": ["Custom"], "MaxAttempts": 2}],
                           catch=[{"ErrorEquals": ["Custom"], "Next": "Handled"}])
    handler = Flaky("Custom", "Custom", "Custom", "Custom")
    execution = run(machine, handler)
    assert execution.status == "SUCCEEDED"
    assert handler.calls == 3


# --- back-off ---------------------------------------------------------------------------------


def test_default_backoff_is_one_two_four_seconds():
    """Without fields a Retrier waits 1, 2, 4 s (IntervalSeconds 1, BackoffRate 2, MaxAttempts 3)."""
    execution = run(task_machine(retry=[{"ErrorEquals": ["States.ALL"]}]),
                    Flaky("E", "E", "E", "E"))
    assert execution.status == "FAILED"
    assert gaps(scheduled_times(execution)) == [1.0, 2.0, 4.0]


def test_interval_and_backoff_rate():
    """IntervalSeconds × BackoffRate^n: 3, 4.5, 6.75 s for interval 3 and rate 1.5."""
    machine = task_machine(retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 3, "BackoffRate": 1.5,
                                   "MaxAttempts": 3}])
    execution = run(machine, Flaky("E", "E", "E", result="ok"))
    assert execution.status == "SUCCEEDED"
    assert gaps(scheduled_times(execution)) == [3.0, 4.5, 6.75]


def test_max_delay_seconds_caps_the_backoff():
    """MaxDelaySeconds caps each delay: 1, 5, 5, 5 s for interval 1, rate 10, cap 5."""
    machine = task_machine(retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 1, "BackoffRate": 10,
                                   "MaxDelaySeconds": 5, "MaxAttempts": 4}])
    execution = run(machine, Flaky("E", "E", "E", "E", result="ok"))
    assert gaps(scheduled_times(execution)) == [1.0, 5.0, 5.0, 5.0]


def test_full_jitter_is_bounded_and_reproducible_with_a_seed():
    """JitterStrategy FULL draws each delay in [0, base]; the same seed gives the same delays."""
    machine = task_machine(retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 4, "BackoffRate": 2,
                                   "MaxAttempts": 3, "JitterStrategy": "FULL"}])
    first = gaps(scheduled_times(run(machine, Flaky("E", "E", "E"), seed=7)))
    second = gaps(scheduled_times(run(machine, Flaky("E", "E", "E"), seed=7)))
    assert first == second
    assert len(first) == 3
    assert all(0 <= delay <= base for delay, base in zip(first, [4, 8, 16], strict=True))
    assert first != [4.0, 8.0, 16.0]


def test_jitter_none_is_exact():
    """JitterStrategy NONE keeps the exact exponential delays."""
    machine = task_machine(retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 2, "MaxAttempts": 2,
                                   "JitterStrategy": "NONE"}])
    assert gaps(scheduled_times(run(machine, Flaky("E", "E", "E"), seed=7))) == [2.0, 4.0]


def test_retry_count_in_the_context_object():
    """$$.State.RetryCount is 0 on the first attempt and counts retries across Retriers."""
    machine = task_machine(
        retry=[{"ErrorEquals": ["A"], "IntervalSeconds": 1, "MaxAttempts": 1},
               {"ErrorEquals": ["B"], "IntervalSeconds": 1, "MaxAttempts": 2}],
        Parameters={"retry.$": "$$.State.RetryCount"},
    )
    handler = Flaky("A", "B", "B", result="ok")
    execution = run(machine, handler)
    assert execution.status == "SUCCEEDED"
    assert [event["retry"] for event in handler.events] == [0, 1, 2, 3]


def test_retry_entered_time_stays_the_state_entry():
    """A retry does not re-enter the state: one TaskStateEntered, one TaskStateExited."""
    execution = run(task_machine(retry=[{"ErrorEquals": ["E"]}]), Flaky("E", result="ok"))
    assert execution.history_types.count("TaskStateEntered") == 1
    assert execution.history_types.count("TaskStateExited") == 1


# --- Catch --------------------------------------------------------------------------------------


def test_catch_default_result_path_replaces_the_input():
    """Without ResultPath a Catcher's output is the error output alone."""
    execution = run(task_machine(catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]),
                    Flaky("Custom"), input={"keep": True})
    assert execution.output == {"Error": "Custom", "Cause": "cause of Custom"}


def test_catch_result_path_merges_into_the_input():
    """A Catcher's ResultPath puts the error output into the state input."""
    machine = task_machine(catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure",
                                   "Next": "Handled"}])
    execution = run(machine, Flaky("Custom"), input={"keep": True})
    assert execution.output == {"keep": True,
                                "failure": {"Error": "Custom", "Cause": "cause of Custom"}}


def test_catch_result_path_null_keeps_the_input():
    """ResultPath null on a Catcher discards the error and passes the input on."""
    machine = task_machine(catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": None,
                                   "Next": "Handled"}])
    execution = run(machine, Flaky("Custom"), input={"keep": True})
    assert execution.output == {"keep": True}


def test_catch_does_not_mutate_the_callers_input():
    """Merging the error output never changes the input object the caller passed."""
    data = {"keep": {"nested": 1}}
    machine = task_machine(catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.keep.err",
                                   "Next": "Handled"}])
    run(machine, Flaky("Custom"), input=data)
    assert data == {"keep": {"nested": 1}}


def test_catch_of_a_python_exception_carries_the_lambda_cause():
    """A handler's exception reaches a Catcher as Error = class name, Cause = Lambda's JSON."""
    machine = task_machine(catch=[{"ErrorEquals": ["ValueError"], "Next": "Handled"}])
    execution = run(machine, Flaky(ValueError("bad value")))
    assert execution.output["Error"] == "ValueError"
    cause = json.loads(execution.output["Cause"])
    assert cause["errorMessage"] == "bad value"
    assert cause["errorType"] == "ValueError"
    assert set(cause) == {"errorMessage", "errorType", "requestId", "stackTrace"}


def test_catch_history_ends_the_state_and_goes_to_next():
    """A caught failure writes the task's failure event, exits the state and enters Next."""
    execution = run(task_machine(catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]),
                    Flaky("Custom"))
    assert execution.history_types == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
        "LambdaFunctionFailed", "TaskStateExited", "PassStateEntered", "PassStateExited",
        "ExecutionSucceeded",
    ]


def test_error_without_cause_has_only_error():
    """An error reported without a cause gives the error output {"Error"} alone."""
    def fail(event, context):
        raise asl.TaskFailed("Bare")

    execution = run(task_machine(catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]), fail)
    assert execution.output == {"Error": "Bare"}


def test_a_catcher_whose_result_path_cannot_apply_fails_the_state() -> None:
    """The error output cannot be put at $.a of a string input: the state (and the execution)
    fails with that error instead of an exception escaping run()."""
    import asl

    definition = {"StartAt": "L", "States": {
        "L": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.a", "Next": "Done"}],
              "End": True},
        "Done": {"Type": "Succeed"}}}

    def handler(event: object, context: object) -> object:
        raise ValueError("boom")

    execution = asl.load(definition).run("text", handlers={"f": handler}, clock=asl.VirtualClock())
    assert execution.status == "FAILED"
    assert execution.error == "States.ResultPathMatchFailure"
    assert execution.cause == ("An error occurred while executing the state 'L' (entered at the "
                               "event id #2). Unable to apply ReferencePath $.a to input \"text\"")
