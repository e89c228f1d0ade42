"""Ctrl-C in `asl run`: SIGINT during a long real-time Wait stops the execution as StopExecution
does (ABORTED, with the error and cause said on stderr), keeps its history and never prints a
traceback. Driven as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import asl

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")

READY = "arn:aws:lambda:us-east-1:123456789012:function:ready"


def test_sigint_during_a_long_wait_stops_cleanly_and_keeps_the_history(tmp_path: Path):
    marker = tmp_path / "ready"
    (tmp_path / "machine.json").write_text(json.dumps({"StartAt": "Ready", "States": {
        "Ready": {"Type": "Task", "Resource": READY, "Next": "Sleep"},
        "Sleep": {"Type": "Wait", "Seconds": 600, "End": True}}}))
    # The handler says when the run has got going, so the signal lands inside the Wait.
    (tmp_path / "signals.py").write_text(
        "import pathlib\n"
        f"HANDLERS = {{{READY!r}: lambda event, context: pathlib.Path({str(marker)!r}).write_text('1') and {{}}}}\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "asl._cli", "run", "machine.json", "--handlers", "signals", "--history"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        end = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < end and process.poll() is None:
            time.sleep(0.02)
        assert marker.exists(), process.communicate()
        time.sleep(0.2)  # the Wait state's entry follows the handler's return
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    lines = stderr.splitlines()
    assert lines[-1] == "ABORTED: SIGINT: asl run was interrupted (Ctrl-C) while the execution was running."
    events = [json.loads(line) for line in lines[:-1]]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
        "LambdaFunctionSucceeded", "TaskStateExited", "WaitStateEntered", "ExecutionAborted"]
    assert events[-1]["executionAbortedEventDetails"] == {
        "error": "SIGINT", "cause": "asl run was interrupted (Ctrl-C) while the execution was running."}


def _env() -> dict[str, str]:
    """This checkout's asl first on the path, whatever directory the child starts in."""
    env = os.environ.copy()
    source = str(Path(asl.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([source, *filter(None, [env.get("PYTHONPATH")])])
    return env
