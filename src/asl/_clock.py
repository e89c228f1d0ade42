"""Time as an execution sees it: a real clock for `asl run`, a virtual one for tests.

A `VirtualClock` makes Wait states, retry back-off and timestamps advance instantly, so a
workflow that waits for a day runs in microseconds and two runs give identical histories; the
deadlines something else may beat (a callback's, a task's, the execution's) are its timers,
which pass when the clock is moved past them, never in real time.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
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
    """Time that moves only when something waits or a test moves it: `sleep` (a Wait state, a
    retry's back-off) advances it instantly, and so does `advance`.

    Deadlines that something outside the run may beat (a callback's TimeoutSeconds or
    HeartbeatSeconds, a task's TimeoutSeconds) are timers on the clock (`call_at`): they fire,
    in deadline order and with `now()` reading each deadline, as time moves past them, whoever
    moves it. Shared safely across the threads of Parallel branches and Map iterations."""

    def __init__(self, start: float | datetime = _EPOCH_2024) -> None:
        self._now = start.timestamp() if isinstance(start, datetime) else float(start)
        # Re-entrant: a timer's action may set the next timer while the clock fires it.
        self._lock = threading.RLock()
        self._timers: list[Timer] = []
        self._order = itertools.count()
        self.cancelled = 0  # timers cancelled but still in the heap (see `call_at`)

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._move(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward by hand (for tests of timeouts, heartbeats and callbacks); the
        deadlines it passes fire before it returns."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
            raise ValueError(f"advance() takes a number of seconds >= 0, not {seconds!r}")
        self._move(seconds)

    def call_at(self, when: float, action: Callable[[], None]) -> Timer:
        """Call `action()` once time reaches `when` (at once if it has). `action` runs on the
        thread that moves the clock, holding the clock's lock: it must only set flags and wake
        waiters. `Timer.cancel()` stops it."""
        timer = Timer(when, next(self._order), action, self)
        with self._lock:
            if when <= self._now:
                timer.fire()
                return timer
            timers = self._timers
            if self.cancelled > 256 and self.cancelled * 2 > len(timers):
                # Most waits end before their deadline: drop their timers now and then, rather
                # than keep them until time passes them.
                timers[:] = [t for t in timers if t.active]
                heapq.heapify(timers)
                self.cancelled = 0
            heapq.heappush(timers, timer)
        return timer

    def _move(self, seconds: float) -> None:
        with self._lock:
            target = self._now + seconds
            timers = self._timers
            while timers and timers[0].when <= target:
                timer = heapq.heappop(timers)
                if timer.active:
                    self._now = max(self._now, timer.when)
                    timer.fire()
            self._now = target


class Timer:
    """One `VirtualClock.call_at`: ordered by deadline, then by when it was set."""

    __slots__ = ("action", "active", "clock", "order", "when")

    def __init__(self, when: float, order: int, action: Callable[[], None],
                 clock: VirtualClock) -> None:
        self.when = when
        self.order = order
        self.action = action
        self.active = True
        self.clock = clock

    def __lt__(self, other: Timer) -> bool:
        return (self.when, self.order) < (other.when, other.order)

    def cancel(self) -> None:
        if self.active:
            self.active = False
            self.clock.cancelled += 1  # an estimate (no lock): it only decides when to compact

    def fire(self) -> None:
        if self.active:
            self.active = False
            self.action()


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
