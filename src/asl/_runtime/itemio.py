"""Distributed Map over local data: ItemReader, ItemBatcher, child executions, ResultWriter.

S3 is simulated by a pluggable store. The run option `s3` takes any object with
`get_object(bucket, key) -> bytes`, `list_objects(bucket, prefix) -> list[dict]` and
`put_object(bucket, key, body: bytes)`; the option `s3_root` (a folder) gives `LocalS3`, where
bucket `b` is the folder `<s3_root>/b`. Without either, `LocalS3(".")`.

Child executions run in this process (threads when they may block), or on the `executor` run
option (any `concurrent.futures.Executor`: processes, Dask's `Client.get_executor()`) through
`Run.child_worker` (the executor's `run_child`), a picklable function of (definition, input,
...) that compiles the iteration's state machine in the worker once and runs it there; in this
process through `Run.start_child`.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from asl import _errors as E
from asl._clock import VirtualClock, isoformat
from asl._definition.model import MapState
from asl._errors import Aborted, Failure, StatesError
from asl._json import to_json
from asl._languages.env import Env
from asl._runtime import fanout
from asl._runtime.core import Machine, Run
from asl._runtime.execution import Execution
from asl._runtime.fanout import Cut, Failed, Limits, Tally
from asl._runtime.history import Lane, Recorded

GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
PUT_OBJECT = "arn:aws:states:::s3:putObject"
_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
#: AWS's cap on one child execution's input (and so on a batch).
BATCH_BYTES_LIMIT = 256 * 1024


# -- the S3 stand-in ----------------------------------------------------------------------------


class LocalS3:
    """Buckets as folders: `root/bucket/key`. Listing follows ListObjectsV2's Contents."""

    def __init__(self, root: str | Path = ".", buckets: Mapping[str, str | Path] | None = None) -> None:
        self.root = Path(root)
        self.buckets = {name: Path(folder) for name, folder in (buckets or {}).items()}

    def folder(self, bucket: str) -> Path:
        return self.buckets.get(bucket, self.root / bucket)

    def _file(self, bucket: str, key: str, error: str) -> Path:
        """`folder(bucket)/key`, refused (`error`, a StatesError) unless it stays inside the
        bucket's folder once symlinks are followed: no `..`, absolute key or link out of it,
        and no bucket name that is itself a path."""
        if bucket not in self.buckets and (
            not bucket or bucket in (".", "..") or "/" in bucket or "\\" in bucket
            or "\0" in bucket
        ):
            raise StatesError(error, f"The bucket name {bucket!r} is not a bucket name")
        folder = self.folder(bucket)
        path = folder / key
        try:
            inside = ("\0" not in key
                      and path.resolve().is_relative_to(folder.resolve()))
        except (OSError, RuntimeError, ValueError):  # a symlink loop, a name the OS refuses
            inside = False
        if not inside:
            raise StatesError(error, f"The key {key!r} leads out of the bucket {bucket} (its "
                              f"folder is {folder}); keys are paths inside the bucket's folder")
        return path

    def get_object(self, bucket: str, key: str) -> bytes:
        path = self._file(bucket, key, E.ITEM_READER_FAILED)
        try:
            if not path.resolve().is_file():  # a FIFO or device would block or never end
                raise OSError("not a regular file")
            return path.read_bytes()
        except OSError:
            raise StatesError(E.ITEM_READER_FAILED,
                              f"Could not read s3://{bucket}/{key} (no file {path})") from None

    def list_objects(self, bucket: str, prefix: str = "") -> list[dict[str, Any]]:
        folder = self._file(bucket, "", E.ITEM_READER_FAILED)
        if not folder.is_dir():
            raise StatesError(E.ITEM_READER_FAILED,
                              f"The bucket {bucket} does not exist (no folder {folder})")
        inside = folder.resolve()
        found = []
        for path in sorted(folder.rglob("*")):
            try:
                if not path.is_file() or not path.resolve().is_relative_to(inside):
                    continue  # folders, FIFOs and devices, and links out of the bucket
            except (OSError, RuntimeError):
                continue
            key = path.relative_to(folder).as_posix()
            if not key.startswith(prefix):
                continue
            stat = path.stat()
            found.append({
                "Etag": f'"{stat.st_size:x}-{int(stat.st_mtime):x}"',
                "Key": key,
                "LastModified": datetime.fromtimestamp(stat.st_mtime, tz=UTC).strftime(
                    "%a %b %d %H:%M:%S UTC %Y"),
                "Size": stat.st_size,
                "StorageClass": "STANDARD",
            })
        return found

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        path = self._file(bucket, key, E.RESULT_WRITER_FAILED)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink() or (path.exists() and not path.is_file()):
                raise OSError("not a regular file")
            path.write_bytes(body)
        except OSError as error:
            raise StatesError(E.RESULT_WRITER_FAILED,
                              f"Could not write s3://{bucket}/{key} ({error})") from None


