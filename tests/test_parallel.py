"""Parallel states: branch outputs in order, failures, Retry/Catch, scopes and history shape."""

from __future__ import annotations

import concurrent.futures as cf
import threading
from typing import Any

import asl
from clocks import PeakClock


def _pass(name: str, **extra: Any) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True, **extra}}}


def _wait_branch(name: str) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Wait", "Seconds": 1, "End": True}}}


def _types(execution: Any) -> list[tuple[int, int, str]]:
    return [(e["id"], e["previousEventId"], e["type"]) for e in execution.history]


def test_output_is_branch_outputs_in_order() -> None:
    """The result is the array of each branch's output, in branch order."""
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        _pass("A", Result="a"), _pass("B", Result="b"), _pass("C")]}}})
    execution = machine.run({"x": 1}, clock=asl.VirtualClock())
    assert execution.output == ["a", "b", {"x": 1}]


def test_history_shape() -> None:
    """Branch events chain from ParallelStateStarted; Succeeded and Exited follow the last one."""
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        _pass("A"), _pass("B")]}}})
    execution = machine.run({}, clock=asl.VirtualClock())
    assert _types(execution) == [
        (1, 0, "ExecutionStarted"), (2, 0, "ParallelStateEntered"), (3, 2, "ParallelStateStarted"),
        (4, 3, "PassStateEntered"), (5, 4, "PassStateExited"),
        (6, 3, "PassStateEntered"), (7, 6, "PassStateExited"),
        (8, 7, "ParallelStateSucceeded"), (9, 7, "ParallelStateExited"), (10, 9, "ExecutionSucceeded"),
    ]


def test_parameters_result_selector_result_path() -> None:
    """Parameters feed every branch; ResultSelector and ResultPath shape the array result."""
    machine = asl.load({"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": True, "Parameters": {"v.$": "$.v"},
        "ResultSelector": {"first.$": "$[0].v"}, "ResultPath": "$.out",
        "Branches": [_pass("A"), _pass("B")]}}})
    execution = machine.run({"v": 7}, clock=asl.VirtualClock())
    assert execution.output == {"v": 7, "out": {"first": 7}}


def test_failing_branch_fails_state_with_its_error() -> None:
    """A failing branch fails the Parallel with the branch's own error and cause."""
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        _pass("A"), {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}}]}}})
    execution = machine.run({}, clock=asl.VirtualClock())
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "Boom", "why")
    assert execution.history_types[-2:] == ["ParallelStateFailed", "ExecutionFailed"]


def test_catch_on_parallel() -> None:
    """A Catch on the Parallel state handles a branch's error."""
    machine = asl.load({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}}],
            "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.err", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}}})
    execution = machine.run({}, clock=asl.VirtualClock())
    assert execution.output == {"err": {"Error": "Boom", "Cause": "why"}}


def test_branch_variables_stay_inside() -> None:
    """Branches read outer variables; their own assignments do not leak out."""
    machine = asl.load({"StartAt": "S", "States": {
        "S": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
        "P": {"Type": "Parallel", "Next": "After", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"y": 2}, "Next": "B"},
                                        "B": {"Type": "Pass", "Parameters": {"x.$": "$x", "y.$": "$y"},
                                              "End": True}}}]},
        "After": {"Type": "Pass", "Parameters": {"x.$": "$x", "out.$": "$"}, "End": True}}})
    execution = machine.run({}, clock=asl.VirtualClock())
    assert execution.output == {"x": 1, "out": [{"x": 1, "y": 2}]}


def test_blocking_branches_run_concurrently_with_ordered_history() -> None:
    """Branches that wait run at the same time, and the history is still in branch order."""
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        _wait_branch(f"W{i}") for i in range(4)]}}})
    clock = PeakClock()
    execution = machine.run({}, clock=clock)
    assert execution.status == "SUCCEEDED"
    assert clock.peak == 4
    entered = [e["stateEnteredEventDetails"]["name"] for e in execution.history
               if e["type"] == "WaitStateEntered"]
    assert entered == ["W0", "W1", "W2", "W3"]


def test_user_thread_pool_is_used() -> None:
    """A ThreadPoolExecutor passed as `executor` runs the branches."""
    names: set[str] = set()

    class Clock(PeakClock):
        def sleep(self, seconds: float) -> None:
            names.add(threading.current_thread().name)
            super().sleep(seconds)

    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        _wait_branch("A"), _wait_branch("B")]}}})
    with cf.ThreadPoolExecutor(max_workers=2, thread_name_prefix="mine") as pool:
        execution = machine.run({}, clock=Clock(), executor=pool)
    assert execution.status == "SUCCEEDED"
    assert names and all(name.startswith("mine") for name in names)


def test_two_runs_give_identical_histories() -> None:
    """On a virtual clock, two runs of a concurrent Parallel record the same history."""
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        _wait_branch(f"W{i}") for i in range(3)] + [_pass("Q")]}}})
    with cf.ThreadPoolExecutor(max_workers=4) as pool:
        first = machine.run({}, clock=asl.VirtualClock(), executor=pool)
        second = machine.run({}, clock=asl.VirtualClock(), executor=pool)
    assert first.history == second.history


def test_jsonata_arguments_and_output() -> None:
    """A JSONata Parallel passes Arguments to branches and shapes the result with Output."""
    machine = asl.load({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": True, "Arguments": {"n": "{% $states.input.n + 1 %}"},
        "Output": "{% $states.result[1].n %}", "Branches": [_pass("A"), _pass("B")]}}})
    execution = machine.run({"n": 1}, clock=asl.VirtualClock())
    assert execution.output == 2


def test_nested_map_in_parallel_in_map() -> None:
    """A Map inside a Parallel inside a Map gives nested results in order."""
    inner_map = {"StartAt": "IM", "States": {"IM": {
        "Type": "Map", "End": True, "ItemProcessor": _pass("X")}}}
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemProcessor": {"StartAt": "P", "States": {"P": {
            "Type": "Parallel", "End": True, "Branches": [inner_map, _pass("Y", Result="y")]}}}}}})
    execution = machine.run([[1, 2], [3]], clock=asl.VirtualClock())
    assert execution.output == [[[1, 2], "y"], [[3], "y"]]
    ids = [e["id"] for e in execution.history]
    assert ids == list(range(1, len(ids) + 1))


def test_a_fail_without_error_or_cause_leaves_them_absent_through_parallel_and_map() -> None:
    """A branch's or iteration's Fail state without Error and Cause fails its Parallel or Map,
    and the execution, with both absent, as at top level (absent is not "")."""
    inner = {"StartAt": "F", "States": {"F": {"Type": "Fail"}}}
    for state in ({"Type": "Parallel", "Branches": [inner], "End": True},
                  {"Type": "Map", "ItemProcessor": inner, "End": True}):
        execution = asl.load({"StartAt": "S", "States": {"S": state}}).run([1], clock=asl.VirtualClock())
        assert (execution.status, execution.error, execution.cause) == ("FAILED", None, None)
        assert execution.history[-1]["executionFailedEventDetails"] == {}
