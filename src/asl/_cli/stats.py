"""`asl run --functions MODULE` and `--stats`: the run's local Lambda service, and each
function's metrics (invocations, errors, throttles, cold starts, duration percentiles)."""

from __future__ import annotations

import importlib
import os
import sys
from typing import IO, Any


def load_functions(module_name: str) -> Any:
    """The module's `FUNCTIONS` (an asl.Functions), or its one asl.Functions instance."""
    from asl import Functions

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    explicit = getattr(module, "FUNCTIONS", None)
    if isinstance(explicit, Functions):
        return explicit
    found = [value for value in vars(module).values() if isinstance(value, Functions)]
    if len(found) != 1:
        raise ValueError(f"expected FUNCTIONS = asl.Functions(...) or exactly one asl.Functions "
                         f"in the module, found {len(found)}")
    return found[0]


def as_functions(functions: Any, handlers: dict[str, Any] | None) -> tuple[Any, dict[str, Any] | None]:
    """For --stats: handlers keyed by a Lambda function (a name or unqualified ARN) become
    functions of the service (Lambda's defaults), so their invocations are measured; the other
    handlers (service integrations, activities, patterns, qualified names) stay handlers."""
    from asl import Functions
    from asl._integrations.resources import parse_function

    service = functions if functions is not None else Functions()
    if not handlers:
        return service, handlers
    rest: dict[str, Any] = {}
    for key, handler in handlers.items():
        ref = parse_function(key)
        if ref is None or ref.qualifier is not None or service.has(ref.name):
            rest[key] = handler
            continue
        try:
            service.create(ref.name, handler=handler)
        except Exception:  # noqa: BLE001 - a name Lambda would refuse stays a plain handler
            rest[key] = handler
    return service, rest


def print_stats(functions: Any, err: IO[str]) -> None:
    for name in functions.names():
        m = functions.metrics(name)
        duration = m["Duration"]
        timing = (f", duration p50 {duration['p50']:.2f} ms, p90 {duration['p90']:.2f} ms, "
                  f"p99 {duration['p99']:.2f} ms, max {duration['max']:.2f} ms") if duration else ""
        err.write(f"lambda {name}: {m['Invocations']} invocations, {m['Errors']} errors, "
                  f"{m['Throttles']} throttles, {m['ColdStarts']} cold starts{timing}\n")
