"""The core the state handlers are written against: units of a run, and the dispatch table."""

from __future__ import annotations

import asl
from asl._definition import model
from asl._runtime import core, executor
from asl._runtime.options import RunOptions


def _interpreter() -> executor.Interpreter:
    machine = core.Machine(model.build({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})[0],
                           "M", "arn:aws:states:us-east-1:123456789012:stateMachine:M")
    execution, _ = executor.prepare(machine, {}, clock=asl.VirtualClock(), name="e",
                                    options=RunOptions(), synchronous=True)
    return executor.Interpreter(core.Session(machine, execution, asl.VirtualClock(), RunOptions(),
                                             synchronous=True), execution._history)


def test_a_fork_shares_the_session_and_owns_its_history_cancel_scope_and_memo() -> None:
    """A unit for a branch or iteration sees the same execution, and nothing else by accident."""
    run = _interpreter()
    run.checked = ({"x": 1}, '{"x":1}')
    scope = object()
    unit = run.fork(scope)
    assert type(unit) is type(run)
    assert unit.session is run.session and unit.clock is run.clock and unit.rng is run.rng
    assert unit.history is not run.history and unit.history.base > run.history.base
    assert unit.cancel is scope and run.cancel is None
    assert unit.checked[0] is core.NOTHING and run.checked[1] == '{"x":1}'
    assert unit.plain_env is not run.plain_env


def test_the_executor_registers_a_handler_for_every_state_type() -> None:
    """Importing the executor fills the core's dispatch table: no state type is left out."""
    state_types = {cls for cls in vars(model).values()
                   if isinstance(cls, type) and issubclass(cls, model.State) and cls is not model.State}
    assert set(core.HANDLERS) == state_types


def test_payload_quota_counts_utf8_bytes() -> None:
    """256 KiB of UTF-8 fits, one byte more does not; a non-ASCII character counts its bytes."""
    assert core.fits_payload("a" * core.PAYLOAD_LIMIT)
    assert not core.fits_payload("a" * (core.PAYLOAD_LIMIT + 1))
    assert not core.fits_payload("é" * (core.PAYLOAD_LIMIT // 2 + 1))
