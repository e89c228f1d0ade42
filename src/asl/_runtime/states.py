"""The states that do their work in the engine itself: Pass, Succeed, Fail, Wait and Choice.

Each handler is `handler(run, state, data, env, lane) -> (output, next, assigned)` over the
state's compiled flow (`State.flow`); it raises `StatesError` where something fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asl import _errors as E
from asl._definition.model import ChoiceState, FailState, JsonataChoice, PassState, SucceedState, WaitState
from asl._errors import Failure, StatesError
from asl._json import to_json
from asl._languages.env import Env
from asl._runtime.core import WAIT_LIMIT, Run, StateResult
from asl._runtime.history import Lane


def run_pass(run: Run, state: PassState, data: Any, env: Env, lane: Lane) -> StateResult:
    flow = state.flow
    effective = flow.effective(data, env)
    result = state.result if state.has_result else flow.arguments(data, effective, env, run.clock)
    output, assigned = flow.finish(data, result, env, run.clock)
    return output, state.next, assigned


def run_succeed(run: Run, state: SucceedState, data: Any, env: Env, lane: Lane) -> StateResult:
    flow = state.flow
    output, assigned = flow.finish(data, flow.effective(data, env), env, run.clock)
    return output, None, assigned


def run_fail(run: Run, state: FailState, data: Any, env: Env, lane: Lane) -> StateResult:
    error = _fail_field(run, state, state.error, data, env, "Error")
    cause = _fail_field(run, state, state.cause, data, env, "Cause")
    # A Fail state's Error and Cause are the execution's, unprefixed.
    raise Failure(error, cause)


def _fail_field(run: Run, state: FailState, value: Any, data: Any, env: Env, field: str) -> Any:
    if value is None or isinstance(value, str):
        return value
    if state.flow.jsonata:
        return state.flow.expression(value, data, env, run.clock, field, expect="string")
    found = value.get(data, env) if hasattr(value, "get") else value.evaluate(data, env)
    if not isinstance(found, str):
        # An execution's error and cause are strings; AWS fails rather than stringify.
        raise StatesError(E.RUNTIME, f"The {field}Path field must reference a string, but "
                                     f"'{value.text}' is {to_json(found)}")
    return found


def run_wait(run: Run, state: WaitState, data: Any, env: Env, lane: Lane) -> StateResult:
    flow = state.flow
    effective = flow.effective(data, env)
    seconds: Any = None
    if state.seconds is not None:
        seconds = state.seconds
        if not isinstance(seconds, (int, float)):
            seconds = flow.expression(seconds, data, env, run.clock, "Seconds")
            if not _is_int(seconds) or seconds < 0:
                raise StatesError(E.RUNTIME,
                                  f"The Seconds field must be a non-negative integer: {to_json(seconds)}")
    elif state.seconds_path is not None:
        seconds = state.seconds_path.get(effective, env)
        if not _is_int(seconds):
            raise StatesError(
                E.RUNTIME,
                f"The SecondsPath parameter cannot be parsed as a long value: "
                f"{state.seconds_path.text} == {to_json(seconds)}",
            )
        if seconds < 0:
            raise StatesError(
                E.RUNTIME,
                f"The SecondsPath parameter references a negative value: "
                f"{state.seconds_path.text} == {to_json(seconds)}",
            )
    else:
        stamp = state.timestamp
        field, shown = "Timestamp", ""
        if state.timestamp_path is not None:
            stamp = state.timestamp_path.get(effective, env)
            # AWS names the path and the value it selected, as for SecondsPath (recorded).
            field, shown = "TimestampPath", f"{state.timestamp_path.text} == "
        elif not isinstance(stamp, str):
            stamp = flow.expression(stamp, data, env, run.clock, "Timestamp")
        moment = _parse_timestamp(stamp)
        if moment is None:
            raise StatesError(E.RUNTIME, f"The {field} parameter does not reference a valid "
                                         f"ISO-8601 extended offset date-time format string: "
                                         f"{shown}{to_json(stamp)}")
        seconds = max(0.0, moment - run.clock.now())
    if seconds > WAIT_LIMIT:
        # Past the one-year execution quota; also keeps the clock inside datetime's range.
        raise StatesError(E.RUNTIME, f"The Wait state's duration ({seconds} seconds) exceeds "
                                     f"the maximum of {WAIT_LIMIT} seconds.")
    run.sleep(float(seconds))
    output, assigned = flow.finish(data, effective, env, run.clock)
    return output, state.next, assigned


def run_choice(run: Run, state: ChoiceState, data: Any, env: Env, lane: Lane) -> StateResult:
    flow = state.flow
    effective = flow.effective(data, env)
    if flow.jsonata:
        for rule in state.choices:
            assert isinstance(rule, JsonataChoice)
            # Worded as AWS words a mistyped Items result ("Expected 'boolean', but was ...").
            verdict = flow.expression(rule.condition, data, env, run.clock, "Condition",
                                      expect="boolean")
            if not isinstance(verdict, bool):  # a literal Condition that is not a boolean
                raise StatesError(
                    E.QUERY_EVALUATION_ERROR,
                    f"The Condition field must be a boolean, but was: {to_json(verdict)}",
                )
            if verdict:
                # A rule's own Output and Assign, on `$states` without a result.
                output, assigned = flow.finish(data, data, env, run.clock, assign=rule.assign,
                                               output=rule.output, has_result=False)
                return output, rule.next, assigned
    else:
        for rule in state.choices:
            if rule.matches(effective, env):
                output, assigned = flow.finish(data, effective, env, run.clock,
                                               assign=getattr(rule, "assign", None))
                return output, rule.next, assigned
    if state.default is None:
        raise Failure(E.NO_CHOICE_MATCHED,
                      f"No Choice Rules matched and no Default was specified "
                      f"in the state '{state.name}'.")
    output, assigned = flow.finish(data, effective, env, run.clock)
    return output, state.default, assigned


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_timestamp(value: Any) -> float | None:
    """RFC 3339 date-time (with offset or Z) as epoch seconds, or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()
