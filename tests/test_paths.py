"""Tests for asl._languages.paths: AWS's (Jayway's) JSONPath dialect and the ResultPath merge."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonpath_ng import parse as ng_parse

from asl._errors import CompileError, StatesError
from asl._languages import jayway as _jayway
from asl._languages.env import Env
from asl._languages.paths import (
    MISSING,
    compile_path,
    compile_reference_path,
    compile_result_path,
    is_context_path,
    is_path,
)

SRC = str(Path(__file__).resolve().parents[1] / "src")
ENV = Env({"Execution": {"Input": {"a": 1}, "Name": "run"}}, {"order": {"items": [10, 20]}, "n": 0})


def get(text: str, data: Any, env: Env = ENV) -> Any:
    return compile_path(text).get(data, env)


def runtime_cause(text: str, data: Any, env: Env = ENV) -> str:
    with pytest.raises(StatesError) as info:
        get(text, data, env)
    assert info.value.error == "States.Runtime"
    return info.value.cause or ""


# --- definite paths ---------------------------------------------------------------------------


def test_root_returns_whole_input() -> None:
    """`$` yields the state data itself."""
    data = {"a": 1}
    assert get("$", data) is data


@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ("$.a.b", {"a": {"b": 2}}, 2),
        ("$.a[0]", {"a": [5, 6]}, 5),
        ("$.a[-1]", {"a": [5, 6]}, 6),
        ("$['a b']", {"a b": 3}, 3),
        ('$["a b"].c', {"a b": {"c": 4}}, 4),
        ("$.items[10]", {"items": list(range(11))}, 10),
        ("$.a-b", {"a-b": 1}, 1),
        ("$.a", {"a": None}, None),
        ("$[1]", [7, 8], 8),
    ],
)
def test_definite_path_yields_value(text: str, data: Any, expected: Any) -> None:
    """A definite path yields the single value it addresses (null included)."""
    path = compile_path(text)
    assert path.definite
    assert path.get(data, ENV) == expected


def test_definite_path_compiles_to_steps_not_selectors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simple definite paths are walked from precompiled steps, never through Jayway selectors."""

    def refuse(*args: Any) -> Any:
        raise AssertionError("selectors composed for a definite path")

    monkeypatch.setattr(_jayway, "compose", refuse)
    path = compile_path("$['x y'].b[2]")
    assert path.steps == ("x y", "b", 2)
    assert path.get({"x y": {"b": [0, 1, 2]}}, ENV) == 2


def test_missing_leaf_is_no_results_for_path() -> None:
    """A missing last property fails with AWS's 'No results for path' wording."""
    cause = runtime_cause("$.NoSuchInputPath", {"int-literal": 0})
    assert cause == "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"


def test_missing_intermediate_is_missing_property() -> None:
    """A missing intermediate property fails with 'Missing property in path' up to it."""
    cause = runtime_cause("$.no.such.result.path", {})
    assert cause == "Invalid path '$.no.such.result.path' : Missing property in path $['no']"


def test_missing_leaf_of_nested_path_names_the_whole_path() -> None:
    """'No results for path' prints the whole normalized path."""
    cause = runtime_cause("$.a.b", {"a": {}})
    assert cause.endswith("No results for path: $['a']['b']")


def test_index_out_of_range_has_no_results() -> None:
    """An index past the end matches nothing, as Jayway swallows the out-of-bounds access."""
    assert runtime_cause("$.a[3]", {"a": [1]}).endswith("No results for path: $['a'][3]")


def test_property_of_non_object_is_an_error() -> None:
    """Reading a property of a scalar fails with Jayway's 'Expected to find an object' text."""
    cause = runtime_cause("$.a.b", {"a": 5})
    assert "Expected to find an object with property ['b'] in path $['a']" in cause


def test_index_of_non_array_and_of_null() -> None:
    """Indexing an object or null fails with Jayway's messages."""
    assert "can only be applied to arrays" in runtime_cause("$.a[0]", {"a": {}})
    assert runtime_cause("$.a[0]", {"a": None}).endswith("The path $['a'] is null")


def test_find_returns_missing_instead_of_raising() -> None:
    """`find` reports a miss as MISSING, distinct from null, without raising."""
    assert compile_path("$.x").find({}, ENV) is MISSING
    assert compile_path("$.x").find({"x": None}, ENV) is None
    assert not MISSING


