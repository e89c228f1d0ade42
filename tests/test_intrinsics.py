"""Tests for asl._languages.intrinsics: the States.* intrinsic functions of JSONPath states."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asl._errors import CompileError, StatesError
from asl._languages.env import Env
from asl._languages.intrinsic_functions import FUNCTION_NAMES
from asl._languages.intrinsics import compile_intrinsic, is_intrinsic

ENV = Env({"Execution": {"Input": {"csv": "a,b"}, "Name": "run"}}, {"limit": 3, "v": {"x": [1, 2]}})


def run(text: str, data: Any = None, env: Env = ENV) -> Any:
    return compile_intrinsic(text).evaluate({} if data is None else data, env)


def compile_message(text: str) -> str:
    with pytest.raises(CompileError) as info:
        compile_intrinsic(text)
    return info.value.message


def runtime_cause(text: str, data: Any = None) -> str:
    with pytest.raises(StatesError) as info:
        run(text, data)
    assert info.value.error == "States.Runtime"
    return info.value.cause or ""


def invalid(text: str, data: Any = None) -> None:
    name = text.split("(", 1)[0]
    assert runtime_cause(text, data) == (
        f"There was an error while evaluating the intrinsic function: {text}. "
        f"Invalid arguments in {name}"
    )


def never_succeeds(text: str) -> str:
    """The warning of a call that compiles (AWS accepts it) but fails whenever it runs."""
    compiled = compile_intrinsic(text)
    assert compiled.warnings, f"{text} compiled without a warning"
    with pytest.raises(StatesError) as info:
        compiled.evaluate({"a": [1, 2], "b": {}}, ENV)
    assert info.value.error == "States.Runtime"
    assert "There was an error while evaluating the intrinsic function: " in (info.value.cause or "")
    return " ".join(compiled.warnings)


# --- recognising and parsing --------------------------------------------------------------------


def test_is_intrinsic_by_prefix() -> None:
    """A `.$` value is an intrinsic call when it starts with `States.`; paths are not."""
    assert is_intrinsic("States.UUID()")
    assert not is_intrinsic("$.States")
    assert not is_intrinsic(3)


def test_registry_lists_every_aws_function() -> None:
    """The registry holds the 18 functions of AWS's intrinsic reference."""
    assert len(FUNCTION_NAMES) == 18
    assert "States.ArrayUnique" in FUNCTION_NAMES and "States.UUID" in FUNCTION_NAMES


def test_literals_of_every_kind() -> None:
    """Strings, integers, decimals, exponents, negatives, true, false and null are literals."""
    assert run("States.Array('a', 1, -2, 1.5, 2e3, true, false, null)") == [
        "a",
        1,
        -2,
        1.5,
        2000.0,
        True,
        False,
        None,
    ]


def test_string_escapes() -> None:
    """Inside a string \\' \\{ \\} and \\\\ stand for the character itself."""
    assert run(r"States.Array('it\'s \{x\} a\\b')") == ["it's {x} a\\b"]


def test_whitespace_between_tokens_is_free() -> None:
    """Spaces and newlines around arguments and parentheses are ignored."""
    assert run("States.Array (  1 ,\n 2 )") == [1, 2]


def test_paths_of_every_root() -> None:
    """Arguments read the input ($), the context object ($$) and variables ($name)."""
    assert run("States.Array($.a, $$.Execution.Name, $v.x[1], $limit)", {"a": 0}) == [
        0,
        "run",
        2,
        3,
    ]


def test_path_with_filter_containing_commas_and_parentheses() -> None:
    """A path argument ends at the first ',' or ')' outside brackets and quotes."""
    data = {"xs": [{"k": "a,b", "v": 1}, {"k": "c", "v": 2}]}
    assert run("States.Array($.xs[?(@.k == 'a,b')].v, 7)", data) == [[1], 7]


