"""Tests for asl._languages.choice: JSONPath Choice rules, checked against AWS recordings and per operator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asl._errors import CompileError, StatesError
from asl._languages.choice import _as_timestamp, compile_choices, compile_rule, rule_errors
from asl._languages.env import Env
from asl._languages.paths import MISSING
from strategies import choice_rules

SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "cases"
# A plain clone has no ../shared: the recorded cases then skip, saying why, rather than fail.
needs_recordings = pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared/conformance is not beside the project"
)


# --- the AWS recordings -----------------------------------------------------------------------


def _choice_cases() -> list[Any]:
    """Cases whose machine starts with its only Choice state and otherwise has only Pass states."""
    cases = []
    for path in sorted(SHARED.glob("*.json")) if SHARED.is_dir() else []:
        case = json.loads(path.read_text())
        definition = case["definition"]
        states = definition["States"]
        kinds = [state["Type"] for state in states.values()]
        if "choice" not in case.get("tags", ()) or kinds.count("Choice") != 1:
            continue
        if set(kinds) > {"Choice", "Pass"} or states[definition["StartAt"]]["Type"] != "Choice":
            continue
        if definition.get("QueryLanguage") == "JSONata":
            continue
        cases.append(pytest.param(case, id=case["id"]))
    return cases


def _branch_taken(case: dict[str, Any]) -> str | None:
    """The state AWS entered after the Choice: from the history, else from the output."""
    expect = case["expect"]
    if "history" in expect:
        entered = [e for e in expect["history"] if e["type"].endswith("StateEntered")]
        return entered[1]["stateEnteredEventDetails"]["name"] if len(entered) > 1 else None
    states = case["definition"]["States"]
    candidates = [
        name
        for name, state in states.items()
        if state["Type"] == "Pass" and state.get("Result", case["input"]) == expect.get("output")
    ]
    return candidates[0] if len(candidates) == 1 else None


@needs_recordings
@pytest.mark.parametrize("case", _choice_cases())
def test_rules_take_the_branch_aws_took(case: dict[str, Any]) -> None:
    """Evaluated on the recorded input, the compiled rules pick the branch AWS picked."""
    expected = _branch_taken(case)
    if expected is None:
        pytest.skip("the recording does not tell which branch was taken")
    state = case["definition"]["States"][case["definition"]["StartAt"]]
    # A rule's Assign is a payload template (asl._languages.payload's business), not part of the test.
    choices = [{k: v for k, v in rule.items() if k != "Assign"} for rule in state["Choices"]]
    rules = compile_choices({"Choices": choices})
    env = Env({"Execution": {"Input": case["input"]}}, {})
    taken = next((r.next for r in rules if r.matches(case["input"], env)), state.get("Default"))
    assert taken == expected


@needs_recordings
def test_recordings_are_found() -> None:
    """The shared recordings are present, so the test above is not vacuous."""
    assert len(_choice_cases()) >= 200


# --- helpers ----------------------------------------------------------------------------------

ENV = Env({"Execution": {"Name": "run"}}, {"limit": 10})


def matches(rule: dict[str, Any], data: Any) -> bool:
    return compile_rule({**rule, "Next": "X"}).matches(data, ENV)


def compile_error(rule: dict[str, Any]) -> CompileError:
    with pytest.raises(CompileError) as info:
        compile_rule(rule)
    return info.value


# --- comparisons ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "comparand", "value", "expected"),
    [
        ("StringEquals", "a", "a", True),
        ("StringEquals", "a", "b", False),
        ("StringLessThan", "b", "a", True),
        ("StringLessThan", "a", "a", False),
        ("StringGreaterThan", "A", "AB", True),
        ("StringLessThanEquals", "a", "a", True),
        ("StringGreaterThanEquals", "b", "a", False),
        ("NumericEquals", 1, 1.0, True),
        ("NumericEquals", 2.22, 2.22, True),
        ("NumericLessThan", 0, -1, True),
        ("NumericGreaterThan", 0, 1, True),
        ("NumericLessThanEquals", 1, 1, True),
        ("NumericGreaterThanEquals", 1, 0.5, False),
        ("BooleanEquals", False, False, True),
        ("BooleanEquals", True, False, False),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T20:00:55+01:00", True),
        ("TimestampLessThan", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55.999Z", True),
        ("TimestampGreaterThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55.000000001Z", True),
        ("TimestampLessThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampGreaterThanEquals", "2012-10-09T19:00:55Z", "2011-01-01T00:00:00Z", False),
    ],
)
def test_comparison(operator: str, comparand: Any, value: Any, expected: bool) -> None:
    """Each comparison operator relates the Variable's value to the literal comparand."""
    assert matches({"Variable": "$.v", operator: comparand}, {"v": value}) is expected