# --- indefinite paths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ("$.items[*].itemValue", {}, []),
        ("$.item.items[1:]", {}, []),
        ("$.items[1:5]", {"items": [0, 1, 2]}, [1, 2]),
        ("$.items[:1].v", {"items": [{"v": 1}, {"v": 2}]}, [1]),
        ("$.a[*]", {"a": [1, 2]}, [1, 2]),
        ("$.a[*]", {"a": {"x": 1, "y": 2}}, [1, 2]),
        ("$.a.*", {"a": {"x": 1}}, [1]),
        ("$.a[1:]", {"a": {"k": 1}}, []),
        ("$.a[0,2]", {"a": [1, 2, 3]}, [1, 3]),
        ("$.a[?(@.x > 1)]", {"a": [{"x": 1}, {"x": 2}]}, [{"x": 2}]),
        ("$.a[?(@.x > 1 && @.x < 5)].x", {"a": [{"x": 2}, {"x": 9}]}, [2]),
        ("$.a[?(@.n == 'v')].n", {"a": [{"n": "v"}, {"n": "w"}]}, ["v"]),
    ],
)
def test_indefinite_path_yields_list_of_matches(text: str, data: Any, expected: Any) -> None:
    """Wildcards, slices, unions and filters yield a (possibly empty) list and never fail."""
    path = compile_path(text)
    assert not path.definite
    assert path.get(data, ENV) == expected


def test_recursive_descent_finds_every_depth() -> None:
    """`..name` collects the name at every depth."""
    assert sorted(get("$..x", {"a": {"x": 1}, "x": 2})) == [1, 2]


def test_indefinite_path_on_scalar_is_empty() -> None:
    """An indefinite path over data it cannot walk yields an empty list."""
    assert get("$.a[*].b", "text") == []


def test_recursive_descent_lists_matches_in_document_order() -> None:
    """`..` lists a value's own match before those below it, depth first, keys in order."""
    data = {"n": 1, "a": {"n": 2, "b": [{"n": 3}]}, "c": {"n": 4}}
    assert get("$..n", data) == [1, 2, 3, 4]
    assert get("$..[0]", {"a": [[1, 2], 3], "b": [4]}) == [[1, 2], 1, 4]
    assert get("$..*", {"a": {"b": 1}, "c": 2}) == [{"b": 1}, 2, 1]


def test_array_selectors_skip_what_is_not_an_array() -> None:
    """Indexes, unions and slices select from arrays only: an object or a string is skipped, and
    an index out of range selects nothing rather than emptying the whole result."""
    data = {"a": [[1, 2, 3], {"0": "x"}, "text", [4]]}
    assert get("$.a[*][0]", data) == [1, 4]
    assert get("$.a[*][-2]", data) == [2]
    assert get("$.a[*][0,2]", data) == [1, 3, 4]
    assert get("$.a[*][1:]", data) == [2, 3]
    assert get("$.a[*]['0','1']", data) == ["x"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.a[?(@.x > 1 && @.x < 5 && @.n != 'c')].n", ["b"]),
        ("$.a[?((@.x > 1) && (@.x < 5))].n", ["b", "c"]),
        ("$.a[?(@.n == 'a&&b' && @.x == 1)].x", [1]),
    ],
)
def test_filter_conjunctions(text: str, expected: list[Any]) -> None:
    """`&&` joins predicates that must all hold, with or without parentheses, and a `&&` inside a
    quoted string is part of the string."""
    data = {"a": [{"x": 1, "n": "a&&b"}, {"x": 2, "n": "b"}, {"x": 3, "n": "c"}, {"x": 9}]}
    assert get(text, data) == expected


def test_filter_compiles_without_deprecation_warnings() -> None:
    """A filter with `&&` compiles and runs with warnings turned into errors, on any supported
    jsonpath-ng (Jayway's `&&` is jsonpath-ng's deprecated `&` from 1.13 on)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = compile_path("$.w[?(@.k >= 2 && @.k <= 3)].k")
        assert path.get({"w": [{"k": 1}, {"k": 2}, {"k": 3}]}, ENV) == [2, 3]


def test_filter_rejects_only_the_items_it_cannot_evaluate() -> None:
    """A comparison that fails on one item (null against a number) rejects that item, not the
    whole path."""
    assert get("$.a[?(@.x > 1)].x", {"a": [{"x": None}, {"x": 2}, {"x": "s"}, {"x": 3}]}) == [2, 3]


def test_filter_over_an_object_filters_its_values() -> None:
    """A filter applied to an object tests the object's values, as over an array's items."""
    assert get("$.o[?(@.x == 1)]", {"o": {"p": {"x": 1}, "q": {"x": 2}}}) == [{"x": 1}]


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("$[1][?(@.x)]", [{}, {"p": {"x": 1}, "q": [2]}]),
        ("$.a[?(@.b[?(@.x)])]", {"a": [{"b": {"k": {"x": 1}}}]}),
    ],
)
def test_filters_never_modify_the_data(text: str, data: Any) -> None:
    """Filtering an object, also from inside a predicate, leaves the state's data as it was."""
    before = copy.deepcopy(data)
    compile_path(text).find(data, ENV)
    assert data == before


