"""The long fuzz run: every target of tests/fuzz/targets.py for N cases, with its figures.

    nice -n 19 env PYTHONPATH=src:tests python -m fuzz.long 100000 [target ...] > figures.jsonl

Prints one JSON line per target: cases, seconds, peak RSS, and the first failure (with
hypothesis' shrunk example) or null. docs/reliability.md records a run.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from fuzz.targets import TARGETS


def run(name: str, cases: int) -> dict[str, Any]:
    strategy, check = TARGETS[name]
    count = 0
    started = time.monotonic()
    last = [started]

    @settings(max_examples=cases, deadline=None, database=None,
              phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def holds(case: Any) -> None:
        nonlocal count
        count += 1
        check(case)
        now = time.monotonic()
        if now - last[0] >= 60:  # a progress line a minute: a cut-short run still has figures
            last[0] = now
            print(json.dumps({"target": name, "cases_so_far": count,
                              "seconds": round(now - started, 1)}), flush=True)

    failure = None
    try:
        holds()
    except Exception:  # noqa: BLE001 - the figure to record
        failure = traceback.format_exc(limit=6)[-3000:]
    return {
        "target": name, "cases": count, "seconds": round(time.monotonic() - started, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "failure": failure,
    }


def main(argv: list[str]) -> int:
    cases = int(argv[0]) if argv else 100_000
    names = argv[1:] or sorted(TARGETS)
    for name in names:
        print(json.dumps(run(name, cases)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
