"""The `asl` command driven as a user drives it: a subprocess, its exit code, its stdout and its
stderr (`python -m asl._cli`, with this checkout's environment)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FN = "arn:aws:lambda:us-east-1:123456789012:function:"

ORDER = {
    "StartAt": "Charge",
    "States": {
        "Charge": {"Type": "Task", "Resource": FN + "charge", "Next": "Done",
                   "Retry": [{"ErrorEquals": ["Declined"], "MaxAttempts": 2, "IntervalSeconds": 3}]},
        "Done": {"Type": "Pass", "End": True},
    },
}
HANDLERS = """
import os, sys
attempts = []

class Declined(Exception):
    pass

def charge(event, context):
    print("charging", event["orderId"])          # Python's stdout
    os.system("echo from a subprocess")          # the process's file descriptor 1
    print("a warning", file=sys.stderr)
    attempts.append(event)
    if len(attempts) == 1:
        raise Declined("card declined")
    return {"charged": True, **event}
"""


# The asl under test, also from another working directory (PYTHONPATH=src is relative).
import asl as _asl  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(Path(_asl.__file__).resolve().parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}


def asl(*argv: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "asl._cli", *argv], input=stdin, text=True,
                          capture_output=True, cwd=cwd, timeout=60, check=False, env=ENV)


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr


@pytest.fixture
def order(tmp_path: Path) -> Path:
    machine = tmp_path / "order.asl.json"
    machine.write_text(json.dumps(ORDER))
    (tmp_path / "pay.py").write_text(HANDLERS)
    return machine


def test_version() -> None:
    """`asl --version` prints the package's version."""
    from asl._version import __version__

    done = asl("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"asl {__version__}\n", "")


def test_inline_json_input_and_a_handlers_file(order: Path, tmp_path: Path) -> None:
    """INPUT may be JSON text; --handlers a .py file's path. What the handler prints, from
    Python or a subprocess, goes to stderr: stdout is the output JSON alone."""
    done = asl("run", str(order), '{"orderId": "o-1"}', "--handlers", str(tmp_path / "pay.py"),
               "--virtual-clock")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"charged": True, "orderId": "o-1"}
    assert done.stderr.count("charging o-1") == 2  # the retry ran it again
    assert "from a subprocess" in done.stderr and "a warning" in done.stderr


def test_input_from_stdin_and_from_a_file(order: Path, tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text('{"orderId": "o-2"}')
    for argv, stdin in ((["in.json"], None), (["-"], '{"orderId": "o-2"}')):
        done = asl("run", str(order), *argv, "--handlers", "pay", "--virtual-clock", stdin=stdin,
                   cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["orderId"] == "o-2"


@pytest.mark.parametrize(("text", "says"), [
    ('{"orderId": ', "not a file, and not JSON"),
    ("missing.json", "no such file, and not JSON text: 'missing.json'"),
    ("[NaN]", "NaN is not JSON"),
])
def test_input_that_is_neither_a_file_nor_json_is_a_usage_error(order: Path, text: str, says: str) -> None:
    done = asl("run", str(order), text)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"asl run: cannot read input {text}: ") and says in done.stderr
    no_traceback(done)


def test_trace_lines_are_plain_when_piped(order: Path, tmp_path: Path) -> None:
    """--trace: a line per event on stderr, as it happens: times since the start, states
    entered and exited with their durations, the failed attempt's error and the retry."""
    done = asl("run", str(order), '{"orderId": "o-1"}', "--handlers", str(tmp_path / "pay.py"),
               "--virtual-clock", "--trace")
    assert done.returncode == 0
    assert "\033[" not in done.stderr  # no colour codes into a pipe
    lines = [line for line in done.stderr.splitlines() if re.match(r"\s+\d+\.\d{3}s  ", line)]
    text = [line.split("s  ", 1)[1] for line in lines]
    assert text[:2] == ["ExecutionStarted", "> Charge (Task)"]
    assert "  LambdaFunctionFailed: Declined: " in "\n".join(text)
    assert "  LambdaFunctionScheduled (retry 1)" in text
    assert "< Charge (3.000s)" in text  # the back-off, on the virtual clock
    assert lines[-1].split() == ["3.000s", "ExecutionSucceeded"]


def test_history_file_is_get_execution_history_json(order: Path, tmp_path: Path) -> None:
    """--history FILE holds {"events": [...]} with every event, ids in order; without FILE the
    events go to stderr, one JSON object per line, and stdout keeps the output alone."""
    history = tmp_path / "history.json"
    handlers = str(tmp_path / "pay.py")
    done = asl("run", str(order), '{"orderId": "o-1"}', "--handlers", handlers, "--virtual-clock",
               "--history", str(history))
    assert done.returncode == 0, done.stderr
    events = json.loads(history.read_text())["events"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"
    assert events[-1]["timestamp"].startswith("20")  # ISO 8601 text

    again = asl("run", str(order), '{"orderId": "o-1"}', "--handlers", handlers, "--virtual-clock",
                "--history")
    lines = [json.loads(line) for line in again.stderr.splitlines() if line.startswith("{")]
    assert [e["type"] for e in lines] == [e["type"] for e in events]
    assert json.loads(again.stdout)["charged"] is True


def test_history_file_never_overwrites_what_the_command_reads(order: Path, tmp_path: Path) -> None:
    """--history with the machine's own path, or with a file that is not a history, is refused
    before anything is written."""
    before = order.read_text()
    done = asl("run", str(order), "--history", str(order))
    assert done.returncode == 2 and "would overwrite" in done.stderr
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    done = asl("run", str(order), "--history", str(notes))
    assert done.returncode == 2 and "is not a history asl wrote" in done.stderr
    assert order.read_text() == before and notes.read_text() == "my notes"


def test_a_timed_out_execution_prints_its_error_and_cause(tmp_path: Path) -> None:
    """TIMED_OUT names the closing event's error and cause (AWS's DescribeExecution has none)."""
    machine = tmp_path / "slow.asl.json"
    machine.write_text(json.dumps({"StartAt": "W", "TimeoutSeconds": 5, "States": {
        "W": {"Type": "Wait", "Seconds": 60, "End": True}}}))
    done = asl("run", str(machine), "--virtual-clock")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "TIMED_OUT: States.Timeout: The execution timed out.\n"


def test_a_failed_execution_prints_error_and_cause(tmp_path: Path) -> None:
    machine = tmp_path / "fail.asl.json"
    machine.write_text(json.dumps({"StartAt": "F", "States": {
        "F": {"Type": "Fail", "Error": "Oops", "Cause": "on purpose"}}}))
    done = asl("run", str(machine))
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "Oops: on purpose\n")


def test_validate_a_directory(tmp_path: Path) -> None:
    """A directory is searched: *.asl.* files and other JSON/YAML files holding a definition;
    package.json, hidden folders and node_modules are left alone."""
    (tmp_path / "ok.asl.json").write_text(json.dumps(ORDER))
    (tmp_path / "package.json").write_text('{"name": "x", "scripts": {"StartAt": "States"}}')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "flow.yaml").write_text("StartAt: A\nStates:\n  A: {Type: Pass, Nxt: 1, End: true}\n")
    for hidden in (".git", "node_modules"):
        (tmp_path / hidden).mkdir()
        (tmp_path / hidden / "broken.asl.json").write_text("{")
    done = asl("validate", str(tmp_path))
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        f"{tmp_path / 'sub' / 'flow.yaml'}:3:19: unknown-field State 'A' of type Pass does not allow "
        "field 'Nxt'; did you mean 'Next'? allowed: Assign, Comment, End, InputPath, Next, Output, "
        "OutputPath, Parameters, QueryLanguage, Result, ResultPath"]
    (tmp_path / "sub" / "flow.yaml").unlink()
    done = asl("validate", "--format", "json", str(tmp_path))
    assert done.returncode == 0
    assert [report["file"] for report in json.loads(done.stdout)] == [str(tmp_path / "ok.asl.json")]


