"""The execution history, shaped like AWS GetExecutionHistory's events.

Recording is on the hot path, so an event is stored as a tuple holding the live values; the
JSON text AWS shows for inputs, outputs and assigned variables is made only when someone reads
`Execution.history`, unless the executor already made it (to check the payload quota) and
recorded it as `JsonText`. Live values are safe to keep because the executor never mutates a
value once it has been handed on (copy-on-write everywhere), and handler payloads are copies.

One writer per `History`: the executor's thread, or a unit's thread writing into its own
`fork()`, spliced by the parent once the units are done. So appending takes no lock.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from asl._clock import to_datetime
from asl._errors import RUNTIME, GraphFailed
from asl._json import Deferred, JsonText, to_json

#: Distance between the provisional id ranges of nested forks.
_FORK_SPAN = 10**12

#: Detail fields whose values AWS shows as JSON text.
_JSON_FIELDS = frozenset({"input", "output", "parameters"})


#: Arrays and objects longer than this are encoded a slice at a time by `lean_json`.
_SLICE = 256


def lean_json(value: Any) -> str:
    """`to_json(value)`, holding less memory while it works on large arrays and objects (a
    Map's results): the C encoder keeps every fragment of its text (a key, a number, each
    about 50 bytes) until it joins them, so it encodes here a slice of items at a time."""
    kind = type(value)
    if kind is list:
        if len(value) <= _SLICE:
            return to_json(value)
        return "[" + ",".join([to_json(value[i:i + _SLICE])[1:-1]
                               for i in range(0, len(value), _SLICE)]) + "]"
    if kind is dict and all(type(key) is str for key in value):
        if len(value) <= _SLICE:
            return "{" + ",".join([f"{to_json(key)}:{lean_json(item)}"
                                   for key, item in value.items()]) + "}"
        items = list(value.items())
        return "{" + ",".join([to_json(dict(items[i:i + _SLICE]))[1:-1]
                               for i in range(0, len(items), _SLICE)]) + "}"
    return to_json(value)


def _shown(value: Any) -> str:
    if type(value) is JsonText:
        return str(value)
    if isinstance(value, Deferred):
        return value.json_text()
    return to_json(value)


def history_full(limit: int) -> GraphFailed:
    """The outcome of an event past the quota. Not a state's error (no Retry/Catch): the
    execution ends, and its closing event is the last of the `limit` events AWS allows."""
    return GraphFailed(
        RUNTIME,
        f"The execution reached the maximum number of history events ({limit}); "
        f"a loop that never ends? Bound it with a counter in a variable, or use a Map.",
    )


def details_key(event_type: str) -> str:
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class Lane:
    """The thread of events that `previousEventId` follows (the execution, or one branch or
    iteration of it). `last` is the id the next chained event points back to."""

    __slots__ = ("last",)

    def __init__(self, last: int = 0) -> None:
        self.last = last


class History:
    """An append-only event log with one writer (see the module docstring).

    An event is a tuple: `(previous, now, type, details)`, or for a state's entry and exit,
    which are most of any history, the flat `(previous, now, type, name, field, value, is_text,
    assigned)` that `record_state` writes (no details dict per event), or for a task's payload
    events the flat `(previous, now, type, head, field, value, tail)` of `record_task`. Its id
    is its position: `base` + index + 1, also after `splice`."""

    def __init__(self, limit: int = 25_000) -> None:
        self._events: list[tuple[Any, ...]] = []
        self.limit = limit
        # A fork's events get provisional ids above `base` until `splice` renumbers them.
        self.base = 0
        # Events recorded before this buffer (its parents' at fork time: they do not grow while
        # the fork's unit runs), so `record` checks the quota with one addition.
        self._outer = 0
        # In a fork: [events in every unspliced fork of the execution], shared by all of them,
        # so that concurrent branches together stay within the quota (each alone would not).
        # `_outer` is then the root buffer's length. None in the root buffer.
        self._forked: list[int] | None = None
        self._shared: list[int] | None = None  # in the root buffer: the list its forks share

    def __len__(self) -> int:
        return len(self._events) + self._outer

    def add(
        self,
        lane: Lane,
        event_type: str,
        now: float,
        details: Mapping[str, Any] | None = None,
        *,
        chain: bool = True,
    ) -> int:
        """Record one event after `lane.last`; with `chain`, later events of the lane follow it."""
        events = self._events
        events.append((lane.last, now, event_type, details))
        event_id = self.base + len(events)
        if chain:
            lane.last = event_id
        return event_id

    def record(
        self,
        lane: Lane,
        event_type: str,
        now: float,
        details: Mapping[str, Any] | None = None,
        chain: bool = True,
    ) -> int:
        """`add` for the events of states, within the quota: raises `GraphFailed` instead of
        recording the event that would leave no room for the execution's closing event."""
        if self._used(1) >= self.limit - 1:
            raise history_full(self.limit)
        return self.add(lane, event_type, now, details, chain=chain)

    def _used(self, adding: int) -> int:
        """The events of the whole execution so far, counting `adding` more as recorded."""
        forked = self._forked
        if forked is None:
            return len(self._events) + self._outer
        used = forked[0] + self._outer
        forked[0] += adding  # refused or not: a refused event ends the execution anyway
        return used

    def record_state(
        self,
        lane: Lane,
        event_type: str,
        now: float,
        name: str,
        field: str,
        value: Any,
        is_text: bool,
        assigned: Mapping[str, Any] | None = None,
    ) -> int:
        """`record` a StateEntered (`field` "input") or StateExited ("output") event; `value` is
        the payload, or its JSON text when `is_text`."""
        events = self._events
        count = len(events)
        forked = self._forked
        if forked is None:
            used = count + self._outer
        else:  # `_used(1)`, inline: a Map iteration records two of these per state
            used = forked[0] + self._outer
            forked[0] += 1
        if used >= self.limit - 1:
            raise history_full(self.limit)
        events.append((lane.last, now, event_type, name, field, value, is_text, assigned))
        event_id = lane.last = self.base + count + 1
        return event_id

    def record_task(
        self,
        lane: Lane,
        event_type: str,
        now: float,
        head: Mapping[str, Any],
        field: str,
        value: Any,
        tail: Mapping[str, Any] | None = None,
    ) -> int:
        """`record` a task event whose details are a task's constant fields (`head`, shared by
        its events), one payload (`field`: "parameters", "input" or "output"; `value` live,
        `JsonText` or `Deferred`) and optional further fields (`tail`)."""
        events = self._events
        count = len(events)
        if (count + self._outer if self._forked is None else self._used(1)) >= self.limit - 1:
            raise history_full(self.limit)
        events.append((lane.last, now, event_type, head, field, value, tail))
        event_id = lane.last = self.base + count + 1
        return event_id

    def record_task_start(
        self,
        lane: Lane,
        now: float,
        scheduled_type: str,
        head: Mapping[str, Any],
        field: str,
        value: Any,
        tail: Mapping[str, Any] | None,
        started_type: str,
        started: Mapping[str, Any] | None,
    ) -> int:
        """`record_task` a task's Scheduled event and `record` its Started event (`started`:
        its details) in one call, both at `now`; returns the Started event's id."""
        events = self._events
        count = len(events)
        used = count + self._outer if self._forked is None else self._used(2)
        if used >= self.limit - 2:
            if self._forked is not None:
                self._forked[0] -= 2  # record_task counts the Scheduled event again
            if used < self.limit - 1:
                # Room for the Scheduled event only: record it, then refuse the Started one.
                self.record_task(lane, scheduled_type, now, head, field, value, tail)
            raise history_full(self.limit)
        base = self.base + count
        events.append((lane.last, now, scheduled_type, head, field, value, tail))
        events.append((base + 1, now, started_type, started))
        event_id = lane.last = base + 2
        return event_id

    def last_id(self) -> int:
        """The id of the latest event recorded here."""
        return self.base + len(self._events)

    def fork(self) -> History:
        """A buffer for one concurrently running branch or iteration, so that events land in the
        history in a deterministic order (spliced in branch/index order, not completion order).
        A lane that starts at `fork.base` is anchored where the buffer is spliced."""
        child = History(self.limit)
        child.base = self.base + _FORK_SPAN
        if self._forked is None:
            if self._shared is None:
                self._shared = [0]
            child._outer = len(self)
            child._forked = self._shared
        else:  # a fork of a fork: the same root, the same shared count
            child._outer = self._outer
            child._forked = self._forked
        return child

    def splice(self, child: History, anchor: int) -> int:
        """Append a fork's events with real ids; events that pointed at the fork's base now
        point at `anchor`. Returns the offset to add to the fork's provisional ids."""
        base = child.base
        if self._forked is None and child._forked is not None:
            child._forked[0] -= len(child._events)  # now counted in this (the root) buffer
        offset = self.base + len(self._events) - base
        append = self._events.append
        events = child._events
        if self._forked is None:
            # Concurrent units count their events together only roughly (no lock on the hot
            # path): the root keeps no more than the quota leaves room for before its close.
            room = max(0, self.limit - 1 - len(self._events) - self._outer)
            if len(events) > room:
                events = events[:room]
        for event in events:
            previous = event[0]
            if previous == base:
                append((anchor, *event[1:]))
            elif previous > base:
                append((previous + offset, *event[1:]))
            else:
                append(event)
        return offset

    def types(self) -> list[str]:
        return [event[2] for event in self._events]

    def events(self) -> list[dict[str, Any]]:
        """The events as AWS returns them (details' payloads as JSON text)."""
        base = self.base
        return [_render(base + n, *event) for n, event in enumerate(self._events, 1)]

    def recorded(self) -> Recorded:
        """The events so far, kept as recorded (for a finished execution: nothing appends later)."""
        return Recorded(tuple(self._events), self.base)