def test_nested_calls() -> None:
    """Calls nest, as in AWS's nine-function example (whose template has one {} too many)."""
    text = (
        "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
        "States.StringSplit($.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit("
        "States.ArrayGetItem(States.StringSplit($.Arn, '/'), 2), '.'), 1))"
    )
    assert run(text, {"Arn": "arn:aws:imagebuilder/x/recipe.v1.final"}) == "recipe.v1"
    assert run(text, {"Arn": "a/b/c.d"}) == "c.d"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("States.Nope(1)", "unknown intrinsic function 'States.Nope'"),
        ("States.format('x')", "did you mean States.Format?"),
        ("States.Array(1", "expected ',' or ')' at the end"),
        ("States.Array(1 2)", "expected ',' or ')' at character 16"),
        ("States.Array(1,)", "expected argument 2"),
        ("States.Array('abc)", "unterminated string"),
        ("States.Array('a\\nb')", "only \\' \\{ \\} and \\\\ are escapes"),
        ("States.Array(1) x", "unexpected 'x'"),
        ("$.a", "is not an intrinsic function call"),
        ("States.Array(#)", "unexpected character '#'"),
        ("States.Array($.a[)", "argument 1 '$.a[)'"),
    ],
)
def test_syntax_errors_are_compile_errors(text: str, fragment: str) -> None:
    """Malformed calls fail at load with a message that points at the problem."""
    assert fragment in compile_message(text)


def test_deep_nesting_is_a_compile_error_not_a_crash() -> None:
    """Absurd nesting is refused with a message rather than a RecursionError."""
    text = "States.Array(" * 200 + ")" * 200
    assert "nested more than" in compile_message(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("States.MathAdd(1)", "States.MathAdd takes exactly 2 arguments, but was given 1"),
        ("States.UUID(1)", "States.UUID takes exactly 0 arguments, but was given 1"),
        ("States.Format()", "States.Format takes at least 1 argument, but was given 0"),
        ("States.MathRandom(1, 2, 3, 4)", "States.MathRandom takes 2 to 3 arguments"),
        ("States.Hash('a')", "States.Hash takes exactly 2 arguments"),
    ],
)
def test_arity_errors_name_the_function(text: str, fragment: str) -> None:
    """A wrong argument count is a warning naming the function and its arity; AWS accepts the
    definition and fails the call when it runs (recorded: States.Hash('hello'))."""
    assert fragment in never_succeeds(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "States.MathAdd('1', 2)",
            "States.MathAdd: argument 1 must be a number, but the literal '1' is a string",
        ),
        ("States.ArrayLength('abc')", "must be an array"),
        ("States.StringSplit(1, ',')", "argument 1 must be a string"),
        ("States.ArrayLength(States.Format('x'))", "the result of States.Format is a string"),
        ("States.JsonMerge($.a, $.b, 'false')", "argument 3 must be a boolean"),
        ("States.Format(1)", "argument 1 must be a string"),
    ],
)
def test_literal_type_errors_name_the_function(text: str, fragment: str) -> None:
    """A literal (or a nested call's result) of the wrong JSON type is a warning, and the call
    fails when it runs (recorded: States.MathAdd(1, 'b'))."""
    assert fragment in never_succeeds(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("States.Hash('x', 'SHA256')", "unsupported algorithm 'SHA256'; use one of MD5, SHA-1"),
        ("States.JsonMerge($.a, $.b, true)", "must be false"),
        ("States.ArrayRange(1, 5, 0)", "(the step) must not be 0"),
        ("States.ArrayPartition($.a, 0)", "positive integer"),
        ("States.ArrayGetItem($.a, -1)", "non-negative integer"),
        ("States.Format('{} {}', 1)", "the template has 2 {} placeholders but 1 value follows it"),
        ("States.Format('{', 1)", "lone '{' or '}'"),
        ("States.Base64Encode('" + "a" * 10_001 + "')", "at most 10000 characters"),
    ],
)
def test_literal_value_errors(text: str, fragment: str) -> None:
    """Literal values that can never work (bad algorithm, deep merge, zero step) are warnings,
    and the call fails when it runs (recorded: States.ArrayPartition($.arr, 0))."""
    assert fragment in never_succeeds(text)


def test_json_to_string_arity_cause() -> None:
    """AWS adds why to JsonToString's arity failure (recorded: States.JsonToString())."""
    assert runtime_cause("States.JsonToString()") == (
        "There was an error while evaluating the intrinsic function: States.JsonToString(). "
        "Invalid arguments in States.JsonToString: only a single argument is allowed."
    )


