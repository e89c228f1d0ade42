"""The README's examples run as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 'In tests' snippet passes its own assertions against the bundled example."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?)```", readme, re.S)
    assert snippet is not None
    monkeypatch.chdir(REPO)
    exec(compile(snippet.group(1), "README.md", "exec"), {})  # noqa: S102  # our own README


def test_the_readme_opens_with_the_two_setup_commands() -> None:
    """The first shell block holds exactly two one-line commands: run the example, run the tests."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 2
    assert "asl run examples/" in lines[0] and "pytest" in lines[1]
    assert all(os.path.exists(REPO / part) for part in lines[0].split() if part.startswith("examples/"))