def test_validate_a_directory_without_definitions_is_a_usage_error(tmp_path: Path) -> None:
    done = asl("validate", str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"asl validate: no state machine definitions under {tmp_path}\n"


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`asl validate DIR | head -1`: the reader goes away; asl stops without a traceback."""
    for index in range(400):
        (tmp_path / f"m{index}.asl.json").write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass"}}}')
    process = subprocess.Popen([sys.executable, "-m", "asl._cli", "validate", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(60) == 141
    assert stderr == ""


@pytest.mark.parametrize("argv", [
    ["run", "{machine}", "--handlers", "no_such_module_anywhere"],
    ["run", "{machine}", "--handlers", "./missing.py"],
    ["run", "{folder}"],
    ["run", "{binary}"],
    ["validate", "{binary}"],
    ["run", "{machine}", "--mock-config", "{binary}", "--test-case", "X"],
    ["run", "{machine}", "--history", "{folder}"],
    ["graph", "{binary}"],
    ["run", "{machine}", "--unknown-option"],
    ["frobnicate"],
])
def test_no_traceback_on_bad_input(argv: list[str], order: Path, tmp_path: Path) -> None:
    """Whatever the user passes, the answer is a message and exit code 1 or 2, never a
    traceback."""
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    values: dict[str, Any] = {"machine": order, "folder": tmp_path, "binary": binary}
    done = asl(*(part.format(**values) for part in argv), cwd=tmp_path)
    assert done.returncode in (1, 2), (done.returncode, done.stderr)
    assert (done.stdout + done.stderr).strip()
    no_traceback(done)


def test_validate_a_file(tmp_path: Path) -> None:
    """A valid file: nothing printed, exit 0; an invalid one: its problem on stdout, exit 1."""
    good = tmp_path / "good.asl.json"
    good.write_text(json.dumps(ORDER))
    done = asl("validate", str(good))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    bad = tmp_path / "bad.asl.json"
    bad.write_text('{"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": true}}}')
    done = asl("validate", str(bad))
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == (f"{bad}:1:2: unknown-start-at StartAt 'Nowhere' is not a state in this "
                           "States object\n")


@pytest.mark.parametrize("command", [[], ["validate"], ["run"], ["graph"]])
def test_help(command: list[str]) -> None:
    done = asl(*command, "--help")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: asl" + "".join(f" {c}" for c in command))


def test_validate_a_directory_checks_the_templates_in_it(tmp_path: Path) -> None:
    """A CloudFormation/SAM template found in the tree has its machines checked, each problem
    located in the template and naming the machine."""
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "template.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Resources:\n"
        "  Flow:\n"
        "    Type: AWS::StepFunctions::StateMachine\n"
        "    Properties:\n"
        "      Definition:\n"
        "        StartAt: A\n"
        "        States:\n"
        "          A: {Type: Pass, Nxt: B, End: true}\n")
    (tmp_path / "infra" / "bucket.yaml").write_text(
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n")  # a template without machines
    done = asl("validate", str(tmp_path))
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.startswith(f"{tmp_path / 'infra' / 'template.yaml'}:9:")
    assert ": unknown-field Flow: State 'A' of type Pass does not allow field 'Nxt'" in done.stdout
    assert len(done.stdout.splitlines()) == 1