def store(run: Run) -> Any:
    given = run.options.s3
    if given is not None:
        return given
    return LocalS3(run.options.s3_root if run.options.s3_root is not None else ".")


def _render(run: Run, state: MapState, template: Any, data: Any, effective: Any, env: Env,
            field: str) -> Any:
    if template is None:
        return None
    return state.flow.template(template, data, effective, env, run.clock, field)


# -- ItemReader ---------------------------------------------------------------------------------


def read_items(run: Run, state: MapState, data: Any, effective: Any, env: Env) -> list[Any]:
    """The items an ItemReader names: a JSON array, JSON Lines, CSV or a manifest object, or
    an S3 listing; at most ReaderConfig.MaxItems of them."""
    reader = state.item_reader or {}
    parts = state.item_io
    parameters = _render(run, state, parts.reader_parameters, data, effective, env, "Arguments") or {}
    config = reader.get("ReaderConfig", {})
    resource = str(reader.get("Resource", ""))
    bucket = parameters.get("Bucket")
    if not isinstance(bucket, str):
        raise StatesError(E.ITEM_READER_FAILED, "The ItemReader's Parameters need a Bucket string.")
    s3 = store(run)
    if resource.startswith(LIST_OBJECTS):
        items: list[Any] = s3.list_objects(bucket, str(parameters.get("Prefix", "")))
    elif resource.startswith(GET_OBJECT):
        key = parameters.get("Key")
        if not isinstance(key, str):
            raise StatesError(E.ITEM_READER_FAILED, "The ItemReader's Parameters need a Key string.")
        if config.get("InputType") == "PARQUET" and "VersionId" in parameters:
            # AWS's words, and its cause carries no "An error occurred ..." prefix (recorded).
            raise Failure(E.ITEM_READER_FAILED,
                          "S3 Version ID selection is not currently supported for PARQUET files")
        items = parse_object(s3.get_object(bucket, key), config, f"s3://{bucket}/{key}")
    else:
        raise StatesError(E.ITEM_READER_FAILED, f"Unsupported ItemReader Resource: {resource}")
    limit = config.get("MaxItems")
    if parts.max_items_path is not None:
        limit = parts.max_items_path.get(effective, env)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise StatesError(E.RUNTIME, f"MaxItems must be a non-negative integer: {to_json(limit)}")
        if limit > 0:
            items = items[:limit]
    return items


def parse_object(body: bytes, config: Mapping[str, Any], where: str) -> list[Any]:
    """One object's items by ReaderConfig.InputType (JSON when absent)."""
    kind = config.get("InputType", "JSON")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StatesError(E.ITEM_READER_FAILED, f"{where} is not UTF-8 text.") from None
    if kind == "JSON":
        try:
            value = json.loads(text)
        except ValueError as error:
            raise StatesError(E.ITEM_READER_FAILED, f"{where} is not valid JSON: {error}") from None
        if not isinstance(value, list):
            raise StatesError(E.ITEM_READER_FAILED,
                              f"{where} must hold a JSON array of items, not a JSON {type(value).__name__}.")
        return value
    if kind == "JSONL":
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except ValueError as error:
                    raise StatesError(E.ITEM_READER_FAILED,
                                      f"{where} line {number} is not valid JSON: {error}") from None
        return items
    if kind == "CSV":
        return _csv(text, config, where)
    if kind == "MANIFEST":
        # An S3 Inventory manifest's data files: each line bucket,key.
        return [{"Bucket": row[0], "Key": row[1]} for row in csv.reader(io.StringIO(text)) if len(row) >= 2]
    raise StatesError(E.ITEM_READER_FAILED, f"Unsupported ReaderConfig InputType: {kind}")


