"""Tests for asl._languages.jsonata: compiled `{% %}` expressions, AWS's added functions and its wording."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asl._errors import QUERY_EVALUATION_ERROR, CompileError, StatesError
from asl._languages.jsonata import (
    UNDEFINED,
    compile_expression,
    compile_template,
    is_expression,
    json_type,
)

STATES: dict[str, Any] = {
    "input": {
        "count": 3,
        "name": "Hello World",
        "items": [{"n": "a", "p": 10}, {"n": "b", "p": 20.5}, {"n": "c", "p": 5}],
        "nothing": None,
    },
    "result": {"ok": True},
    "errorOutput": {"Error": "States.TaskFailed", "Cause": "boom"},
    "context": {"Execution": {"Id": "arn:aws:states:us-east-1:1:execution:sm:run"}},
}


def ev(text: str, variables: dict[str, Any] | None = None, field: str = "Output") -> Any:
    return compile_expression("{% " + text + " %}").evaluate(STATES, variables or {}, field)


def failure(text: str, variables: dict[str, Any] | None = None, field: str = "Output") -> str:
    with pytest.raises(StatesError) as caught:
        compile_expression("{% " + text + " %}").evaluate_defined(STATES, variables or {}, field)
    assert caught.value.error == QUERY_EVALUATION_ERROR
    return str(caught.value.cause)


# --- compiling -----------------------------------------------------------------------------


def test_delimiters_are_stripped_and_text_kept() -> None:
    """The expression's text is what lies between the delimiters, trimmed."""
    assert compile_expression("{%   $states.input   %}").text == "$states.input"
    assert compile_expression("{%1%}").evaluate(STATES, {}) == 1


@pytest.mark.parametrize("text", ["$states.input", " {% 1 %}", "{% 1 %} ", "{% 1", "1 %}", "{%%}"])
def test_not_an_expression_string_is_rejected(text: str) -> None:
    """Only a string that is exactly `{% ... %}` (and not empty) compiles as an expression."""
    with pytest.raises(CompileError):
        compile_expression(text)


def test_syntax_error_is_a_compile_error_with_the_parser_message() -> None:
    """A syntax error raises CompileError carrying the parser's code and message."""
    with pytest.raises(CompileError) as caught:
        compile_expression("{% $states.input. %}")
    assert "S0207" in caught.value.message
    assert "Unexpected end of expression" in caught.value.message


@pytest.mark.parametrize("text", ["$a ?: 1", "$a ?? 1"])
def test_jsonata_2_1_operators_are_rejected(text: str) -> None:
    """AWS runs JSONata 2.0.6: the newer `?:` and `??` operators do not compile."""
    with pytest.raises(CompileError, match="2.0.6"):
        compile_expression("{% " + text + " %}")


def test_conditional_and_strings_that_look_like_new_operators_compile() -> None:
    """`a ? b : c`, and `?:` inside strings or regexes, are fine."""
    assert ev("$states.input.count ? '?:' : '??'") == "?:"
    assert ev("$contains('a??', /a\\?\\?/)") is True


def test_is_expression() -> None:
    """is_expression accepts exactly the strings AWS evaluates."""
    assert is_expression("{% 1 %}")
    assert not is_expression("x {% 1 %}")
    assert not is_expression(1)


# --- $states and variables -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$states.input.count", 3),
        ("$states.result.ok", True),
        ("$states.errorOutput.Cause", "boom"),
        ("$states.context.Execution.Id", "arn:aws:states:us-east-1:1:execution:sm:run"),
    ],
)
def test_each_states_field_is_bound(text: str, expected: Any) -> None:
    """Every `$states` field (input, result, errorOutput, context) is readable."""
    assert ev(text) == expected


def test_variables_are_bound_by_name() -> None:
    """Each variable is bound as `$name`, including JSON null and arrays holding null."""
    assert ev("$a + $b", {"a": 1, "b": 2}) == 3
    assert ev("$v", {"v": None}) is None
    assert ev("$w", {"w": [None, 1]}) == [None, 1]
    assert ev("$type($v)", {"v": None}) == "null"


def test_json_null_is_not_undefined() -> None:
    """A null in the data is a defined null; a missing field is UNDEFINED."""
    assert ev("$states.input.nothing") is None
    assert ev("$states.input.missing") is UNDEFINED
    assert ev("$unbound") is UNDEFINED


