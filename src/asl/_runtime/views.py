"""What a test asks of a finished run, read from its history (the record): the states entered
in order, each one's input, output, error and attempts, with Map iterations and Parallel
branches identified, and readable summaries for assertion messages.

Nothing here runs during an execution: `Execution.states` reads the history the first time it
is asked, so a run pays nothing for it.

Which branch or iteration an event belongs to follows `previousEventId`, as AWS chains it: an
event is in its predecessor's scope, except that a Parallel branch starts with an event pointing
at ParallelStateStarted (the n-th such event starts branch n), a Map iteration starts with
MapIterationStarted (its index in the details), and the events that end a Map or Parallel state
(MapStateSucceeded, ParallelStateExited, ...) leave its scope.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

#: Events that schedule one attempt of a Task (each retry schedules again).
_SCHEDULED = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled",
                        "MapStateStarted", "ParallelStateStarted"})
#: Events that carry an attempt's error and cause.
_FAILED = frozenset({
    "TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed",
    "LambdaFunctionFailed", "LambdaFunctionTimedOut", "LambdaFunctionStartFailed",
    "LambdaFunctionScheduleFailed", "ActivityFailed", "ActivityTimedOut",
    "ActivityScheduleFailed", "EvaluationFailed", "MapRunFailed",
})
_FAN_OUT_ENDS = frozenset({"MapStateSucceeded", "MapStateFailed", "MapStateAborted",
                           "ParallelStateSucceeded", "ParallelStateFailed", "ParallelStateAborted"})


@attrs.frozen
class Scope:
    """One level of nesting: the Map or Parallel state `state`, iteration or branch `index`."""

    state: str
    kind: str  # "Map" or "Parallel"
    index: int

    def __str__(self) -> str:
        return f"{self.state}[{self.index}]"


@attrs.define(eq=False)
class StateRun:
    """One entry into a state, as the history shows it.

    `scope` says where it ran: () at the top level, `(Scope("Process", "Map", 2),)` in
    iteration 2 of the Map `Process`. `input` and `output` are the JSON values (output is None
    until the state exits: see `exited`). `attempts` counts the state's tries (a Task's
    invocations, a Map's or Parallel's starts; 1 for other states) and `failures` the
    (error, cause) of each failed one; `error`/`cause` is the last failure, caught or not."""

    name: str
    type: str
    scope: tuple[Scope, ...]
    input: Any
    entered_at: datetime | None
    entered_event: int
    output: Any = None
    exited: bool = False
    exited_at: datetime | None = None
    attempts: int = 0
    failures: list[tuple[str | None, str | None]] = attrs.field(factory=list)

    @property
    def error(self) -> str | None:
        return self.failures[-1][0] if self.failures else None

    @property
    def cause(self) -> str | None:
        return self.failures[-1][1] if self.failures else None

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)

    @property
    def iteration(self) -> int | None:
        """The index of the innermost Map iteration this ran in (None: not in a Map)."""
        return next((s.index for s in reversed(self.scope) if s.kind == "Map"), None)

    @property
    def branch(self) -> int | None:
        """The index of the innermost Parallel branch this ran in (None: not in a Parallel)."""
        return next((s.index for s in reversed(self.scope) if s.kind == "Parallel"), None)

    @property
    def status(self) -> str:
        """SUCCEEDED (exited), CAUGHT (exited through a Catcher), FAILED (an error ended it) or
        UNFINISHED (never exited: the execution stopped, timed out or is running)."""
        if self.exited:
            return "CAUGHT" if self.failures and self.attempts_failed else "SUCCEEDED"
        return "FAILED" if self.failures else "UNFINISHED"

    @property
    def attempts_failed(self) -> bool:
        """Whether its last attempt failed (for an exited state: it was caught)."""
        return len(self.failures) >= max(1, self.attempts)

    @property
    def seconds(self) -> float | None:
        """How long it ran, by the history's clock."""
        if self.exited_at is None or self.entered_at is None:
            return None
        return (self.exited_at - self.entered_at).total_seconds()

    @property
    def label(self) -> str:
        """Where it ran and its name: `Process[2] > Charge`."""
        return " > ".join([*map(str, self.scope), self.name])

    def __repr__(self) -> str:
        text = f"<StateRun {self.label} {self.status}"
        if self.attempts > 1:
            text += f" after {self.attempts} attempts"
        if self.error is not None:
            text += f" {self.error}"
        return text + ">"