@pytest.mark.parametrize(
    ("operator", "comparand", "value"),
    [
        ("NumericEquals", 0, False),
        ("NumericEquals", 1, True),
        ("NumericEquals", 1, "1"),
        ("NumericLessThan", 5, None),
        ("StringEquals", "1", 1),
        ("StringLessThan", "b", ["a"]),
        ("BooleanEquals", False, 0),
        ("BooleanEquals", True, "true"),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55"),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09 19:00:55Z"),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09t19:00:55z"),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-13-09T19:00:55Z"),
        ("TimestampLessThan", "2012-10-09T19:00:55Z", 1349809255),
    ],
)
def test_type_mismatch_is_not_a_match(operator: str, comparand: Any, value: Any) -> None:
    """A value of the wrong type never matches, and is not an error (a boolean is no number)."""
    assert matches({"Variable": "$.v", operator: comparand}, {"v": value}) is False
    assert matches({"Not": {"Variable": "$.v", operator: comparand}}, {"v": value}) is True


def test_missing_variable_is_runtime_error() -> None:
    """A Variable that matches nothing fails the state with States.Runtime, worded as AWS."""
    rule = compile_rule({"Variable": "$.nope", "NumericEquals": 1, "Next": "X"})
    with pytest.raises(StatesError) as info:
        rule.matches({}, ENV)
    assert info.value.error == "States.Runtime"
    assert info.value.cause == "Invalid path '$.nope' : No results for path: $['nope']"


def test_variable_may_read_context_and_workflow_variables() -> None:
    """Variable may be a context path (`$$`) or a workflow variable (`$name`)."""
    assert matches({"Variable": "$$.Execution.Name", "StringEquals": "run"}, {})
    assert matches({"Variable": "$limit", "NumericGreaterThan": 5}, {})


# --- ...Path twins ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "data", "expected"),
    [
        ("StringEqualsPath", {"v": "a", "c": "a"}, True),
        ("StringLessThanPath", {"v": "A", "c": "AB"}, True),
        ("NumericEqualsPath", {"v": 1, "c": 1.0}, True),
        ("NumericGreaterThanEqualsPath", {"v": 0, "c": 1}, False),
        ("BooleanEqualsPath", {"v": False, "c": False}, True),
        ("TimestampLessThanPath", {"v": "2012-10-09T19:00:55Z", "c": "2012-10-09T19:00:56Z"}, True),
        ("NumericEqualsPath", {"v": 1, "c": "1"}, False),
        ("BooleanEqualsPath", {"v": 0, "c": False}, False),
        ("TimestampEqualsPath", {"v": "2012-10-09T19:00:55Z", "c": "not a time"}, False),
    ],
)
def test_path_twin(operator: str, data: Any, expected: bool) -> None:
    """A ...Path operator compares with the value at its path; a mistyped one never matches."""
    assert matches({"Variable": "$.v", operator: "$.c"}, data) is expected