def test_caller_data_is_not_mutated() -> None:
    """Evaluation leaves `$states` and the variables unchanged."""
    before = copy.deepcopy(STATES)
    variables = {"v": [3, 1, 2]}
    ev("($sort($v); $states.input.items^(p).n; $merge([$states.input, {'count': 9}]))", variables)
    assert STATES == before
    assert variables == {"v": [3, 1, 2]}


# --- JSONata features AWS users rely on ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$states.input.items.n", ["a", "b", "c"]),
        ("$states.input.items[p > 8].n", ["a", "b"]),
        ("$states.input.items[0].n", "a"),
        ("$map($states.input.items, function($v){$v.p * 2})", [20, 41, 10]),
        ("$filter($states.input.items, function($v){$v.p < 10}).n", "c"),
        ("$reduce([1, 2, 3], function($a, $b){$a + $b})", 6),
        ("$sum($states.input.items.p)", 35.5),
        ("$uppercase($substringBefore($states.input.name, ' '))", "HELLO"),
        ("$split($states.input.name, ' ')", ["Hello", "World"]),
        ("$join(['a', 'b'], '-')", "a-b"),
        ("{'n': $states.input.count, 'list': [1, 2]}", {"n": 3, "list": [1, 2]}),
        ("($x := 5; $y := $x * 2; $y + 1)", 11),
        ("$contains($states.input.name, /wor/i)", True),
        ("$replace($states.input.name, /o/, '0')", "Hell0 W0rld"),
        ("$contains('hello$world', /^hello\\$/)", True),
        ("$states.input.items{n: p}", {"a": 10, "b": 20.5, "c": 5}),
        ("$states.input.count < 5000", True),
        ("$exists($states.input.missing)", False),
        ("[$states.input.missing]", []),
        ("{'k': $states.input.missing}", {}),
        ("$count($states.input.items)", 3),
        ("$string({'a': 1.0})", '{"a":1}'),
    ],
)
def test_common_features(text: str, expected: Any) -> None:
    """Paths, predicates, higher-order functions, strings, regexes, blocks and constructors."""
    assert ev(text) == expected


def test_whole_numbers_come_back_as_int() -> None:
    """A whole double is returned as an int (AWS prints 2, not 2.0); fractions stay floats."""
    assert ev("6 / 3") == 2 and type(ev("6 / 3")) is int
    assert ev("[1.5 * 2, 0.5]") == [3, 0.5]
    assert type(ev("[1.5 * 2]")) is list


def test_now_and_millis_follow_the_given_clock() -> None:
    """`$now()` and `$millis()` read the time passed by the executor (a virtual clock)."""
    expression = compile_expression("{% [$now(), $millis()] %}")
    assert expression.evaluate(STATES, {}, now_ms=86_400_000) == [
        "1970-01-02T00:00:00.000Z",
        86_400_000,
    ]
    # Another expression compiled later must not change the first one's clock.
    compile_expression("{% 1 %}")
    assert expression.evaluate(STATES, {}, now_ms=0)[1] == 0


def test_now_defaults_to_the_system_clock() -> None:
    """Without a clock `$now()` is the current UTC time."""
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ev("$now()"))


# --- AWS's added functions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("[0, 1, 2], 1", [[0], [1], [2]]),
        ("[0, 1, 2], 2", [[0, 1], [2]]),
        ("[0, 1, 2], 3", [[0, 1, 2]]),
        ("[0, 1], 4", [[0, 1]]),
        ("[], 2", []),
    ],
)
def test_partition(args: str, expected: Any) -> None:
    """`$partition` splits an array into chunks; a lone chunk stays nested."""
    assert ev(f"$partition({args})") == expected


def test_partition_rejects_a_negative_size() -> None:
    """A negative size fails in AWS's words (recorded)."""
    assert failure("$partition([1, 2], -1)").endswith(
        "threw an error during evaluation. D3137: Second argument must be zero or greater"
    )