class StreamingHistory(History):
    """A `History` that hands each event, rendered as AWS shows it and with its final id, to a
    listener (the `on_event` run option) as soon as it is in the history: the execution's own
    events as they are recorded, a concurrently running branch's or iteration's when its
    buffer is spliced (forks are plain `History`s, so only the execution's thread calls the
    listener, in history order). A separate class, so that a run without a listener pays
    nothing for it.

    A listener that raises is not called again, and a `RuntimeWarning` says why: the run goes
    on, as it would without a listener."""

    def __init__(self, limit: int, listener: Callable[[dict[str, Any]], Any]) -> None:
        super().__init__(limit)
        self._listener: Callable[[dict[str, Any]], Any] | None = listener
        self._sent = 0

    def _emit(self) -> None:
        events, base = self._events, self.base
        while self._sent < len(events) and self._listener is not None:
            index = self._sent
            self._sent += 1
            try:
                self._listener(_render(base + index + 1, *events[index]))
            except Exception as error:  # noqa: BLE001  # the caller's code: it must not end the run
                self._listener = None
                warnings.warn(f"on_event raised {type(error).__name__}: {error}; "
                              f"no further events are passed to it", RuntimeWarning, stacklevel=2)

    def add(self, lane: Lane, event_type: str, now: float,
            details: Mapping[str, Any] | None = None, *, chain: bool = True) -> int:
        event_id = super().add(lane, event_type, now, details, chain=chain)
        self._emit()
        return event_id

    def record_state(self, lane: Lane, event_type: str, now: float, name: str, field: str,
                     value: Any, is_text: bool, assigned: Mapping[str, Any] | None = None) -> int:
        event_id = super().record_state(lane, event_type, now, name, field, value, is_text, assigned)
        self._emit()
        return event_id

    def record_task(self, lane: Lane, event_type: str, now: float, head: Mapping[str, Any],
                    field: str, value: Any, tail: Mapping[str, Any] | None = None) -> int:
        event_id = super().record_task(lane, event_type, now, head, field, value, tail)
        self._emit()
        return event_id

    def record_task_start(self, lane: Lane, now: float, scheduled_type: str,
                          head: Mapping[str, Any], field: str, value: Any,
                          tail: Mapping[str, Any] | None, started_type: str,
                          started: Mapping[str, Any] | None) -> int:
        try:
            return super().record_task_start(lane, now, scheduled_type, head, field, value, tail,
                                             started_type, started)
        finally:  # also the Scheduled event recorded before the quota refused the Started one
            self._emit()

    def splice(self, child: History, anchor: int) -> int:
        offset = super().splice(child, anchor)
        self._emit()
        return offset


