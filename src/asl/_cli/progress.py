"""The progress bar `asl run` draws on stderr for a large Map."""

from __future__ import annotations

import argparse
from typing import IO


def progress_bar(args: argparse.Namespace, err: IO[str]) -> ProgressBar | None:
    """On when asked (--progress) or when stderr is a terminal; never beside JSON output."""
    wanted = args.progress
    if wanted is None:
        isatty = getattr(err, "isatty", None)
        wanted = bool(isatty and isatty())
    if not wanted or getattr(args, "format", "text") == "json":
        return None
    return ProgressBar(err)


class ProgressBar:
    """Draws the `on_progress(state_name, done, total, failed)` calls of a run as one line that
    redraws itself: the Map's name, a bar, items done of total, failures, items per second."""

    MIN_ITEMS = 100  # a smaller Map ends before a bar would be worth drawing
    WIDTH = 24

    def __init__(self, stream: IO[str]) -> None:
        import threading
        import time

        self.stream = stream
        self.clock = time.monotonic
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()
        self._open = False

    def __call__(self, state_name: str, done: int, total: int, failed: int) -> None:
        if total <= self.MIN_ITEMS:
            return
        with self._lock:
            now = self.clock()
            if done == 0 or state_name not in self._started:
                self._started[state_name] = now
            elapsed = now - self._started[state_name]
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 else "-/s"
            filled = self.WIDTH * done // total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            # \r and erase-line: redraw in place, whatever the previous line's length.
            self.stream.write(f"\r\033[K{state_name} [{bar}] {done}/{total} items, "
                              f"{failed} failed, {rate}")
            self._open = done < total
            if not self._open:
                self.stream.write("\n")
            self.stream.flush()

    def close(self) -> None:
        """End a bar left open (a Map that stopped early), so later output starts a line."""
        with self._lock:
            if self._open:
                self.stream.write("\n")
                self.stream.flush()
                self._open = False
