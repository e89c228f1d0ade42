"""The pytest plugin, driven through pytest's own `pytester`: its fixtures load machines from
files next to the test, run them on a virtual clock with handlers and mocks, reproducibly (the
same snapshot on every run, under pytest-xdist too), and a failing test reports its executions."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

import asl

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
SOURCE = str(Path(asl.__file__).resolve().parents[1])

ORDER = """{
  "StartAt": "Charge",
  "States": {
    "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
               "Retry": [{"ErrorEquals": ["Card.Declined"], "IntervalSeconds": 60, "MaxAttempts": 2}],
               "Next": "Approve"},
    "Approve": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 86400,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Escalate"}], "End": true},
    "Escalate": {"Type": "Pass", "Result": "escalated", "End": true}
  }
}"""

TESTS = '''
import json
import pathlib
import threading

import asl

FN = "arn:aws:lambda:us-east-1:123456789012:function:charge"
SQS = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


def test_mocked_run(asl_run):
    execution = asl_run("order.asl.json", {"amount": 5}, mocks={
        "Charge": [{"Throw": {"Error": "Card.Declined"}}, {"Return": {"charged": 5}}],
        "Approve": {"Return": {"approved": True}}})
    execution.assert_succeeded()
    assert execution.state("Charge").retries == 1
    assert execution.output == {"approved": True}
    snapshot = pathlib.Path(__file__).with_name("snapshot.json")
    text = json.dumps(execution.snapshot(), indent=1, sort_keys=True)
    if snapshot.exists():
        assert snapshot.read_text() == text
    else:
        snapshot.write_text(text)


def test_callback_past_its_deadline(asl_start, asl_clock, asl_load):
    sent = threading.Event()
    tokens = []

    def ask(event, context):
        tokens.append(event["MessageBody"]["token"])
        sent.set()

    machine = asl_load("order.asl.json")
    assert asl_load("order.asl.json") is machine  # compiled once per session
    execution = asl_start(machine, {}, handlers={SQS: ask})  # and conftest.py's charge
    assert sent.wait(5)
    asl_clock.advance(86400)
    assert execution.wait(5)
    assert execution.path == ["Charge", "Approve", "Escalate"]


def test_fails_with_a_report(asl_run):
    execution = asl_run("order.asl.json", {}, mocks={
        "Charge": [{"Throw": {"Error": "Card.Stolen", "Cause": "police"}}]})
    assert execution.status == "SUCCEEDED"
'''


CONFTEST = '''
import pytest


@pytest.fixture
def asl_handlers():
    return {"arn:aws:lambda:us-east-1:123456789012:function:charge": lambda event, context: "ok"}
'''


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makefile(".asl.json", order=ORDER)
    pytester.makepyfile(test_order=TESTS)
    pytester.makeconftest(CONFTEST)
    # This checkout's asl, also for subprocesses; and only the plugins named, whatever is
    # installed (the plugin loads through its entry point once asl is installed).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [SOURCE, os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def test_fixtures_run_machines_and_a_failure_reports_the_execution(suite: pytest.Pytester):
    result = suite.runpytest("-p", "asl.pytest_plugin")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*- asl executions -*",
        "Execution * FAILED",
        "  error: Card.Stolen",
        "  cause: police",
        "  failed in: Charge",
        "*Charge*FAILED  Card.Stolen: police   <-- failed here",
    ])


def test_runs_are_reproducible_and_work_under_xdist(suite: pytest.Pytester):
    """The first run writes the snapshot; a second run, in two xdist worker processes, matches
    it (names, tokens, request ids and times all come from the test's id and its clock)."""
    first = suite.runpytest_subprocess("-p", "asl.pytest_plugin", "-k", "mocked")
    first.assert_outcomes(passed=1)
    assert (suite.path / "snapshot.json").exists()
    pytest.importorskip("xdist", reason="pytest-xdist (in the test extra) is not installed")
    second = suite.runpytest_subprocess("-p", "asl.pytest_plugin", "-p", "xdist.plugin", "-n", "2")
    second.assert_outcomes(passed=2, failed=1)
    second.stdout.fnmatch_lines(["*2 workers*"])


def test_the_plugin_is_registered_as_an_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"] == {"asl": "asl.pytest_plugin"}
    assert "pytest-xdist>=3" in project["project"]["optional-dependencies"]["test"]
