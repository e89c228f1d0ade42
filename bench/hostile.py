"""Figures for the hostile-input suite (tests/test_hostile.py): each case's wall-clock time
(untraced) and its peak traced memory (a second run under tracemalloc), as a Markdown table.

    nice -n 19 env PYTHONPATH=src python bench/hostile.py > figures.md

docs/reliability.md records a run. The suite runs the same cases under hang and memory guards;
it never asserts on these figures.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_hostile import _NEEDS_FOLDER, CASES  # noqa: E402


def measure(name: str) -> tuple[float, float]:
    case = CASES[name]
    with tempfile.TemporaryDirectory() as plain, tempfile.TemporaryDirectory() as traced:
        started = time.perf_counter()
        case(Path(plain)) if name in _NEEDS_FOLDER else case()
        seconds = time.perf_counter() - started
        tracemalloc.start()
        case(Path(traced)) if name in _NEEDS_FOLDER else case()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return seconds, peak


def main(names: list[str]) -> int:
    print("| case | seconds | peak traced MB |")
    print("| --- | ---: | ---: |")
    for name in names or list(CASES):
        seconds, peak = measure(name)
        print(f"| `{name}` | {seconds:.2f} | {peak:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
