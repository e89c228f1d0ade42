"""Distributed Map over local data: ItemReader formats, batching, ResultWriter, child executions,
tolerated failures, and the work shipped to process pools and Dask."""

from __future__ import annotations

import concurrent.futures as cf
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest

import asl

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
FAIL_ON_NEGATIVE = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "F"}],
          "Default": "OK"},
    "F": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
    "OK": {"Type": "Pass", "End": True}}}


def _map(processor: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    processor = dict(processor or PASS)
    processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": processor,
                                             **fields}}}


def _reader(resource: str = "getObject", **config: Any) -> dict[str, Any]:
    reader: dict[str, Any] = {"Resource": f"arn:aws:states:::s3:{resource}",
                              "Parameters": {"Bucket": "data", "Key.$": "$.key"}}
    if resource == "listObjectsV2":
        reader["Parameters"] = {"Bucket": "data", "Prefix": "in/"}
    if config:
        reader["ReaderConfig"] = config
    return reader


def _run(definition: dict[str, Any], data: Any, root: Path, **options: Any) -> Any:
    return asl.load(definition).run(data, clock=asl.VirtualClock(), s3_root=str(root), **options)


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def test_history_and_output(tmp_path: Path) -> None:
    """The parent records MapRunStarted/Succeeded; children have their own histories."""
    execution = _run(_map(), [1, 2], tmp_path)
    assert execution.output == [1, 2]
    shape = [(e["id"], e["previousEventId"], e["type"]) for e in execution.history]
    assert shape[2:7] == [(3, 2, "MapStateStarted"), (4, 3, "MapRunStarted"), (5, 4, "MapRunSucceeded"),
                          (6, 5, "MapStateSucceeded"), (7, 4, "MapStateExited")]
    (run,) = execution.map_runs
    assert run.execution_counts["succeeded"] == 2
    assert [child.history[0]["type"] for child in run.children] == ["ExecutionStarted"] * 2


def test_json_array_reader(bucket: Path) -> None:
    """A JSON array object gives its elements; MaxItems keeps the first N."""
    (bucket / "a.json").write_text(json.dumps([{"n": i} for i in range(5)]))
    definition = _map(ItemReader=_reader(InputType="JSON", MaxItems=3))
    assert _run(definition, {"key": "a.json"}, bucket.parent).output == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_jsonl_reader(bucket: Path) -> None:
    """JSON Lines gives one item per non-empty line."""
    (bucket / "a.jsonl").write_text('{"n": 1}\n\n{"n": 2}\n')
    definition = _map(ItemReader=_reader(InputType="JSONL"))
    assert _run(definition, {"key": "a.jsonl"}, bucket.parent).output == [{"n": 1}, {"n": 2}]


def test_csv_reader_first_row(bucket: Path) -> None:
    """CSV with a header row gives objects of strings."""
    (bucket / "a.csv").write_text("name,age\nann,3\nbob,4\n")
    definition = _map(ItemReader=_reader(InputType="CSV", CSVHeaderLocation="FIRST_ROW"))
    assert _run(definition, {"key": "a.csv"}, bucket.parent).output == [
        {"name": "ann", "age": "3"}, {"name": "bob", "age": "4"}]


def test_csv_reader_given_headers(bucket: Path) -> None:
    """CSV with given headers reads every row as data."""
    (bucket / "a.csv").write_text("ann|3\nbob|4\n")
    definition = _map(ItemReader=_reader(InputType="CSV", CSVHeaderLocation="GIVEN",
                                         CSVHeaders=["name", "age"], CSVDelimiter="PIPE"))
    assert _run(definition, {"key": "a.csv"}, bucket.parent).output == [
        {"name": "ann", "age": "3"}, {"name": "bob", "age": "4"}]


def test_list_objects_reader(bucket: Path) -> None:
    """listObjectsV2 gives the objects under the prefix, as S3 lists them."""
    (bucket / "in").mkdir()
    (bucket / "in" / "x.txt").write_text("hello")
    (bucket / "other.txt").write_text("no")
    execution = _run(_map(ItemReader=_reader("listObjectsV2")), {}, bucket.parent)
    (item,) = execution.output
    assert item["Key"] == "in/x.txt" and item["Size"] == 5 and item["StorageClass"] == "STANDARD"


