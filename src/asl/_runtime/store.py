"""Durable executions: the execution store interface and its embedded SQLite implementation.

An execution run with a store is checkpointed at every top-level state transition: one writer
transaction holds the history events recorded since the previous checkpoint and the execution's
new position (the next state, its input, the variables in scope, how many transitions came
before). Task outcomes are journaled as they happen, also inside Map iterations and Parallel
branches, keyed by where they happened; a resumed or redriven execution re-enters its state in
flight and replays the journal there, so a completed Task handler is never called again.

The interface (`ExecutionStore`) speaks only JSON-shaped values (text, numbers, dicts of them),
so it can be implemented on a server database: one row per execution, one per event, one per
journal entry, and one transaction per `checkpoint`. SQLite (`SQLiteStore`) is the embedded
default: a file, WAL mode, several processes sharing it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from asl._errors import ExecutionStoreError
from asl._json import to_json
from asl._lambda.asynchronous import EventStore

#: One stored event: (id, previousEventId, timestamp (epoch seconds), type, details JSON text or
#: None). The details are AWS's `<type>EventDetails` object, its payloads already JSON text.
StoredEvent = tuple[int, int, float, str, str | None]


@attrs.frozen(kw_only=True)
class ExecutionRecord:
    """What a store keeps of one execution besides its events (DescribeExecution's fields,
    the definition it runs and where it stands)."""

    arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    #: The definition as JSON text, so `asl resume ID` needs nothing but the store.
    definition: str
    #: The execution input as JSON text.
    input: str
    status: str
    start_date: float
    stop_date: float | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    #: JSON text of the position (see `executor.Position`), None before the first transition.
    position: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    #: Who runs it now: "host:pid", None when no process does.
    owner: str | None = None
    #: A stop requested from another process: JSON text {"error":..., "cause":...}.
    stop_request: str | None = None


@runtime_checkable
class ExecutionStore(EventStore, Protocol):
    """Where durable executions live (and the local Lambda service's queued events: the
    `queue_*` methods of `EventStore`). Every method is one transaction; every value is JSON
    text, a number or a string, so a server database implements it as well as SQLite."""

    def create(self, record: ExecutionRecord, events: Sequence[StoredEvent]) -> None:
        """Add a new execution (its name unique per state machine, as on AWS)."""

    def checkpoint(self, arn: str, events: Sequence[StoredEvent], **fields: Any) -> None:
        """Append events and update the execution's fields (status, position, ...) at once."""

    def get(self, arn: str) -> ExecutionRecord | None:
        """The execution, or None."""

    def list_executions(self, *, state_machine_arn: str | None = None,
             status: str | None = None) -> list[ExecutionRecord]:
        """Executions, newest first."""

    def events(self, arn: str) -> list[StoredEvent]:
        """The execution's events in id order."""

    def journal_get(self, arn: str, key: str) -> str | None:
        """A journaled task outcome (JSON text), or None."""

    def journal_put(self, arn: str, key: str, outcome: str) -> None:
        """Journal a task outcome (replacing an earlier one of the same key)."""

    def journal_prune(self, arn: str, keep: Iterable[str]) -> None:
        """Drop the execution's journal entries but those whose outcome kind is in `keep`."""

    def wait_for_callbacks(self, arn: str, tokens: Iterable[str]) -> None:
        """Record the task tokens the execution now waits for (replacing the earlier set)."""

    def answer_callback(self, token: str, kind: str, payload: str | None) -> str | None:
        """SendTaskSuccess ("success", the output as JSON text), SendTaskFailure ("failure",
        JSON {"error", "cause"}) or SendTaskHeartbeat ("heartbeat") for a waiting token; returns
        the execution's ARN, or None when no execution waits for the token."""

    def take_answers(self, arn: str) -> list[tuple[str, str, str | None]]:
        """The answers sent to the execution's tokens since the last call: (token, kind,
        payload), each handed out once."""

    def close(self) -> None:
        """Release connections."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    number INTEGER PRIMARY KEY, arn TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    state_machine_name TEXT NOT NULL, definition TEXT NOT NULL, input TEXT NOT NULL,
    status TEXT NOT NULL, start_date REAL NOT NULL, stop_date REAL, output TEXT, error TEXT,
    cause TEXT, position TEXT, redrive_count INTEGER NOT NULL DEFAULT 0, redrive_date REAL,
    owner TEXT, stop_request TEXT
);
CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (state_machine_arn, start_date);
CREATE TABLE IF NOT EXISTS events (
    execution INTEGER NOT NULL, id INTEGER NOT NULL, previous INTEGER NOT NULL,
    timestamp REAL NOT NULL, type TEXT NOT NULL, details TEXT, PRIMARY KEY (execution, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS callbacks (
    token TEXT PRIMARY KEY, arn TEXT NOT NULL, kind TEXT, payload TEXT
);
CREATE TABLE IF NOT EXISTS lambda_events (
    key TEXT PRIMARY KEY, event TEXT NOT NULL, due REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    arn TEXT NOT NULL, key TEXT NOT NULL, outcome TEXT NOT NULL, PRIMARY KEY (arn, key)
) WITHOUT ROWID;
"""

