"""`asl test-state` as a user runs it (a subprocess): the response JSON on stdout, exit 0 whatever
the state's status, 1 with AWS's code and message on stderr when the call is refused, 2 for a
usage error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MACHINE = {
    "StartAt": "Greet",
    "States": {
        "Greet": {"Type": "Pass", "Parameters": {"hello.$": "$.name"}, "Next": "Send"},
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": "q", "MessageBody.$": "$.hello"},
                 "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 2}], "End": True},
    },
}


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "asl._cli", "test-state", *args],
                          capture_output=True, text=True, input=stdin, timeout=120)


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(MACHINE))
    return path


def test_prints_the_response(machine: Path, tmp_path: Path) -> None:
    input_file = tmp_path / "input.json"
    input_file.write_text('{"name": "Ada"}')
    done = _run(str(machine), str(input_file), "--state", "Greet", "--inspection-level", "DEBUG")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    response = json.loads(done.stdout)
    assert response["status"] == "SUCCEEDED"
    assert json.loads(response["output"]) == {"hello": "Ada"}
    assert response["nextState"] == "Send"
    assert json.loads(response["inspectionData"]["afterParameters"]) == {"hello": "Ada"}


def test_input_from_stdin_and_a_mock_as_the_aws_cli_takes_it(machine: Path) -> None:
    mock = json.dumps({"result": json.dumps({"MessageId": "m-1"})})
    done = _run(str(machine), "-", "--state", "Send", "--mock", mock, stdin='{"hello": "Ada"}')
    assert done.returncode == 0, done.stderr
    assert json.loads(json.loads(done.stdout)["output"]) == {"MessageId": "m-1"}


def test_a_failed_state_is_still_an_answer(machine: Path, tmp_path: Path) -> None:
    mock_file = tmp_path / "mock.json"
    mock_file.write_text(json.dumps({"errorOutput": {"error": "Busy", "cause": "later"}}))
    done = _run(str(machine), "-", "--state", "Send", "--mock", str(mock_file), "--retry-count", "2",
                stdin='{"hello": "Ada"}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"status": "FAILED", "error": "Busy", "cause": "later"}
    retriable = _run(str(machine), "-", "--state", "Send", "--mock", str(mock_file),
                     stdin='{"hello": "Ada"}')
    assert json.loads(retriable.stdout)["status"] == "RETRIABLE"


def _refused(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1
    assert done.stdout == ""
    return done.stderr


def test_a_refused_call_exits_1_with_awss_code_and_message(machine: Path) -> None:
    assert _refused(_run(str(machine), "--state", "Missing")) == (
        "ValidationException: State not found in definition\n")
    mock = json.dumps({"result": {"MessageId": 5}})
    assert _refused(_run(str(machine), "--state", "Send", "--mock", mock)) == (
        "ValidationException: Mock result schema validation error: Field 'MessageId' must be a "
        "string\n")


def test_an_invalid_definition_lists_its_problems_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass", "Next": "B"}\n  }\n}\n')
    stderr = _refused(_run(str(path), "--state", "A"))
    assert stderr.startswith("InvalidDefinition: Invalid State Machine Definition: '")
    assert f"{path}:4:" in stderr


@pytest.mark.parametrize("args", [
    ["--state", "Greet", "--mock", "{not json"],
    ["--state", "Greet", "--retry-count", "-1"],
    ["--state", "Send", "--mock", '{"results": "{}"}'],
    ["--state", "Greet", "--inspection-level", "LOUD"],
    ["--state", "Greet", "--handlers", "no_such_module_anywhere"],
])
def test_usage_errors_exit_2(machine: Path, args: list[str]) -> None:
    done = _run(str(machine), *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr and "Traceback" not in done.stderr


def test_an_unreadable_machine_or_input_exits_2(machine: Path, tmp_path: Path) -> None:
    missing = _run(str(tmp_path / "nope.json"), "--state", "A")
    assert missing.returncode == 2 and "nope.json" in missing.stderr
    bad_input = tmp_path / "input.json"
    bad_input.write_text("{oops")
    unreadable = _run(str(machine), str(bad_input), "--state", "Greet")
    assert unreadable.returncode == 2 and "cannot read input" in unreadable.stderr


def test_a_single_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text("Type: Choice\nChoices:\n  - Variable: $.n\n    NumericEquals: 1\n    Next: One\n"
                    "Default: Other\n")
    done = _run(str(path), "-", stdin='{"n": 1}')
    assert done.returncode == 0, done.stderr
    response: dict[str, Any] = json.loads(done.stdout)
    assert response == {"status": "SUCCEEDED", "output": '{"n":1}', "nextState": "One"}


def test_item_reader_data_from_a_file_as_it_is(tmp_path: Path) -> None:
    state = {"Type": "Map", "End": True,
             "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                               "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
             "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                            "Parameters": {"Bucket": "b", "Key": "k.csv"}},
             "ItemSelector": {"n.$": "$$.Map.Item.Value.n"}}
    path = tmp_path / "map.json"
    path.write_text(json.dumps(state))
    rows = tmp_path / "rows.csv"
    rows.write_text("n\n1\n2\n")
    done = _run(str(path), "--mock", '{"result": [1, 2]}', "--item-reader-data", str(rows),
                "--inspection-level", "DEBUG")
    assert done.returncode == 0, done.stderr
    inspection = json.loads(done.stdout)["inspectionData"]
    assert json.loads(inspection["afterItemSelector"]) == [{"n": "1"}, {"n": "2"}]


def test_a_fifo_given_as_the_mock_is_refused_not_waited_on(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    machine = tmp_path / "state.json"
    machine.write_text('{"Type": "Pass", "End": true}')
    fifo = tmp_path / "mock.json"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-m", "asl._cli", "test-state", str(machine),
                             "--mock", str(fifo)], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 2
    assert "is not a regular file" in result.stderr