def test_a_call_that_never_succeeds_waits_for_its_arguments() -> None:
    """The arguments are evaluated first: a missing path is reported as such."""
    assert runtime_cause("States.MathAdd($.nope)", {}) == (
        "The function 'States.MathAdd($.nope)' had the following error: The JsonPath argument "
        "for the field '$.nope' could not be found in the input '{}'"
    )


# --- runtime failures -----------------------------------------------------------------------------


def test_missing_path_argument_cause_names_whole_expression() -> None:
    """A path argument that matches nothing fails with AWS's States.Runtime wording."""
    text = "States.Format('{}', States.Format('{}', $.nope))"
    assert runtime_cause(text, {"other": 1}) == (
        f"The function '{text}' had the following error: The JsonPath argument for the field "
        "'$.nope' could not be found in the input '{\"other\":1}'"
    )


def test_missing_context_argument_is_rewritten_against_the_input() -> None:
    """A `$$` argument that misses is reported as `$...` against the state input."""
    cause = runtime_cause("States.Array($$.Nope.Deep)", {"a": "é"})
    assert cause.endswith(
        "for the field '$.Nope.Deep' could not be found in the input '{\"a\":\"é\"}'"
    )


def test_explicit_null_argument_is_not_missing() -> None:
    """A present null is a value: it formats as null."""
    assert run("States.Format('{}', $.n)", {"n": None}) == "null"


def test_evaluation_never_mutates_the_input() -> None:
    """Every function leaves its input untouched."""
    data = {"a": {"x": 1}, "b": {"y": [1, 2]}, "arr": [3, 1, 3]}
    before = copy.deepcopy(data)
    run("States.JsonMerge($.a, $.b, false)", data)
    run("States.ArrayUnique($.arr)", data)
    run("States.ArrayPartition($.arr, 2)", data)
    assert data == before


# --- States.Format ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("HelloWorld", "HelloWorld"),
        (1, "1"),
        (1.1, "1.1"),
        (3.0, "3.0"),
        (1e20, "1.0E20"),
        (0.0001, "1.0E-4"),
        (True, "true"),
        (None, "null"),
        ({"Arg1": 1, "Arg2": []}, "{Arg1=1, Arg2=[]}"),
        (["a", {"b": None}], "[a, {b=null}]"),
    ],
)
def test_format_prints_values_as_aws(value: Any, text: str) -> None:
    """Strings are inserted bare; objects and arrays print Java-style, numbers as Java doubles."""
    assert run("States.Format('v={}.', $.v)", {"v": value}) == f"v={text}."


def test_format_escaped_braces_are_not_placeholders() -> None:
    """\\{ and \\} are literal braces, and \\' a quote."""
    assert run(r"States.Format('\{{}\} it\'s', 1)") == "{1} it's"


def test_format_template_from_a_path() -> None:
    """The template may come from the input; it is checked when evaluated."""
    assert run("States.Format($.t, $.n)", {"t": "Hello, my name is {}.", "n": "Arnav"}) == (
        "Hello, my name is Arnav."
    )
    invalid("States.Format($.t, $.n)", {"t": "{} {}", "n": 1})
    invalid("States.Format($.t)", {"t": 5})
    invalid("States.Format($.t)", {"t": "}"})


# --- JSON ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("null", None),
        ("-0", 0),
        ("1.1", 1.1),
        ("true", True),
        ('"x"', "x"),
        ('{"a": []}', {"a": []}),
    ],
)
def test_string_to_json(text: str, value: Any) -> None:
    """StringToJson parses any JSON text."""
    assert run("States.StringToJson($.s)", {"s": text}) == value


def test_string_to_json_rejects_bad_text() -> None:
    """Non-JSON text, NaN and non-strings are invalid arguments."""
    invalid("States.StringToJson($.s)", {"s": "{nope"})
    invalid("States.StringToJson($.s)", {"s": "NaN"})
    invalid("States.StringToJson($.s)", {"s": 1})