@attrs.frozen
class _Lane:
    """What an event's successors inherit: their scope and the state they are in."""

    scope: tuple[Scope, ...]
    state: StateRun | None
    #: The runs of the Map and Parallel states enclosing the scope, innermost last.
    owners: tuple[StateRun, ...] = ()


def state_runs(events: Sequence[Mapping[str, Any]]) -> list[StateRun]:
    """Every state entry of a history (GetExecutionHistory-shaped events), in entry order."""
    runs: list[StateRun] = []
    lanes: dict[int, _Lane] = {0: _Lane((), None)}
    branches: dict[int, int] = {}  # ParallelStateStarted id -> branches seen so far
    for event in events:
        kind = event["type"]
        previous = event.get("previousEventId", 0)
        lane = lanes.get(previous, lanes[0])
        if previous in branches and not kind.endswith(("StateSucceeded", "StateFailed",
                                                         "StateExited", "StateAborted")):
            # The first event of a Parallel branch: a new scope under the Parallel state.
            owner = lanes[previous].state
            index = branches[previous]
            branches[previous] = index + 1
            if owner is not None:
                lane = _Lane((*lane.scope, Scope(owner.name, "Parallel", index)), None,
                             (*lane.owners, owner))
        if kind in ("ParallelStateStarted", "MapStateStarted"):
            # A retry starts again from the last event of the failed attempt, deep in one of
            # its branches or iterations: back out to the state that starts.
            wanted = kind[:-len("StateStarted")]
            while (lane.state is None or lane.state.type != wanted) and lane.owners:
                lane = _leave(lane, None)
        details: Mapping[str, Any]
        if kind.endswith("StateEntered"):
            details = event.get("stateEnteredEventDetails", {})
            entered = StateRun(details.get("name", ""), kind[:-len("StateEntered")], lane.scope,
                               _value(details.get("input")), event.get("timestamp"), event["id"])
            runs.append(entered)
            lane = _Lane(lane.scope, entered, lane.owners)
        elif kind == "MapIterationStarted":
            details = event.get("mapIterationStartedEventDetails", {})
            lane = _leave(lane, details.get("name"))
            owner = lane.state
            if owner is not None:
                lane = _Lane((*lane.scope, Scope(owner.name, "Map", details.get("index", 0))),
                             None, (*lane.owners, owner))
        elif kind in _FAN_OUT_ENDS or kind.endswith("StateExited"):
            name = event.get("stateExitedEventDetails", {}).get("name")
            if kind in _FAN_OUT_ENDS:
                lane = _leave(lane, None)
            else:
                lane = _leave(lane, name)
                exited = lane.state
                if exited is not None and exited.name == name and not exited.exited:
                    details = event["stateExitedEventDetails"]
                    exited.output = _value(details.get("output"))
                    exited.exited, exited.exited_at = True, event.get("timestamp")
        run = lane.state
        if run is not None:
            if kind in _SCHEDULED:
                run.attempts += 1
                if kind == "ParallelStateStarted":
                    branches[event["id"]] = 0
            elif kind in _FAILED or kind in ("MapStateFailed", "ParallelStateFailed"):
                details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
                if kind == "EvaluationFailed":
                    run = _named(runs, details.get("state")) or run
                if kind.endswith("StateFailed"):
                    # No details: the failure is the failing branch's or iteration's own.
                    inner = _inner_failure(runs, run)
                    if inner is not None:
                        run.failures.append(inner)
                elif "error" in details or "cause" in details:
                    run.failures.append((details.get("error"), details.get("cause")))
        if kind == "ExecutionFailed":
            details = event.get("executionFailedEventDetails", {})
            # The error no state event names (a path, a template, no matching Choice rule):
            # the states left unfinished failed with it.
            for unfinished in runs:
                if not unfinished.exited and not unfinished.failures:
                    unfinished.failures.append((details.get("error"), details.get("cause")))
        lanes[event["id"]] = lane
    for run in runs:
        if run.attempts == 0:
            run.attempts = 1  # a state that is not a Task, Map or Parallel runs once
    return runs