def test_partition_truncates_a_fractional_size() -> None:
    """AWS splits by the whole part of a fractional size (recorded: 2.6 makes pairs); a size
    that truncates to 0 splits into nothing (inferred: 0 is allowed by AWS's own message)."""
    assert ev("$partition([1, 2, 3, 4, 5], 2.6)") == [[1, 2], [3, 4], [5]]
    assert ev("$partition([1, 2], 0.5)") == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("$partition('abc', 2)", 'T0412: Argument 1 of function "partition" must be an array of undefined'),
        ("$partition([1], null)", 'T0410: Argument 2 of function "partition" does not match function signature'),
        ("$partition([1], 2, 3)", 'T0410: Argument 3 of function "partition" does not match function signature'),
        ("$range('a', 5, 1)", 'T0410: Argument 1 of function "range" does not match function signature'),
        ("$range(1, 5, 1, 9)", 'T0410: Argument 4 of function "range" does not match function signature'),
        ("$hash('a', 'SHA-1', 'x')", 'T0410: Argument 3 of function "hash" does not match function signature'),
        ("$hash('a', 'SHA1')", "D3137: Hash algorithm 'SHA1' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5"),
        ("$substring('a', 1, 2, 3)", 'T0410: Argument 4 of function "substring" does not match function signature'),
        ("$abs(null)", 'T0410: Argument 1 of function "abs" does not match function signature'),
        ("$sum('a')", 'T0412: Argument 1 of function "sum" must be an array of "numbers"'),
        ("'a' + 1", 'T2001: The left side of the "+" operator must evaluate to a number'),
        ("-'a'", 'D1002: Cannot negate a non-numeric value: "a"'),
        ("$number('x')", 'D3030: Unable to cast value to a number: "x"'),
        ("$toMillis('x')", 'D3110: The argument of the toMillis function must be an ISO 8601 formatted '
                           'timestamp. Given "x"'),
        ("$sort([1, 'a'])", "D3070: The single argument form of the sort function can only be applied to "
                            "an array of strings or an array of numbers.  Use the second argument to "
                            "specify a comparison function"),
    ],
)  # fmt: skip
def test_argument_errors_in_jsonata_js_words(call: str, message: str) -> None:
    """Causes quote jsonata-js's messages, holes JSON-stringified, as AWS's do (recorded for
    $partition, $range, $hash and '+'); an extra argument is named by its own position."""
    assert failure(call).endswith(f"threw an error during evaluation. {message}")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("0, 10, 3", [0, 3, 6, 9]),
        ("1, 9, 2", [1, 3, 5, 7, 9]),
        ("1, 9, 9", 1),
        ("5, 1, -2", [5, 3, 1]),
    ],
)
def test_range(args: str, expected: Any) -> None:
    """`$range` includes its end; a one-element range is a single number, as AWS returns."""
    assert ev(f"$range({args})") == expected


def test_range_is_bounded() -> None:
    """A range of more than a million numbers fails instead of filling memory."""
    assert failure("$range(0, 1e12, 1)").endswith(
        "D3137: The size of the sequence allocated by $range must not exceed 1e6. "
        "Attempted to allocate 1000000000001."
    )
    assert len(ev("$range(1, 1000000, 1)")) == 1_000_000


def test_range_with_a_zero_step_is_undefined() -> None:
    """`$range` with a step that is 0 once truncated returns nothing (recorded: a field set to
    it fails as "returned nothing")."""
    assert ev("$range(1, 5, 0)") is UNDEFINED
    assert ev("$range(1, 5, 0.49)") is UNDEFINED


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_hash(algorithm: str) -> None:
    """`$hash` returns the lowercase hex digest for each supported algorithm."""
    name = algorithm.replace("-", "").lower()
    assert ev(f"$hash('abc', '{algorithm}')") == hashlib.new(name, b"abc").hexdigest()


def test_hash_rejects_an_unknown_algorithm() -> None:
    """`$hash` names the supported algorithms when given another."""
    assert "SHA-256" in failure("$hash('abc', 'SHA-3')")


def test_random() -> None:
    """`$random()` is in [0, 1); with a seed it repeats."""
    assert 0 <= ev("$random()") < 1
    assert ev("$random(7)") == ev("$random(7)")
    assert 0 <= ev("$random('seed')") < 1


