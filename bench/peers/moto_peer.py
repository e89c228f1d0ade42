"""Drive moto's Step Functions interpreter (its copy of LocalStack's) on one bench workload.

Runs inside moto's own virtual environment (see setup.sh), never the project's:
    python moto_peer.py WORKLOADS_DIR NAME --repeat N --budget SECONDS
Prints one JSON object: {"engine", "version", "status", "output", "times"} (seconds per run, the
first run included: it is the warm-up when more runs fit the budget). Each execution is timed from
StartExecution until DescribeExecution reports it finished.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import boto3
import moto
from moto import mock_aws

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/bench"
# moto's "simple" Lambda echoes the request payload back, which is exactly the identity handler
# the task-chain workload asks for, and needs no Docker.
CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def _create_identity_lambda() -> None:
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="identity", Runtime="python3.11", Role=role, Handler="x.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )


def _run_once(sfn, arn: str, text: str, name: str) -> tuple[float, dict]:
    start = time.perf_counter()
    execution = sfn.start_execution(stateMachineArn=arn, input=text, name=name)["executionArn"]
    while True:
        desc = sfn.describe_execution(executionArn=execution)
        if desc["status"] != "RUNNING":
            return time.perf_counter() - start, desc
        time.sleep(0.002)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workloads", type=Path)
    parser.add_argument("name")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=10.0)
    args = parser.parse_args()
    definition = (args.workloads / f"{args.name}.asl.json").read_text()
    text = (args.workloads / f"{args.name}.input.json").read_text()
    with mock_aws(config=CONFIG):
        if args.name == "task-chain":
            _create_identity_lambda()
        sfn = boto3.client("stepfunctions", region_name=REGION)
        arn = sfn.create_state_machine(name="bench", definition=definition, roleArn=ROLE)[
            "stateMachineArn"]
        times: list[float] = []
        began = time.perf_counter()
        while True:
            seconds, desc = _run_once(sfn, arn, text, f"run-{len(times)}")
            times.append(seconds)
            if desc["status"] != "SUCCEEDED" or len(times) > args.repeat:
                break
            if time.perf_counter() - began + seconds > args.budget:
                break
    output = json.loads(desc["output"]) if desc.get("output") else None
    json.dump({"engine": "moto", "version": moto.__version__, "status": desc["status"],
               "output": output, "error": desc.get("error"), "cause": desc.get("cause"),
               "times": times}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
