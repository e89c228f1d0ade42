"""`asl run` with Task handlers from a user module and Step Functions Local mock files."""

from __future__ import annotations

import io
import json
import sys

import pytest

from asl._cli import main

FN = "arn:aws:lambda:us-east-1:123456789012:function:greet"
SQS = "arn:aws:states:::sqs:sendMessage"

DEFINITION = {
    "StartAt": "Greet",
    "States": {
        "Greet": {"Type": "Task", "Resource": FN, "Next": "Send"},
        "Send": {"Type": "Task", "Resource": SQS, "Parameters": {"MessageBody.$": "$"},
                 "End": True},
    },
}

MOCKS = {
    "StateMachines": {"greeter": {"TestCases": {
        "Happy": {"Greet": "Hello", "Send": "Sent"},
        "GreetOnly": {"Greet": "Hello"},
    }}},
    "MockedResponses": {
        "Hello": {"0": {"Return": {"greeting": "hi from mock"}}},
        "Sent": {"0": {"Return": {"MessageId": "m-1"}}},
    },
}


@pytest.fixture
def files(tmp_path, monkeypatch):
    machine = tmp_path / "greeter.json"
    machine.write_text(json.dumps(DEFINITION))
    mocks = tmp_path / "MockConfigFile.json"
    mocks.write_text(json.dumps(MOCKS))
    (tmp_path / "greeter_handlers.py").write_text(
        "HANDLERS = {\n"
        f"    {FN!r}: lambda event, context: {{'greeting': 'hi ' + event['name']}},\n"
        f"    {SQS!r}: lambda event, context: {{'MessageId': 'local', 'body': event['MessageBody']}},\n"
        "}\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    sys.modules.pop("greeter_handlers", None)
    return machine, mocks


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_handlers_from_a_user_module(files, tmp_path):
    """--handlers MODULE finds the module's HANDLERS beside the working directory."""
    machine, _ = files
    (tmp_path / "input.json").write_text('{"name": "Ada"}')
    code, out, err = cli("run", str(machine), "input.json", "--handlers", "greeter_handlers",
                         "--virtual-clock")
    assert code == 0, err
    assert json.loads(out) == {"MessageId": "local", "body": {"greeting": "hi Ada"}}


def test_mock_config_and_test_case(files):
    """--mock-config FILE --test-case NAME answers the states from the mock file."""
    machine, mocks = files
    code, out, err = cli("run", str(machine), "--mock-config", str(mocks), "--test-case", "Happy",
                         "--virtual-clock")
    assert code == 0, err
    assert json.loads(out) == {"MessageId": "m-1"}


def test_mock_config_with_handlers_for_the_rest(files):
    """A test case that mocks some states runs the other states' handlers."""
    machine, mocks = files
    code, out, err = cli("run", str(machine), "--mock-config", str(mocks), "--test-case",
                         "GreetOnly", "--handlers", "greeter_handlers", "--virtual-clock")
    assert code == 0, err
    assert json.loads(out)["body"] == {"greeting": "hi from mock"}


def test_unknown_test_case_is_a_usage_error(files):
    """A test case missing from the file exits 2 with the mock module's message."""
    machine, mocks = files
    code, out, err = cli("run", str(machine), "--mock-config", str(mocks), "--test-case", "Nope")
    assert code == 2
    assert "Nope" in err
    assert out == ""


def test_test_case_without_mock_config_is_a_usage_error(files):
    """--test-case alone exits 2 saying the two flags go together."""
    machine, _ = files
    code, _, err = cli("run", str(machine), "--test-case", "Happy")
    assert code == 2
    assert "--mock-config" in err


def test_unreadable_mock_config_is_a_usage_error(files, tmp_path):
    """A mock file that is not JSON exits 2, naming the problem, without a traceback."""
    machine, _ = files
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    code, _, err = cli("run", str(machine), "--mock-config", str(bad), "--test-case", "Happy")
    assert code == 2
    assert "Traceback" not in err
    assert "JSON" in err