class Recorded:
    """A finished execution's events in their recorded tuples, rendered into AWS's shape only
    when read: a distributed Map keeps one per child execution, and rendering 10,000 children's
    events up front made ~10 dicts per event that lived as long as the run and made the cyclic
    GC's full passes repeat over them. Pickles as the tuples (a worker process's children come
    back in this form), which is smaller and quicker than the rendered events."""

    __slots__ = ("_events", "_base")

    def __init__(self, events: tuple[tuple[Any, ...], ...], base: int = 0) -> None:
        self._events = events
        self._base = base

    def __reduce__(self) -> tuple[Any, ...]:
        return Recorded, (self._events, self._base)

    def __len__(self) -> int:
        return len(self._events)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Recorded):
            return NotImplemented
        return self.events() == other.events()

    __hash__ = None  # type: ignore[assignment]  # equal by rendered events, which are dicts

    def types(self) -> list[str]:
        return [event[2] for event in self._events]

    def events(self) -> list[dict[str, Any]]:
        """The events as AWS returns them: rendered afresh on every call, so a caller may
        change what it gets without changing the record."""
        base = self._base
        return [_render(base + n, *event) for n, event in enumerate(self._events, 1)]


def _render(event_id: int, previous: int, now: float, event_type: str, *rest: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "timestamp": to_datetime(now),
        "type": event_type,
        "id": event_id,
        "previousEventId": previous,
    }
    shown = _details(rest)
    if shown is not None:
        event[details_key(event_type)] = shown
    return event


