"""The public contract: the names `import asl` offers, and that each resolves."""

from __future__ import annotations

import asl


def test_all_is_exactly_the_public_contract() -> None:
    """`asl.__all__` lists the documented names and nothing private."""
    assert sorted(asl.__all__) == [
        "DefinitionError",
        "Execution",
        "InvalidExecutionInput",
        "Problem",
        "StateMachine",
        "SystemClock",
        "TaskFailed",
        "TaskTokenError",
        "VirtualClock",
        "load",
        "validate",
    ]


def test_every_public_name_resolves() -> None:
    """Each name in `__all__` is importable (the heavy ones load lazily on first use)."""
    for name in asl.__all__:
        assert getattr(asl, name) is not None


def test_definition_error_is_a_value_error_carrying_problems() -> None:
    """`asl.load` on a broken definition raises DefinitionError (a ValueError) with Problems."""
    try:
        asl.load({"StartAt": "Missing", "States": {"A": {"Type": "Succeed"}}})
    except asl.DefinitionError as error:
        assert isinstance(error, ValueError)
        assert error.problems and all(isinstance(p, asl.Problem) for p in error.problems)
        assert any(p.pointer == "/StartAt" for p in error.problems)
    else:
        raise AssertionError("load accepted an unknown StartAt")


def test_run_returns_an_execution_with_the_documented_fields() -> None:
    """`run` gives status, output, error, cause and an AWS-shaped history."""
    machine = asl.load({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    execution = machine.run({"x": 1}, clock=asl.VirtualClock())
    assert isinstance(execution, asl.Execution)
    assert (execution.status, execution.output, execution.error, execution.cause) == (
        "SUCCEEDED", {"x": 1}, None, None)
    assert [e["type"] for e in execution.history] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_input_that_is_not_json_is_refused_before_the_execution_starts() -> None:
    """A set or NaN is not JSON: `run` raises InvalidExecutionInput (a ValueError), as
    StartExecution refuses it, instead of failing somewhere inside."""
    machine = asl.load({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    for bad in ({"a": {1, 2}}, {"a": float("nan")}, float("inf")):
        try:
            machine.run(bad, clock=asl.VirtualClock())
        except asl.InvalidExecutionInput as error:
            assert isinstance(error, ValueError)
            assert "not JSON" in str(error)
        else:
            raise AssertionError(f"run accepted {bad!r}")
