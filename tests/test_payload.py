"""Tests for asl._languages.payload: Parameters / ResultSelector / ItemSelector / Assign templates."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asl._errors import CompileError, StatesError
from asl._languages.env import Env
from asl._languages.payload import compile_template

ENV = Env({"Execution": {"Id": "arn:x", "Input": {"a": 1}}}, {"limit": 3, "order": {"id": 7}})
CASES = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "cases"


def render(template: Any, data: Any, env: Env = ENV) -> Any:
    return compile_template(template).render(data, env)


def compile_error(template: Any) -> CompileError:
    with pytest.raises(CompileError) as info:
        compile_template(template)
    return info.value


def test_dollar_keys_take_paths_and_drop_the_suffix() -> None:
    """`k.$` reads a path and writes key `k`; other keys are copied as written."""
    out = render({"id.$": "$.a", "fixed": "$.a", "n": 1}, {"a": "x"})
    assert out == {"id": "x", "fixed": "$.a", "n": 1}


def test_every_path_root() -> None:
    """Values read the input, the context object and variables."""
    out = render({"i.$": "$", "c.$": "$$.Execution.Id", "v.$": "$order.id", "w.$": "$limit"}, [1])
    assert out == {"i": [1], "c": "arn:x", "v": 7, "w": 3}


def test_intrinsic_values() -> None:
    """A `.$` value starting with States. is an intrinsic call."""
    assert render({"s.$": "States.Format('n={}', $.n)"}, {"n": 2}) == {"s": "n=2"}


def test_nested_objects_and_arrays_are_templated() -> None:
    """`.$` keys work at any depth, inside objects and arrays."""
    template = {"a": {"b.$": "$.x", "c": [1, {"d.$": "$.y"}, "lit"]}, "e": [{"f": 1}]}
    assert render(template, {"x": 1, "y": 2}) == {
        "a": {"b": 1, "c": [1, {"d": 2}, "lit"]},
        "e": [{"f": 1}],
    }


def test_key_order_follows_the_template() -> None:
    """Output keys keep the template's order, dynamic or not."""
    out = render({"z": 1, "y.$": "$.a", "x": 2}, {"a": 0})
    assert list(out) == ["z", "y", "x"]


def test_literal_subtrees_are_built_once_and_shared() -> None:
    """A subtree with no `.$` below it is the same object on every render (not copied)."""
    template = compile_template({"lit": {"deep": [1, 2]}, "v.$": "$"})
    first, second = template.render(1, ENV), template.render(2, ENV)
    assert first["lit"] is second["lit"]
    assert compile_template({"a": [1]}).is_constant


def test_render_never_mutates_the_input() -> None:
    """Rendering leaves the data untouched."""
    data = {"a": {"b": [1, 2]}, "c": 1}
    before = copy.deepcopy(data)
    render({"x.$": "$.a", "y.$": "States.JsonMerge($.a, $.a, false)", "z": {"w.$": "$.a.b"}}, data)
    assert data == before


def test_non_object_templates() -> None:
    """Arrays and scalars are valid templates too."""
    assert render([{"a.$": "$.x"}, 2], {"x": 1}) == [{"a": 1}, 2]
    assert render("plain", {}) == "plain"


def test_missing_path_is_aws_runtime_error() -> None:
    """A path that matches nothing fails with AWS's wording and compact input JSON."""
    with pytest.raises(StatesError) as info:
        render({"outer": {"address.$": "$.application.address"}}, {"flagged": False, "n": "é"})
    assert info.value.error == "States.Runtime"
    assert info.value.cause == (
        "The JSONPath '$.application.address' specified for the field 'address.$' could not be "
        'found in the input \'{"flagged":false,"n":"é"}\''
    )


def test_missing_context_path_names_the_context() -> None:
    """For a `$$` path the cause shows the context object that was searched."""
    with pytest.raises(StatesError) as info:
        render({"x.$": "$$.Nope"}, {"a": 1}, Env({"State": {"Name": "P"}}, {}))
    assert info.value.cause == (
        "The JSONPath '$$.Nope' specified for the field 'x.$' could not be found in the input "
        '\'{"State":{"Name":"P"}}\''
    )