def test_path_twin_reads_variables() -> None:
    """The comparand path of a ...Path operator may be a workflow variable."""
    assert matches({"Variable": "$.v", "NumericLessThanPath": "$limit"}, {"v": 3})


def test_missing_path_comparand_is_runtime_error() -> None:
    """A ...Path comparand that matches nothing is a States.Runtime failure, like a Variable."""
    rule = compile_rule({"Variable": "$.v", "StringEqualsPath": "$.c", "Next": "X"})
    with pytest.raises(StatesError) as info:
        rule.matches({"v": "a"}, ENV)
    assert info.value.error == "States.Runtime"


def test_path_twin_needs_a_reference_path() -> None:
    """The comparand of a ...Path operator must be a valid reference path."""
    error = compile_error({"Variable": "$.v", "NumericEqualsPath": "$.c[*]", "Next": "X"})
    assert error.subpointer == "/NumericEqualsPath"
    assert compile_error({"Variable": "$.v", "NumericEqualsPath": 3, "Next": "X"})


def test_there_is_no_string_matches_path() -> None:
    """StringMatchesPath is not an AWS operator, so it is an unknown field."""
    error = compile_error({"Variable": "$.v", "StringMatchesPath": "$.p", "Next": "X"})
    assert error.subpointer == "/StringMatchesPath"


# --- StringMatches ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("log-*.txt", "log-2024.txt", True),
        ("log-*.txt", "log-.txt", True),
        ("log-*.txt", "log-2024.csv", False),
        ("*", "", True),
        ("a*b*c", "abc", True),
        ("a*b*c", "aXbYbZc", True),
        ("a*b*c", "acb", False),
        ("*ab", "ab", True),
        ("ab*ab", "ab", False),
        ("exact", "exact", True),
        ("exact", "exactly", False),
        (r"a\*b", "a*b", True),
        (r"a\*b", "aXb", False),
        (r"a\\*", "a\\anything", True),
        (r"a\\b", "a\\b", True),
    ],
)
def test_string_matches(pattern: str, value: str, expected: bool) -> None:
    """`*` matches any run of characters; `\\*` and `\\\\` are a literal star and backslash."""
    assert matches({"Variable": "$.v", "StringMatches": pattern}, {"v": value}) is expected


def test_string_matches_is_linear_on_adversarial_input() -> None:
    """A pattern that makes backtracking matchers explode is answered at once."""
    pattern = "a*" * 30 + "b"
    assert not matches({"Variable": "$.v", "StringMatches": pattern}, {"v": "a" * 5000})


def test_string_matches_on_non_string_is_false() -> None:
    """StringMatches on a number is a non-match, not an error."""
    assert not matches({"Variable": "$.v", "StringMatches": "*"}, {"v": 1})


# --- type tests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("IsNull", None, True),
        ("IsNull", "", False),
        ("IsNumeric", 1.5, True),
        ("IsNumeric", True, False),
        ("IsNumeric", "1", False),
        ("IsString", "", True),
        ("IsString", None, False),
        ("IsBoolean", False, True),
        ("IsBoolean", 0, False),
        ("IsTimestamp", "2016-08-18T17:33:00Z", True),
        ("IsTimestamp", "2016-08-18T17:33:00.123+05:30", True),
        ("IsTimestamp", "2016-08-18T17:33:00", False),
        ("IsTimestamp", "2023-02-24", False),
    ],
)
def test_type_test(operator: str, value: Any, expected: bool) -> None:
    """Is* operators test the value's JSON type; with false they test its absence."""
    assert matches({"Variable": "$.v", operator: True}, {"v": value}) is expected
    assert matches({"Variable": "$.v", operator: False}, {"v": value}) is not expected


def test_is_present_tolerates_missing_variable() -> None:
    """IsPresent is false, not an error, when the Variable matches nothing at any depth."""
    assert matches({"Variable": "$.v", "IsPresent": True}, {"v": None})
    assert not matches({"Variable": "$.v", "IsPresent": True}, {})
    assert matches({"Variable": "$.a.b.c", "IsPresent": False}, {})
    assert matches({"Variable": "$unset", "IsPresent": False}, {})