def _csv(text: str, config: Mapping[str, Any], where: str) -> list[dict[str, str]]:
    delimiter = _DELIMITERS.get(config.get("CSVDelimiter", "COMMA"), ",")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if config.get("CSVHeaderLocation", "FIRST_ROW") == "GIVEN":
        headers = list(config.get("CSVHeaders", ()))
    else:
        if not rows:
            return []
        headers, rows = rows[0], rows[1:]
    items = []
    for number, row in enumerate(rows, 1):
        if not row:
            continue
        if len(row) > len(headers):
            raise StatesError(E.ITEM_READER_FAILED,
                              f"{where} row {number} has {len(row)} fields but there are "
                              f"{len(headers)} headers.")
        # Every CSV value is a string, as AWS gives it; missing trailing fields are empty.
        items.append({header: row[i] if i < len(row) else "" for i, header in enumerate(headers)})
    return items


# -- ItemBatcher --------------------------------------------------------------------------------


def batches(run: Run, state: MapState, data: Any, effective: Any, inputs: Sequence[Any],
            env: Env) -> list[Any]:
    """Group the iteration inputs as {"BatchInput": ..., "Items": [...]} by MaxItemsPerBatch and
    MaxInputBytesPerBatch (the batch's JSON size)."""
    batcher = state.item_batcher or {}
    paths = state.item_io.batch_paths
    max_items = _batch_limit(batcher, paths, "MaxItemsPerBatch", effective, env)
    max_bytes = _batch_limit(batcher, paths, "MaxInputBytesPerBatch", effective, env)
    if max_items is None and max_bytes is None:
        raise StatesError(E.RUNTIME, "An ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch.")
    byte_cap = min(max_bytes or BATCH_BYTES_LIMIT, BATCH_BYTES_LIMIT)
    batch_input = _render(run, state, state.item_io.batch_input, data, effective, env, "BatchInput")
    head: dict[str, Any] = {} if batch_input is None else {"BatchInput": batch_input}
    # Bytes of {"BatchInput":...,"Items":[]} plus each item's JSON and a comma between items.
    frame = len(to_json({**head, "Items": []}).encode("utf-8", "replace"))
    groups: list[Any] = []
    current: list[Any] = []
    size = frame
    for item in inputs:
        item_size = len(to_json(item).encode("utf-8", "replace"))
        grown = size + item_size + (1 if current else 0)
        if current and ((max_items is not None and len(current) >= max_items) or grown > byte_cap):
            groups.append({**head, "Items": current})
            current, size = [], frame
            grown = size + item_size
        if grown > byte_cap:
            raise StatesError(E.RUNTIME, f"An item of {item_size} bytes does not fit in a batch of "
                                         f"at most {byte_cap} bytes (MaxInputBytesPerBatch).")
        current.append(item)
        size = grown
    if current:
        groups.append({**head, "Items": current})
    return groups


def _batch_limit(batcher: Mapping[str, Any], paths: Mapping[str, Any], field: str, effective: Any,
                 env: Env) -> int | None:
    value = batcher.get(field)
    if field in paths:
        value = paths[field].get(effective, env)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise StatesError(E.RUNTIME, f"{field} must be a positive integer: {to_json(value)}")
    return value


# -- child executions ---------------------------------------------------------------------------


