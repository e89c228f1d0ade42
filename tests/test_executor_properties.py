"""Laws of the executor over random JSON inputs and random valid Pass/Choice/Wait/Fail machines:
a run never raises (failures are AWS-named data), never mutates its input, and two runs on a
virtual clock give identical histories."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import asl

# jsonata-python raises the recursion limit while evaluating; hypothesis notices and says so.
pytestmark = pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")

# --- strategies -------------------------------------------------------------------------------

_scalars = (st.none() | st.booleans() | st.integers(-5, 5) | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False, width=32)
            | st.sampled_from(["", "a", "2024-01-01T00:00:00Z", "x*", "é"]))
_keys = st.sampled_from(["a", "b", "c", "n"])

json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=8,
)

_paths = st.sampled_from(["$", "$.a", "$.b", "$.a.b", "$.n", "$[0]", "$.a[*]", "$..n", "$.a[0:1]"])
_reference_paths = st.sampled_from(["$", "$.a", "$.b", "$.a.b", "$.r", "$.r.s"])
_value_sources = st.sampled_from([
    "$", "$.a", "$.n", "$$.State.Name", "$$.Execution.Input", "$x", "$x.a",
    "States.Format('{}', $.a)", "States.ArrayLength($.a)", "States.JsonToString($)",
    "States.MathAdd($.n, 1)", "States.StringToJson($.a)", "States.ArrayGetItem($.a, 0)",
])
_jsonata_exprs = st.sampled_from([
    "$states.input", "$states.input.a", "$states.input.n + 1", "$count($states.input.a)",
    "$x", "$string($states.input)", "$states.context.State.Name", "$now()",
    "$exists($states.input.a)", "$states.input.a[0]", "$sum($states.input.a)",
])


@st.composite
def _template(draw: st.DrawFn) -> dict[str, Any]:
    template: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(["p", "q", "x"]), max_size=3, unique=True)):
        if draw(st.booleans()):
            template[key + ".$"] = draw(_value_sources)
        else:
            template[key] = draw(_scalars)
    return template


@st.composite
def _optional_io(draw: st.DrawFn, *, result: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["InputPath"] = draw(st.none() | _paths)
    if draw(st.booleans()):
        fields["OutputPath"] = draw(st.none() | _paths)
    if result and draw(st.booleans()):
        fields["ResultPath"] = draw(st.none() | _reference_paths)
    if draw(st.booleans()):
        fields["Assign"] = draw(_template())
    return fields


@st.composite
def _jsonpath_state(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["Pass", "Pass", "Wait", "Choice"]))
    if kind == "Pass":
        state: dict[str, Any] = {"Type": "Pass", **draw(_optional_io(result=True))}
        which = draw(st.sampled_from(["none", "Result", "Parameters"]))
        if which == "Result":
            state["Result"] = draw(json_values)
        elif which == "Parameters":
            state["Parameters"] = draw(_template())
        return state
    if kind == "Wait":
        timing = draw(st.sampled_from([
            {"Seconds": 5}, {"SecondsPath": "$.n"}, {"TimestampPath": "$.a"},
            {"Timestamp": "2024-01-01T00:01:00Z"},
        ]))
        return {"Type": "Wait", **timing, **draw(_optional_io(result=False))}
    rule = draw(st.sampled_from([
        {"Variable": "$.n", "NumericGreaterThan": 0},
        {"Variable": "$.a", "StringMatches": "x*"},
        {"Variable": "$.a", "IsPresent": True},
        {"Variable": "$.b", "IsNull": False},
        {"Variable": "$x", "IsNumeric": True},
        {"Variable": "$.a", "TimestampLessThan": "2025-01-01T00:00:00Z"},
        {"Not": {"Variable": "$.n", "NumericEqualsPath": "$.b"}},
        {"Or": [{"Variable": "$.n", "IsString": True}, {"Variable": "$.n", "BooleanEquals": True}]},
    ]))
    return {"Type": "Choice", "Choices": [dict(rule)], **(
        {"Assign": draw(_template())} if draw(st.booleans()) else {})}


@st.composite
def _jsonata_state(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["Pass", "Choice", "Wait"]))
    state: dict[str, Any] = {"Type": kind, "QueryLanguage": "JSONata"}
    if kind == "Wait":
        state["Seconds"] = draw(st.sampled_from([1, "{% $states.input.n %}"]))
    if kind == "Choice":
        state["Choices"] = [{"Condition": "{% " + draw(_jsonata_exprs) + " %}"}]
    if draw(st.booleans()):
        state["Output"] = {"o": "{% " + draw(_jsonata_exprs) + " %}"}
    if draw(st.booleans()):
        state["Assign"] = {"x": "{% " + draw(_jsonata_exprs) + " %}"}
    return state


_fail_states = st.sampled_from([
    {"Type": "Fail"}, {"Type": "Fail", "Error": "Custom", "Cause": "why"},
    {"Type": "Fail", "ErrorPath": "$.a", "CausePath": "States.Format('c{}', $.n)"},
    {"Type": "Fail", "QueryLanguage": "JSONata", "Error": "{% $string($states.input) %}"},
])


@st.composite
def machines(draw: st.DrawFn) -> dict[str, Any]:
    """A valid machine of 1-5 states whose transitions only go forward, ending in Succeed (or a
    Fail state that Choice rules may target)."""
    count = draw(st.integers(1, 5))
    names = [f"S{i}" for i in range(count)] + ["Done"]
    states: dict[str, Any] = {}
    for index in range(count):
        state = draw(_jsonata_state() if draw(st.integers(0, 3)) == 0 else _jsonpath_state())
        later = names[index + 1:]
        if state["Type"] == "Choice":
            state["Choices"][0]["Next"] = draw(st.sampled_from([*later, "Oops"]))
            state["Default"] = later[0]
        else:
            state["Next"] = later[0]
        states[names[index]] = state
    states["Done"] = {"Type": "Succeed"}
    if any(s["Type"] == "Choice" and s["Choices"][0]["Next"] == "Oops" for s in states.values()):
        states["Oops"] = draw(_fail_states)
    return {"StartAt": "S0", "States": states}


def _load(definition: dict[str, Any]) -> Any:
    try:
        return asl.load(definition)
    except asl.DefinitionError:
        assume(False)  # e.g. a state nothing reaches; rare by construction


# --- properties ---------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(machines(), json_values)
def test_runs_end_as_data_never_as_python_exceptions(definition: dict[str, Any], data: Any) -> None:
    """Any input through any valid machine ends SUCCEEDED or FAILED with an AWS-named error."""
    machine = _load(definition)
    before = copy.deepcopy(data)
    execution = machine.run(data, clock=asl.VirtualClock())
    assert data == before
    assert execution.status in ("SUCCEEDED", "FAILED")
    if execution.status == "FAILED":
        fail_state = definition["States"].get("Oops")
        reached = "FailStateEntered" in execution.history_types
        if not reached:
            assert execution.error.startswith("States.")
        assert fail_state is not None or not reached
        assert execution.error is None or isinstance(execution.error, str)
        assert execution.cause is None or isinstance(execution.cause, str)
        assert execution.history_types[-1] == "ExecutionFailed"
    else:
        assert execution.history_types[-1] == "ExecutionSucceeded"
    history = execution.history
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    assert all(e["previousEventId"] < e["id"] for e in history)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(machines(), json_values)
def test_two_runs_on_a_virtual_clock_give_identical_histories(definition: dict[str, Any],
                                                              data: Any) -> None:
    """Same machine, input, name and clock start: the same history, event for event."""
    machine = _load(definition)
    first = machine.run(data, clock=asl.VirtualClock(), name="same")
    second = machine.run(data, clock=asl.VirtualClock(), name="same")
    assert first.history == second.history
    assert (first.status, first.output, first.error, first.cause) == (
        second.status, second.output, second.error, second.cause)