def test_other_type_tests_fail_on_missing_variable() -> None:
    """Only IsPresent tolerates a missing Variable; IsNull on one is States.Runtime."""
    rule = compile_rule({"Variable": "$.v", "IsNull": True, "Next": "X"})
    with pytest.raises(StatesError):
        rule.matches({}, ENV)


# --- And / Or / Not ---------------------------------------------------------------------------


def test_boolean_combinators_nest() -> None:
    """And, Or and Not combine nested rules to any depth."""
    rule = {
        "And": [
            {"Variable": "$.value", "NumericGreaterThanEquals": 20},
            {
                "Or": [
                    {"Variable": "$.value", "NumericLessThan": 30},
                    {"Not": {"Variable": "$.x", "IsPresent": True}},
                ]
            },
        ]
    }
    assert matches(rule, {"value": 25})
    assert matches(rule, {"value": 35})
    assert not matches(rule, {"value": 35, "x": 1})
    assert not matches(rule, {"value": 10})


def test_and_short_circuits_before_a_missing_variable() -> None:
    """And stops at the first false rule, so a guarded missing Variable is never read."""
    rule = {
        "And": [{"Variable": "$.v", "IsPresent": True}, {"Variable": "$.v", "NumericEquals": 3}]
    }
    assert not matches(rule, {})


# --- compile errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "subpointer", "fragment"),
    [
        ({"Variable": "$.v", "Next": "X"}, "", "exactly one comparison operator"),
        (
            {"Variable": "$.v", "StringEquals": "a", "NumericEquals": 1, "Next": "X"},
            "/NumericEquals",
            "exactly one operator",
        ),
        ({"Variable": "$.v", "NumericEquals": "1", "Next": "X"}, "/NumericEquals", "number"),
        ({"Variable": "$.v", "NumericEquals": True, "Next": "X"}, "/NumericEquals", "number"),
        ({"Variable": "$.v", "StringEquals": 1, "Next": "X"}, "/StringEquals", "string"),
        ({"Variable": "$.v", "BooleanEquals": "true", "Next": "X"}, "/BooleanEquals", "true or"),
        (
            {"Variable": "$.v", "TimestampEquals": "yesterday", "Next": "X"},
            "/TimestampEquals",
            "RFC 3339",
        ),
        ({"Variable": "$.v", "IsNull": "yes", "Next": "X"}, "/IsNull", "true or false"),
        ({"Variable": "$.v", "StringMatches": 3, "Next": "X"}, "/StringMatches", "pattern"),
        ({"StringEquals": "a", "Next": "X"}, "", "needs a Variable"),
        ({"Variable": "$.v[*]", "StringEquals": "a", "Next": "X"}, "/Variable", "reference path"),
        ({"Variable": "v", "StringEquals": "a", "Next": "X"}, "/Variable", "start with '$'"),
        ({"Variable": "$.v", "StringEquals": "a"}, "", "Next"),
        ({"Variable": "$.v", "StringEquals": "a", "Next": 5}, "/Next", "Next"),
        ({"And": [], "Next": "X"}, "/And", "non-empty array"),
        ({"Or": {"Variable": "$.v", "IsNull": True}, "Next": "X"}, "/Or", "array"),
        ({"Not": [], "Next": "X"}, "/Not", "one Choice rule"),
        ({"And": ["x"], "Next": "X"}, "/And/0", "Choice rule object"),
        (
            {"Variable": "$.v", "Not": {"Variable": "$.v", "IsNull": True}, "Next": "X"},
            "/Variable",
            "no Variable",
        ),
        (
            {"And": [{"Variable": "$.v", "IsNull": True, "Next": "Y"}], "Next": "X"},
            "/And/0/Next",
            "only allowed on a top-level",
        ),
        (
            {"Not": {"Or": [{"Variable": "$.v", "NumericEquals": "x"}]}, "Next": "X"},
            "/Not/Or/0/NumericEquals",
            "number",
        ),
        ({"Variable": "$.v", "StringEqual": "a", "Next": "X"}, "/StringEqual", "'StringEquals'"),
        ({"Condition": "{% true %}", "Next": "X"}, "/Condition", "JSONata"),
    ],
)
def test_compile_errors(rule: dict[str, Any], subpointer: str, fragment: str) -> None:
    """Malformed rules raise CompileError at load, pointing at the offending field."""
    error = compile_error(rule)
    assert error.subpointer == subpointer
    assert fragment in error.message