def test_json_to_string_is_compact() -> None:
    """JsonToString writes compact JSON in key order, strings quoted."""
    assert run("States.JsonToString($)", {"Arg1": 1, "Arg2": []}) == '{"Arg1":1,"Arg2":[]}'
    assert run("States.JsonToString($.s)", {"s": "Hi"}) == '"Hi"'


def test_json_merge_is_shallow_right_wins() -> None:
    """JsonMerge replaces top-level keys with the second object's."""
    data = {"a": {"a": {"a1": 1}, "b": 2, "d": 3}, "b": {"a": {"a3": 1}, "c": 3, "d": 4}}
    assert run("States.JsonMerge($.a, $.b, false)", data) == {
        "a": {"a3": 1},
        "b": 2,
        "c": 3,
        "d": 4,
    }


def test_json_merge_runtime_errors() -> None:
    """Non-objects, or a deep flag read as true, are invalid arguments."""
    invalid("States.JsonMerge($.a, $.b, false)", {"a": [], "b": {}})
    invalid("States.JsonMerge($.a, $.a, $.d)", {"a": {}, "d": True})


# --- arrays ----------------------------------------------------------------------------------------


def test_array_builds_in_order() -> None:
    """States.Array returns its arguments' values in order, any types."""
    assert run("States.Array()") == []
    assert run("States.Array($.a, $.b)", {"a": None, "b": {"x": 1}}) == [None, {"x": 1}]


@pytest.mark.parametrize(
    ("array", "size", "out"),
    [
        ([], 2, []),
        ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]),
        ([0, 1], 4, [[0, 1]]),
        ([0, 1, 2], 1, [[0], [1], [2]]),
    ],
)
def test_array_partition(array: list[int], size: int, out: list[Any]) -> None:
    """ArrayPartition chunks the array; the last chunk may be shorter."""
    assert run("States.ArrayPartition($.a, $.n)", {"a": array, "n": size}) == out


def test_array_partition_errors() -> None:
    """A chunk size rounding to 0 or below, or a non-array, is invalid."""
    invalid("States.ArrayPartition($.a, $.n)", {"a": [1], "n": 0.49})
    invalid("States.ArrayPartition($.a, 2)", {"a": "x"})


def test_array_contains_uses_json_equality() -> None:
    """ArrayContains compares JSON values: 1 equals 1.0, true does not equal 1."""
    assert run("States.ArrayContains($.a, $.v)", {"a": [[1, 2, 3], 2], "v": [1, 2, 3]}) is True
    assert run("States.ArrayContains($.a, null)", {"a": [[1, 2, 3], 2]}) is False
    assert run("States.ArrayContains($.a, 1.0)", {"a": [1]}) is True
    assert run("States.ArrayContains($.a, true)", {"a": [1]}) is False
    assert run("States.ArrayContains($.a, $.o)", {"a": [{"x": 1, "y": 2}], "o": {"y": 2, "x": 1}})
    invalid("States.ArrayContains($.a, 1)", {"a": {}})


@pytest.mark.parametrize(
    ("args", "out"),
    [
        ("0, 9, 3", [0, 3, 6, 9]),
        ("1, 9, 9", [1]),
        ("5, 1, -2", [5, 3, 1]),
        ("5, 1, 1", []),
        ("3, 3, -1", [3]),
    ],
)
def test_array_range(args: str, out: list[int]) -> None:
    """ArrayRange counts from start to end inclusive by step, either direction."""
    assert run(f"States.ArrayRange({args})") == out


def test_array_range_limits() -> None:
    """1000 items is the most; a step rounding to 0 or a non-number is invalid."""
    assert len(run("States.ArrayRange(1, 1000, 1)")) == 1000
    invalid("States.ArrayRange(1, 1001, 1)")
    invalid("States.ArrayRange(1001, 1, -1)")
    invalid("States.ArrayRange(1, 10, $.s)", {"s": 0.4})
    invalid("States.ArrayRange($.s, 10, 1)", {"s": "a"})


