"""Tests for asl._integrations.mocks: Step Functions Local's mock configuration file."""

from __future__ import annotations

import json

import pytest

from asl._errors import MockConfigError
from asl._integrations.mocks import MockConfig

# The example file of the AWS documentation ("Configuration file for mocked service integrations").
AWS_EXAMPLE = """
{
  "StateMachines":{
    "LambdaSQSIntegration":{
      "TestCases":{
        "HappyPath":{
          "LambdaState":"MockedLambdaSuccess",
          "SQSState":"MockedSQSSuccess"
        },
        "RetryPath":{
          "LambdaState":"MockedLambdaRetry",
          "SQSState":"MockedSQSSuccess"
        },
        "HybridPath":{
          "LambdaState":"MockedLambdaSuccess"
        }
      }
    }
  },
  "MockedResponses":{
    "MockedLambdaSuccess":{
      "0":{
        "Return":{
          "StatusCode":200,
          "Payload":{
            "StatusCode":200,
            "body":"Hello from Lambda!"
          }
        }
      }
    },
    "LambdaMockedResourceNotReady":{
      "0":{
        "Throw":{
          "Error":"Lambda.ResourceNotReadyException",
          "Cause":"Lambda resource is not ready."
        }
      }
    },
    "MockedSQSSuccess":{
      "0":{
        "Return":{
          "MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
          "MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"
        }
      }
    },
    "MockedLambdaRetry":{
      "0":{
        "Throw":{
          "Error":"Lambda.ResourceNotReadyException",
          "Cause":"Lambda resource is not ready."
        }
      },
      "1-2":{
        "Throw":{
          "Error":"Lambda.TimeoutException",
          "Cause":"Lambda timed out."
        }
      },
      "3":{
        "Return":{
          "StatusCode":200,
          "Payload":{
            "StatusCode":200,
            "body":"Hello from Lambda!"
          }
        }
      }
    }
  }
}
"""

STATES = {"LambdaState", "SQSState"}


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "MockConfigFile.json"
    path.write_text(AWS_EXAMPLE)
    return MockConfig.load(path)


def test_docs_example_happy_path(config):
    """The documentation's HappyPath returns the mocked Lambda and SQS responses."""
    case = config.test_case("LambdaSQSIntegration", "HappyPath", STATES)
    assert case.response_for("LambdaState", 0) == (
        "return",
        {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}},
    )
    assert case.response_for("SQSState", 0)[0] == "return"


def test_docs_example_retry_path_ranges(config):
    """RetryPath throws on invocation 0, throws again on the range 1-2, then returns on 3."""
    case = config.test_case("LambdaSQSIntegration", "RetryPath")
    assert case.response_for("LambdaState", 0) == (
        "throw", "Lambda.ResourceNotReadyException", "Lambda resource is not ready."
    )
    assert case.response_for("LambdaState", 1) == ("throw", "Lambda.TimeoutException", "Lambda timed out.")
    assert case.response_for("LambdaState", 2) == ("throw", "Lambda.TimeoutException", "Lambda timed out.")
    assert case.response_for("LambdaState", 3)[0] == "return"


def test_hybrid_path_leaves_a_state_unmocked(config):
    """A state the test case does not mock is reported as unmocked, with the key to add."""
    case = config.test_case("LambdaSQSIntegration", "HybridPath")
    assert case.mocked("LambdaState") and not case.mocked("SQSState")
    with pytest.raises(MockConfigError, match="'SQSState' has no mocked response.*HybridPath"):
        case.response_for("SQSState", 0)


def test_invocation_beyond_ranges(config):
    """Asking for an invocation past the last range says how many are covered and what to add."""
    case = config.test_case("LambdaSQSIntegration", "HappyPath")
    with pytest.raises(MockConfigError, match=r"invoked 2 times.*only covers 1 invocation \(0-0\)"):
        case.response_for("LambdaState", 1)


def test_test_case_without_state_machine_name(config):
    """With no state machine named, the one that has the test case is used."""
    assert config.test_case(None, "RetryPath").state_machine == "LambdaSQSIntegration"


