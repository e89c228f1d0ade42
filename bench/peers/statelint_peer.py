"""Time statelint's validation of one definition file in-process (the CLI is timed separately).

Runs inside statelint's own virtual environment (see setup.sh), never the project's:
    python statelint_peer.py PATH --repeat N
Prints {"engine", "version", "problems", "times"}; the first run is the warm-up and is included.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import statelint
from statelint.linter import Linter


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    times: list[float] = []
    problems: list[str] = []
    for _ in range(args.repeat + 1):
        start = time.perf_counter()
        problems = Linter.validate(args.path)
        times.append(time.perf_counter() - start)
    json.dump({"engine": "statelint", "version": statelint.__version__, "problems": problems,
               "times": times}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