def _details(rest: tuple[Any, ...]) -> dict[str, Any] | None:
    """An event's `<type>EventDetails` as AWS shows them (payloads as JSON text)."""
    shown: dict[str, Any]
    if len(rest) == 4:
        head, field, value, tail = rest
        shown = {**head, field: _shown(value), field + "Details": {"truncated": False}}
        if tail:
            shown.update(tail)
        return shown
    if len(rest) > 2:
        name, field, value, is_text, assigned = rest
        shown = {"name": name, field: value if is_text else to_json(value),
                                 field + "Details": {"truncated": False}}
        if assigned:
            shown.update(_assigned(assigned))
        return shown
    details = rest[0]
    if details is None or len(rest) == 2:  # (details, RENDERED): restored from a store
        return details  # type: ignore[no-any-return]
    shown = {}
    for key, value in details.items():
        if key in _JSON_FIELDS:
            shown[key] = _shown(value)
            shown[key + "Details"] = {"truncated": False}
        elif key == "assignedVariables":
            shown.update(_assigned(value))
        else:
            shown[key] = value
    return shown


#: Marks an event restored from a store: its details are already rendered.
RENDERED = True


def stored(history: History, start: int) -> list[tuple[int, int, float, str, str | None]]:
    """The events of `history` from index `start` on, as an execution store keeps them: (id,
    previous id, timestamp, type, details as JSON text)."""
    base = history.base
    rows: list[tuple[int, int, float, str, str | None]] = []
    heads = _HEADS
    for n, event in enumerate(history._events[start:], start + 1):
        if len(event) == 8 and not event[7]:  # a state's entry or exit: most events, so as text
            _previous, _now, kind, name, field, value, is_text, _assigned = event
            head = heads.get((name, field))
            if head is None:
                head = f'{{"name":{_encode_string(name)},"{field}":'
                if len(heads) < 4096:
                    heads[name, field] = head
            rows.append((base + n, event[0], event[1], kind,
                         head + _encode_string(value if is_text else to_json(value))
                         + _TAILS[field]))
            continue
        details = _details(event[3:])
        rows.append((base + n, event[0], event[1], event[2],
                     None if details is None else to_json(details)))
    return rows


#: The text of a state event's details before and after its payload, by state name and field.
_HEADS: dict[tuple[str, str], str] = {}
_TAILS = {field: f',"{field}Details":{{"truncated":false}}}}' for field in ("input", "output")}
_encode_string = json.encoder.encode_basestring


def restored(rows: list[tuple[int, int, float, str, str | None]], limit: int,
             listener: Callable[[dict[str, Any]], Any] | None = None) -> History:
    """A history holding a store's events again (rendered as they were when read); with a
    `listener` (`on_event`), one that passes on the events recorded from now on."""
    history = History(limit) if listener is None else StreamingHistory(limit, listener)
    history._events = [(previous, now, kind, None if details is None else json.loads(details),
                        RENDERED) for _id, previous, now, kind, details in rows]
    if isinstance(history, StreamingHistory):
        history._sent = len(history._events)
    return history


def _assigned(variables: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "assignedVariables": {name: str(v) if type(v) is JsonText else to_json(v)
                              for name, v in variables.items()},
        "assignedVariablesDetails": {"truncated": False},
    }
