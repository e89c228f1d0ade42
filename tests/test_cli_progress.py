"""`asl run`'s progress bar: drawn on a terminal's stderr for big Maps, never when piped."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from asl._cli import main
from asl._cli.progress import ProgressBar as _ProgressBar


class FakeTTY(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _machine(tmp_path: Path, fail_at: int | None = None) -> str:
    processor: dict[str, Any] = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    if fail_at is not None:
        processor = {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Default": "P", "Choices": [
                {"Variable": "$", "NumericEquals": fail_at, "Next": "F"}]},
            "P": {"Type": "Pass", "End": True},
            "F": {"Type": "Fail", "Error": "Boom", "Cause": "item"}}}
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"StartAt": "Items", "States": {"Items": {
        "Type": "Map", "End": True, "ItemProcessor": processor}}}))
    return str(path)


def _input(tmp_path: Path, count: int) -> str:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(list(range(count))))
    return str(path)


def _run(tmp_path: Path, count: int, *flags: str, err: io.StringIO | None = None,
         fail_at: int | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else FakeTTY()
    code = main(["run", _machine(tmp_path, fail_at), _input(tmp_path, count), "--virtual-clock", *flags],
                out, err)
    return code, out.getvalue(), err.getvalue()


def test_bar_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal, a Map of many items draws a bar that ends full, on its own line."""
    code, out, err = _run(tmp_path, 150)
    assert code == 0
    assert json.loads(out) == list(range(150))
    assert err.startswith("\r\x1b[KItems [........................] 0/150 items, 0 failed")
    last = err.rsplit("\r\x1b[K", 1)[1]
    assert last.startswith("Items [########################] 150/150 items, 0 failed, ")
    assert last.endswith("/s\n")


def test_no_bar_when_piped(tmp_path: Path) -> None:
    """A stderr that is not a terminal gets no bar."""
    code, _, err = _run(tmp_path, 150, err=io.StringIO())
    assert (code, err) == (0, "")


@pytest.mark.parametrize(("flag", "tty", "shown"), [
    ("--progress", False, True), ("--no-progress", True, False)])
def test_flags_override_the_terminal_check(tmp_path: Path, flag: str, tty: bool, shown: bool) -> None:
    """--progress draws the bar even when piped; --no-progress hides it on a terminal."""
    _, _, err = _run(tmp_path, 150, flag, err=FakeTTY() if tty else io.StringIO())
    assert ("150/150 items" in err) is shown


def test_no_bar_for_a_small_map(tmp_path: Path) -> None:
    """A Map of 100 items or fewer draws nothing."""
    _, _, err = _run(tmp_path, 100)
    assert err == ""


def test_a_map_that_fails_ends_its_bar_before_the_error(tmp_path: Path) -> None:
    """A Map that stops early leaves its last counts, then the error on a line of its own."""
    code, _, err = _run(tmp_path, 150, fail_at=120)
    assert code == 1
    bar, error = err.rsplit("\n", 2)[:2]
    assert "121/150 items, 1 failed" in bar
    assert error == "Boom: item"


def test_rendering_with_failures_and_rate() -> None:
    """The line shows the name, the bar, done of total, failures and items per second."""
    stream = FakeTTY()
    bar = _ProgressBar(stream)
    times = iter([10.0, 12.0, 14.0])
    bar.clock = lambda: next(times)
    bar("M", 0, 200, 0)
    bar("M", 100, 200, 3)
    bar("M", 200, 200, 4)
    frames = stream.getvalue().split("\r\x1b[K")[1:]
    assert frames == [
        "M [........................] 0/200 items, 0 failed, -/s",
        "M [############............] 100/200 items, 3 failed, 50/s",
        "M [########################] 200/200 items, 4 failed, 50/s\n",
    ]
    bar.close()
    assert stream.getvalue().endswith("50/s\n")