_FIELDS = tuple(field.name for field in attrs.fields(ExecutionRecord))


class SQLiteStore:
    """The embedded store: one SQLite file in WAL mode, shared by threads and processes.

    `synchronous` is SQLite's setting. The default, OFF, makes a commit durable against the
    death of the process (SIGKILL included: the commit is in the WAL, handed to the operating
    system, before `checkpoint` returns) at a third of NORMAL's cost; an operating-system crash
    or power loss may then lose the last commits, and SQLite does not promise the file survives
    one. NORMAL or FULL make commits durable against that too (FULL: each one synced to disk).
    Writers from several processes queue on SQLite's lock (busy timeout `timeout`).
    `every_transition`: see `durable.DurableInterpreter.run_graph`."""

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "OFF",
                 every_transition: bool = False, timeout: float = 30.0) -> None:
        if synchronous not in ("OFF", "NORMAL", "FULL"):
            raise TypeError(f"synchronous must be 'OFF', 'NORMAL' or 'FULL', not {synchronous!r}")
        self.path = Path(path)
        #: Commit every transition on its own, also those into Pass, Choice, Succeed and Fail
        #: states (by default they share the next transition's commit; see `durable`).
        self.every_transition = every_transition
        self._numbers: dict[str, int] = {}
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                   check_same_thread=False)
        # Switching a new file to WAL takes an exclusive lock for which SQLite does not wait:
        # processes opening one file at once retry within the busy timeout.
        give_up = time.monotonic() + timeout
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                if time.monotonic() > give_up:
                    raise
                time.sleep(0.01)
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]],
               many: Sequence[tuple[str, Sequence[Sequence[Any]]]] = ()) -> None:
        db = self._db
        with self._lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql, rows in many:
                    if rows:
                        db.executemany(sql, rows)
                for sql, params in statements:
                    db.execute(sql, params)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def create(self, record: ExecutionRecord, events: Sequence[StoredEvent]) -> None:
        values = attrs.astuple(record)
        db = self._db
        try:
            with self._lock:
                db.execute("BEGIN IMMEDIATE")
                try:
                    number = db.execute(f"INSERT INTO executions ({', '.join(_FIELDS)}) VALUES "
                                        f"({', '.join('?' * len(_FIELDS))})", values).lastrowid
                    db.executemany(_INSERT_EVENT, [(number, *event) for event in events])
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                self._numbers[record.arn] = int(number or 0)
        except sqlite3.IntegrityError:
            raise ExecutionStoreError("ExecutionAlreadyExists",
                                      f"Execution Already Exists: '{record.arn}'") from None

    def checkpoint(self, arn: str, events: Sequence[StoredEvent], **fields: Any) -> None:
        statements: list[tuple[str, Sequence[Any]]] = []
        if fields:
            unknown = set(fields) - set(_FIELDS)
            if unknown:
                raise TypeError(f"unknown execution fields: {sorted(unknown)}")
            statements.append((f"UPDATE executions SET {', '.join(k + ' = ?' for k in fields)} "
                               f"WHERE arn = ?", (*fields.values(), arn)))
        number = self._number(arn) if events else 0
        self._write(statements, [(_INSERT_EVENT, [(number, *event) for event in events])])

    def _number(self, arn: str) -> int:
        """The execution's row number, which its events are keyed by (shorter than its ARN)."""
        number = self._numbers.get(arn)
        if number is None:
            with self._lock:
                row = self._db.execute("SELECT number FROM executions WHERE arn = ?",
                                       (arn,)).fetchone()
            if row is None:
                raise ExecutionStoreError("ExecutionDoesNotExist",
                                          f"Execution Does Not Exist: '{arn}'")
            number = self._numbers[arn] = int(row[0])
        return number

    def get(self, arn: str) -> ExecutionRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_FIELDS)} FROM executions WHERE arn = ?",
                                   (arn,)).fetchone()
        return None if row is None else ExecutionRecord(**dict(zip(_FIELDS, row, strict=True)))

    def list_executions(self, *, state_machine_arn: str | None = None,
             status: str | None = None) -> list[ExecutionRecord]:
        where, params = [], []
        if state_machine_arn is not None:
            where.append("state_machine_arn = ?")
            params.append(state_machine_arn)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        sql = f"SELECT {', '.join(_FIELDS)} FROM executions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY start_date DESC, rowid DESC", params).fetchall()
        return [ExecutionRecord(**dict(zip(_FIELDS, row, strict=True))) for row in rows]

    def events(self, arn: str) -> list[StoredEvent]:
        with self._lock:
            rows = self._db.execute("SELECT e.id, e.previous, e.timestamp, e.type, e.details "
                                    "FROM events e JOIN executions x ON e.execution = x.number "
                                    "WHERE x.arn = ? ORDER BY e.id", (arn,)).fetchall()
        return [tuple(row) for row in rows]

    def journal_get(self, arn: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT outcome FROM journal WHERE arn = ? AND key = ?",
                                   (arn, key)).fetchone()
        return None if row is None else str(row[0])

    def journal_put(self, arn: str, key: str, outcome: str) -> None:
        self._write([("INSERT OR REPLACE INTO journal (arn, key, outcome) VALUES (?, ?, ?)",
                      (arn, key, outcome))])

    def journal_prune(self, arn: str, keep: Iterable[str]) -> None:
        kinds = list(keep)
        marks = ", ".join("?" * len(kinds)) or "NULL"
        self._write([(f"DELETE FROM journal WHERE arn = ? AND json_extract(outcome, '$.kind') "
                      f"NOT IN ({marks})", (arn, *kinds))])

    def wait_for_callbacks(self, arn: str, tokens: Iterable[str]) -> None:
        waiting = list(tokens)
        marks = ", ".join("?" * len(waiting)) or "NULL"
        self._write([(f"DELETE FROM callbacks WHERE arn = ? AND kind IS NULL AND token NOT IN "
                      f"({marks})", (arn, *waiting))],
                    [("INSERT OR IGNORE INTO callbacks (token, arn) VALUES (?, ?)",
                      [(token, arn) for token in waiting])])

    def answer_callback(self, token: str, kind: str, payload: str | None) -> str | None:
        db = self._db
        with self._lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT arn, kind FROM callbacks WHERE token = ?", (token,)).fetchone()
                if row is None or (row[1] is not None and row[1] != "heartbeat"):
                    db.execute("COMMIT")
                    return None
                if kind != "heartbeat" or row[1] is None:
                    db.execute("UPDATE callbacks SET kind = ?, payload = ? WHERE token = ?",
                               (kind, payload, token))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return str(row[0])

    def take_answers(self, arn: str) -> list[tuple[str, str, str | None]]:
        db = self._db
        with self._lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute("SELECT token, kind, payload FROM callbacks WHERE arn = ? AND "
                                  "kind IS NOT NULL", (arn,)).fetchall()
                # An answered token is done; a heartbeat leaves it waiting for its answer.
                db.execute("DELETE FROM callbacks WHERE arn = ? AND kind IS NOT NULL AND "
                           "kind != 'heartbeat'", (arn,))
                db.execute("UPDATE callbacks SET kind = NULL, payload = NULL WHERE arn = ? AND "
                           "kind = 'heartbeat'", (arn,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return [(str(t), str(k), p) for t, k, p in rows]

    def queue_put(self, key: str, event: str, due: float) -> None:
        self._write([("INSERT OR REPLACE INTO lambda_events (key, event, due) VALUES (?, ?, ?)",
                      (key, event, due))])

    def queue_delete(self, key: str) -> None:
        self._write([("DELETE FROM lambda_events WHERE key = ?", (key,))])

    def queue_list(self) -> list[tuple[str, str, float]]:
        with self._lock:
            rows = self._db.execute("SELECT key, event, due FROM lambda_events "
                                    "ORDER BY due, rowid").fetchall()
        return [(str(key), str(event), float(due)) for key, event, due in rows]

    def integrity(self) -> str:
        """SQLite's `PRAGMA integrity_check` verdict ("ok" when the file is sound)."""
        with self._lock:
            return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


_INSERT_EVENT = ("INSERT INTO events (execution, id, previous, timestamp, type, details) "
                 "VALUES (?, ?, ?, ?, ?, ?)")


def open_store(store: Any) -> ExecutionStore:
    """A `store=` argument: an `ExecutionStore`, or a path for a `SQLiteStore`."""
    if isinstance(store, (str, os.PathLike)):
        return SQLiteStore(store)
    if isinstance(store, ExecutionStore):
        return store
    raise TypeError(f"store must be a path or an ExecutionStore (such as asl.SQLiteStore), "
                    f"not {type(store).__name__}: {store!r}")


def dumps(value: Any) -> str:
    """Compact JSON text, as the store keeps it."""
    return to_json(value)