@attrs.frozen
class ChildRecord:
    """One child workflow execution of a Map Run (picklable, so workers can return it)."""

    index: int
    name: str
    execution_arn: str
    status: str
    input: Any
    output: Any = None
    error: str | None = None
    cause: str | None = None
    start_date: float = 0.0
    stop_date: float = 0.0
    #: The child's events as recorded (None with `child_history=False`); see `history`.
    recorded: Recorded | None = attrs.field(default=None, repr=False)

    @property
    def history(self) -> list[dict[str, Any]] | None:
        """The child's events as GetExecutionHistory returns them, rendered on each read (not
        kept: 10,000 children's rendered events cost a big Map Run more than its states)."""
        return self.recorded.events() if self.recorded is not None else None


@attrs.define
class MapRun:
    """A distributed Map's run: counts by status and its child executions, in item order."""

    arn: str
    state_name: str
    label: str | None
    status: str
    item_count: int
    children: list[ChildRecord]
    result_writer_details: dict[str, Any] | None = None

    @property
    def execution_counts(self) -> dict[str, int]:
        counts = {"total": len(self.children), "succeeded": 0, "failed": 0, "timedOut": 0,
                  "aborted": 0, "running": 0, "pending": 0}
        for child in self.children:
            key = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timedOut",
                   "ABORTED": "aborted"}.get(child.status, "pending")
            counts[key] += 1
        return counts


def child_record(execution: Execution, index: int, keep_history: bool) -> ChildRecord:
    """A finished child execution as its Map Run keeps it."""
    return ChildRecord(
        index, execution.name, execution.execution_arn, execution.status, execution.input,
        output=execution.output, error=execution.error, cause=execution.cause,
        start_date=execution.start_date, stop_date=execution.stop_date or execution.start_date,
        recorded=_recorded(execution) if keep_history else None,
    )


def _recorded(execution: Execution) -> Recorded:
    return execution._history.recorded()  # the compact record; `Execution.history` renders it


def run_distributed(run: Run, state: MapState, data: Any, effective: Any, items: list[Any],
                    limits: Limits, env: Env, lane: Lane) -> Any:
    """A Map Run: child executions over the items (batched when asked), tolerated failures,
    ResultWriter; the result is the outputs in item order, or the ResultWriter's details."""
    inputs = fanout.iteration_inputs(run, state, data, effective, items, env)
    if state.item_batcher is not None:
        inputs = batches(run, state, data, effective, inputs, env)
    run_id = str(uuid.UUID(int=run.rng.getrandbits(128), version=4))
    label = state.label or state.name
    machine_arn = run.session.machine.arn
    base_arn = machine_arn.replace(":stateMachine:", ":mapRun:")
    map_run_arn = f"{base_arn}/{label}:{run_id}"
    child_arn = f"{machine_arn}/{label}"
    started = run.event(lane, "MapRunStarted", {"mapRunArn": map_run_arn})
    tally = limits.tally(len(inputs))
    children = _run_children(run, state, inputs, child_arn, run_id, limits.max_concurrency, tally)
    results = [_outcome(child) for child in children if child is not None]
    failure = tally.verdict(results, distributed=True)
    if failure is None and run.cancel is not None and run.cancel.cancelled:
        raise Aborted()  # the branch or iteration this Map runs in was cut
    summary = MapRun(map_run_arn, state.name, state.label, "FAILED" if failure else "SUCCEEDED",
                     len(items), [c for c in children if c is not None])
    run.session.execution.map_runs.append(summary)
    writer = state.result_writer
    if writer is not None:
        summary.result_writer_details = write_results(run, state, data, effective, env, summary, run_id)
    if failure is not None:
        run.event(lane, "MapRunFailed", {"error": failure.error, "cause": failure.cause})
        raise failure
    # AWS (since late 2024): MapRunSucceeded and MapStateSucceeded follow MapRunStarted without
    # moving the lane, so MapStateExited points back at MapRunStarted.
    succeeded = run.event(lane, "MapRunSucceeded", chain=False)
    run.event(Lane(succeeded), "MapStateSucceeded", chain=False)
    lane.last = started
    if writer is not None:
        return {"MapRunArn": map_run_arn, "ResultWriterDetails": summary.result_writer_details}
    return [fanout.as_output(value) for value in results]


