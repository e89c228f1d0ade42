"""Time compile-once / evaluate-many for a typical JSONata Choice Condition with both candidate
libraries (jsonata-python, pure Python; jsonatapy, Rust), and with asl's own layer on top.

Run: python bench/jsonata_choice.py [--seconds 1.0]. Prints evaluations per second; a library
that is not installed is reported and skipped.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

CONDITION = "$states.input.count < 5000"
SMALL = {"count": 42, "name": "order-1", "tags": ["a", "b"]}
LARGE = {"count": 42, "items": [{"id": i, "price": i * 1.5, "sku": f"S{i}"} for i in range(1000)]}


def _rate(fn: Callable[[], Any], seconds: float) -> float:
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def _candidates(data: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    states = {"input": data, "context": {"Execution": {"Id": "arn:x"}}}
    out: dict[str, Callable[[], Any]] = {}
    try:
        import jsonata

        expr = jsonata.Jsonata(CONDITION)
        expr.set_validate_input(False)
        out["jsonata-python"] = lambda: expr.evaluate(None, {"states": states})
    except ImportError:
        print("jsonata-python: not installed")
    try:
        import jsonatapy

        rexpr = jsonatapy.compile(CONDITION)
        out["jsonatapy"] = lambda: rexpr.evaluate(None, {"states": states})
    except ImportError:
        print("jsonatapy: not installed")
    try:
        from asl._languages.jsonata import compile_expression

        aexpr = compile_expression("{% " + CONDITION + " %}")
        out["asl._languages.jsonata"] = lambda: aexpr.evaluate(states, {})
    except ImportError:
        print("asl._languages.jsonata: not importable")
    return out


def _compile_rate(seconds: float) -> dict[str, float]:
    rates: dict[str, float] = {}
    try:
        import jsonata

        rates["jsonata-python"] = _rate(lambda: jsonata.Jsonata(CONDITION), seconds)
    except ImportError:
        pass
    try:
        import jsonatapy

        rates["jsonatapy"] = _rate(lambda: jsonatapy.compile(CONDITION), seconds)
    except ImportError:
        pass
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    print(f"expression: {CONDITION}")
    for name, rate in _compile_rate(args.seconds).items():
        print(f"  compile   {name:28s} {rate:12,.0f} ops/s")
    for label, data in (("small input", SMALL), ("1000-item input", LARGE)):
        for name, fn in _candidates(data).items():
            assert fn() is True, name
            print(f"  evaluate  {name:28s} {_rate(fn, args.seconds):12,.0f} ops/s  ({label})")


if __name__ == "__main__":
    main()
