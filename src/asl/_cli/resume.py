"""`asl resume --store FILE ID` and `asl redrive --store FILE ID`: continue a durable execution
whose process died, or redrive a FAILED, TIMED_OUT or ABORTED one (AWS's RedriveExecution),
to its end; the output on stdout as `asl run` prints it."""

from __future__ import annotations

import argparse
from typing import IO

from asl._cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, load_handlers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution", metavar="ID", help="the execution's ARN or name")
    parser.add_argument("--store", metavar="FILE", required=True, help="the execution store (SQLite file)")
    parser.add_argument("--handlers", metavar="MODULE", help="module whose callables handle Task resources")
    parser.add_argument("--virtual-clock", action="store_true", help="do not sleep in Wait states or retries")


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import json
    from pathlib import Path

    import asl
    from asl._errors import ExecutionStoreError
    from asl._machine import from_store

    command = args.command
    if not Path(args.store).is_file():
        err.write(f"asl {command}: no store at {args.store}\n")
        return EXIT_USAGE
    try:
        handlers = load_handlers(args.handlers) if args.handlers else None
    except Exception as error:  # noqa: BLE001 - the user's module: a usage error, not a traceback
        err.write(f"asl {command}: cannot import handlers module {args.handlers!r}: "
                  f"{type(error).__name__}: {error}\n")
        return EXIT_USAGE
    clock = asl.VirtualClock() if args.virtual_clock else None
    try:
        machine = from_store(args.store, args.execution)
        go = machine.redrive if command == "redrive" else machine.resume
        execution = go(args.execution, store=args.store, handlers=handlers, clock=clock)
    except ExecutionStoreError as error:
        err.write(f"asl {command}: {error}\n")
        return EXIT_INVALID if error.code == "ExecutionNotRedrivable" else EXIT_USAGE
    if execution.status == "SUCCEEDED":
        out.write(json.dumps(execution.output, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    detail = f"{execution.error}: {execution.cause}" if execution.cause else str(execution.error)
    prefix = "" if execution.status == "FAILED" else f"{execution.status}: "
    err.write(f"{prefix}{detail}\n")
    return EXIT_INVALID
