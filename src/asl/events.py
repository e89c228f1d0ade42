"""Event payloads as AWS services send them to a Lambda function (../shared/lambda/FACTS.md §8),
so tests start executions and invoke functions with real shapes:

    >>> import asl.events
    >>> event = asl.events.s3_put("my-bucket", "photos/cat.jpg", size=1024)
    >>> event["Records"][0]["s3"]["object"]["key"]
    'photos/cat.jpg'

Every builder takes `region` (default us-east-1), `account` and `time` (seconds since the
epoch; default now) where the service's record has them. Identifiers (message ids, request
ids, sequence numbers) are made up in AWS's formats; pass `seed` for the same ones every time.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import time as _time
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "api_gateway_http", "api_gateway_rest", "cloudwatch_logs", "dynamodb_stream", "kinesis",
    "s3", "s3_put", "schedule", "sns", "sqs",
]

REGION = "us-east-1"
ACCOUNT = "123456789012"


def _rng(seed: int | None) -> random.Random:
    return random.Random(seed)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _iso(seconds: float, *, millis: bool = True) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _now(when: float | None) -> float:
    return _time.time() if when is None else float(when)


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}X}"


def s3(bucket: str, key: str, *, event_name: str = "ObjectCreated:Put", size: int = 0,
       etag: str | None = None, version_id: str | None = None, region: str = REGION,
       time: float | None = None, source_ip: str = "127.0.0.1", seed: int | None = None,
       configuration_id: str = "asl-local") -> dict[str, Any]:
    """An S3 event notification (`ObjectCreated:*`, `ObjectRemoved:*`, ...): one record. The
    key is URL-encoded as S3 encodes it in notifications (spaces as `+`)."""
    rng = _rng(seed)
    obj: dict[str, Any] = {"key": urllib.parse.quote_plus(key, safe="/")}
    if not event_name.startswith("ObjectRemoved"):
        obj["size"] = size
        obj["eTag"] = etag if etag is not None else hashlib.md5(key.encode()).hexdigest()  # noqa: S324 - a made-up ETag
    if version_id is not None:
        obj["versionId"] = version_id
    obj["sequencer"] = _hex(rng, 18)
    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": _iso(_now(time)),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:" + _hex(rng, 21)},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {"x-amz-request-id": _hex(rng, 16),
                             "x-amz-id-2": base64.b64encode(rng.randbytes(48)).decode()},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": _hex(rng, 14)},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }]}


def s3_put(bucket: str, key: str, **options: Any) -> dict[str, Any]:
    """`ObjectCreated:Put` for `bucket`/`key` (see `s3`)."""
    return s3(bucket, key, event_name="ObjectCreated:Put", **options)


def sns(message: str | Mapping[str, Any], *, topic: str = "topic", subject: str | None = None,
        attributes: Mapping[str, str] | None = None, region: str = REGION,
        account: str = ACCOUNT, time: float | None = None, seed: int | None = None) -> dict[str, Any]:
    """An SNS notification to a subscribed function; a mapping message is sent as JSON text."""
    rng = _rng(seed)
    topic_arn = f"arn:aws:sns:{region}:{account}:{topic}"
    text = message if isinstance(message, str) else json.dumps(message)
    return {"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic_arn}:{_uuid(rng)}",
        "Sns": {
            "Type": "Notification",
            "MessageId": _uuid(rng),
            "TopicArn": topic_arn,
            "Subject": subject,
            "Message": text,
            "Timestamp": _iso(_now(time)),
            "SignatureVersion": "1",
            "Signature": base64.b64encode(rng.randbytes(64)).decode(),
            "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-"
                              f"{_hex(rng, 32).lower()}.pem",
            "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&"
                              f"SubscriptionArn={topic_arn}:{_uuid(rng)}",
            "MessageAttributes": {name: {"Type": "String", "Value": value}
                                  for name, value in (attributes or {}).items()},
        },
    }]}


def sqs(bodies: str | Mapping[str, Any] | Iterable[str | Mapping[str, Any]], *,
        queue: str = "queue", region: str = REGION, account: str = ACCOUNT,
        time: float | None = None, seed: int | None = None) -> dict[str, Any]:
    """An SQS batch (one record per body; a mapping body is sent as JSON text)."""
    rng = _rng(seed)
    items = [bodies] if isinstance(bodies, (str, Mapping)) else list(bodies)
    sent = str(int(_now(time) * 1000))
    records = []
    for body in items:
        text = body if isinstance(body, str) else json.dumps(body)
        records.append({
            "messageId": _uuid(rng),
            "receiptHandle": base64.b64encode(rng.randbytes(96)).decode(),
            "body": text,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": sent,
                           "SenderId": "AIDA" + _hex(rng, 16),
                           "ApproximateFirstReceiveTimestamp": sent},
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(text.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{region}:{account}:{queue}",
            "awsRegion": region,
        })
    return {"Records": records}


def _typed(value: Any) -> dict[str, Any]:
    """A Python value in DynamoDB's attribute-value form."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, (int, float)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {"M": {k: _typed(v) for k, v in value.items()}}
    return {"L": [_typed(v) for v in value]}


