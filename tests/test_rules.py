"""Unit tests of the semantic rules, and our own corpus in tests/definitions/."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from asl._definition.rules import RULES, check, ptr
from asl._errors import Problem

DEFINITIONS = Path(__file__).parent / "definitions"
DOCS = Path(__file__).parents[1] / "docs" / "problems-rules.md"


def _machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def _codes(document: Any) -> list[str]:
    return [p.code for p in check(document) if p.severity == "error"]


def _names(directory: str, suffix: str = ".json") -> list[str]:
    return sorted(p.name[: -len(suffix)] for p in (DEFINITIONS / directory).glob(f"*{suffix}"))


# --- our corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", _names("valid"))
def test_valid_definition(name: str) -> None:
    """A definition in definitions/valid has no error-severity Problem."""
    document = json.loads((DEFINITIONS / "valid" / f"{name}.json").read_text())
    assert [p for p in check(document) if p.severity == "error"] == []


@pytest.mark.parametrize("name", _names("invalid"))
def test_invalid_definition(name: str) -> None:
    """A definition in definitions/invalid reports the code and pointer of its .expect file."""
    document = json.loads((DEFINITIONS / "invalid" / f"{name}.json").read_text())
    expect = json.loads((DEFINITIONS / "invalid" / f"{name}.expect").read_text())
    found = [(p.code, p.pointer) for p in check(document) if p.severity == "error"]
    assert (expect["code"], expect["pointer"]) in found


def test_every_invalid_definition_has_an_expectation() -> None:
    """Each invalid definition has its .expect sidecar, and each sidecar its definition."""
    assert _names("invalid") == _names("invalid", ".expect")


def test_every_documented_error_code_has_an_invalid_definition() -> None:
    """Each error code in docs/problems-rules.md is exercised by an invalid definition."""
    documented = set(
        re.findall(r"^\| `([a-z-]+)` \| (?!\*warning)", DOCS.read_text(), re.MULTILINE)
    )
    covered = {
        json.loads(p.read_text())["code"] for p in (DEFINITIONS / "invalid").glob("*.expect")
    }
    assert documented - covered == set()


def test_every_code_is_documented() -> None:
    """Every code the rules emit on our corpus appears in docs/problems-rules.md, or, for the
    schema's codes a compiler reuses (unknown-field), in docs/problems.md."""
    pages = DOCS.read_text() + DOCS.with_name("problems.md").read_text()
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", pages, re.MULTILINE))
    emitted = set()
    for path in (DEFINITIONS / "invalid").glob("*.json"):
        emitted |= {p.code for p in check(json.loads(path.read_text()))}
    assert emitted - documented == set()


# --- robustness ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [None, 1, "x", [], {}, {"States": []}, {"States": {"a": 1}}, {"StartAt": 3, "States": {}},
     {"StartAt": "a", "States": {"a": {"Type": "Choice", "Choices": [1, None, {"And": 5}]}}},
     {"StartAt": "a", "States": {"a": {"Type": "Parallel", "Branches": [1, {"States": 2}]}}},
     {"StartAt": "a", "States": {"a": {"Type": "Map", "ItemProcessor": {"States": {"b": []}}}}}],
)  # fmt: skip
def test_malformed_documents_do_not_raise(document: Any) -> None:
    """Structurally invalid documents yield Problems (or none) and never raise."""
    assert all(isinstance(p, Problem) for p in check(document))


def test_check_does_not_mutate_the_document() -> None:
    """check leaves the caller's document unchanged."""
    document = json.loads((DEFINITIONS / "valid" / "parallel-and-map.json").read_text())
    before = copy.deepcopy(document)
    list(check(document))
    assert document == before


def test_rules_are_a_tuple_of_functions() -> None:
    """The rules are listed in one tuple of callables."""
    assert isinstance(RULES, tuple) and all(callable(rule) for rule in RULES)


def test_pointer_escapes_slash_and_tilde() -> None:
    """State names with '/' and '~' are escaped in pointers as RFC 6901 says."""
    assert ptr("", "States", "a/b~c") == "/States/a~1b~0c"


# --- specific behaviours -------------------------------------------------------------------


def test_did_you_mean_for_unknown_target() -> None:
    """An unknown Next names the closest existing state."""
    document = _machine({"A": {"Type": "Pass", "Next": "Finsh"}, "Finish": {"Type": "Succeed"}})
    (problem,) = [p for p in check(document) if p.code == "unknown-target"]
    assert "did you mean 'Finish'" in problem.message


def test_missing_start_at_does_not_flood_unreachable() -> None:
    """When StartAt is unknown, states are not also reported as unreachable."""
    document = _machine({"A": {"Type": "Pass", "End": True}}, start="Z")
    assert _codes(document) == ["unknown-start-at"]


def test_reachability_follows_choices_default_and_catch() -> None:
    """States reached only through Choices, Default or Catch are reachable."""
    document = _machine(
        {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "C",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "Y"}],
                  "Default": "N"},
            "Y": {"Type": "Succeed"}, "N": {"Type": "Succeed"}, "Caught": {"Type": "Fail"},
        }
    )  # fmt: skip
    assert _codes(document) == []


