"""The execution history's recording (live values or the JSON text made by the payload check),
its quota, and the executor's hot-path shortcuts that must not change what AWS would show:
the context object built only for states that read it, and the exact payload quota."""

from __future__ import annotations

import json
from typing import Any

import pytest

import asl
from asl._definition.model import build
from asl._errors import GraphFailed
from asl._json import JsonText, to_json
from asl._runtime.history import History, Lane

LIMIT = 256 * 1024


def run(definition: dict[str, Any], input: Any = None, **options: Any) -> Any:
    return asl.load(definition).run(input, clock=asl.VirtualClock(), **options)


def one(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": {**state, "End": True}}, **top}


def states_of(definition: dict[str, Any]) -> Any:
    graph, errors = build(definition)
    assert not errors
    return graph.states


# --- JSON text -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, None, True]}, "é \" \\ \n", [], {}, 0, -1.5e300, {"ü": {"x": "漢字"}},
])
def test_to_json_is_compact_json_with_non_ascii_kept(value: Any) -> None:
    """to_json writes what json.dumps writes with compact separators and ensure_ascii off."""
    assert to_json(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_to_json_rejects_what_is_not_json() -> None:
    """A value JSON cannot hold is a TypeError, as with json.dumps."""
    with pytest.raises(TypeError):
        to_json({"a": object()})


def test_recorded_text_renders_like_the_value() -> None:
    """An event holding the JSON text of a payload renders exactly as one holding the value."""
    value = {"b": [1, "x"], "a": {"é": None}}
    live, text = History(), History()
    live.add(Lane(), "PassStateExited", 0.0, {"name": "S", "output": value})
    text.add(Lane(), "PassStateExited", 0.0, {"name": "S", "output": JsonText(to_json(value))})
    assert live.events() == text.events()


# --- quota ---------------------------------------------------------------------------------


def test_record_leaves_room_for_the_closing_event() -> None:
    """record() refuses the event that would take the last slot; add() (closing events) does not."""
    history = History(limit=3)
    lane = Lane()
    history.record(lane, "A", 0.0)
    history.record(lane, "B", 0.0)
    with pytest.raises(GraphFailed):
        history.record(lane, "C", 0.0)
    history.add(lane, "ExecutionSucceeded", 0.0)
    assert history.types() == ["A", "B", "ExecutionSucceeded"]


def test_a_fork_counts_the_events_recorded_before_it() -> None:
    """A forked buffer's quota includes the parent's events at the time of the fork."""
    history = History(limit=4)
    history.record(Lane(), "A", 0.0)
    history.record(Lane(), "B", 0.0)
    fork = history.fork()
    assert len(fork) == 2
    fork.record(Lane(fork.base), "C", 0.0)
    with pytest.raises(GraphFailed):
        fork.record(Lane(fork.base), "D", 0.0)


# --- history contents ----------------------------------------------------------------------


def test_inputs_and_outputs_in_the_history_are_each_states_own() -> None:
    """Every StateEntered input and StateExited output shows that state's data as JSON text."""
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"n.$": "$.n", "s": "ü"}, "ResultPath": "$.r",
              "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "C"}]},
        "C": {"Type": "Pass", "Result": "done", "End": True},
    }}
    execution = run(definition, {"n": 1})
    shown = [(e["type"], d.get("input", d.get("output")))
             for e in execution.history
             for d in [e.get("stateEnteredEventDetails") or e.get("stateExitedEventDetails") or {}]
             if d]
    after_a = '{"n":1,"r":{"n":1,"s":"ü"}}'
    assert shown == [
        ("PassStateEntered", '{"n":1}'), ("PassStateExited", after_a),
        ("ChoiceStateEntered", after_a), ("ChoiceStateExited", after_a),
        ("PassStateEntered", after_a), ("PassStateExited", '"done"'),
    ]
    assert execution.history[0]["executionStartedEventDetails"]["input"] == '{"n":1}'
    assert execution.history[-1]["executionSucceededEventDetails"]["output"] == '"done"'


