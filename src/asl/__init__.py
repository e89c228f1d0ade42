"""asl: validate and run AWS Step Functions (Amazon States Language) state machines locally.

    >>> import asl
    >>> machine = asl.load({"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": True}}})
    >>> machine.run({"x": 1}, clock=asl.VirtualClock()).output
    {'x': 1}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asl._errors import (
    DefinitionError,
    Error,
    ExecutionStoreError,
    InvalidExecutionInput,
    LambdaError,
    MockConfigError,
    Problem,
    TaskFailed,
    TaskTokenError,
    TestStateError,
)
from asl._version import __version__ as __version__  # the version (docs/releasing.md)

if TYPE_CHECKING:
    from asl._clock import SystemClock, VirtualClock
    from asl._definition.templates.reading import validate
    from asl._lambda.service import Functions
    from asl._machine import StateMachine, load, machines
    from asl._runtime.execution import Execution
    from asl._runtime.store import ExecutionRecord, ExecutionStore, SQLiteStore
    from asl._test_state import TestStateResult, test_state

__all__ = [
    "DefinitionError",
    "Error",
    "Execution",
    "Functions",
    "ExecutionRecord",
    "ExecutionStore",
    "ExecutionStoreError",
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

# The heavier modules load on first use, so `asl validate` starts fast.
_LAZY = {
    "Execution": "asl._runtime.execution",
    "Functions": "asl._lambda.service",
    "ExecutionRecord": "asl._runtime.store",
    "ExecutionStore": "asl._runtime.store",
    "SQLiteStore": "asl._runtime.store",
    "StateMachine": "asl._machine",
    "load": "asl._machine",
    "machines": "asl._machine",
    "validate": "asl._definition.templates.reading",  # plain definitions, and templates' machines
    "test_state": "asl._test_state",
    "TestStateResult": "asl._test_state",
    "SystemClock": "asl._clock",
    "VirtualClock": "asl._clock",
}


def __getattr__(name: str) -> Any:
    if name == "events":  # a module of event builders (asl.events)
        import importlib

        module = importlib.import_module("asl.events")
        globals()[name] = module
        return module
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'asl' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