def test_uuid() -> None:
    """`$uuid()` returns a version 4 UUID string, new each call."""
    value = ev("$uuid()")
    assert uuid.UUID(value).version == 4
    assert value != ev("$uuid()")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ('"HelloWorld"', "HelloWorld"),
        ('{"a": [1, null]}', {"a": [1, None]}),
        ("null", None),
    ],
)
def test_parse(text: str, expected: Any) -> None:
    """`$parse` turns JSON text into its value; JSON null stays defined."""
    assert ev("$parse($s)", {"s": text}) == expected


def test_parse_rejects_invalid_json() -> None:
    """`$parse` of text that is not JSON is an evaluation error."""
    assert failure("$parse('{')").endswith("D3137: Invalid JSON")


def test_eval_is_not_available() -> None:
    """AWS removed `$eval`: calling it fails like any unknown function."""
    assert failure("$eval('1 + 1')").endswith("T1006: Attempted to invoke a non-function")


# --- errors, in AWS's words ------------------------------------------------------------------


def test_undefined_result_in_a_field() -> None:
    """A defined-value field whose expression returns nothing names the expression and field."""
    assert failure("$doesNotExist", field="Output/result") == (
        "The JSONata expression '$doesNotExist' specified for the field 'Output/result' "
        "returned nothing (undefined)."
    )


def test_evaluation_error_carries_the_jsonata_code() -> None:
    """An engine error is reported as '<code>: <message>' after AWS's prefix."""
    assert failure("$randomSeeded(1)", field="Output/FunctionResult") == (
        "The JSONata expression '$randomSeeded(1)' specified for the field "
        "'Output/FunctionResult' threw an error during evaluation. "
        "T1006: Attempted to invoke a non-function"
    )
    assert "T2001" in failure("'a' + 1")


@pytest.mark.parametrize("text", ["1 / 0", "$number('x')", "$sum(['a'])", "$error('boom')"])
def test_engine_failures_never_escape_as_python_errors(text: str) -> None:
    """Every evaluation failure is a StatesError, never a Python exception."""
    assert "threw an error during evaluation" in failure(text)


def test_function_result_is_unsupported() -> None:
    """A lambda result is not JSON: 'returned an unsupported result type.'"""
    assert failure("$fn := function($x){$x}", field="Items") == (
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' "
        "returned an unsupported result type."
    )
    assert "unsupported result type" in failure("{'f': function($x){$x}}")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, "'boolean' for value: true"),
        (1, "'number' for value: 1"),
        ({"foo": "bar"}, '\'object\' for value: {"foo":"bar"}'),
        ("string", "'string' for value: \"string\""),
    ],
)
def test_unexpected_result_type(value: Any, shown: str) -> None:
    """`expect` checks the JSON type and quotes the value as compact JSON."""
    with pytest.raises(StatesError) as caught:
        compile_template("{% $ItemsVar %}").render(
            STATES, {"ItemsVar": value}, "Items", expect="array"
        )
    assert caught.value.cause == (
        "The JSONata expression '$ItemsVar' specified for the field 'Items' returned an "
        f"unexpected result type. Expected 'array', but was {shown}"
    )


def test_json_type() -> None:
    """json_type names values as JSONata's $type does."""
    assert [json_type(v) for v in (None, True, 1, 1.5, "s", [], {})] == [
        "null",
        "boolean",
        "number",
        "number",
        "string",
        "array",
        "object",
    ]


# --- templates -------------------------------------------------------------------------------


def test_template_mixes_expressions_and_literals_at_any_depth() -> None:
    """Strings that are exactly `{% %}` are evaluated; everything else is literal."""
    template = compile_template(
        {
            "a": "{% $states.input.count %}",
            "b": [1, "{% $v %}"],
            "c": {"lit": "$states.input"},
            "d": "text {% 1 %}",
        }
    )
    assert template.render(STATES, {"v": "x"}, "Arguments") == {
        "a": 3,
        "b": [1, "x"],
        "c": {"lit": "$states.input"},
        "d": "text {% 1 %}",
    }
    assert len(template.expressions) == 2 and not template.is_literal


def test_literal_template_is_shared_not_copied() -> None:
    """A template without expressions renders its source value itself."""
    source = {"a": [1, 2], "b": None}
    template = compile_template(source)
    assert template.is_literal and template.render(STATES, {}, "Output") is source
    assert compile_template(0.1).render(STATES, {}) == 0.1