def test_array_get_item() -> None:
    """ArrayGetItem returns the element at a non-negative in-range index."""
    assert run("States.ArrayGetItem($.a, $.i)", {"a": list(range(1, 10)), "i": 5}) == 6
    assert run("States.ArrayGetItem($.a, 0)", {"a": [None]}) is None
    invalid("States.ArrayGetItem($.a, 3)", {"a": [1, 2, 3]})
    invalid("States.ArrayGetItem($.a, $.i)", {"a": [1, 2, 3], "i": -1})
    invalid("States.ArrayGetItem($.a, $.i)", {"a": [1, 2, 3], "i": "1"})
    invalid("States.ArrayGetItem($.a, $.i)", {"a": [1, 2, 3], "i": 1.2})


def test_array_length_and_unique() -> None:
    """ArrayLength counts; ArrayUnique keeps first occurrences in order."""
    assert run("States.ArrayLength($)", [1, 2, 3]) == 3
    assert run("States.ArrayUnique($)", [1, 2, 1, "1", True, {"a": 1}, {"a": 1}]) == [
        1,
        2,
        "1",
        True,
        {"a": 1},
    ]
    invalid("States.ArrayLength($.a)", {"a": "abc"})
    invalid("States.ArrayUnique($.a)", {"a": None})


# --- encoding and hashing --------------------------------------------------------------------------


def test_base64_round_trip() -> None:
    """Base64Encode encodes UTF-8; Base64Decode reverses it."""
    assert run("States.Base64Encode('Data to encode')") == "RGF0YSB0byBlbmNvZGU="
    assert run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')") == "Data to encode"
    assert run("States.Base64Encode($.s)", {"s": ""}) == ""
    assert run("States.Base64Decode(States.Base64Encode($.s))", {"s": "✓ ok"}) == "✓ ok"


def test_base64_decode_padding_is_optional() -> None:
    """Like Java's basic decoder (AWS's), the closing '=' may be left out (recorded: 9,999
    characters decode)."""
    assert run("States.Base64Decode($.s)", {"s": "QQ"}) == "A"
    assert run("States.Base64Decode($.s)", {"s": "QUI"}) == "AB"
    assert run("States.Base64Decode($.s)", {"s": "A" * 9_999}) == "\0" * 7_499


def test_base64_errors() -> None:
    """Over 10000 characters, bad base64 or a non-string is invalid."""
    invalid("States.Base64Encode($.s)", {"s": "a" * 10_001})
    assert run("States.Base64Encode($.s)", {"s": "a" * 10_000}).startswith("YWFh")
    invalid("States.Base64Decode($.s)", {"s": "not base64!"})
    invalid("States.Base64Decode($.s)", {"s": "QUJDR"})  # a lone last character
    invalid("States.Base64Decode($.s)", {"s": "QQ="})  # padding, but not enough
    invalid("States.Base64Decode($.s)", {"s": 5})


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_hash_algorithms(algorithm: str) -> None:
    """Hash returns the lowercase hex digest of the UTF-8 text."""
    expected = hashlib.new(algorithm.replace("-", "").lower(), b"input data").hexdigest()
    assert run("States.Hash($.d, $.a)", {"d": "input data", "a": algorithm}) == expected


def test_hash_known_digest_and_errors() -> None:
    """SHA-256 of 'input data' matches AWS; unknown algorithms and long data are invalid."""
    assert run("States.Hash('input data', 'SHA-256')") == (
        "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"
    )
    invalid("States.Hash('x', $.a)", {"a": "sha-256"})
    invalid("States.Hash($.d, 'MD5')", {"d": "a" * 10_001})


# --- math ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "out"),
    [
        (-9, 3, -6),
        (1.49, 1.5, 3),
        (-1.5, 0, -1),
        (1.5, 0, 2),
        (-2.5, 0, -2),
        (-0.5, 0, 0),
        (-1.5, -1.51, -3),
    ],
)
def test_math_add_rounds_like_java(a: float, b: float, out: int) -> None:
    """MathAdd rounds each argument half-up (Java's Math.round) before adding, as AWS does."""
    assert run("States.MathAdd($.a, $.b)", {"a": a, "b": b}) == out