def test_missing_object_fails_item_reader(tmp_path: Path) -> None:
    """A key with no file fails with States.ItemReaderFailed naming the object."""
    execution = _run(_map(ItemReader=_reader()), {"key": "nope.json"}, tmp_path)
    assert execution.error == "States.ItemReaderFailed"
    assert "s3://data/nope.json" in execution.cause


def test_pluggable_store(tmp_path: Path) -> None:
    """Any object with get_object/list_objects/put_object can stand in for S3."""

    class Store:
        def get_object(self, bucket: str, key: str) -> bytes:
            return json.dumps([bucket, key]).encode()

        def list_objects(self, bucket: str, prefix: str) -> list[dict[str, Any]]:
            return []

        def put_object(self, bucket: str, key: str, body: bytes) -> None:
            raise AssertionError

    definition = _map(ItemReader=_reader())
    execution = asl.load(definition).run({"key": "k"}, clock=asl.VirtualClock(), s3=Store())
    assert execution.output == ["data", "k"]


def test_batching_by_count(tmp_path: Path) -> None:
    """MaxItemsPerBatch groups items, with BatchInput beside them."""
    definition = _map(ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"b.$": "$.b"}}, ItemsPath="$.xs")
    execution = _run(definition, {"xs": [1, 2, 3], "b": 9}, tmp_path)
    assert execution.output == [{"BatchInput": {"b": 9}, "Items": [1, 2]},
                                {"BatchInput": {"b": 9}, "Items": [3]}]


def test_batching_by_bytes(tmp_path: Path) -> None:
    """MaxInputBytesPerBatch caps each batch's JSON size."""
    items = ["x" * 10] * 4  # each item is 12 bytes of JSON
    frame = len('{"Items":[]}')
    definition = _map(ItemBatcher={"MaxInputBytesPerBatch": frame + 12 * 2 + 1})
    execution = _run(definition, items, tmp_path)
    assert [len(batch["Items"]) for batch in execution.output] == [2, 2]
    for batch in execution.output:
        assert len(json.dumps(batch, separators=(",", ":"))) <= frame + 25


def test_result_writer_layout(bucket: Path) -> None:
    """ResultWriter writes manifest.json and SUCCEEDED/FAILED files; the result names them."""
    definition = _map(FAIL_ON_NEGATIVE, ToleratedFailureCount=1,
                      ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                                    "Parameters": {"Bucket": "data", "Prefix": "out"}})
    execution = _run(definition, [1, -1, 2], bucket.parent)
    assert execution.status == "SUCCEEDED", execution.cause
    details = execution.output["ResultWriterDetails"]
    manifest = json.loads((bucket / details["Key"]).read_text())
    assert manifest["DestinationBucket"] == "data"
    assert manifest["MapRunArn"] == execution.output["MapRunArn"]
    succeeded = json.loads((bucket / manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]).read_text())
    failed = json.loads((bucket / manifest["ResultFiles"]["FAILED"][0]["Key"]).read_text())
    assert [json.loads(e["Output"]) for e in succeeded] == [1, 2]
    assert failed[0]["Error"] == "Negative" and failed[0]["Status"] == "FAILED"
    assert manifest["ResultFiles"]["PENDING"] == []


@pytest.mark.parametrize(("count", "status"), [(0, "FAILED"), (1, "SUCCEEDED")])
def test_tolerated_failures_at_the_boundary(tmp_path: Path, count: int, status: str) -> None:
    """One failed child passes with ToleratedFailureCount 1 and fails the Map Run with 0."""
    execution = _run(_map(FAIL_ON_NEGATIVE, ToleratedFailureCount=count), [1, -1, 2], tmp_path)
    assert execution.status == status
    if status == "FAILED":
        assert execution.error == "States.ExceedToleratedFailureThreshold"
        assert "MapRunFailed" in execution.history_types


def test_label_names_the_map_run(tmp_path: Path) -> None:
    """Label appears in the Map Run's ARN and its children's state machine ARN."""
    execution = _run(_map(Label="Batch7"), [1], tmp_path)
    (run,) = execution.map_runs
    assert "/Batch7:" in run.arn and "/Batch7:" in run.children[0].execution_arn