def test_intrinsic_failures_pass_through() -> None:
    """An intrinsic's own failure surfaces unchanged."""
    with pytest.raises(StatesError) as info:
        render({"x.$": "States.ArrayLength($.a)"}, {"a": 1})
    assert info.value.cause == (
        "There was an error while evaluating the intrinsic function: States.ArrayLength($.a). "
        "Invalid arguments in States.ArrayLength"
    )


@pytest.mark.parametrize(
    ("template", "pointer", "fragment"),
    [
        ({"a.$": 1}, "/a.$", "must be a string holding a path"),
        ({"a.$": {"b": 1}}, "/a.$", "not an object"),
        ({"o": {"x/y.$": None}}, "/o/x~1y.$", "not null"),
        ({"a": [{"b~.$": "nope"}]}, "/a/0/b~0.$", "neither a path"),
        ({"a.$": "$.b[", "ok": 1}, "/a.$", "'a.$': "),
        ({"s.$": "States.Nope()"}, "/s.$", "unknown intrinsic function 'States.Nope'"),
        ({"a": 1, "a.$": "$"}, "/a.$", "both produce the field 'a'"),
    ],
)
def test_compile_errors_point_at_the_key(template: Any, pointer: str, fragment: str) -> None:
    """Bad `.$` values fail at load with a JSON-pointer-escaped subpointer to the key."""
    err = compile_error(template)
    assert err.subpointer == pointer
    assert fragment in err.message


json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(max_size=6).filter(lambda k: not k.endswith(".$")), inner, max_size=3
        )
    ),
    max_leaves=10,
)


@given(json_values)
def test_templates_without_dollar_keys_render_to_themselves(value: Any) -> None:
    """A template with no `.$` key renders to an equal value."""
    assert render(value, None) == value


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=12) | json_scalars, max_size=4))
def test_compile_never_raises_anything_but_compile_error(body: dict[str, Any]) -> None:
    """Any `.$` value compiles or raises CompileError: never a Python traceback."""
    try:
        compile_template({k + ".$": v for k, v in body.items()})
    except CompileError:
        pass


# --- AWS recordings: Pass states whose Parameters call intrinsics ------------------------------


def _pass_only_cases() -> list[Any]:
    """Recorded cases tagged intrinsic whose states are all plain Pass states with Parameters:
    each runs here by rendering the Parameters in order."""
    if not CASES.is_dir():
        return []
    found = []
    plain = {"Type", "Parameters", "Next", "End", "Comment"}
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text())
        states = case["definition"]["States"]
        if "intrinsic" not in case.get("tags", ()) or case["expect"]["status"] != "SUCCEEDED":
            continue
        if all(s.get("Type") == "Pass" and set(s) <= plain for s in states.values()):
            found.append(
                pytest.param(case, id=case["id"].split("__")[-2] + "/" + case["id"].split("__")[-1])
            )
    return found


@pytest.mark.skipif(not CASES.is_dir(), reason="../shared/conformance is not beside the project")
@pytest.mark.parametrize("case", _pass_only_cases())
def test_recorded_intrinsic_case(case: dict[str, Any]) -> None:
    """The Parameters of each Pass state produce what AWS recorded."""
    definition = case["definition"]
    env = Env({"Execution": {"Input": case["input"], "Name": "run"}}, {})
    name, data = definition["StartAt"], case["input"]
    while True:
        state = definition["States"][name]
        if "Parameters" in state:
            data = compile_template(state["Parameters"]).render(data, env)
        if state.get("End"):
            break
        name = state["Next"]
    assert data == case["expect"]["output"]


@pytest.mark.skipif(not CASES.is_dir(), reason="../shared/conformance is not beside the project")
def test_recorded_cases_are_found() -> None:
    """The shared recordings hold the intrinsic Pass cases this suite runs."""
    assert len(_pass_only_cases()) >= 60
