"""What a test asks of a finished run, read from its history: the states entered in order (Map
iterations and Parallel branches identified), each one's input, output, error and attempts,
retries, the path taken, and messages that show where a run failed."""

from __future__ import annotations

from typing import Any

import jsonata  # noqa: F401  # raises the recursion limit on import: before hypothesis runs, not during
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import asl
from asl._runtime.views import Scope
from test_executor_properties import json_values, machines

FN = "arn:aws:lambda:us-east-1:123456789012:function:"

ORDER = {"StartAt": "Validate", "States": {
    "Validate": {"Type": "Pass", "Next": "Both"},
    "Both": {"Type": "Parallel", "Next": "Items", "ResultPath": "$.both", "Branches": [
        {"StartAt": "Reserve", "States": {"Reserve": {"Type": "Task", "Resource": FN + "reserve", "End": True}}},
        {"StartAt": "Notify", "States": {"Notify": {"Type": "Pass", "Next": "Log"},
                                         "Log": {"Type": "Pass", "End": True}}}]},
    "Items": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.charged", "Next": "Done",
              "ItemProcessor": {"StartAt": "Charge", "States": {"Charge": {
                  "Type": "Task", "Resource": FN + "charge", "End": True,
                  "Retry": [{"ErrorEquals": ["Card.Declined"], "IntervalSeconds": 2, "MaxAttempts": 3}]}}}},
    "Done": {"Type": "Succeed"},
}}


class Charge:
    """Declines item 2 twice, then charges it."""

    def __init__(self) -> None:
        self.declined = 0

    def __call__(self, event: Any, context: Any) -> Any:
        if event == 2 and self.declined < 2:
            self.declined += 1
            raise asl.TaskFailed("Card.Declined", f"declined {self.declined}")
        return {"charged": event}


def run_order(charge: Any = None, **options: Any) -> asl.Execution:
    handlers = {FN + "reserve": lambda e, c: "reserved", FN + "charge": charge or Charge()}
    return asl.load(ORDER).run({"items": [1, 2, 3]}, handlers=handlers, clock=asl.VirtualClock(),
                               **options)


def test_states_in_order_with_branches_and_iterations():
    execution = run_order()
    assert [(run.label, run.status) for run in execution.states] == [
        ("Validate", "SUCCEEDED"), ("Both", "SUCCEEDED"),
        ("Both[0] > Reserve", "SUCCEEDED"),
        ("Both[1] > Notify", "SUCCEEDED"), ("Both[1] > Log", "SUCCEEDED"),
        ("Items", "SUCCEEDED"),
        ("Items[0] > Charge", "SUCCEEDED"), ("Items[1] > Charge", "SUCCEEDED"),
        ("Items[2] > Charge", "SUCCEEDED"), ("Done", "SUCCEEDED")]
    assert execution.path == ["Validate", "Both", "Items", "Done"]
    log = execution.state("Log")
    assert (log.branch, log.iteration, log.scope) == (1, None, (Scope("Both", "Parallel", 1),))


def test_input_output_and_attempts_per_iteration():
    execution = run_order()
    second = execution.state("Charge", iteration=1)
    assert (second.input, second.output) == (2, {"charged": 2})
    assert (second.attempts, second.retries) == (3, 2)
    assert second.failures == [("Card.Declined", "declined 1"), ("Card.Declined", "declined 2")]
    assert second.status == "SUCCEEDED"
    assert execution.state("Charge", iteration=0).attempts == 1
    assert execution.retries("Charge") == 2
    assert [run.iteration for run in execution.state_runs("Charge")] == [0, 1, 2]
    assert second.seconds == 2 + 4  # the back-off, on the virtual clock
    assert execution.state("Reserve").output == "reserved"


def test_ambiguous_or_missing_state_says_what_ran():
    execution = run_order()
    with pytest.raises(LookupError, match=r"entered 3 times \(Items\[0\] > Charge"):
        execution.state("Charge")
    with pytest.raises(LookupError, match=r"never entered \(did you mean 'Charge'\?\)"):
        execution.state("Chrage")
    with pytest.raises(LookupError, match="iteration=7 was never entered"):
        execution.state("Charge", iteration=7)


def test_failed_run_names_the_failing_state_and_iteration():
    def broke(event: Any, context: Any) -> Any:
        if event == 3:
            raise asl.TaskFailed("Card.Stolen", "call the police")
        return event

    execution = run_order(broke)
    assert execution.status == "FAILED"
    failed = execution.failed_state
    assert failed is not None and failed.label == "Items[2] > Charge"
    assert (failed.error, failed.cause, failed.status) == ("Card.Stolen", "call the police", "FAILED")
    assert execution.state("Items").error == "Card.Stolen"
    assert "Items[2] > Charge" in repr(execution)
    with pytest.raises(AssertionError) as info:
        execution.assert_succeeded()
    message = str(info.value)
    assert "expected SUCCEEDED, got FAILED" in message
    assert "failed in: Items[2] > Charge" in message
    assert "Card.Stolen: call the police   <-- failed here" in message
    assert "Validate" in message and "Both[1] > Log" in message
    execution.assert_failed("Card.Stolen", state="Charge")
    with pytest.raises(AssertionError, match="expected FAILED with Other"):
        execution.assert_failed("Other")