def dynamodb_stream(table: str, keys: Mapping[str, Any], *, new_image: Mapping[str, Any] | None = None,
                    old_image: Mapping[str, Any] | None = None, event_name: str | None = None,
                    region: str = REGION, account: str = ACCOUNT, time: float | None = None,
                    seed: int | None = None) -> dict[str, Any]:
    """A DynamoDB Streams record (INSERT with only a new image, REMOVE with only an old one,
    MODIFY with both); plain Python values are typed as DynamoDB types them."""
    rng = _rng(seed)
    if event_name is None:
        event_name = "MODIFY" if new_image and old_image else "REMOVE" if old_image else "INSERT"
    view = ("NEW_AND_OLD_IMAGES" if new_image and old_image else
            "OLD_IMAGE" if old_image else "NEW_IMAGE")
    moment = _now(time)
    record: dict[str, Any] = {
        "ApproximateCreationDateTime": int(moment),
        "Keys": {k: _typed(v) for k, v in keys.items()},
    }
    if new_image is not None:
        record["NewImage"] = {k: _typed(v) for k, v in new_image.items()}
    if old_image is not None:
        record["OldImage"] = {k: _typed(v) for k, v in old_image.items()}
    image = new_image or old_image or keys
    record.update(SequenceNumber=str(rng.getrandbits(60)),
                  SizeBytes=len(json.dumps(image, default=str)), StreamViewType=view)
    label = _iso(moment).rstrip("Z")
    return {"Records": [{
        "eventID": _hex(rng, 32).lower(),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": record,
        "eventSourceARN": f"arn:aws:dynamodb:{region}:{account}:table/{table}/stream/{label}",
    }]}


def kinesis(data: str | bytes | Iterable[str | bytes], *, stream: str = "stream",
            partition_key: str = "1", region: str = REGION, account: str = ACCOUNT,
            time: float | None = None, seed: int | None = None) -> dict[str, Any]:
    """A Kinesis batch: each data item base64-encoded, as Lambda receives it."""
    rng = _rng(seed)
    items = [data] if isinstance(data, (str, bytes)) else list(data)
    moment = _now(time)
    sequence = rng.getrandbits(150)
    records = []
    for offset, item in enumerate(items):
        raw = item.encode() if isinstance(item, str) else item
        number = str(sequence + offset)
        records.append({
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": partition_key,
                        "sequenceNumber": number, "data": base64.b64encode(raw).decode(),
                        "approximateArrivalTimestamp": round(moment, 3)},
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"shardId-000000000000:{number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": f"arn:aws:iam::{account}:role/lambda-role",
            "awsRegion": region,
            "eventSourceARN": f"arn:aws:kinesis:{region}:{account}:stream/{stream}",
        })
    return {"Records": records}


