"""`asl stop --store FILE ID [--error E] [--cause C]`: StopExecution for a durable execution run
by another process (its status becomes ABORTED, as AWS records it); prints the stop date."""

from __future__ import annotations

import argparse
from typing import IO

from asl._cli.common import EXIT_OK, EXIT_USAGE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution", metavar="ID", help="the execution's ARN or name")
    parser.add_argument("--store", metavar="FILE", required=True, help="the execution store (SQLite file)")
    parser.add_argument("--error", help="the error code of the stop (at most 256 characters)")
    parser.add_argument("--cause", help="the cause of the stop (at most 32768 characters)")


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import json
    from pathlib import Path

    from asl._clock import SystemClock, isoformat
    from asl._errors import ExecutionStoreError
    from asl._runtime import durable
    from asl._runtime.store import SQLiteStore

    for name, value, limit in (("error", args.error, 256), ("cause", args.cause, 32768)):
        if value is not None and len(value) > limit:
            err.write(f"asl stop: --{name} is {len(value)} characters long; StopExecution takes "
                      f"at most {limit}\n")
            return EXIT_USAGE
    if not Path(args.store).is_file():
        err.write(f"asl stop: no store at {args.store}\n")
        return EXIT_USAGE
    with SQLiteStore(args.store) as store:
        try:
            record = durable.find(store, args.execution)
        except ExecutionStoreError as error:
            err.write(f"asl stop: {error}\n")
            return EXIT_USAGE
        now = SystemClock().now()
        durable.request_stop(store, record, args.error, args.cause, now)
    out.write(json.dumps({"stopDate": isoformat(now)}) + "\n")
    return EXIT_OK