def test_caught_error_and_an_error_no_event_names():
    machine = asl.load({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": FN + "x", "Next": "Bad",
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "Bad"}]},
        "Bad": {"Type": "Pass", "InputPath": "$.missing", "End": True}}})
    execution = machine.run({}, handlers={FN + "x": lambda e, c: 1 / 0}, clock=asl.VirtualClock())
    assert execution.state("T").status == "CAUGHT"
    assert execution.state("T").error == "ZeroDivisionError"
    bad = execution.state("Bad")
    assert (bad.status, bad.error) == ("FAILED", "States.Runtime")
    assert execution.failed_state is bad
    execution.assert_failed("States.Runtime", state="Bad")


def test_views_are_read_from_the_history_only_when_asked():
    """A run makes no views; the first question reads the history once."""
    execution = run_order()
    assert execution._views is None
    first = execution.states
    assert execution._views is not None and execution.states == first


def test_snapshot_is_json_with_times_since_the_start():
    import json

    first = run_order(seed=7, name="fixed").snapshot()
    second = asl.load(ORDER).run({"items": [1, 2, 3]}, handlers={
        FN + "reserve": lambda e, c: "reserved", FN + "charge": Charge()},
        clock=asl.VirtualClock(1_800_000_000), seed=7, name="fixed").snapshot()
    assert first == second
    json.dumps(first)
    assert first[0]["elapsed"] == 0 and first[-1]["elapsed"] == 6
    assert first[0]["executionStartedEventDetails"]["input"] == {"items": [1, 2, 3]}


def test_repr_of_a_running_and_a_finished_execution():
    execution = run_order()
    assert repr(execution) == (f"<Execution {execution.name} SUCCEEDED: "
                               "Validate > Both > Items > Done>")


# -- against AWS's own histories -------------------------------------------------------------

SHARED = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "conformance" / "cases"


def _recorded() -> list[Any]:
    import json

    if not SHARED.is_dir():
        return []
    cases = []
    for path in sorted(SHARED.glob("*.json")):
        case = json.loads(path.read_text())
        if case["expect"].get("history"):
            cases.append(pytest.param(case, id=path.stem))
    return cases


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/conformance is not checked out")
@pytest.mark.parametrize("case", _recorded())
def test_histories_recorded_against_aws_read_consistently(case: dict[str, Any]):
    """Every recorded AWS history reads into one run per StateEntered, each exit matched to
    its entry, and every Map iteration and Parallel branch named after a state that ran."""
    from asl._runtime.views import state_runs

    events = case["expect"]["history"]
    runs = state_runs(events)
    assert len(runs) == sum(e["type"].endswith("StateEntered") for e in events)
    assert sum(run.exited for run in runs) == sum(e["type"].endswith("StateExited") for e in events)
    entered = {run.name: run.type for run in runs}
    for run in runs:
        for scope in run.scope:
            assert entered.get(scope.state) == scope.kind, (run, scope)
    iterations = {(e["mapIterationStartedEventDetails"]["name"], e["mapIterationStartedEventDetails"]["index"])
                  for e in events if e["type"] == "MapIterationStarted"}
    for run in runs:
        for scope in run.scope:
            if scope.kind == "Map":
                assert (scope.state, scope.index) in iterations, (run, scope)


def test_describe_says_where_a_run_timed_out_or_was_stopped():
    machine = asl.load({"StartAt": "W", "TimeoutSeconds": 10, "States": {
        "W": {"Type": "Wait", "Seconds": 60, "End": True}}})
    text = machine.run({}, clock=asl.VirtualClock()).describe()
    assert "timed out in: W" in text and "<-- timed out here" in text


# -- generated machines ------------------------------------------------------------------------

def _wrapped(inner: dict[str, Any], how: str) -> dict[str, Any]:
    """The generated machine inside a Map's processor or a Parallel's branches."""
    if how == "Map":
        return {"StartAt": "Outer", "States": {"Outer": {
            "Type": "Map", "ItemsPath": "$.items", "End": True, "ItemProcessor": inner}}}
    return {"StartAt": "Outer", "States": {"Outer": {
        "Type": "Parallel", "End": True, "Branches": [inner, inner]}}}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(machines(), st.sampled_from(["Map", "Parallel"]), json_values)
def test_generated_runs_read_back_consistently(inner: dict[str, Any], how: str, data: Any) -> None:
    """Whatever a run does, its states read back one per StateEntered, exits matched, every
    inner state scoped under the wrapping Map or Parallel (an index within its size), and a
    failed run names the state it failed in."""
    from hypothesis import assume

    try:
        machine = asl.load(_wrapped(inner, how))
    except asl.DefinitionError:
        assume(False)
    execution = machine.run({"items": [data, data]}, clock=asl.VirtualClock())
    types = execution.history_types
    runs = execution.states
    assert len(runs) == sum(t.endswith("StateEntered") for t in types)
    assert sum(run.exited for run in runs) == sum(t.endswith("StateExited") for t in types)
    assert runs[0].name == "Outer" and execution.path == ["Outer"]
    for run in runs[1:]:
        assert run.scope[0].state == "Outer" and run.scope[0].kind == how
        assert run.scope[0].index in (0, 1)
    if execution.status == "FAILED":
        assert execution.failed_state is not None
    assert execution.describe().startswith(f"Execution {execution.name} {execution.status}")
