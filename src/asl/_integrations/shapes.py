"""A mocked Task result checked against the integration's API output shape, as TestState checks
it (`mock.fieldValidationMode`): the shapes are botocore's service models, read on demand.

Which shape: `aws-sdk:SERVICE:ACTION` is the AWS SDK's operation ACTION of SERVICE (Step Functions
names services as the Java SDK does, from the model's serviceId: `sfn`, `eventbridge`, ...); an
optimized integration (`lambda:invoke`, `dynamodb:putItem`, `states:startExecution`, ...) is the
service API's operation of that name. A Lambda function ARN, an activity, `.sync` and
`.waitForTaskToken` have no API output shape to check against (the result is the function's,
the worker's or the job's own), nor has an integration botocore does not model (`http:invoke`,
`apigateway:invoke`).

Step Functions shows an SDK result with each field name's first letter in upper case
(`StartExecution`'s `executionArn` is `ExecutionArn`); fields outside the shape are accepted.
STRICT also wants the shape's required fields; PRESENT checks only the fields given. A blob is
text in an SDK result, while an optimized integration hands its JSON payload on decoded
(`lambda:invoke`'s `Payload`), so there it may be any JSON value.
"""

from __future__ import annotations

import functools
import re
from typing import Any

#: AWS's prefix of every mock validation message.
PREFIX = "Mock result schema validation error: "

#: Optimized integrations whose service prefix is not botocore's service name.
_OPTIMIZED_SERVICES = {"states": "stepfunctions"}

_RESOURCE = re.compile(r"^arn:[^:]+:states:::(?P<sdk>aws-sdk:)?(?P<service>[^:.]+):"
                       r"(?P<action>[^:.]+)(?P<suffix>\..*)?$")


class MissingBotocore(Exception):
    """botocore (the `teststate` extra) is needed to check a mock against its API shape."""


def output_shape(resource: str) -> tuple[Any, bool] | None:
    """The botocore output shape of a Task resource and whether it is an SDK integration, or
    None when the resource has no API shape to check against."""
    match = _RESOURCE.match(resource)
    if match is None or match["suffix"]:
        return None
    sdk = match["sdk"] is not None
    service, action = match["service"].lower(), match["action"]
    if not sdk:
        service = _OPTIMIZED_SERVICES.get(service, service)
    model = _service_model(service, sdk)
    if model is None:
        return None
    operation = _operation_names(model).get(action.lower())
    if operation is None:
        return None
    shape = model.operation_model(operation).output_shape
    return (shape, sdk) if shape is not None else None


def problem(shape: Any, value: Any, *, strict: bool, sdk: bool) -> str | None:
    """The first reason `value` does not fit `shape` (AWS's message), or None when it fits."""
    if shape.type_name == "structure" and not isinstance(value, dict):
        return PREFIX + "The mocked result must be a JSON object"
    return _check(shape, value, "", strict, sdk)


def _check(shape: Any, value: Any, name: str, strict: bool, sdk: bool) -> str | None:
    if value is None:  # null stands for an absent field
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return _field(name, "must be an object")
        # In the shape's member order: a required field that is missing (STRICT), or a field
        # given with a value that does not fit.
        for name_, member in shape.members.items():
            key = _pascal(name_)
            item = value.get(key)
            if item is None:
                if strict and name_ in shape.required_members:
                    return f"{PREFIX}Required field '{key}' is missing"
                continue
            found = _check(member, item, key, strict, sdk)
            if found is not None:
                return found
        return None
    if kind == "list":
        if not isinstance(value, list):
            return _field(name, "must be an array")
        for item in value:
            found = _check(shape.member, item, name, strict, sdk)
            if found is not None:
                return found
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return _field(name, "must be an object")
        for item in value.values():
            found = _check(shape.value, item, name, strict, sdk)
            if found is not None:
                return found
        return None
    if kind == "blob" and not sdk:
        return None  # an optimized integration's payload: JSON, decoded
    if kind in ("string", "blob"):
        if not isinstance(value, str):
            return _field(name, "must be a string")
        enum = shape.enum if kind == "string" else None
        if enum and value not in enum:
            return _field(name, "is not an expected value")
        return _bounds(shape, len(value), name, "length")
    if kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _field(name, "must be a number")
        if kind in ("integer", "long") and isinstance(value, float) and not value.is_integer():
            return _field(name, "must be an integer")
        return _bounds(shape, value, name, "value")
    if kind == "boolean":
        return None if isinstance(value, bool) else _field(name, "must be a boolean")
    if kind == "timestamp":  # Step Functions shows a timestamp as text
        return None if isinstance(value, str) else _field(name, "must be a string")
    return None


def _bounds(shape: Any, measure: float, name: str, what: str) -> str | None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and measure < low:
        return _field(name, "is smaller than the minimum length" if what == "length"
                      else "is less than the minimum value")
    if high is not None and measure > high:
        return _field(name, f"exceeds the maximum {what}")
    return None


def _field(name: str, says: str) -> str:
    return f"{PREFIX}Field '{name}' {says}"


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


@functools.cache
def _loader() -> Any:
    try:
        from botocore.loaders import create_loader
    except ImportError:
        raise MissingBotocore(
            "checking a mocked result against its API shape (fieldValidationMode STRICT or "
            "PRESENT) needs botocore: pip install 'asl-engine[teststate]', or pass "
            "fieldValidationMode NONE"
        ) from None
    return create_loader()


@functools.cache
def _service_model(service: str, sdk: bool) -> Any:
    from botocore.exceptions import UnknownServiceError
    from botocore.model import ServiceModel

    loader = _loader()
    name = service
    if name not in _available(loader) and sdk:
        name = _by_service_id(loader).get(service, service)
    try:
        return ServiceModel(loader.load_service_model(name, "service-2"), name)
    except UnknownServiceError:
        return None


def _available(loader: Any) -> frozenset[str]:
    return frozenset(loader.list_available_services("service-2"))


@functools.cache
def _by_service_id(loader: Any) -> dict[str, str]:
    """SDK integration service names (the serviceId, lower case, without spaces or dashes:
    `sfn`, `eventbridge`, `cloudwatchlogs`) to botocore's service names. Reads every model
    once, only for a name that is not botocore's own."""
    index: dict[str, str] = {}
    for name in sorted(_available(loader)):
        metadata = loader.load_service_model(name, "service-2").get("metadata", {})
        service_id = re.sub(r"[\s-]", "", str(metadata.get("serviceId", ""))).lower()
        index.setdefault(service_id, name)
    return index


def _operation_names(model: Any) -> dict[str, str]:
    return {name.lower(): name for name in model.operation_names}