def _apigw_time(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def api_gateway_rest(method: str = "GET", path: str = "/", *, body: str | Mapping[str, Any] | None = None,
                     headers: Mapping[str, str] | None = None,
                     query: Mapping[str, str] | None = None, resource: str = "/{proxy+}",
                     stage: str = "prod", account: str = ACCOUNT, time: float | None = None,
                     seed: int | None = None) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy integration event."""
    rng = _rng(seed)
    moment = _now(time)
    api = _hex(rng, 10).lower()
    header_map = {"Host": f"{api}.execute-api.us-east-1.amazonaws.com", **(headers or {})}
    text = body if body is None or isinstance(body, str) else json.dumps(body)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": header_map,
        "multiValueHeaders": {k: [v] for k, v in header_map.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")} if resource == "/{proxy+}" else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": account, "apiId": api, "deploymentId": _hex(rng, 6).lower(),
            "domainName": header_map["Host"], "domainPrefix": api,
            "extendedRequestId": base64.b64encode(rng.randbytes(12)).decode(),
            "httpMethod": method,
            "identity": {"accountId": None, "caller": None, "cognitoIdentityId": None,
                         "sourceIp": "127.0.0.1", "user": None,
                         "userAgent": header_map.get("User-Agent", "asl")},
            "path": f"/{stage}{path}", "protocol": "HTTP/1.1", "requestId": _uuid(rng),
            "requestTime": _apigw_time(moment), "requestTimeEpoch": int(moment * 1000),
            "resourceId": _hex(rng, 6).lower(), "resourcePath": resource, "stage": stage,
        },
        "body": text,
        "isBase64Encoded": False,
    }


def api_gateway_http(method: str = "GET", path: str = "/", *, body: str | Mapping[str, Any] | None = None,
                     headers: Mapping[str, str] | None = None, query: Mapping[str, str] | None = None,
                     cookies: list[str] | None = None, route_key: str = "$default",
                     account: str = ACCOUNT, time: float | None = None,
                     seed: int | None = None) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event; optional fields appear only when given."""
    rng = _rng(seed)
    moment = _now(time)
    api = _hex(rng, 10).lower()
    header_map = {k.lower(): v for k, v in (headers or {}).items()}
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": route_key, "rawPath": path,
        "rawQueryString": urllib.parse.urlencode(dict(query or {})),
    }
    if cookies:
        event["cookies"] = list(cookies)
    event["headers"] = header_map
    if query:
        event["queryStringParameters"] = dict(query)
    event["requestContext"] = {
        "accountId": account, "apiId": api,
        "domainName": f"{api}.execute-api.us-east-1.amazonaws.com", "domainPrefix": api,
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                 "userAgent": header_map.get("user-agent", "asl")},
        "requestId": base64.b64encode(rng.randbytes(12)).decode(), "routeKey": route_key,
        "stage": "$default", "time": _apigw_time(moment), "timeEpoch": int(moment * 1000),
    }
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    event["isBase64Encoded"] = False
    return event


def schedule(rule: str = "schedule", *, region: str = REGION, account: str = ACCOUNT,
             time: float | None = None, seed: int | None = None) -> dict[str, Any]:
    """An EventBridge scheduled event (a rule's `rate(...)` or `cron(...)` firing)."""
    rng = _rng(seed)
    return {"version": "0", "id": _uuid(rng), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": account, "time": _iso(_now(time), millis=False),
            "region": region, "resources": [f"arn:aws:events:{region}:{account}:rule/{rule}"],
            "detail": {}}


def cloudwatch_logs(messages: str | Iterable[str], *, log_group: str = "/aws/lambda/source",
                    log_stream: str = "stream", filters: Iterable[str] = ("filter",),
                    account: str = ACCOUNT, time: float | None = None,
                    seed: int | None = None) -> dict[str, Any]:
    """A CloudWatch Logs subscription event: `awslogs.data` is base64 of the gzipped JSON."""
    rng = _rng(seed)
    lines = [messages] if isinstance(messages, str) else list(messages)
    stamp = int(_now(time) * 1000)
    data = {"messageType": "DATA_MESSAGE", "owner": account, "logGroup": log_group,
            "logStream": log_stream, "subscriptionFilters": list(filters),
            "logEvents": [{"id": str(rng.getrandbits(180)), "timestamp": stamp, "message": line}
                          for line in lines]}
    packed = gzip.compress(json.dumps(data).encode(), mtime=0)
    return {"awslogs": {"data": base64.b64encode(packed).decode()}}
