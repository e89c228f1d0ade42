"""Side by side: `asl validate` start-up and validate-big load time against statelint.

Standard library only. Runs every command interleaved (a, b, c, a, b, c, ...) so that drift on a
shared machine hits all of them alike, and prints medians and ratios:

    python bench/startup.py [--runs N] [--statelint-venv DIR] [--workloads DIR]

- start-up: fresh processes of `python -c pass` (the floor), `asl validate FILE` and
  `statelint FILE` on the cli-cold workload (falling back to examples/hello.asl.json).
- validate-big: in one process each, `asl.load(path)` and statelint's `Linter.validate(path)` on
  the 2,000-state workload, repeated; the first (warm-up) run is dropped, and asl's caches of
  compiled paths are emptied before every load so that each is timed as a first load.

statelint runs from its own virtual environment (bench/peers/setup.sh makes one); without it, its
rows say "not installed".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKLOADS = ROOT.parent / "shared" / "bench" / "workloads"
DEFAULT_VENVS = ("/tmp/peers-statelint", "/tmp/sl")

# Run inside each interpreter: time `repeat + 1` loads, print the times as JSON.
_ASL_LOAD = """
import json, sys, time
import asl
try:
    from asl._languages.memo import clear  # compiled-text caches: time every load as a first load
except ImportError:
    clear = lambda: None
times = []
for _ in range(int(sys.argv[2]) + 1):
    clear()
    start = time.perf_counter()
    asl.load(sys.argv[1])
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""
_STATELINT_LOAD = """
import json, sys, time
from statelint.linter import Linter
times = []
for _ in range(int(sys.argv[2]) + 1):
    start = time.perf_counter()
    Linter.validate(sys.argv[1])
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def _asl_command() -> list[str]:
    # The console script itself, not a pyenv shim in front of it (a shim is a bash process).
    script = Path(sys.executable).with_name("asl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "asl._cli"]


def _statelint_venv(option: str | None) -> Path | None:
    candidates = (
        [option] if option else [os.environ.get("ASL_BENCH_STATELINT_VENV"), *DEFAULT_VENVS]
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / "bin" / "statelint").exists():
            return Path(candidate)
    return None


# As installed: pip compiles every package to bytecode, so children may write and read .pyc
# files even where the environment says otherwise (an editable checkout would otherwise be
# recompiled from source in every process, while the peers' installed packages are not).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time_process(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=_ENV
    )
    return time.perf_counter() - start


def startup(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command as a fresh process, interleaved."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the file cache once
        _time_process(command)
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(_time_process(command))
    return {name: statistics.median(values) for name, values in times.items()}


def load_times(commands: dict[str, list[str]], rounds: int, repeat: int) -> dict[str, float]:
    """Median in-process load time per engine, over `rounds` interleaved processes of `repeat` loads."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            done = subprocess.run(
                [*command, str(repeat)], capture_output=True, text=True, check=False, env=_ENV
            )
            if done.returncode != 0:
                raise SystemExit(f"{name} failed:\n{done.stderr}")
            times[name].extend(json.loads(done.stdout.strip().splitlines()[-1])[1:])
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=30, help="fresh processes per command (default 30)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="validate-big processes per engine")
    parser.add_argument("--repeat", type=int, default=10, help="validate-big loads per process")
    parser.add_argument("--statelint-venv", help="statelint's virtual environment")
    parser.add_argument("--workloads", default=str(DEFAULT_WORKLOADS))
    args = parser.parse_args()

    workloads = Path(args.workloads)
    small = workloads / "cli-cold.asl.json"
    if not small.exists():
        small = ROOT / "examples" / "hello.asl.json"
    big = workloads / "validate-big.asl.json"
    venv = _statelint_venv(args.statelint_venv)

    starts = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "asl validate": [*_asl_command(), "validate", str(small)],
    }
    if venv:
        starts["statelint"] = [str(venv / "bin" / "statelint"), str(small)]
    result = startup(starts, args.runs)
    floor = result["python -c pass"]
    print(f"start-up: {small.name}, median of {args.runs} fresh processes, interleaved")
    for name, value in result.items():
        print(f"  {name:<16} {value * 1000:7.1f} ms  {value / floor:5.2f}x python -c pass")
    if not venv:
        print(f"  {'statelint':<16} not installed (bench/peers/setup.sh)")
    elif result["asl validate"] and result["statelint"]:
        print(f"  asl / statelint  {result['asl validate'] / result['statelint']:.2f}")

    if not big.exists():
        print(f"validate-big: {big} not found")
        return 0
    loads = {"asl.load": [sys.executable, "-c", _ASL_LOAD, str(big)]}
    if venv:
        loads["statelint"] = [str(venv / "bin" / "python"), "-c", _STATELINT_LOAD, str(big)]
    result = load_times(loads, args.rounds, args.repeat)
    print(
        f"validate-big: {big.name}, median of {args.rounds}x{args.repeat} warm loads, interleaved"
    )
    for name, value in result.items():
        print(f"  {name:<16} {value * 1000:7.1f} ms")
    if "statelint" in result:
        print(f"  asl / statelint  {result['asl.load'] / result['statelint']:.2f} (target <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