def test_nested_scopes_are_checked_with_their_own_pointers() -> None:
    """A problem inside a Map processor is located inside it."""
    inner = _machine({"I": {"Type": "Pass"}})
    document = _machine({"M": {"Type": "Map", "ItemProcessor": inner, "End": True}})
    pointers = [p.pointer for p in check(document) if p.code == "missing-next-or-end"]
    assert pointers == ["/States/M/ItemProcessor/States/I"]


def test_states_all_must_be_alone() -> None:
    """States.ALL together with another error name is reported."""
    catch = [{"ErrorEquals": ["States.ALL", "X"], "Next": "F"}]
    document = _machine(
        {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Catch": catch,
               "End": True}, "F": {"Type": "Fail"}}
    )  # fmt: skip
    assert _codes(document) == ["states-all-position"]


@pytest.mark.parametrize(
    "resource, codes",
    [("arn:aws:lambda:us-east-1:123456789012:function:f", []),
     ("arn:aws-us-gov:states:::sqs:sendMessage", []),
     ("foo:bar", ["resource-not-arn"]), ("bar", ["bad-resource"]),
     # A deploy-time placeholder stands for the ARN its tool fills in.
     ("${LambdaArn}", []), ("arn:${AWS::Partition}:states:::lambda:invoke", []),
     ("arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Name}", []),
     # ... but a broken one, or text around it that no substitution makes an ARN, is an error.
     ("${LambdaArn", ["bad-resource"]), ("fn-${Name}", ["bad-resource"])],
)  # fmt: skip
def test_task_resource(resource: str, codes: list[str]) -> None:
    """ARNs pass, other URIs warn, non-URIs are errors; placeholders stand for ARNs."""
    document = _machine({"T": {"Type": "Task", "Resource": resource, "End": True}})
    assert [p.code for p in check(document)] == codes


@pytest.mark.parametrize(
    "stamp, ok",
    [("2016-03-14T01:59:00Z", True), ("2016-03-14T01:59:00.123+02:00", True),
     ("2016-03-14t01:59:00z", False), ("2016-02-30T01:59:00Z", False), ("2016-03-14", False)],
)  # fmt: skip
def test_rfc3339_timestamps(stamp: str, ok: bool) -> None:
    """Timestamps need RFC 3339 with uppercase T and Z and a real calendar date."""
    document = _machine({"W": {"Type": "Wait", "Timestamp": stamp, "End": True}})
    assert (_codes(document) == []) is ok


def test_no_dollar_is_a_warning() -> None:
    """A literal template value that looks like a path is a warning, not an error."""
    document = _machine({"A": {"Type": "Pass", "Parameters": {"x": "$.a"}, "End": True}})
    problems = list(check(document))
    assert [(p.code, p.severity) for p in problems] == [("no-dollar", "warning")]


def test_choice_rule_with_two_operators() -> None:
    """A rule with two comparison operators is reported once."""
    rule = {"Variable": "$.a", "IsNull": True, "IsPresent": True, "Next": "S"}
    document = _machine({"C": {"Type": "Choice", "Choices": [rule]}, "S": {"Type": "Succeed"}})
    assert _codes(document) == ["choice-rule-operator"]


def test_jsonata_state_inherits_machine_language() -> None:
    """A state without QueryLanguage uses the machine's, so JSONPath fields are reported."""
    document = _machine(
        {"A": {"Type": "Pass", "OutputPath": "$.a", "End": True}}, QueryLanguage="JSONata"
    )
    assert _codes(document) == ["field-not-allowed"]


def test_jsonpath_state_may_not_use_output() -> None:
    """Output in a JSONPath state is a field of the other language."""
    document = _machine({"A": {"Type": "Pass", "Output": {"a": 1}, "End": True}})
    assert _codes(document) == ["field-not-allowed"]


def test_problems_are_errors_unless_documented_as_warnings() -> None:
    """Only the codes documented as warnings carry severity warning."""
    warnings = set(re.findall(r"^\| `([a-z-]+)` \| \*warning", DOCS.read_text(), re.MULTILINE))
    document = _machine(
        {"T": {"Type": "Task", "Resource": "foo:bar", "Parameters": {"x": "$.a"}, "End": True}}
    )
    assert {p.code for p in check(document) if p.severity == "warning"} <= warnings


def test_choice_rule_reports_every_mistake() -> None:
    """The rules report each mistake of a JSONPath Choice rule, not only the first."""
    rule = {"Variable": "$.a", "Or": [{"Variable": "$.a", "NumericEquals": "1"}]}
    document = _machine({"C": {"Type": "Choice", "Choices": [rule], "Default": "S"},
                         "S": {"Type": "Succeed"}})  # fmt: skip
    found = [(p.code, p.pointer) for p in check(document)]
    assert found == [
        ("choice-rule-variable", "/States/C/Choices/0/Variable"),
        ("choice-rule-operand", "/States/C/Choices/0/Or/0/NumericEquals"),
        ("choice-rule-next", "/States/C/Choices/0"),
    ]
