"""The pieces `asl run` builds from `on_event`: trace lines (colour only on a terminal, and not
with NO_COLOR), the streamed --history file, the closing event's error and cause."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

import asl
from asl._cli import main
from asl._cli.events import HistoryFile, Trace, closing_detail, wants_colour

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
NESTED = {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "Next": "Boom", "ResultPath": None,
    "Branches": [{"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}]},
    "Boom": {"Type": "Fail", "Error": "Oops", "Cause": "a\nmulti-line cause"}}}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _trace(definition: dict[str, Any], colour: bool) -> str:
    stream = io.StringIO()
    asl.load(definition).run({}, clock=asl.VirtualClock(), on_event=Trace(stream, colour))
    return stream.getvalue()


def test_trace_indents_nested_states_and_ends_with_the_outcome() -> None:
    lines = [line.split("s  ", 1)[1] for line in _trace(NESTED, False).splitlines()]
    assert lines == ["ExecutionStarted", "> Fan (Parallel)", "  ParallelStateStarted",
                     "  > Inner (Pass)", "  < Inner (0.000s)", "  ParallelStateSucceeded",
                     "< Fan (0.000s)", "> Boom (Fail)",
                     "ExecutionFailed: Oops: a multi-line cause"]


def test_trace_colours_only_when_asked() -> None:
    coloured = _trace(NESTED, True)
    assert "\033[31m" in coloured and coloured.count("\n") == _trace(NESTED, False).count("\n")
    assert "\033[" not in _trace(NESTED, False)


def test_colour_follows_the_terminal_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert wants_colour(Terminal()) and not wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(Terminal())


def test_the_history_file_is_valid_json_at_the_end_and_a_prefix_meanwhile() -> None:
    stream = io.StringIO()
    stream.close = lambda: None  # type: ignore[method-assign]  # read it after close()
    writer = HistoryFile(stream)
    writer({"id": 1, "type": "ExecutionStarted"})
    assert stream.getvalue() == '{"events": [\n  {"id": 1, "type": "ExecutionStarted"}'
    writer({"id": 2, "type": "ExecutionSucceeded"})
    writer.close()
    assert json.loads(stream.getvalue()) == {"events": [{"id": 1, "type": "ExecutionStarted"},
                                                        {"id": 2, "type": "ExecutionSucceeded"}]}


def test_closing_detail_reads_the_last_execution_event() -> None:
    history = [{"type": "ExecutionStarted", "executionStartedEventDetails": {"input": "{}"}},
               {"type": "ExecutionAborted", "executionAbortedEventDetails": {"error": "E", "cause": "C"}}]
    assert closing_detail(history) == ("E", "C")
    assert closing_detail([{"type": "ExecutionAborted"}]) == (None, None)


def test_in_process_handler_prints_go_to_the_given_stderr(tmp_path: Any, monkeypatch: Any) -> None:
    """main(argv, out, err): a handler's print lands in `err`, `out` holds the JSON alone."""
    machine = tmp_path / "m.asl.json"
    machine.write_text(json.dumps({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": FN + "loud", "End": True}}}))
    (tmp_path / "loud.py").write_text("def loud(event, context):\n    print('LOUD')\n    return 7\n")
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(machine), "--handlers", str(tmp_path / "loud.py")], out, err) == 0
    assert (out.getvalue(), err.getvalue()) == ("7\n", "LOUD\n")