def test_rule_must_be_an_object() -> None:
    """A Choice rule that is not an object is a compile error."""
    assert "object" in compile_error("StringEquals").message  # type: ignore[arg-type]


def test_compile_choices_points_into_the_array() -> None:
    """compile_choices prefixes each rule's subpointer with /Choices/<index>."""
    state = {"Choices": [{"Variable": "$.v", "IsNull": True, "Next": "A"}, {"Next": "B"}]}
    with pytest.raises(CompileError) as info:
        compile_choices(state)
    assert info.value.subpointer == "/Choices/1"
    assert [r.next for r in compile_choices({"Choices": state["Choices"][:1]})] == ["A"]


def test_top_level_rule_keeps_next_comment_and_assign() -> None:
    """A top-level rule carries its Next and compiled Assign; a Comment is accepted anywhere."""
    rule = compile_rule(
        {
            "Variable": "$.v",
            "IsPresent": True,
            "Next": "Done",
            "Comment": "why",
            "Assign": {"seen.$": "$.v"},
        }
    )
    assert rule.next == "Done"
    assert rule.assign is not None
    assert compile_rule({"Variable": "$.v", "IsNull": True, "Next": "A"}).assign is None
    assert compile_rule({"Not": {"Variable": "$.v", "IsNull": True, "Comment": "c"}, "Next": "A"})


def test_rules_do_not_mutate_data() -> None:
    """Evaluating a rule leaves the caller's data unchanged."""
    data = {"v": [1, 2], "w": {"x": "2012-10-09T19:00:55Z"}}
    snapshot = json.dumps(data)
    matches({"Variable": "$.w.x", "TimestampLessThan": "2013-01-01T00:00:00Z"}, data)
    matches({"Variable": "$.v[0]", "NumericEquals": 1}, data)
    assert json.dumps(data) == snapshot


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=25),
    lambda inner: st.lists(inner, max_size=2)
    | st.dictionaries(st.text(max_size=2), inner, max_size=2),
    max_leaves=4,
)
_operators = st.sampled_from(
    [
        ("StringLessThan", "m"),
        ("NumericGreaterThan", 0),
        ("BooleanEquals", True),
        ("TimestampLessThan", "2020-01-01T00:00:00Z"),
        ("StringMatches", "*a*"),
        ("IsTimestamp", True),
        ("NumericEqualsPath", "$.w"),
        ("TimestampGreaterThanEqualsPath", "$.w"),
    ]
)


@given(value=_values, other=_values, operator=_operators)
def test_evaluation_yields_bool_or_states_error(value: Any, other: Any, operator: Any) -> None:
    """On any JSON data a rule answers a bool; nothing but a StatesError ever escapes."""
    name, comparand = operator
    rule = compile_rule({"Variable": "$.v", name: comparand, "Next": "X"})
    assert isinstance(rule.matches({"v": value, "w": other}, ENV), bool)


# --- rule_errors: the same parse, reporting every mistake -------------------------------------