def test_unknown_test_case(config):
    """An unknown test case names the ones that exist and suggests a close one."""
    with pytest.raises(MockConfigError, match="no test case 'HapyPath'.*did you mean 'HappyPath'"):
        config.test_case("LambdaSQSIntegration", "HapyPath")
    with pytest.raises(MockConfigError, match="No state machine has a test case 'Nope'"):
        config.test_case(None, "Nope")


def test_unknown_state_machine(config):
    """An unknown state machine name lists the configured ones."""
    with pytest.raises(MockConfigError, match="no state machine 'Other'.*LambdaSQSIntegration"):
        config.test_case("Other", "HappyPath")


def test_ambiguous_test_case_name():
    """A test case name shared by two state machines must be qualified."""
    doc = {
        "StateMachines": {
            "A": {"TestCases": {"T": {}}},
            "B": {"TestCases": {"T": {}}},
        },
        "MockedResponses": {},
    }
    with pytest.raises(MockConfigError, match="several state machines"):
        MockConfig.load(doc).test_case(None, "T")


def test_mock_for_a_state_that_does_not_exist(config):
    """A mocked state missing from the state machine is named, with a suggestion."""
    with pytest.raises(MockConfigError, match="mocks the state 'SQSState'.*did you mean 'SQSStat'"):
        config.test_case("LambdaSQSIntegration", "HappyPath", {"LambdaState", "SQSStat"})


def test_load_from_dict_copies():
    """Loading from a dict keeps a copy: later changes to the caller's dict do not leak in."""
    doc = json.loads(AWS_EXAMPLE)
    config = MockConfig.load(doc)
    doc["MockedResponses"]["MockedSQSSuccess"]["0"]["Return"]["MessageId"] = "changed"
    outcome = config.test_case(None, "HappyPath").response_for("SQSState", 0)
    assert outcome[1]["MessageId"] != "changed"


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        ({"R": {"x": {"Return": 1}}}, 'key "x"'),
        ({"R": {"2-1": {"Return": 1}}}, "empty range"),
        ({"R": {"0": {"Return": 1}, "0-1": {"Return": 2}}}, "covers invocation 0 twice"),
        ({"R": {"0": {"Return": 1}, "2": {"Return": 2}}}, "skips invocation 1"),
        ({"R": {"1": {"Return": 1}}}, "skips invocation 0"),
        ({"R": {}}, "defines no invocation"),
        ({"R": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}, 'exactly one field'),
        ({"R": {"0": {}}}, "exactly one field"),
        ({"R": {"0": {"Throw": {"Cause": "c"}}}}, "non-empty Error"),
        ({"R": {"0": {"Throw": {"Error": "E", "Cause": 3}}}}, "Cause must be a string"),
        ({"R": []}, "must be a JSON object"),
    ],
)
def test_bad_mocked_responses(responses, message):
    """Each malformed MockedResponses entry fails at load with a message naming it."""
    with pytest.raises(MockConfigError, match=message):
        MockConfig.load({"MockedResponses": responses})


def test_test_case_naming_an_undefined_response():
    """A test case naming a response MockedResponses lacks fails at load, with a suggestion."""
    doc = {
        "StateMachines": {"SM": {"TestCases": {"T": {"S": "Resp"}}}},
        "MockedResponses": {"Respo": {"0": {"Return": 1}}},
    }
    with pytest.raises(MockConfigError, match="'Resp'.*did you mean 'Respo'"):
        MockConfig.load(doc)


def test_unknown_top_level_field():
    """A misspelt top-level field is rejected rather than silently ignored."""
    with pytest.raises(MockConfigError, match="MockedResponse"):
        MockConfig.load({"MockedResponse": {}})


def test_bad_file(tmp_path):
    """A missing file or invalid JSON is a MockConfigError (a ValueError), never a traceback."""
    with pytest.raises(MockConfigError, match="Cannot read"):
        MockConfig.load(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        MockConfig.load(str(bad))


def test_throw_without_cause():
    """A Throw may leave out Cause; the outcome then carries None."""
    config = MockConfig.load({
        "StateMachines": {"SM": {"TestCases": {"T": {"S": "R"}}}},
        "MockedResponses": {"R": {"0-1": {"Throw": {"Error": "Custom"}}}},
    })
    assert config.test_case("SM", "T").response_for("S", 1) == ("throw", "Custom", None)
