"""A function's configuration, validated as Lambda's CreateFunction / UpdateFunctionConfiguration
validate it, with Lambda's error names and messages (../shared/lambda/FACTS.md §1; the rows
marked inferred there are templates, said so in docs/lambda.md)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from asl._errors import LambdaError

DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY = 128
DEFAULT_EPHEMERAL = 512
DEFAULT_RUNTIME = "python3.12"
MAX_TIMEOUT = 900
MIN_MEMORY, MAX_MEMORY = 128, 10240
MIN_EPHEMERAL, MAX_EPHEMERAL = 512, 10240
ENVIRONMENT_LIMIT = 4096

#: CreateFunction's runtime enum as AWS words it (recorded Jan 2026, in AWS's own order).
RUNTIMES = (
    "nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x",
    "nodejs22.x", "java25", "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4", "ruby3.2",
    "python3.8", "python3.9", "java17", "nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6",
    "nodejs18.x", "provided.al2", "java8.al2",
)
#: Runtimes Lambda refuses for new functions with its deprecation message.
DEPRECATED = frozenset({"python3.7", "python3.6", "python2.7", "nodejs14.x", "nodejs12.x",
                        "nodejs10.x", "dotnetcore3.1", "ruby2.7", "go1.x", "java8"})
#: The environment variables Lambda sets itself and refuses to let a function set.
RESERVED_VARIABLES = (
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
)
_RESERVED = frozenset(RESERVED_VARIABLES)
_VARIABLE_NAME = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")
_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9-_]{1,64}")
_HANDLER_TEXT = re.compile(r"[^\s]+")
_ROLE = re.compile(r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
_FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
    r"([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)

Handler = Callable[..., Any]


@attrs.frozen
class Configuration:
    """One version's configuration (and code): what `$LATEST` holds now, or what a published
    version froze."""

    name: str
    handler: str | Handler = attrs.field(eq=False)
    code: Path | None
    runtime: str
    timeout: int
    memory: int
    environment: Mapping[str, str]
    ephemeral_storage: int
    description: str
    role: str
    isolated: bool
    code_sha256: str
    #: True when `handler` is a text "module.function" (imported from `code`), False for a
    #: callable (in-process only).
    revision: int = 0

    def snapshot(self) -> tuple[Any, ...]:
        """What decides whether publishing makes a new version: the code and every setting."""
        return (self.code_sha256, self.runtime, self.timeout, self.memory,
                tuple(sorted(self.environment.items())), self.ephemeral_storage,
                self.description, self.role, self.isolated)


def validation(violations: list[str]) -> LambdaError:
    """AWS's ValidationException text: the violations counted, joined by "; "."""
    count = len(violations)
    head = f"{count} validation error{'s' if count > 1 else ''} detected: "
    return LambdaError("ValidationException", head + "; ".join(violations), 400)


def invalid(message: str) -> LambdaError:
    return LambdaError("InvalidParameterValueException", message, 400)


def member_range(value: int, field: str, low: int, high: int) -> str | None:
    """Lambda's constraint message for `value` outside [low, high] at `field`, else None."""
    if value < low:
        return (f"Value '{value}' at '{field}' failed to satisfy constraint: Member must have "
                f"value greater than or equal to {low}")
    if value > high:
        return (f"Value '{value}' at '{field}' failed to satisfy constraint: Member must have "
                f"value less than or equal to {high}")
    return None


def integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}: {value!r}")
    return value


def check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"a function name must be a str, not {type(name).__name__}: {name!r}")
    if not _FUNCTION_NAME.fullmatch(name):
        raise validation([f"Value '{name}' at 'functionName' failed to satisfy constraint: "
                          f"Member must satisfy regular expression pattern: {_FUNCTION_NAME_PATTERN}"])
    return name


def check_environment(environment: Any) -> dict[str, str]:
    if environment is None:
        return {}
    if not isinstance(environment, Mapping):
        raise TypeError(f"environment must be a mapping of str to str, not "
                        f"{type(environment).__name__}: {environment!r}")
    variables: dict[str, str] = {}
    for key, value in environment.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"environment variables are str to str (as Lambda's API takes "
                            f"them); got {key!r}: {value!r}")
        variables[key] = value
    bad = [key for key in variables if not _VARIABLE_NAME.fullmatch(key)]
    if bad:
        raise validation([f"Value '{{{', '.join(bad)}}}' at 'environment.variables' failed to "
                          "satisfy constraint: Map keys must satisfy constraint: [Member must "
                          "satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"])
    reserved = [key for key in variables if key in _RESERVED]
    if reserved:
        raise invalid("Lambda was unable to configure your environment variables because the "
                      "environment variables you have provided contains reserved keys that are "
                      "currently not supported for modification. Reserved keys used in this "
                      f"request: {', '.join(reserved)}")
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > ENVIRONMENT_LIMIT:
        raise invalid("Lambda was unable to configure your environment variables because the "
                      "environment variables you have provided exceeded the 4KB limit. String "
                      f"measured: {measured}")
    return variables


