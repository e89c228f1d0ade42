"""asl.events: the payloads AWS services send to Lambda, keys as recorded (FACTS.md §8), and the
`asl event` and `asl run --stats` commands."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import asl
from asl import events


def test_s3_put_record() -> None:
    [record] = events.s3_put("b", "photos/my cat.jpg", size=12, time=0, seed=1)["Records"]
    assert list(record) == ["eventVersion", "eventSource", "awsRegion", "eventTime", "eventName",
                            "userIdentity", "requestParameters", "responseElements", "s3"]
    assert (record["eventVersion"], record["eventSource"], record["eventName"]) == ("2.1", "aws:s3", "ObjectCreated:Put")
    assert record["eventTime"] == "1970-01-01T00:00:00.000Z"
    s3 = record["s3"]
    assert s3["s3SchemaVersion"] == "1.0" and s3["bucket"]["arn"] == "arn:aws:s3:::b"
    assert list(s3["object"]) == ["key", "size", "eTag", "sequencer"]
    assert s3["object"]["key"] == "photos/my+cat.jpg" and s3["object"]["size"] == 12
    assert events.s3_put("b", "k", seed=1, time=0) == events.s3_put("b", "k", seed=1, time=0)


def test_sns_sqs_kinesis_dynamodb() -> None:
    sns = events.sns({"a": 1}, topic="t")["Records"][0]
    assert (sns["EventSource"], sns["Sns"]["Type"], sns["Sns"]["Message"]) == ("aws:sns", "Notification", '{"a": 1}')
    assert sns["Sns"]["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:t" and sns["Sns"]["Subject"] is None
    sqs = events.sqs(["one", "two"])["Records"]
    assert [r["body"] for r in sqs] == ["one", "two"]
    assert sqs[0]["attributes"]["ApproximateReceiveCount"] == "1" and sqs[0]["eventSource"] == "aws:sqs"
    kinesis = events.kinesis("hello")["Records"][0]
    assert base64.b64decode(kinesis["kinesis"]["data"]) == b"hello"
    assert kinesis["eventID"] == "shardId-000000000000:" + kinesis["kinesis"]["sequenceNumber"]
    ddb = events.dynamodb_stream("t", {"id": "1"}, new_image={"id": "1", "n": 2, "ok": True})["Records"][0]
    assert (ddb["eventName"], ddb["eventVersion"], ddb["eventSource"]) == ("INSERT", "1.1", "aws:dynamodb")
    assert ddb["dynamodb"]["NewImage"] == {"id": {"S": "1"}, "n": {"N": "2"}, "ok": {"BOOL": True}}
    assert ddb["dynamodb"]["StreamViewType"] == "NEW_IMAGE"
    assert "/stream/" in ddb["eventSourceARN"]


def test_api_gateway_schedule_and_logs() -> None:
    rest = events.api_gateway_rest("POST", "/items/1", body={"x": 1}, query={"q": "a"})
    assert (rest["httpMethod"], rest["body"], rest["queryStringParameters"]) == ("POST", '{"x": 1}', {"q": "a"})
    assert rest["requestContext"]["path"] == "/prod/items/1" and rest["isBase64Encoded"] is False
    http = events.api_gateway_http("GET", "/x", query={"a": "1"})
    assert (http["version"], http["routeKey"], http["rawQueryString"]) == ("2.0", "$default", "a=1")
    assert http["requestContext"]["http"]["method"] == "GET" and "body" not in http
    scheduled = events.schedule("nightly", time=0)
    assert scheduled["detail-type"] == "Scheduled Event" and scheduled["source"] == "aws.events"
    assert scheduled["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/nightly"]
    assert scheduled["time"] == "1970-01-01T00:00:00Z"
    packed = events.cloudwatch_logs(["a", "b"], log_group="/g")["awslogs"]["data"]
    data = json.loads(gzip.decompress(base64.b64decode(packed)))
    assert data["messageType"] == "DATA_MESSAGE" and data["logGroup"] == "/g"
    assert [e["message"] for e in data["logEvents"]] == ["a", "b"]
    assert asl.events is events


def test_asl_event_command() -> None:
    done = subprocess.run([sys.executable, "-m", "asl._cli", "event", "s3-put", "--bucket", "b", "--key", "k"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Records"][0]["s3"]["object"]["key"] == "k"
    bad = subprocess.run([sys.executable, "-m", "asl._cli", "event", "dynamodb", "--table", "t", "--keys", "nope"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "asl event dynamodb:" in bad.stderr and "Traceback" not in bad.stderr


def _absolute_pythonpath() -> dict[str, str]:
    # The test runs the CLI from another folder: PYTHONPATH=src must still name this checkout.
    paths = [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def test_asl_run_stats(tmp_path: Path) -> None:
    (tmp_path / "fns_mod.py").write_text("def double(event, context):\n    return event * 2\n")
    machine = tmp_path / "m.json"
    resource = "arn:aws:lambda:us-east-1:123456789012:function:double"
    machine.write_text(json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": resource, "Next": "B"},
        "B": {"Type": "Task", "Resource": resource, "End": True}}}))
    (tmp_path / "in.json").write_text("3")
    done = subprocess.run([sys.executable, "-m", "asl._cli", "run", str(machine), str(tmp_path / "in.json"),
                           "--handlers", "fns_mod", "--stats"], capture_output=True, text=True,
                          check=False, cwd=tmp_path, env=_absolute_pythonpath())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == 12
    assert done.stderr.startswith("lambda double: 2 invocations, 0 errors, 0 throttles, 1 cold starts, duration p50 ")


def test_asl_run_functions_module(tmp_path: Path) -> None:
    (tmp_path / "svc_mod.py").write_text(
        "import asl\nFUNCTIONS = asl.Functions()\n"
        "FUNCTIONS.create('double', handler=lambda event, context: event * 2, reserved_concurrency=0)\n")
    machine = tmp_path / "m.json"
    machine.write_text(json.dumps({"StartAt": "A", "States": {"A": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double", "End": True}}}))
    done = subprocess.run([sys.executable, "-m", "asl._cli", "run", str(machine), "--functions", "svc_mod", "--stats"],
                          capture_output=True, text=True, check=False, cwd=tmp_path, env=_absolute_pythonpath())
    assert done.returncode == 1
    assert "Lambda.TooManyRequestsException: Rate Exceeded." in done.stderr
    assert "lambda double: 0 invocations, 0 errors, 1 throttles, 0 cold starts\n" in done.stderr
    missing = subprocess.run([sys.executable, "-m", "asl._cli", "run", str(machine), "--functions", "nope_mod"],
                             capture_output=True, text=True, check=False, cwd=tmp_path, env=_absolute_pythonpath())
    assert missing.returncode == 2 and "cannot load functions module 'nope_mod'" in missing.stderr
