"""`asl event KIND ...`: print an event payload as an AWS service sends it to a Lambda function
(asl.events), e.g. `asl event s3-put --bucket b --key k`, to feed `asl run` or a test."""

from __future__ import annotations

import argparse
import json
from typing import IO, Any

from asl._cli.common import EXIT_OK, EXIT_USAGE

#: KIND -> (asl.events builder, help line).
KINDS: dict[str, tuple[str, str]] = {
    "s3-put": ("s3_put", "S3 ObjectCreated:Put"),
    "s3-delete": ("s3", "S3 ObjectRemoved:Delete"),
    "sns": ("sns", "an SNS notification"),
    "sqs": ("sqs", "an SQS batch"),
    "dynamodb": ("dynamodb_stream", "a DynamoDB Streams record"),
    "kinesis": ("kinesis", "a Kinesis batch"),
    "apigw-rest": ("api_gateway_rest", "an API Gateway REST (v1) proxy request"),
    "apigw-http": ("api_gateway_http", "an API Gateway HTTP API (v2) request"),
    "schedule": ("schedule", "an EventBridge scheduled event"),
    "cloudwatch-logs": ("cloudwatch_logs", "a CloudWatch Logs subscription delivery"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind, (_, help_text) in KINDS.items():
        sub = kinds.add_parser(kind, help=help_text)
        sub.add_argument("--seed", type=int, help="made-up ids from this seed (the same every time)")
        sub.add_argument("--time", type=float, help="seconds since the epoch (default now)")
        if kind.startswith("s3"):
            sub.add_argument("--bucket", required=True)
            sub.add_argument("--key", required=True)
            sub.add_argument("--region", default="us-east-1")
            if kind == "s3-put":
                sub.add_argument("--size", type=int, default=0)
        elif kind == "sns":
            sub.add_argument("--message", required=True)
            sub.add_argument("--topic", default="topic")
            sub.add_argument("--subject")
        elif kind == "sqs":
            sub.add_argument("--body", action="append", required=True, help="one per message")
            sub.add_argument("--queue", default="queue")
        elif kind == "dynamodb":
            sub.add_argument("--table", required=True)
            sub.add_argument("--keys", required=True, metavar="JSON")
            sub.add_argument("--new-image", metavar="JSON")
            sub.add_argument("--old-image", metavar="JSON")
        elif kind == "kinesis":
            sub.add_argument("--data", action="append", required=True, help="one per record")
            sub.add_argument("--stream", default="stream")
        elif kind.startswith("apigw"):
            sub.add_argument("--method", default="GET")
            sub.add_argument("--path", default="/")
            sub.add_argument("--body")
        elif kind == "schedule":
            sub.add_argument("--rule", default="schedule")
        elif kind == "cloudwatch-logs":
            sub.add_argument("--message", action="append", required=True, help="one per log event")
            sub.add_argument("--log-group", default="/aws/lambda/source")


def _json(text: str | None, option: str) -> Any:
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"{option} must be a JSON object, not {text}")
    return value


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from asl import events

    common = {"seed": args.seed, "time": args.time}
    kind = args.kind
    try:
        if kind == "s3-put":
            event = events.s3_put(args.bucket, args.key, size=args.size, region=args.region, **common)
        elif kind == "s3-delete":
            event = events.s3(args.bucket, args.key, event_name="ObjectRemoved:Delete",
                              region=args.region, **common)
        elif kind == "sns":
            event = events.sns(args.message, topic=args.topic, subject=args.subject, **common)
        elif kind == "sqs":
            event = events.sqs(args.body, queue=args.queue, **common)
        elif kind == "dynamodb":
            event = events.dynamodb_stream(args.table, _json(args.keys, "--keys"),
                                           new_image=_json(args.new_image, "--new-image"),
                                           old_image=_json(args.old_image, "--old-image"), **common)
        elif kind == "kinesis":
            event = events.kinesis(args.data, stream=args.stream, **common)
        elif kind == "apigw-rest":
            event = events.api_gateway_rest(args.method, args.path, body=args.body, **common)
        elif kind == "apigw-http":
            event = events.api_gateway_http(args.method, args.path, body=args.body, **common)
        elif kind == "schedule":
            event = events.schedule(args.rule, **common)
        else:
            event = events.cloudwatch_logs(args.message, log_group=args.log_group, **common)
    except ValueError as error:  # a JSON option that is not a JSON object
        err.write(f"asl event {kind}: {error}\n")
        return EXIT_USAGE
    out.write(json.dumps(event, indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK
