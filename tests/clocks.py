"""Clocks for tests of concurrency: real overlapping sleeps, with the peak observed."""

from __future__ import annotations

import threading
import time


class PeakClock:
    """A fixed `now`; `sleep` really waits a moment so concurrent sleepers overlap, and
    `peak` records how many overlapped at most."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self._lock = threading.Lock()

    def now(self) -> float:
        return 1_700_000_000.0

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(0.03)
        with self._lock:
            self.running -= 1