def _inner_failure(runs: Sequence[StateRun], owner: StateRun) -> tuple[str | None, str | None] | None:
    depth = len(owner.scope)
    for run in reversed(runs):
        if run is owner:
            return None
        if (len(run.scope) > depth and run.scope[depth].state == owner.name and run.failures
                and not run.exited):
            return run.failures[-1]
    return None


def _leave(lane: _Lane, name: str | None) -> _Lane:
    """The lane after the scope of the Map or Parallel state `name` (None: the innermost) ends:
    its successors are back in that state."""
    for depth in range(len(lane.owners) - 1, -1, -1):
        if name is None or lane.owners[depth].name == name:
            return _Lane(lane.scope[:depth], lane.owners[depth], lane.owners[:depth])
    return lane


def _named(runs: Sequence[StateRun], name: Any) -> StateRun | None:
    return next((run for run in reversed(runs) if run.name == name), None)


def _value(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


# -- summaries -----------------------------------------------------------------------------


def failed_state(runs: Sequence[StateRun], status: str) -> StateRun | None:
    """The state the execution failed in: the deepest unexited state with an error, else the
    last one entered that never exited (a state whose error only ExecutionFailed names)."""
    if status == "SUCCEEDED":
        return None
    unfinished = [run for run in runs if not run.exited]
    with_error = [run for run in unfinished if run.failures]
    if with_error:
        return max(with_error, key=lambda run: (len(run.scope), run.entered_event))
    return unfinished[-1] if unfinished else None


def describe(execution: Any, runs: Sequence[StateRun], limit: int = 60) -> str:
    """A readable account of a run: its outcome, then one line per state entered."""
    lines = [f"Execution {execution.name} {execution.status}"]
    if execution.error is not None or execution.cause is not None:
        lines.append(f"  error: {execution.error}")
        if execution.cause:
            lines.append(f"  cause: {_short(execution.cause, 300)}")
    failed = failed_state(runs, execution.status)
    where = {"TIMED_OUT": "timed out in", "ABORTED": "stopped in"}.get(execution.status, "failed in")
    if failed is not None:
        lines.append(f"  {where}: {failed.label}")
    lines.append("  states entered:")
    shown = runs if len(runs) <= limit else [*runs[:limit // 2], None, *runs[-limit // 2:]]
    for run in shown:
        if run is None:
            lines.append(f"    ... {len(runs) - 2 * (limit // 2)} more ...")
            continue
        line = f"    {'  ' * len(run.scope)}{run.label:<40} {run.status}"
        if run.attempts > 1:
            line += f"  {run.attempts} attempts"
        if run.error is not None:
            line += f"  {run.error}"
            if run.cause:
                line += f": {_short(run.cause, 120)}"
        if run is failed:
            line += f"   <-- {where[:-3]} here"
        lines.append(line)
    if not runs:
        lines.append("    (none)")
    return "\n".join(lines)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def snapshot(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The history for a snapshot file: JSON values only, each event's `timestamp` replaced by
    `elapsed` (seconds since the execution started, to the millisecond), its JSON text fields
    parsed, so that two runs of the same test compare equal whatever the clock's start."""
    if not events:
        return []
    start = events[0]["timestamp"]
    shown = []
    for event in events:
        item: dict[str, Any] = {}
        for key, value in event.items():
            if key == "timestamp":
                item["elapsed"] = round((value - start).total_seconds(), 3)
            elif key.endswith("EventDetails") and isinstance(value, dict):
                item[key] = {k: _value(v) if k in ("input", "output", "parameters") else v
                             for k, v in value.items()}
            else:
                item[key] = value
        shown.append(item)
    return shown
