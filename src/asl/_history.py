"""The execution history, shaped like AWS GetExecutionHistory's events.

Recording is on the hot path, so an event is stored as a tuple holding the live values; the
JSON text AWS shows for inputs, outputs and assigned variables is made only when someone reads
`Execution.history`. That is safe because the executor never mutates a value once it has been
handed on (copy-on-write everywhere), and handler payloads are copies.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from asl._clock import to_datetime

#: Distance between the provisional id ranges of nested forks.
_FORK_SPAN = 10**12

#: Detail fields whose values AWS shows as JSON text.
_JSON_FIELDS = frozenset({"input", "output", "parameters"})


def to_json(value: Any) -> str:
    """AWS's compact JSON text (no spaces, non-ASCII kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


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
    """An append-only, thread-safe event log."""

    def __init__(self, limit: int = 25_000) -> None:
        self._events: list[tuple[int, int, float, str, Mapping[str, Any] | None]] = []
        self._lock = threading.Lock()
        self.limit = limit
        # A fork's events get provisional ids above `base` until `splice` renumbers them.
        self.base = 0
        self._parent: History | None = None

    def __len__(self) -> int:
        own = len(self._events)
        return own + len(self._parent) if self._parent is not None else own

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
        with self._lock:
            event_id = self.base + len(self._events) + 1
            self._events.append((event_id, lane.last, now, event_type, details))
        if chain:
            lane.last = event_id
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
        child._parent = self
        return child

    def splice(self, child: History, anchor: int) -> int:
        """Append a fork's events with real ids; events that pointed at the fork's base now
        point at `anchor`. Returns the offset to add to the fork's provisional ids."""
        base = child.base
        with self._lock:
            offset = self.base + len(self._events) - base
            append = self._events.append
            for event_id, previous, now, kind, details in child._events:
                if previous == base:
                    previous = anchor
                elif previous > base:
                    previous += offset
                append((event_id + offset, previous, now, kind, details))
        return offset

    def types(self) -> list[str]:
        return [event[3] for event in self._events]

    def events(self) -> list[dict[str, Any]]:
        """The events as AWS returns them (details' payloads as JSON text)."""
        return [_render(*event) for event in self._events]


def _render(
    event_id: int, previous: int, now: float, event_type: str, details: Mapping[str, Any] | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "timestamp": to_datetime(now),
        "type": event_type,
        "id": event_id,
        "previousEventId": previous,
    }
    if details is not None:
        shown: dict[str, Any] = {}
        for key, value in details.items():
            if key in _JSON_FIELDS:
                shown[key] = to_json(value)
                shown[key + "Details"] = {"truncated": False}
            elif key == "assignedVariables":
                shown[key] = {name: to_json(v) for name, v in value.items()}
                shown["assignedVariablesDetails"] = {"truncated": False}
            else:
                shown[key] = value
        event[details_key(event_type)] = shown
    return event