def test_template_names_the_nested_field_on_undefined() -> None:
    """An undefined nested value fails with the field path 'Output/key/index'."""
    template = compile_template({"result": "{% $doesNotExist %}", "list": [0, "{% $nope %}"]})
    with pytest.raises(StatesError) as caught:
        template.render(STATES, {"doesNotExist": 1}, "Output")
    assert "for the field 'Output/list/1' returned nothing" in str(caught.value.cause)


def test_template_compile_error_points_at_the_expression() -> None:
    """A bad nested expression raises CompileError with a JSON-pointer subpointer."""
    with pytest.raises(CompileError) as caught:
        compile_template({"a": [0, {"b/c": "{% $x. %}"}]})
    assert caught.value.subpointer == "/a/1/b~1c"


# --- AWS accepted it, so must we -------------------------------------------------------------

CASES = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "cases"


def _expressions(value: Any) -> list[str]:
    if is_expression(value):
        return [value]
    if isinstance(value, dict):
        return [e for item in value.values() for e in _expressions(item)]
    if isinstance(value, list):
        return [e for item in value for e in _expressions(item)]
    return []


def _jsonata_cases() -> list[Path]:
    if not CASES.is_dir():
        return []
    return sorted(
        p for p in CASES.glob("*.json") if "jsonata" in json.loads(p.read_text()).get("tags", [])
    )


@pytest.mark.skipif(not _jsonata_cases(), reason="shared conformance cases not present")
@pytest.mark.parametrize("path", _jsonata_cases(), ids=lambda p: p.stem[-60:])
def test_every_expression_aws_accepted_compiles(path: Path) -> None:
    """Every `{% %}` string in a recorded JSONata definition compiles."""
    definition = json.loads(path.read_text())["definition"]
    for text in _expressions(definition):
        compile_expression(text)


# --- properties ------------------------------------------------------------------------------

_TOKENS = st.sampled_from(
    ["$states", ".input", "$x", ":=", ";", "(", ")", "[", "]", "{", "}", "'a'", "1", "+", "/",
     "0", "function($v){$v}", "$map", ",", "?", ":", "&", "=", "$partition", "$range", "..",
     "/re/", "*", "^(", "~>", "$$", "$", "@", "#", "%", "and", "in", "-"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKENS, min_size=1, max_size=8).map(" ".join))
def test_any_text_compiles_or_fails_cleanly_and_evaluates_or_fails_cleanly(body: str) -> None:
    """Arbitrary text either compiles or raises CompileError; evaluating raises only StatesError."""
    try:
        expression = compile_expression("{% " + body + " %}")
    except CompileError:
        return
    try:
        expression.evaluate(STATES, {"x": [1, None]}, "Output", now_ms=0)
    except StatesError as error:
        assert error.error == QUERY_EVALUATION_ERROR


def test_top_level_binding_does_not_touch_the_variables() -> None:
    """`$variable := 1` at the top level returns 1 and leaves the caller's variables alone."""
    variables: dict[str, Any] = {}
    assert ev("$variable := 1", variables) == 1
    assert variables == {}


def test_a_regex_after_division_compiles_or_fails_cleanly() -> None:
    """`$states / /re/` (found by hypothesis) never escapes as a Python IndexError."""
    try:
        compile_expression("{% $states / /re/ %}")
    except CompileError:
        pass


def test_a_regex_literal_python_cannot_compile_is_a_compile_error() -> None:
    """`/ ^( ] /` (found by hypothesis) is a CompileError, not Python's re.error."""
    with pytest.raises(CompileError, match="does not parse"):
        compile_expression("{% / ^( ] / %}")


def test_invoking_a_non_function_fails_the_state_and_prints_nothing(capsys: Any) -> None:
    """jsonata-python prints "Proc not found" before raising T1006; nothing may reach stdout."""
    import asl

    definition = {"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": "{% ($a := 1; $a()) %}", "End": True}}}
    execution = asl.load(definition).run({}, clock=asl.VirtualClock())
    assert execution.error == "States.QueryEvaluationError"
    assert "T1006: Attempted to invoke a non-function" in (execution.cause or "")
    assert capsys.readouterr().out == ""