def check_runtime(runtime: Any) -> str:
    if not isinstance(runtime, str):
        raise TypeError(f"runtime must be a str, not {type(runtime).__name__}: {runtime!r}")
    if runtime in DEPRECATED:
        raise invalid(f"The runtime parameter of {runtime} is no longer supported for creating or "
                      "updating AWS Lambda functions. We recommend you use a supported runtime "
                      "while creating or updating functions.")
    if runtime not in RUNTIMES:
        raise invalid(f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must "
                      f"satisfy enum value set: [{', '.join(RUNTIMES)}] or be a valid ARN")
    if not runtime.startswith("python"):
        raise invalid(f"asl runs Python functions only; {runtime} is a valid Lambda runtime that "
                      "the local service cannot run.")
    return runtime


def code_sha256(handler: str | Handler, code: Path | None) -> str:
    """The code's identity: the files under `code` (paths and bytes), or the callable's."""
    digest = hashlib.sha256()
    if code is not None and code.is_dir():
        for path in sorted(code.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(code)).encode() + b"\0")
                digest.update(path.read_bytes())
    if not isinstance(handler, str):
        where = getattr(handler, "__code__", None)
        digest.update(f"{getattr(handler, '__module__', '')}.{getattr(handler, '__qualname__', '')}"
                      f":{id(handler)}:{id(where)}".encode())
    return digest.hexdigest()


def build(
    name: str, *, handler: Any, code: Any, runtime: Any, timeout: Any, memory: Any,
    environment: Any, ephemeral_storage: Any, description: Any, role: Any, isolated: bool,
    revision: int = 0,
) -> Configuration:
    """A checked Configuration, or LambdaError / TypeError as Lambda's API (or Python) would
    refuse the request."""
    check_name(name)
    violations = [v for v in (
        member_range(integer(timeout, "timeout"), "timeout", 1, MAX_TIMEOUT),
        member_range(integer(memory, "memory"), "memorySize", MIN_MEMORY, MAX_MEMORY),
        member_range(integer(ephemeral_storage, "ephemeral_storage"), "ephemeralStorage.size",
               MIN_EPHEMERAL, MAX_EPHEMERAL),
    ) if v]
    if isinstance(handler, str):
        if len(handler) > 128:
            violations.append(f"Value '{handler}' at 'handler' failed to satisfy constraint: "
                              "Member must have length less than or equal to 128")
        elif not _HANDLER_TEXT.fullmatch(handler):
            violations.append(f"Value '{handler}' at 'handler' failed to satisfy constraint: "
                              "Member must satisfy regular expression pattern: [^\\s]+")
    elif not callable(handler):
        raise TypeError(f"handler must be 'module.function' or a callable, not {handler!r}")
    if not isinstance(role, str):
        raise TypeError(f"role must be a str, not {type(role).__name__}: {role!r}")
    if not _ROLE.fullmatch(role):
        violations.append(f"Value '{role}' at 'role' failed to satisfy constraint: Member must "
                          "satisfy regular expression pattern: "
                          "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+")
    if violations:
        raise validation(violations)
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, not {description!r}")
    runtime = check_runtime(runtime)
    variables = check_environment(environment)
    path: Path | None = None
    if code is not None:
        if not isinstance(code, (str, os.PathLike)):
            raise TypeError(f"code must be a directory path, not {code!r}")
        path = Path(code).resolve()
        if not path.is_dir():
            raise invalid(f"The code directory {path} does not exist (asl takes a function's "
                          "code as a directory, the unzipped package).")
    if isolated and not isinstance(handler, str):
        raise TypeError("an isolated function runs under the runtime interface client, which "
                        "imports its handler: give handler='module.function' and code=DIR, "
                        f"not the callable {handler!r}")
    return Configuration(
        name, handler, path, runtime, timeout, memory, variables, ephemeral_storage,
        description, role, isolated, code_sha256(handler, path), revision,
    )
