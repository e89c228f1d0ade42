"""The public contract: the names `import asl` offers, and that each resolves."""

from __future__ import annotations

import inspect

import pytest

import asl


def test_all_is_exactly_the_public_contract() -> None:
    """`asl.__all__` lists the documented names and nothing private."""
    assert sorted(asl.__all__) == [
        "DefinitionError",
        "Error",
        "Execution",
        "ExecutionRecord",
        "ExecutionStore",
        "ExecutionStoreError",
        "Functions",
        "InvalidExecutionInput",
        "LambdaError",
        "MockConfigError",
        "Problem",
        "SQLiteStore",
        "StateMachine",
        "SystemClock",
        "TaskFailed",
        "TaskTokenError",
        "TestStateError",
        "TestStateResult",
        "VirtualClock",
        "events",
        "load",
        "machines",
        "test_state",
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


def test_every_public_exception_is_an_asl_error() -> None:
    """Everything the public API raises derives from `asl.Error`, so one except clause catches it."""
    exceptions = [getattr(asl, name) for name in asl.__all__
                  if inspect.isclass(getattr(asl, name)) and issubclass(getattr(asl, name), BaseException)]
    assert {cls.__name__ for cls in exceptions} == {
        "DefinitionError", "Error", "ExecutionStoreError", "InvalidExecutionInput", "LambdaError",
        "MockConfigError",
        "TaskFailed", "TaskTokenError", "TestStateError"}
    assert all(issubclass(cls, asl.Error) for cls in exceptions)


def test_every_exception_raised_in_the_package_is_exported_or_internal() -> None:
    """Each exception class asl defines is public (in `__all__`) or never reaches a caller:
    the runtime's own error and outcomes, caught inside the executor."""
    from asl import _errors

    defined = {name for name, value in vars(_errors).items()
               if inspect.isclass(value) and issubclass(value, BaseException)}
    internal = {"CompileError", "StatesError", "Failure", "Outcome", "GraphFailed",
                "ExecutionTimedOut", "Aborted"}
    assert defined - internal == set(asl.__all__) & defined


_MACHINE = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


@pytest.mark.parametrize("typo, nearest", [
    ("sead", "seed"), ("mock_confg", "mock_config"), ("handler", "handlers"),
    ("test_cases", "test_case"), ("clocks", "clock"),
])
def test_an_unknown_run_option_is_a_type_error_naming_the_nearest(typo: str, nearest: str) -> None:
    """A misspelt keyword fails the call instead of being ignored, and says what was meant."""
    machine = asl.load(_MACHINE)
    for method in (machine.run, machine.start):
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{typo}'; did you mean '{nearest}'"):
            method({}, clock=asl.VirtualClock(), **{typo: 1})


def test_an_unknown_option_far_from_any_is_still_refused() -> None:
    """`run(unknown=1)` raises TypeError even when no valid name is close."""
    with pytest.raises(TypeError, match="unexpected keyword argument 'unknown'"):
        asl.load(_MACHINE).run({}, unknown=1)  # type: ignore[call-arg]


@pytest.mark.parametrize("options, message", [
    ({"seed": "1"}, "seed must be an int"),
    ({"executor": 4}, "executor must be a concurrent.futures.Executor"),
    ({"on_progress": "bar"}, "on_progress must be callable"),
    ({"child_history": "yes"}, "child_history must be a bool"),
    ({"clock": 5}, "clock must be a Clock"),
    ({"handlers": ["f"]}, "handlers must be a mapping"),
])
def test_a_run_option_of_the_wrong_type_is_refused(options: dict[str, object], message: str) -> None:
    """Options are checked when the run starts, saying which one is wrong and what it needs."""
    with pytest.raises(TypeError, match=message):
        asl.load(_MACHINE).run({}, **options)  # type: ignore[arg-type]


def test_a_mock_config_without_a_test_case_is_refused() -> None:
    """`mock_config=` alone would mock nothing: it is an error, not ignored."""
    with pytest.raises(asl.MockConfigError, match="needs test_case"):
        asl.load(_MACHINE).run({}, clock=asl.VirtualClock(),
                               mock_config={"StateMachines": {}, "MockedResponses": {}})