def test_indefinite_paths_load_jsonpath_ng_only_for_filters() -> None:
    """Wildcards, slices, unions and `..` need no jsonpath-ng; only a filter imports it."""
    code = (
        "import sys\n"
        "from asl._languages.paths import compile_path\n"
        "compile_path('$.a[*]..b[1:][0,1]')\n"
        "assert 'jsonpath_ng' not in sys.modules\n"
        "compile_path('$.a[?(@.b)]')\n"
        "assert 'jsonpath_ng' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": SRC})


# --- roots ------------------------------------------------------------------------------------


def test_context_path_reads_context_object() -> None:
    """`$$...` reads the context object, not the state data."""
    assert get("$$.Execution.Input.a", {"a": 99}) == 1
    assert get("$$", {}) is ENV.context


def test_missing_context_field_is_runtime_error() -> None:
    """A definite context path that matches nothing is a States.Runtime failure."""
    assert "No results for path: $['Execution']['Input']['zz']" in runtime_cause(
        "$$.Execution.Input.zz", {}
    )


def test_variable_path_reads_variable() -> None:
    """`$name...` reads a workflow variable, and `$name` alone its whole value."""
    assert get("$order.items[1]", {}) == 20
    assert get("$n", {}) == 0
    assert compile_path("$order.items[*]").get({}, ENV) == [10, 20]


def test_unset_variable_is_runtime_error() -> None:
    """Reading a variable that was never assigned is a States.Runtime failure naming it."""
    assert "'nope'" in runtime_cause("$nope.x", {})
    assert compile_path("$nope").find({}, ENV) is MISSING


def test_is_path_helpers() -> None:
    """is_path / is_context_path recognise path strings by their `$` prefix."""
    assert is_path("$.a") and is_path("$$.b") and not is_path("a") and not is_path(3)
    assert is_context_path("$$.Map.Item") and not is_context_path("$.a")


# --- compile errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a.b", "", "$.", "$.a[", "$.a.length()", "$[foo]", "$.a b", "$['a'", "$.a[?(@.x >)]",
        "$.a[0,'b']", "$.a[1:x]", "$.a[1:2:3:4]", "$.a[?()]", "$.a[?(@.x &&)]", "$..",
        "$..[?(@.x)]",
    ],
)
def test_bad_syntax_is_compile_error(text: str) -> None:
    """Malformed paths raise CompileError at load, never at run time."""
    with pytest.raises(CompileError):
        compile_path(text)


def test_non_string_path_is_compile_error() -> None:
    """A path that is not a string raises CompileError naming its type."""
    with pytest.raises(CompileError, match="number"):
        compile_path(3)  # type: ignore[arg-type]


# --- reference paths and ResultPath -----------------------------------------------------------


@pytest.mark.parametrize("text", ["$.a[*]", "$..a", "$.a[1:]", "$.a[?(@.x)]", "$['a','b']"])
def test_reference_path_rejects_indefinite(text: str) -> None:
    """Reference paths must address a single node."""
    with pytest.raises(CompileError, match="reference path"):
        compile_reference_path(text)


def test_reference_path_reads_like_a_path() -> None:
    """A reference path reads the same value a path would."""
    assert compile_reference_path("$$.Execution.Name").get({}, ENV) == "run"


def test_result_path_rejects_context_and_variables() -> None:
    """ResultPath writes into the state input, so `$$` and `$var` roots are compile errors."""
    for text in ("$$.Execution", "$order.x"):
        with pytest.raises(CompileError):
            compile_result_path(text)


def test_apply_root_replaces_document() -> None:
    """ResultPath `$` makes the result the whole output."""
    assert compile_result_path("$").apply({"a": 1}, [1]) == [1]


def test_apply_writes_and_creates_intermediates() -> None:
    """Writing at `$.a.b` creates missing objects and keeps sibling fields."""
    data = {"keep": 1}
    assert compile_result_path("$.a.b").apply(data, 5) == {"keep": 1, "a": {"b": 5}}
    assert data == {"keep": 1}


