"""A template's own functions (SAM `AWS::Serverless::Function`, `AWS::Lambda::Function`,
Terraform `aws_lambda_function` with local code) as functions of a local Lambda service, so a
machine loaded from the template invokes them with Lambda's behaviour: their Timeout,
MemorySize, Environment and ReservedConcurrentExecutions, a version and alias for
AutoPublishAlias, Invoke's answers, logs and metrics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asl._definition.templates.model import FunctionSpec
from asl._errors import LambdaError, Problem
from asl._lambda.config import DEFAULT_MEMORY, DEFAULT_RUNTIME, DEFAULT_TIMEOUT
from asl._lambda.service import Functions

_PYTHON = "python"


def runnable(spec: FunctionSpec) -> bool:
    """Local code in a Python runtime: what can run here (other runtimes cannot)."""
    return spec.code_dir is not None and (spec.runtime is None or spec.runtime.startswith(_PYTHON))


def service_of(specs: Iterable[FunctionSpec]) -> tuple[Functions | None, list[Problem]]:
    """The service holding every runnable spec (None when there is none), and a Problem for
    each function whose configuration Lambda would refuse, in Lambda's words."""
    functions = Functions()
    problems: list[Problem] = []
    created = 0
    for spec in specs:
        if not runnable(spec):
            continue
        properties = spec.properties
        reserved = properties.get("ReservedConcurrentExecutions")
        try:
            functions.create(
                spec.name, handler=spec.handler, code=spec.code_dir,
                runtime=spec.runtime or DEFAULT_RUNTIME,
                timeout=_whole(spec.timeout, DEFAULT_TIMEOUT),
                memory=spec.memory if spec.memory is not None else DEFAULT_MEMORY,
                environment=dict(spec.environment),
                reserved_concurrency=reserved if isinstance(reserved, int) else None,
            )  # fmt: skip
            alias = properties.get("AutoPublishAlias")
            if isinstance(alias, str):
                # SAM publishes a version on deploy and points the alias at it.
                version = functions.publish_version(spec.name)["Version"]
                functions.create_alias(spec.name, alias, version)
        except (LambdaError, TypeError, ValueError) as error:
            problems.append(Problem("", "template", f"{spec.logical_id}: {error}"))
            continue
        created += 1
    return (functions if created else None), problems


def _whole(value: float | None, default: int) -> Any:
    # CloudFormation's Timeout is an integer; a fraction is passed on for Lambda to refuse.
    if value is None:
        return default
    return int(value) if float(value).is_integer() else value