def _run_children(run: Run, state: MapState, inputs: Sequence[Any], child_arn: str, run_id: str,
                  limit: int, tally: Tally) -> list[ChildRecord | None]:
    assert state.processor is not None
    count = len(inputs)
    names = [f"{run_id[:8]}-{index}" for index in range(count)]
    virtual = isinstance(run.clock, VirtualClock)
    keep = run.options.child_history
    executor = run.options.executor
    records: list[ChildRecord | None] = [None] * count
    progress = fanout.progress_for(run, state.name, count)
    try:
        if executor is not None and not isinstance(executor, cf.ThreadPoolExecutor):
            definition = _definition(state)
            start = run.clock.now() if virtual else None
            # What crosses to the worker: no pool (its Maps make their own) and no progress hook
            # (it reports to this process's caller), and no event listener (a child's events are
            # its own execution's, not this one's).
            options = attrs.evolve(run.options, executor=None, on_progress=None, on_event=None,
                                      store=None)
            worker = run.child_worker

            def submit(i: int) -> cf.Future[Any]:
                return executor.submit(worker, definition, inputs[i], names[i], child_arn,
                                       options, start, i, keep)

            # Children in other processes cannot be cut: the window only stops starting more.
            return _windowed(submit, count, limit, tally, records, progress, None)
        machine = Machine(state.processor, child_arn.rsplit(":", 1)[-1], child_arn)
        # A child's own Maps and Parallels use pools of their own (see fanout._pool); its events
        # are its own execution's, so the parent's listener does not hear them.
        child_options = run.options
        if executor is not None or child_options.on_event is not None:
            child_options = attrs.evolve(child_options, executor=None, on_event=None)
        # Children in this process stop at their next state once the Map Run fails (ABORTED).
        scope = fanout.CancelScope(run.cancel)

        def local(index: int) -> ChildRecord:
            execution = run.start_child(machine, inputs[index], names[index], child_options,
                                        scope)
            return child_record(execution, index, keep)

        try:
            if not fanout.threaded(run, (state.processor,)) or limit == 1:
                for index in range(count):
                    records[index] = record = local(index)
                    if progress is not None:
                        progress(record.status != "SUCCEEDED")
                    if tally.stop(_outcome(record)):
                        break
                return records
            pool = executor if isinstance(executor, cf.ThreadPoolExecutor) else cf.ThreadPoolExecutor(
                max_workers=min(limit or fanout.DEFAULT_WORKERS, fanout.DEFAULT_WORKERS))
            try:
                return _windowed(lambda i: pool.submit(local, i), count, limit, tally, records,
                                 progress, scope)
            finally:
                if pool is not executor:
                    pool.shutdown(wait=True)
        finally:
            scope.close()
    finally:
        if progress is not None:
            progress.close()


def _windowed(submit: Any, count: int, limit: int, tally: Tally, records: list[ChildRecord | None],
              progress: Any, scope: Any) -> list[ChildRecord | None]:
    """Keep at most `limit` children in flight (0: all), stop starting more once the tolerated
    failures are passed (and cut the running ones, through `scope`); a worker that dies fails
    its item instead of the Map Run hanging."""
    window = limit if limit > 0 else count
    pending: dict[Any, int] = {}
    next_index = 0
    stopped = False
    while next_index < count and len(pending) < window:
        pending[submit(next_index)] = next_index
        next_index += 1
    while pending:
        done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        for future in done:
            index = pending.pop(future)
            try:
                record = future.result()
            except BaseException as error:  # noqa: BLE001 - a killed worker, a pickling error
                cause = f"The worker running this item failed: {type(error).__name__}: {error}"
                record = ChildRecord(index, str(index), "", "FAILED", None, error="States.Runtime",
                                     cause=cause)
            records[index] = record
            if progress is not None and record.status != "ABORTED":
                progress(record.status != "SUCCEEDED")
            if not stopped and tally.stop(_outcome(record)):
                stopped = True
                if scope is not None:
                    scope.cancel()
        while not stopped and next_index < count and len(pending) < window:
            pending[submit(next_index)] = next_index
            next_index += 1
    return records