# --- the context object, only where read ----------------------------------------------------


@pytest.mark.parametrize("state, reads", [
    ({"Type": "Pass", "Parameters": {"v.$": "$.v"}}, False),
    ({"Type": "Pass", "Parameters": {"v.$": "$$.State.Name"}}, True),
    ({"Type": "Pass", "Parameters": {"v.$": "States.Format('{}', $$.Execution.Id)"}}, True),
    ({"Type": "Pass", "InputPath": "$$.Execution.Input"}, True),
    ({"Type": "Pass", "Assign": {"x.$": "$$.State.EnteredTime"}}, True),
    ({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.v %}"}, False),
    ({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.context.State %}"}, True),
    ({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $keys($states) %}"}, True),
    ({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken"}, True),
])
def test_a_state_reads_the_context_object_only_if_its_text_can(state: dict[str, Any],
                                                              reads: bool) -> None:
    """States decide at load whether they may read `$$`/`$states.context`, erring towards yes."""
    assert states_of(one(state))["S"].needs_context is reads


def test_context_fields_are_right_in_a_state_after_one_that_skips_them() -> None:
    """A state reading `$$` sees its own name, entry time and retry count after states that
    never built a context object."""
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 60, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"name.$": "$$.State.Name", "at.$": "$$.State.EnteredTime",
                                             "retry.$": "$$.State.RetryCount"}, "End": True},
    }}
    execution = run(definition, {})
    assert execution.output == {"name": "B", "at": "2024-01-01T00:01:00.000Z", "retry": 0}


def test_retry_count_reaches_a_retried_task() -> None:
    """$$.State.RetryCount counts the attempts of a retried state that reads it."""
    seen: list[int] = []

    def flaky(event: Any, context: Any) -> Any:
        seen.append(event["retry"])
        if len(seen) < 3:
            raise ValueError("not yet")
        return event

    definition = one({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
                      "Parameters": {"retry.$": "$$.State.RetryCount"},
                      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}]})
    execution = run(definition, {}, handlers={"flaky": flaky})
    assert execution.status == "SUCCEEDED"
    assert seen == [0, 1, 2]


# --- the payload quota ---------------------------------------------------------------------


@pytest.mark.parametrize("value, fails", [
    ("a" * (LIMIT - 2), False),  # with its quotes, exactly the quota
    ("a" * (LIMIT - 1), True),
    ("é" * ((LIMIT - 2) // 2), False),  # two UTF-8 bytes per character
    ("é" * ((LIMIT - 2) // 2 + 1), True),
    ({"k": "€" * 90_000}, True),  # 270,008 bytes in 90,008 characters
])
def test_the_payload_quota_counts_utf8_bytes_of_the_json(value: Any, fails: bool) -> None:
    """An output over 256 KiB of UTF-8 JSON fails with States.DataLimitExceeded, bare strings too."""
    execution = run(one({"Type": "Pass", "Result": value}), {})
    if fails:
        assert execution.error == "States.DataLimitExceeded"
    else:
        assert execution.status == "SUCCEEDED"


def test_an_oversized_output_that_is_a_states_input_part_still_fails() -> None:
    """An output made from the input (which fit) can still exceed the quota and fail."""
    definition = one({"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"}})
    execution = run(definition, {"s": "x" * 150_000})
    assert execution.error == "States.DataLimitExceeded"


def test_the_callers_input_is_not_mutated() -> None:
    """Running never changes the caller's input, even through ResultPath merges."""
    data = {"a": {"b": 1}}
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": 2, "ResultPath": "$.a.c", "Next": "B"},
        "B": {"Type": "Pass", "Result": 3, "ResultPath": "$.a.b", "End": True},
    }}
    execution = run(definition, data)
    assert data == {"a": {"b": 1}}
    assert execution.output == {"a": {"b": 3, "c": 2}}
