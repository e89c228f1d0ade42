"""Graph.blocks / Graph.blocks_virtual: decided at load, they choose threads for a fan-out."""

from __future__ import annotations

from typing import Any

import asl


def _graph(states: dict[str, Any]) -> Any:
    return asl.load({"StartAt": next(iter(states)), "States": states}).graph


def test_pass_states_never_block() -> None:
    """Pass, Choice, Succeed and Fail states do no waiting."""
    graph = _graph({"A": {"Type": "Pass", "End": True}})
    assert not graph.blocks and not graph.blocks_virtual


def test_a_wait_blocks_only_on_the_real_clock() -> None:
    """A Wait takes real time on the system clock and none on a virtual one."""
    graph = _graph({"A": {"Type": "Wait", "Seconds": 1, "End": True}})
    assert graph.blocks and not graph.blocks_virtual


def test_a_task_inside_a_nested_parallel_blocks() -> None:
    """A Task at any depth of inline branches makes the outer graph block."""
    inner = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                "Parameters": {"FunctionName": "f"}, "End": True}}}
    graph = _graph({"P": {"Type": "Parallel", "Branches": [inner], "End": True}})
    assert graph.blocks and graph.blocks_virtual


def test_a_distributed_maps_children_do_not_block_the_parent() -> None:
    """A distributed Map's children are child executions: their Tasks do not count here."""
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                 "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                  "Parameters": {"FunctionName": "f"}, "End": True}}}
    graph = _graph({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}})
    assert not graph.blocks and not graph.blocks_virtual
