"""`asl send-task-success|send-task-failure|send-task-heartbeat --store FILE TOKEN ...`: answer
a durable execution's `.waitForTaskToken` task from another process (SendTaskSuccess,
SendTaskFailure, SendTaskHeartbeat); the execution's process picks the answer up from the store."""

from __future__ import annotations

import argparse
from typing import IO

from asl._cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("token", metavar="TOKEN", help="the task token")
    parser.add_argument("--store", metavar="FILE", required=True, help="the execution store (SQLite file)")
    command = parser.prog.rsplit(" ", 1)[-1]
    if command == "send-task-success":
        parser.add_argument("output", metavar="OUTPUT", help="the task's output: JSON text, or @FILE")
    elif command == "send-task-failure":
        parser.add_argument("--error", help="the error code (at most 256 characters)")
        parser.add_argument("--cause", help="the cause (at most 32768 characters)")


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import json
    from pathlib import Path

    from asl._runtime.store import SQLiteStore, dumps

    command = args.command
    if not Path(args.store).is_file():
        err.write(f"asl {command}: no store at {args.store}\n")
        return EXIT_USAGE
    payload: str | None = None
    if command == "send-task-success":
        text = args.output
        try:
            if text.startswith("@"):
                text = Path(text[1:]).read_text(encoding="utf-8")
            payload = dumps(json.loads(text))
        except (OSError, ValueError) as error:
            err.write(f"asl {command}: OUTPUT is not JSON: {error}\n")
            return EXIT_USAGE
        kind = "success"
    elif command == "send-task-failure":
        payload = dumps({k: v for k, v in (("error", args.error), ("cause", args.cause))
                         if v is not None})
        kind = "failure"
    else:
        kind = "heartbeat"
    with SQLiteStore(args.store) as store:
        arn = store.answer_callback(args.token, kind, payload)
    if arn is None:
        # AWS's API error for a token no task waits for (unknown, or already answered).
        err.write(f"asl {command}: TaskDoesNotExist: no task is waiting for token {args.token!r}.\n")
        return EXIT_INVALID
    out.write("{}\n")
    return EXIT_OK
