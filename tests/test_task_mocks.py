"""Mocked responses through `run(..., mock_config=..., test_case=...)`, with the mock file of the
AWS documentation's "mocked service integrations" example."""

from __future__ import annotations

import itertools
import json

import pytest

import asl
from asl._integrations.mocks import MockConfigError

# The AWS documentation's example MockConfigFile.json, as published.
MOCK_CONFIG = {
    "StateMachines": {
        "LambdaSQSIntegration": {
            "TestCases": {
                "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
                "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
                "HybridPath": {"LambdaState": "MockedLambdaSuccess"},
            }
        }
    },
    "MockedResponses": {
        "MockedLambdaSuccess": {
            "0": {"Return": {"StatusCode": 200,
                             "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}
        },
        "LambdaMockedResourceNotReady": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException",
                            "Cause": "Lambda resource is not ready."}}
        },
        "MockedSQSSuccess": {
            "0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
                             "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}
        },
        "MockedLambdaRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException",
                            "Cause": "Lambda resource is not ready."}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
            "3": {"Return": {"StatusCode": 200,
                             "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}},
        },
    },
}

SQS = "arn:aws:states:::sqs:sendMessage"

# The example's state machine: a Lambda invocation retried on any error, then an SQS message.
DEFINITION = {
    "Comment": "Invoke a Lambda function, then send its result to SQS",
    "StartAt": "LambdaState",
    "States": {
        "LambdaState": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3,
                       "BackoffRate": 2}],
            "Next": "SQSState",
        },
        "SQSState": {
            "Type": "Task",
            "Resource": SQS,
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
                           "MessageBody.$": "$"},
            "End": True,
        },
    },
}


@pytest.fixture
def machine():
    return asl.load(DEFINITION, name="LambdaSQSIntegration")


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(MOCK_CONFIG))
    return path


def test_happy_path(machine, config_file):
    """HappyPath: both states answer from their mocks; no handler is needed."""
    execution = machine.run({}, clock=asl.VirtualClock(), mock_config=config_file,
                            test_case="HappyPath")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output["MessageId"] == "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"
    succeeded = [event for event in execution.history if event["type"] == "TaskSucceeded"]
    lambda_output = json.loads(succeeded[0]["taskSucceededEventDetails"]["output"])
    assert lambda_output["Payload"] == {"StatusCode": 200, "body": "Hello from Lambda!"}


def test_retry_path_uses_ranges(machine, config_file):
    """RetryPath: invocation 0 throws one error, "1-2" another, 3 returns; the Retrier waits
    2, 4 and 8 s between them on the virtual clock."""
    execution = machine.run({}, clock=asl.VirtualClock(), mock_config=config_file,
                            test_case="RetryPath")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    failures = [event["taskFailedEventDetails"] for event in execution.history
                if event["type"] == "TaskFailed"]
    assert [(f["error"], f["cause"]) for f in failures] == [
        ("Lambda.ResourceNotReadyException", "Lambda resource is not ready."),
        ("Lambda.TimeoutException", "Lambda timed out."),
        ("Lambda.TimeoutException", "Lambda timed out."),
    ]
    scheduled = [event["timestamp"] for event in execution.history
                 if event["type"] == "TaskScheduled"][:4]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(scheduled)] == [2, 4, 8]


def test_retry_path_mock_from_a_dict(machine):
    """The mock configuration may be given as a dict, and is not changed by the run."""
    before = json.dumps(MOCK_CONFIG, sort_keys=True)
    execution = machine.run({}, clock=asl.VirtualClock(), mock_config=MOCK_CONFIG,
                            test_case="RetryPath")
    assert execution.status == "SUCCEEDED"
    assert json.dumps(MOCK_CONFIG, sort_keys=True) == before


def test_hybrid_path_calls_the_handler_for_the_unmocked_state(machine, config_file):
    """HybridPath mocks only LambdaState; SQSState runs its registered handler."""
    sent = []

    def send(event, context):
        sent.append(event["MessageBody"])
        return {"MessageId": "local"}

    execution = machine.run({}, handlers={SQS: send}, clock=asl.VirtualClock(),
                            mock_config=config_file, test_case="HybridPath")
    assert execution.output == {"MessageId": "local"}
    assert sent[0]["Payload"]["body"] == "Hello from Lambda!"


def test_hybrid_path_without_a_handler_says_what_is_missing(machine, config_file):
    """An unmocked state without a handler fails with a cause naming the resource."""
    execution = machine.run({}, clock=asl.VirtualClock(), mock_config=config_file,
                            test_case="HybridPath")
    assert execution.status == "FAILED"
    assert SQS in execution.cause


def test_mocked_runs_are_independent(machine, config_file):
    """Invocation counts start again at 0 for every run."""
    for _ in range(2):
        execution = machine.run({}, clock=asl.VirtualClock(), mock_config=config_file,
                                test_case="RetryPath")
        assert execution.status == "SUCCEEDED"


def test_unknown_test_case_is_a_clear_error(machine, config_file):
    """A test case the file does not define is rejected before the run starts."""
    with pytest.raises(MockConfigError, match="SadPath"):
        machine.run({}, mock_config=config_file, test_case="SadPath")


def test_test_case_needs_a_mock_config(machine):
    """test_case without mock_config says what to add."""
    with pytest.raises(MockConfigError, match="mock_config"):
        machine.run({}, test_case="HappyPath")


def test_mocked_callback_task_returns_without_waiting():
    """A mocked .waitForTaskToken task takes the mocked response as the token's answer."""
    resource = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    machine = asl.load({"StartAt": "SQSState", "States": {
        "SQSState": {"Type": "Task", "Resource": resource, "End": True}}},
        name="LambdaSQSIntegration")
    config = {"StateMachines": {"LambdaSQSIntegration": {"TestCases": {
        "Answered": {"SQSState": "MockedSQSSuccess"}}}},
        "MockedResponses": {"MockedSQSSuccess": MOCK_CONFIG["MockedResponses"]["MockedSQSSuccess"]}}
    execution = machine.run({}, clock=asl.VirtualClock(), mock_config=config,
                            test_case="Answered")
    assert execution.status == "SUCCEEDED"
    assert execution.output["MessageId"].startswith("3bcb6e8e")
