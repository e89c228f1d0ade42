"""`asl executions list|describe|history --store FILE [ID]`: durable executions as AWS's
ListExecutions, DescribeExecution and GetExecutionHistory show them (JSON), or as a table."""

from __future__ import annotations

import argparse
import json
from typing import IO, Any

from asl._cli.common import EXIT_OK, EXIT_USAGE, timestamp


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("list", "describe", "history"),
                        help="list the executions, describe one, or print its history")
    parser.add_argument("execution", metavar="ID", nargs="?",
                        help="the execution's ARN or name (describe, history)")
    parser.add_argument("--store", metavar="FILE", required=True, help="the execution store (SQLite file)")
    parser.add_argument("--status", help="list only executions of this status (RUNNING, FAILED, ...)")
    parser.add_argument("--format", choices=("json", "table"), default="json", help="output format")


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from pathlib import Path

    from asl._clock import SystemClock, to_datetime
    from asl._errors import ExecutionStoreError
    from asl._runtime import durable
    from asl._runtime.store import ExecutionRecord, SQLiteStore

    if not Path(args.store).is_file():
        err.write(f"asl executions: no store at {args.store}\n")
        return EXIT_USAGE
    store = SQLiteStore(args.store)
    try:
        if args.action == "list":
            if args.execution is not None:
                err.write("asl executions list: takes no ID\n")
                return EXIT_USAGE
            records = store.list_executions(status=args.status)
            rows = [_summary(r, to_datetime) for r in records]
            if args.format == "table":
                _table(out, ("name", "status", "startDate", "stopDate", "redriveCount"),
                       [[r["name"], r["status"], r["startDate"], r.get("stopDate", ""),
                         r["redriveCount"]] for r in rows])
            else:
                _json(out, {"executions": rows})
            return EXIT_OK
        if args.execution is None:
            err.write(f"asl executions {args.action}: needs the execution's ARN or name\n")
            return EXIT_USAGE
        record: ExecutionRecord = durable.find(store, args.execution)
        if args.action == "describe":
            described = describe(store, record, SystemClock().now())
            if args.format == "table":
                _table(out, ("field", "value"), [[k, v if isinstance(v, str) else json.dumps(
                    v, default=timestamp)] for k, v in described.items()])
            else:
                _json(out, described)
            return EXIT_OK
        events = [_event(row, to_datetime) for row in store.events(record.arn)]
        if args.format == "table":
            _table(out, ("id", "previous", "timestamp", "type", "details"),
                   [[e["id"], e["previousEventId"], e["timestamp"], e["type"],
                     _brief(e)] for e in events])
        else:
            _json(out, {"events": events})
        return EXIT_OK
    except ExecutionStoreError as error:
        err.write(f"asl executions: {error}\n")
        return EXIT_USAGE
    finally:
        store.close()


def describe(store: Any, record: Any, now: float) -> dict[str, Any]:
    """DescribeExecution's response for a stored execution."""
    from asl._clock import to_datetime
    from asl._runtime import durable

    shown: dict[str, Any] = {
        "executionArn": record.arn, "stateMachineArn": record.state_machine_arn,
        "name": record.name, "status": record.status, "startDate": to_datetime(record.start_date),
    }
    if record.stop_date is not None:
        shown["stopDate"] = to_datetime(record.stop_date)
    shown["input"] = record.input
    shown["inputDetails"] = {"included": True}
    if record.output is not None:
        shown["output"] = record.output
        shown["outputDetails"] = {"included": True}
    if record.error is not None:
        shown["error"] = record.error
    if record.cause is not None:
        shown["cause"] = record.cause
    shown["redriveCount"] = record.redrive_count
    if record.redrive_date is not None:
        shown["redriveDate"] = to_datetime(record.redrive_date)
    status, reason = durable.redrive_status(record, now, len(store.events(record.arn)))
    shown["redriveStatus"] = status
    if reason is not None:
        shown["redriveStatusReason"] = reason
    return shown


def _summary(record: Any, to_datetime: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"executionArn": record.arn, "stateMachineArn": record.state_machine_arn,
                           "name": record.name, "status": record.status,
                           "startDate": to_datetime(record.start_date)}
    if record.stop_date is not None:
        row["stopDate"] = to_datetime(record.stop_date)
    row["redriveCount"] = record.redrive_count
    if record.redrive_date is not None:
        row["redriveDate"] = to_datetime(record.redrive_date)
    return row


def _event(row: Any, to_datetime: Any) -> dict[str, Any]:
    from asl._runtime.history import details_key

    event_id, previous, now, kind, details = row
    event: dict[str, Any] = {"timestamp": to_datetime(now), "type": kind, "id": event_id,
                             "previousEventId": previous}
    if details is not None:
        event[details_key(kind)] = json.loads(details)
    return event


def _brief(event: dict[str, Any]) -> str:
    details = next((v for k, v in event.items() if k.endswith("EventDetails")), None)
    if details is None:
        return ""
    text = json.dumps(details, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _json(out: IO[str], value: Any) -> None:
    out.write(json.dumps(value, indent=2, default=timestamp, ensure_ascii=False) + "\n")


def _table(out: IO[str], header: tuple[str, ...], rows: list[list[Any]]) -> None:
    cells = [list(header)] + [[timestamp(c) if not isinstance(c, (str, int)) else str(c)
                               for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