def test_apply_copies_only_along_the_path() -> None:
    """The caller's document is untouched and subtrees off the path are shared, not copied."""
    data = {"x": {"big": [1, 2]}, "a": {"b": 1, "c": {"d": 2}}}
    before = copy.deepcopy(data)
    out = compile_result_path("$.a.b").apply(data, "r")
    assert data == before
    assert out["x"] is data["x"] and out["a"]["c"] is data["a"]["c"]
    assert out["a"] is not data["a"]


def test_apply_into_array_element() -> None:
    """`$.a[1]` replaces an existing array element in a copied array."""
    data = {"a": [1, {"k": 0}]}
    assert compile_result_path("$.a[1].k").apply(data, 9) == {"a": [1, {"k": 9}]}
    assert data == {"a": [1, {"k": 0}]}


@pytest.mark.parametrize(
    ("text", "data"),
    [("$.r", "a string"), ("$.a.b", {"a": 5}), ("$.a[3]", {"a": [1]}), ("$.a[0]", {})],
)
def test_apply_into_non_container_fails(text: str, data: Any) -> None:
    """Writing through a non-object (or past an array's end) is States.ResultPathMatchFailure."""
    with pytest.raises(StatesError) as info:
        compile_result_path(text).apply(data, 1)
    assert info.value.error == "States.ResultPathMatchFailure"
    assert info.value.cause and text in info.value.cause


# --- property: the step walker agrees with jsonpath-ng ----------------------------------------

_names = st.text(alphabet="abcxyz_", min_size=1, max_size=3)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names, inner, max_size=3),
    max_leaves=12,
)
_steps = st.lists(st.one_of(_names, st.integers(min_value=0, max_value=3)), max_size=4)


def _render(steps: list[str | int], bracket: bool) -> str:
    parts = []
    for step in steps:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(f"['{step}']" if bracket else f".{step}")
    return "$" + "".join(parts)


def _ng_values(text: str, data: Any) -> list[Any]:
    try:
        return [m.value for m in ng_parse(text).find(data)]
    except (KeyError, TypeError, IndexError):  # jsonpath-ng indexes dicts and fails
        return []


@given(data=_json, steps=_steps, bracket=st.booleans())
def test_step_walker_agrees_with_jsonpath_ng(
    data: Any, steps: list[str | int], bracket: bool
) -> None:
    """For simple definite paths, the compiled walker finds what jsonpath-ng finds."""
    text = _render(steps, bracket)
    path = compile_path(text)
    assert path.definite and path.steps == tuple(steps)
    found = path.find(data, ENV)
    # jsonpath-ng treats a lone value as a one-element list for `[0]`; Jayway does not.
    expected = [] if _ng_wraps_scalar(data, steps) else _ng_values(text, data)
    assert ([] if found is MISSING else [found]) == expected


def _ng_wraps_scalar(data: Any, steps: list[str | int]) -> bool:
    value = data
    for step in steps:
        if isinstance(step, int) and not isinstance(value, list):
            return True
        if isinstance(step, str):
            if not isinstance(value, dict) or step not in value:
                return False
            value = value[step]
        else:
            if step >= len(value):
                return False
            value = value[step]
    return False


@given(text=st.text(alphabet="$.[]'\"*?@()&=<>:,-0123456789abc _\\", max_size=20))
def test_compile_never_raises_anything_but_compile_error(text: str) -> None:
    """Any string either compiles or raises CompileError: bad input never yields a traceback."""
    try:
        path = compile_path(text)
    except CompileError:
        return
    try:
        path.get({"a": [1, {"b": None}], "c": "x"}, ENV)
    except StatesError:
        pass


@pytest.mark.parametrize(
    ("text", "expected"),
    [("$.a.[0]", 5), ("$.['b c']", 7), ("$.a.[1]", 6), ("$.o.['k']", 1), (" $.a ", [5, 6]), ("$.x ", 3)],
)
def test_aws_accepts_a_dot_before_a_bracket_and_blanks_around_the_path(text: str, expected: Any) -> None:
    """Jayway reads `.[` as `[` (`$.['b c']` is in AWS's documentation), and blanks around a
    whole path are trimmed; both compile as definite paths."""
    path = compile_path(text)
    assert path.definite
    assert path.get({"a": [5, 6], "b c": 7, "o": {"k": 1}, "x": 3}, ENV) == expected
    assert is_path(text)