def test_rule_errors_lists_every_mistake_with_its_code() -> None:
    """rule_errors reports each mistake of a rule, in order, with its Problem code."""
    rule = {
        "Variable": "$.v",
        "And": [{"Variable": "$.v", "NumericEquals": "1", "Next": "X"}, {"IsNull": True}],
    }
    found = [(e.subpointer, e.code) for e in rule_errors(rule)]
    assert found == [
        ("/Variable", "choice-rule-variable"),
        ("/And/0/Next", "choice-nested-next"),
        ("/And/0/NumericEquals", "choice-rule-operand"),
        ("/And/1", "choice-rule-variable"),
        ("", "choice-rule-next"),
    ]


def test_rule_errors_is_empty_for_a_rule_that_compiles() -> None:
    """A rule that compiles has no errors."""
    assert rule_errors({"Not": {"Variable": "$.v", "IsNull": True}, "Next": "X"}) == []


def test_field_names_are_escaped_in_subpointers() -> None:
    """An unknown field named with '/' or '~' is pointed at as RFC 6901 escapes it."""
    (error,) = rule_errors({"Variable": "$.v", "IsNull": True, "a/b~": 1, "Next": "X"})
    assert (error.subpointer, error.code) == ("/a~1b~0", "unknown-field")


def test_jsonata_fields_in_a_jsonpath_rule_say_what_to_do() -> None:
    """Condition and Output in a JSONPath rule belong to the other query language."""
    errors = rule_errors({"Variable": "$.v", "IsNull": True, "Output": 1, "Next": "X"})
    assert [(e.subpointer, e.code) for e in errors] == [("/Output", "field-not-allowed")]
    assert "QueryLanguage" in errors[0].message


def test_compile_rule_is_memoised_by_value() -> None:
    """Equal rules compile to one shared Rule, so load's build after validation is a cache hit."""
    rule = {"Variable": "$.v", "IsNull": True, "Next": "X"}
    assert compile_rule(rule) is compile_rule(json.loads(json.dumps(rule)))


@given(choice_rules())
def test_compile_rule_raises_the_first_of_rule_errors(rule: Any) -> None:
    """compile_rule fails exactly when rule_errors finds something, with its first error."""
    errors = rule_errors(rule)
    try:
        compile_rule(rule)
    except CompileError as error:
        assert errors
        assert (error.message, error.subpointer, error.code) == (
            errors[0].message, errors[0].subpointer, errors[0].code,
        )  # fmt: skip
    else:
        assert errors == []
    assert all(error.code for error in errors)


def _reference_instant(text: str) -> Any:
    """The (seconds, nanoseconds) instant `datetime` reads from a string of the RFC 3339
    shape, or None where datetime refuses its date, time or offset."""
    from datetime import UTC, datetime, timedelta, timezone

    date, clock, zone = text[:10], text[11:19], text[19:]
    fraction = zone[1 : zone.index("Z") if "Z" in zone else -6] if zone.startswith(".") else ""
    zone = zone[-1:] if zone.endswith("Z") else zone[-6:]
    offset = timedelta(0)
    if zone != "Z":
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        offset = -offset if zone[0] == "-" else offset
    try:
        year, month, day = map(int, date.split("-"))
        hour, minute, second = map(int, clock.split(":"))
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return None
    seconds = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)
    return (seconds, int((fraction or "0")[:9].ljust(9, "0")))


_STAMP_SHAPE = r"\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-6]\d:[0-6]\d(\.\d{1,12})?(Z|[+-][0-2]\d:[0-7]\d)"


@given(st.from_regex(_STAMP_SHAPE, fullmatch=True))
def test_timestamps_read_as_datetime_reads_them(text: str) -> None:
    """A timestamp is the instant datetime reads, to the nanosecond, and is refused where
    datetime refuses its date, time or offset (February 30th, 24:00, +24:00, year 0)."""
    expected = _reference_instant(text)
    assert _as_timestamp(text) == (MISSING if expected is None else expected)
    assert (rule_errors({"Variable": "$.v", "TimestampEquals": text, "Next": "X"}) == []) == (
        expected is not None
    )