def test_process_pool(tmp_path: Path) -> None:
    """Children ship to a process pool and come back in item order."""
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        execution = _run(_map(FAIL_ON_NEGATIVE, ToleratedFailurePercentage=50), [3, -1, 4, 5], tmp_path,
                         executor=pool)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output[0] == 3 and execution.output[2:] == [4, 5]
    assert execution.output[1]["Error"] == "Negative"


def test_dask_cluster_runs_a_thousand_items(tmp_path: Path) -> None:
    """A 1,000-item distributed Map runs on a Dask LocalCluster through Client.get_executor()."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        definition = _map({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {
            "double.$": "States.MathAdd($.n, $.n)"}, "End": True}}},
            ItemSelector={"n.$": "$$.Map.Item.Value"}, MaxConcurrency=50)
        execution = _run(definition, list(range(1000)), tmp_path, executor=client.get_executor())
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [{"double": 2 * i} for i in range(1000)]


# --- child histories: kept as recorded, rendered when read -------------------------------------

FN = "arn:aws:lambda:us-east-1:123456789012:function:echo"
INVOKE_CHILD = {"StartAt": "Invoke", "States": {"Invoke": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": FN, "Payload.$": "$"}, "End": True}}}


def _echo(event: Any, context: Any) -> Any:
    return {"echo": event}


def test_child_history_is_rendered_afresh_on_each_read(tmp_path: Path) -> None:
    """A child's history is kept compact and rendered per read, so changing one read changes no other."""
    execution = _run(_map(), [{"k": 1}], tmp_path)
    (child,) = execution.map_runs[0].children
    first = child.history
    assert [e["type"] for e in first] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert len(child.recorded) == 4
    first[0]["type"] = "changed"
    first[-1]["executionSucceededEventDetails"]["output"] = "changed"
    again = child.history
    assert again[0]["type"] == "ExecutionStarted"
    assert again[-1]["executionSucceededEventDetails"]["output"] == '{"k":1}'
    assert child.recorded.types() == [e["type"] for e in again]


def test_child_history_off_keeps_nothing(tmp_path: Path) -> None:
    """With child_history=False a child has no recorded events and its history reads None."""
    execution = _run(_map(), [1, 2], tmp_path, child_history=False)
    assert all(c.recorded is None and c.history is None for c in execution.map_runs[0].children)


def test_child_record_pickles_its_compact_history(tmp_path: Path) -> None:
    """A ChildRecord pickles with its recorded events, smaller than the rendered ones, and reads the same."""
    execution = _run(_map(INVOKE_CHILD), [{"n": 1}], tmp_path, handlers={FN: _echo})
    assert execution.status == "SUCCEEDED", execution.cause
    (child,) = execution.map_runs[0].children
    copy = pickle.loads(pickle.dumps(child))
    assert copy == child and copy.history == child.history
    assert len(pickle.dumps(child)) < len(pickle.dumps(child.history))


def test_process_pool_children_bring_their_history_back(tmp_path: Path) -> None:
    """Children run in a process pool come back with the same histories as children run in place."""
    definition, items = _map(INVOKE_CHILD), [{"n": 1}, {"n": 2}, {"n": 3}]
    here = _run(definition, items, tmp_path, handlers={FN: _echo})
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        there = _run(definition, items, tmp_path, handlers={FN: _echo}, executor=pool)
    assert there.status == here.status == "SUCCEEDED", there.cause
    ours, theirs = here.map_runs[0].children, there.map_runs[0].children
    # The Lambda request ids come from each child's random source, seeded differently there.
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{24};")
    assert [uuid.sub("?", str(c.history)) for c in theirs] == [uuid.sub("?", str(c.history)) for c in ours]
    assert theirs[0].history[-1]["executionSucceededEventDetails"]["output"].startswith(
        '{"ExecutedVersion":"$LATEST","Payload":{"echo":{"n":1}}')


def test_parquet_refuses_a_version_id(bucket: Path) -> None:
    """AWS cannot read one version of a Parquet object, and says so without the state prefix
    (recorded)."""
    reader = _reader(InputType="PARQUET")
    reader["Parameters"]["VersionId"] = "v1"
    execution = _run(_map(ItemReader=reader), {"key": "a.parquet"}, bucket.parent)
    assert (execution.error, execution.cause) == (
        "States.ItemReaderFailed", "S3 Version ID selection is not currently supported for PARQUET files"
    )
