"""Tests of asl._cli: `asl validate` and `asl run`, with injected streams."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from asl._cli import main

EXAMPLES = Path(__file__).parents[1] / "examples"
BAD = '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass", "End": true, "Nxt": 1}\n  }\n}\n'


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.asl.json"
    path.write_text(BAD)
    return path


def test_validate_valid_files_exit_0() -> None:
    """Valid definitions print nothing and exit 0."""
    assert _main("validate", *map(str, sorted(EXAMPLES.glob("*.asl.*")))) == (0, "", "")


def test_validate_text_format(bad: Path) -> None:
    """Each problem is printed as FILE:LINE:COL: CODE message and the exit code is 1."""
    code, out, _ = _main("validate", str(bad))
    assert code == 1
    assert out.startswith(f"{bad}:4:40: unknown-field State 'A' of type Pass does not allow field 'Nxt'")


def test_validate_warning_is_marked(tmp_path: Path) -> None:
    """A warning shows its severity and alone does not fail validation."""
    path = tmp_path / "dup.asl.json"
    path.write_text('{"StartAt": "A", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}')
    code, out, _ = _main("validate", str(path))
    assert code == 0
    assert ": duplicate-key warning: " in out


def test_validate_github_format(bad: Path) -> None:
    """--format github prints workflow error annotations."""
    code, out, _ = _main("validate", "--format", "github", str(bad))
    assert code == 1
    assert out.startswith(f"::error file={bad},line=4,col=40,title=unknown-field::State 'A'")


def test_validate_json_format(bad: Path) -> None:
    """--format json prints one report object per file."""
    code, out, _ = _main("validate", "--format", "json", str(bad))
    (report,) = json.loads(out)
    assert code == 1 and report["valid"] is False
    assert report["problems"][0]["code"] == "unknown-field"


def test_validate_unreadable_file_exit_2(bad: Path, tmp_path: Path) -> None:
    """A file that cannot be read makes the exit code 2, even with other invalid files."""
    code, out, _ = _main("validate", str(bad), str(tmp_path / "missing.json"))
    assert code == 2
    assert "io-error" in out


def test_usage_error_exit_2() -> None:
    """Missing arguments are a usage error (exit 2) written to the given stderr."""
    code, _, err = _main("validate")
    assert code == 2 and "usage:" in err


def test_run_prints_output() -> None:
    """asl run prints the output of a SUCCEEDED execution as JSON and exits 0."""
    code, out, _ = _main("run", str(EXAMPLES / "hello.asl.json"), str(EXAMPLES / "hello.input.json"), "--virtual-clock")
    assert code == 0
    assert json.loads(out)["message"] == "Good evening, 3 guests!"


def test_run_failure_prints_error_and_cause(tmp_path: Path) -> None:
    """A FAILED execution prints `error: cause` on stderr and exits 1."""
    machine = tmp_path / "fail.asl.json"
    machine.write_text('{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "why"}}}')
    assert _main("run", str(machine)) == (1, "", "Oops: why\n")


def test_run_invalid_definition_exit_1(bad: Path) -> None:
    """An invalid definition is reported like validate does, with exit code 1."""
    code, out, err = _main("run", str(bad))
    assert code == 1 and out == ""
    assert f"{bad}:4:40: unknown-field" in err


def test_run_bad_input_exit_2(tmp_path: Path) -> None:
    """Unreadable or non-JSON input is a usage error."""
    bad_input = tmp_path / "in.json"
    bad_input.write_text("{nope")
    assert _main("run", str(EXAMPLES / "hello.asl.json"), str(bad_input))[0] == 2
    assert _main("run", str(EXAMPLES / "hello.asl.json"), str(tmp_path / "none.json"))[0] == 2
    assert _main("run", str(tmp_path / "none.asl.json"))[0] == 2


def test_run_handlers_and_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--handlers resolves Task resources from a module; --history writes events to stderr."""
    (tmp_path / "my_handlers.py").write_text("def double(event, context):\n    return event * 2\n")
    machine = tmp_path / "task.asl.json"
    machine.write_text('{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double", "End": true}}}')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("21"))
    code, out, err = _main("run", str(machine), "-", "--handlers", "my_handlers", "--history")
    assert (code, json.loads(out)) == (0, 42)
    assert json.loads(err.splitlines()[0])["type"] == "ExecutionStarted"


def test_console_script_starts() -> None:
    """`python -m`-free entry: the installed main() validates a file as a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from asl._cli import main; sys.exit(main())", "validate", str(EXAMPLES / "hello.asl.json")],
        capture_output=True, text=True, check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