def test_math_add_errors() -> None:
    """Non-numbers, booleans and values outside 32-bit integers are invalid."""
    invalid("States.MathAdd($.a, 1)", {"a": "1"})
    invalid("States.MathAdd($.a, 1)", {"a": True})
    invalid("States.MathAdd($.a, 1)", {"a": 2**31})
    invalid("States.MathAdd($.a, 1)", {"a": 2**31 - 1})


def test_math_random_is_in_range_and_seedable() -> None:
    """MathRandom returns start <= n < end, the same n for the same seed."""
    for _ in range(50):
        assert 1 <= run("States.MathRandom(1, 3)") < 3
    seeded = {run("States.MathRandom(1, 1000, 42)") for _ in range(5)}
    assert len(seeded) == 1
    assert run("States.MathRandom($.s, $.e, $.seed)", {"s": 1, "e": 2, "seed": 7}) == 1


def test_math_random_errors() -> None:
    """Empty ranges and non-number bounds or seeds are invalid."""
    invalid("States.MathRandom(1, 1)")
    invalid("States.MathRandom(10, 5)")
    invalid("States.MathRandom(1, 10, $.s)", {"s": None})


# --- strings and ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delimiter", "out"),
    [
        ("1,2,3", ",", ["1", "2", "3"]),
        (" , ", ",", [" ", " "]),
        ("a,,b,", ",", ["a", "b"]),
        ("This.is+a,test=string", ".+,=", ["This", "is", "a", "test", "string"]),
        ("abc", "", ["abc"]),
        ("", ",", []),
    ],
)
def test_string_split(text: str, delimiter: str, out: list[str]) -> None:
    """Every delimiter character splits, and empty pieces are dropped."""
    assert run("States.StringSplit($.t, $.d)", {"t": text, "d": delimiter}) == out


def test_string_split_context_and_errors() -> None:
    """StringSplit reads the context object; non-strings are invalid."""
    assert run("States.StringSplit($$.Execution.Input.csv, ',')") == ["a", "b"]
    invalid("States.StringSplit($.t, ',')", {"t": 1})


def test_uuid_is_version_4() -> None:
    """UUID returns a fresh version-4 UUID each time."""
    first, second = run("States.UUID()"), run("States.UUID()")
    assert uuid.UUID(first).version == 4 and first != second
    assert re.fullmatch(r"[0-9a-f-]{36}", first)


# --- properties ------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_json_to_string_then_string_to_json_round_trips(value: Any) -> None:
    """StringToJson(JsonToString(x)) is x for any JSON value."""
    assert run("States.StringToJson(States.JsonToString($.v))", {"v": value}) == value


@given(st.text(max_size=200))
def test_base64_matches_the_standard_library(text: str) -> None:
    """Base64Encode agrees with base64.b64encode over UTF-8."""
    assert run("States.Base64Encode($.s)", {"s": text}) == base64.b64encode(text.encode()).decode()


@given(st.text(max_size=60))
def test_compile_never_raises_anything_but_compile_error(text: str) -> None:
    """Any text either compiles or raises CompileError: never a Python traceback."""
    for candidate in (text, "States.Array(" + text + ")", "States.Format('" + text + "')"):
        try:
            compile_intrinsic(candidate)
        except CompileError:
            pass


def test_a_machine_runs_when_a_call_that_cannot_succeed_is_never_reached() -> None:
    """AWS creates the machine and runs it; only reaching the call fails (recorded: the state
    fails with States.Runtime). The validator warns."""
    import asl

    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Bad"}],
              "Default": "Done"},
        "Bad": {"Type": "Pass", "Parameters": {"h.$": "States.Hash('only one')"}, "End": True},
        "Done": {"Type": "Succeed"},
    }}  # fmt: skip
    warnings = [p for p in asl.validate(definition) if p.code == "intrinsic-fails"]
    assert [(p.pointer, p.severity) for p in warnings] == [("/States/Bad/Parameters/h.$", "warning")]
    machine = asl.load(definition)
    assert machine.run({"go": False}).status == "SUCCEEDED"
    failed = machine.run({"go": True})
    assert (failed.status, failed.error) == ("FAILED", "States.Runtime")
    assert (failed.cause or "").endswith(
        "There was an error while evaluating the intrinsic function: States.Hash('only one'). "
        "Invalid arguments in States.Hash"
    )
