"""Time as an execution sees it: a real clock for `asl run`, a virtual one for tests.

A `VirtualClock` makes Wait states, retry back-off and timestamps advance instantly, so a
workflow that waits for a day runs in microseconds and two runs give identical histories.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol

_EPOCH_2024 = 1_704_067_200.0  # 2024-01-01T00:00:00Z: a fixed, readable default start


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch."""

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass (really, or virtually)."""


class SystemClock:
    """Wall-clock time; Wait states really wait."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """Time that moves only when something waits: `sleep` advances it instantly.

    Shared safely across the threads of Parallel branches and Map iterations."""

    def __init__(self, start: float | datetime = _EPOCH_2024) -> None:
        self._now = start.timestamp() if isinstance(start, datetime) else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._now += seconds

    def advance(self, seconds: float) -> None:
        """Move time forward by hand (for tests of timeouts and callbacks)."""
        self.sleep(seconds)


def isoformat(seconds: float) -> str:
    """AWS's context-object timestamp form: millisecond precision, `Z` suffix."""
    # States read the same clock reading many times over (a virtual clock stands still between
    # waits), and formatting costs more than a whole Pass state: remember the last one.
    global _last_iso
    last = _last_iso
    if last[0] == seconds:
        return last[1]
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    _last_iso = (seconds, text)  # one tuple swap: safe across threads without a lock
    return text


_last_iso: tuple[float, str] = (float("nan"), "")


def to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
