"""TimeoutSecondsPath / HeartbeatSecondsPath values that are not positive integers."""

from __future__ import annotations

import pytest

import asl


@pytest.mark.parametrize(("value", "shown"), [(None, "null"), ("abc", '"abc"'), (True, "true")])
def test_bad_timeout_seconds_path_is_shown_as_json(value: object, shown: str) -> None:
    """The States.Runtime cause shows the selected value as JSON text, not as Python's repr."""
    machine = asl.load({"StartAt": "A", "States": {"A": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"}, "TimeoutSecondsPath": "$.t", "End": True}}})
    execution = machine.run({"t": value}, handlers={"f": lambda event, context: 1},
                            clock=asl.VirtualClock())
    assert execution.error == "States.Runtime"
    assert execution.cause is not None
    assert execution.cause.endswith(f"must be a positive integer; got {shown}.")