def _outcome(record: ChildRecord) -> Any:
    if record.status == "ABORTED":  # cut by the Map Run's failure: not a failure of its own
        return Cut(None)
    return record.output if record.status == "SUCCEEDED" else Failed(record.error, record.cause)


def _definition(state: MapState) -> str:
    """The iteration's own definition as JSON text (the worker's cache key)."""
    raw = state.raw
    body = dict(raw.get("ItemProcessor") or raw.get("Iterator") or {})
    body.pop("ProcessorConfig", None)
    if state.processor is not None:
        body["QueryLanguage"] = state.processor.query_language
    return json.dumps(body, sort_keys=True)


# -- ResultWriter -------------------------------------------------------------------------------


def write_results(run: Run, state: MapState, data: Any, effective: Any, env: Env, summary: MapRun,
                  run_id: str) -> dict[str, Any]:
    """AWS's layout: <Prefix>/<map run id>/manifest.json plus SUCCEEDED_0.json, FAILED_0.json and
    PENDING_0.json (each written when it has entries)."""
    writer = state.result_writer or {}
    parameters = _render(run, state, state.item_io.writer_parameters, data, effective, env,
                         "Arguments") or {}
    bucket = parameters.get("Bucket")
    if not isinstance(bucket, str):
        raise StatesError(E.RESULT_WRITER_FAILED, "The ResultWriter's Parameters need a Bucket string.")
    prefix = str(parameters.get("Prefix", ""))
    folder = f"{prefix.rstrip('/')}/{run_id}" if prefix else run_id
    config = writer.get("WriterConfig", {})
    jsonl = config.get("OutputType") == "JSONL"
    groups: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for child in summary.children:
        groups["SUCCEEDED" if child.status == "SUCCEEDED" else "FAILED"].append(
            _entry(child, run.session.machine.arn, config.get("Transformation", "NONE")))
    s3 = store(run)
    files: dict[str, list[dict[str, Any]]] = {}
    try:
        for status, entries in groups.items():
            files[status] = []
            if not entries:
                continue
            key = f"{folder}/{status}_0.{'jsonl' if jsonl else 'json'}"
            text = "\n".join(to_json(e) for e in entries) if jsonl else to_json(entries)
            body = text.encode("utf-8", "replace")
            s3.put_object(bucket, key, body)
            files[status].append({"Key": key, "Size": len(body)})
        manifest = {"DestinationBucket": bucket, "MapRunArn": summary.arn, "ResultFiles": files}
        s3.put_object(bucket, f"{folder}/manifest.json", to_json(manifest).encode("utf-8", "replace"))
    except OSError as error:
        raise StatesError(E.RESULT_WRITER_FAILED, f"Could not write the results: {error}") from None
    return {"Bucket": bucket, "Key": f"{folder}/manifest.json"}


def _entry(child: ChildRecord, machine_arn: str, transformation: str) -> dict[str, Any]:
    if transformation == "COMPACT":
        return child.output if child.status == "SUCCEEDED" else {"Error": child.error, "Cause": child.cause}
    entry: dict[str, Any] = {
        "ExecutionArn": child.execution_arn,
        "Input": to_json(child.input),
        "InputDetails": {"Included": True},
        "Name": child.name,
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE",
        "StartDate": isoformat(child.start_date),
        "StateMachineArn": machine_arn,
        "Status": child.status,
        "StopDate": isoformat(child.stop_date),
    }
    if child.status == "SUCCEEDED":
        entry["Output"] = to_json(child.output)
        entry["OutputDetails"] = {"Included": True}
    else:
        entry["Error"] = child.error
        entry["Cause"] = child.cause
    return entry

