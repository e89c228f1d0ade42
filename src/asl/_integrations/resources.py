"""Task resources resolved to handlers: what kind of task a Resource names (a Lambda function,
`lambda:invoke`, an activity, a service integration, with its `.sync` / `.waitForTaskToken`
pattern), the user's handler mapping indexed once, and the `Invocation` plan `dispatch` runs.

`resolve()` runs once per Task resource and run; nothing here calls a handler.
"""

from __future__ import annotations

import enum
import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from asl._integrations.lambda_ import Function

Handler = Callable[..., Any]

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
#: The region and account a local run makes up (docs/divergences.md, "Identities").
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


class Kind(enum.Enum):
    LAMBDA = "lambda"  # Resource is a Lambda function ARN or a bare function name
    LAMBDA_INVOKE = "lambda:invoke"  # arn:aws:states:::lambda:invoke, function from FunctionName
    ACTIVITY = "activity"
    SERVICE = "service"  # any other integration, through handlers registered by resource


class Pattern(enum.Enum):
    """The service integration pattern, from the Resource's suffix."""

    REQUEST_RESPONSE = ""
    WAIT_FOR_TASK_TOKEN = "waitForTaskToken"
    SYNC = "sync"
    SYNC2 = "sync:2"


_LAMBDA_ARN = re.compile(
    r"arn:(?P<partition>[^:]+):lambda:(?P<region>[^:]+):(?P<account>\d+):function:"
    r"(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?"
)
_PARTIAL_LAMBDA_ARN = re.compile(r"(?P<account>\d+):function:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?")
_NAME_WITH_QUALIFIER = re.compile(r"(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9$_-]+))?")
_ACTIVITY_ARN = re.compile(r"arn:[^:]+:states:[^:]+:\d+:activity:(?P<name>.+)")
_STATES_INTEGRATION = re.compile(
    r"arn:[^:]+:states:::(?P<base>.+?)(?:\.(?P<pattern>waitForTaskToken|sync:2|sync))?"
)
_GLOB_CHARS = frozenset("*?[")


@attrs.frozen
class FunctionRef:
    """A Lambda function as a Resource or `FunctionName` names it (name, full or partial ARN)."""

    name: str
    qualifier: str | None = None
    region: str | None = None
    account: str | None = None
    partition: str = "aws"

    def arn(self, region: str, account: str, *, qualified: bool = True) -> str:
        """The full ARN, filling what the reference leaves out from the execution's region and
        account, as Lambda does for a bare name."""
        base = (
            f"arn:{self.partition}:lambda:{self.region or region}:{self.account or account}"
            f":function:{self.name}"
        )
        return f"{base}:{self.qualifier}" if qualified and self.qualifier else base

    @property
    def version(self) -> str:
        """What Lambda reports as ExecutedVersion: a numeric qualifier, else `$LATEST` (an alias
        would report the version it points at, which is not known locally)."""
        return self.qualifier if self.qualifier and self.qualifier.isdigit() else "$LATEST"


def parse_function(text: str) -> FunctionRef | None:
    """A function name, `name:qualifier`, full ARN or partial ARN; None for anything else."""
    if match := _LAMBDA_ARN.fullmatch(text):
        return FunctionRef(
            match["name"], match["qualifier"], match["region"], match["account"],
            match["partition"],
        )
    if match := _PARTIAL_LAMBDA_ARN.fullmatch(text):
        return FunctionRef(match["name"], match["qualifier"], account=match["account"])
    if match := _NAME_WITH_QUALIFIER.fullmatch(text):
        return FunctionRef(match["name"], match["qualifier"])
    return None


def _AMBIGUOUS(event: Any, context: Any) -> None:
    """Marks a bare function name that two ARN-keyed handlers share."""


class Handlers:
    """The user's handler mapping, indexed once: exact resources, Lambda functions by ARN and by
    name, and glob patterns compiled to regexes (fnmatch syntax); and the run's local Lambda
    service (`functions=`, an `asl.Functions`), which serves the functions no handler does,
    with the run's random source when it is seeded (request ids, weighted aliases)."""

    def __init__(self, handlers: Mapping[str, Handler], functions: Any = None,
                 rng: Any = None) -> None:
        self.service = functions
        self.rng = rng
        self.exact: dict[str, Handler] = {}
        self.functions: dict[str, Handler] = {}  # unqualified function ARN or "name[:qualifier]"
        self.patterns: list[tuple[re.Pattern[str], str, Handler]] = []
        by_name: dict[str, Handler] = {}
        for key, handler in handlers.items():
            if not callable(handler):
                raise TypeError(f"the handler for {key!r} is not callable: {handler!r}")
            if _GLOB_CHARS.intersection(key):
                self.patterns.append((re.compile(fnmatch.translate(key)), key, handler))
                continue
            self.exact[key] = handler
            ref = parse_function(key)
            if ref is None:
                continue
            if ref.region and ref.account:
                self.functions[ref.arn("", "")] = handler
                # A handler keyed by ARN also answers to its bare name (as a FunctionName of
                # the same account would), unless two accounts or regions share that name.
                short = f"{ref.name}:{ref.qualifier}" if ref.qualifier else ref.name
                by_name[short] = _AMBIGUOUS if by_name.get(short, handler) is not handler else handler
            else:
                short = f"{ref.name}:{ref.qualifier}" if ref.qualifier else ref.name
                self.functions[short] = handler
        for short, handler in by_name.items():
            if handler is not _AMBIGUOUS:
                self.functions.setdefault(short, handler)

    def function(self, ref: FunctionRef, arn: str) -> Handler | None:
        """The handler for a function: most specific key first, then glob patterns on the ARN."""
        keys = []
        if ref.region and ref.account:
            keys.append(ref.arn("", ""))
            keys.append(ref.arn("", "", qualified=False))
        if ref.qualifier:
            keys.append(f"{ref.name}:{ref.qualifier}")
        keys.append(ref.name)
        for key in keys:
            if (handler := self.functions.get(key)) is not None:
                return handler
        return self.match(arn)

    def match(self, *texts: str) -> Handler | None:
        for text in texts:
            for regex, _, handler in self.patterns:
                if regex.match(text):
                    return handler
        return None


@attrs.frozen
class Invocation:
    """How one Task's Resource is dispatched, resolved once at load.

    `handler` is None for `lambda:invoke` (the function comes from the parameters at run time)
    and for a resource nobody registered; `invoke` then fails as AWS would."""

    resource: str
    kind: Kind
    pattern: Pattern
    resource_type: str  # history's taskScheduledEventDetails.resourceType, e.g. "lambda"
    resource_name: str  # history's resource, e.g. "invoke" or "sendMessage.waitForTaskToken"
    handlers: Handlers = attrs.field(repr=False)
    handler: Handler | None = attrs.field(default=None, repr=False)
    function: FunctionRef | None = None  # for Kind.LAMBDA
    #: The resource fields of this task's history events (none for a Lambda function ARN),
    #: and those of its Scheduled event; shared by every event (the history never mutates them).
    event_ids: dict[str, str] = attrs.field(init=False, repr=False, eq=False)
    scheduled_ids: dict[str, str] = attrs.field(init=False, repr=False, eq=False)
    #: The history's event types for this kind of task: Scheduled, Started, Succeeded.
    event_types: tuple[str, str, str] = attrs.field(init=False, repr=False, eq=False)
    #: lambda:invoke targets found so far: (FunctionName, Qualifier, region, account) ->
    #: (function, handler). Plans are made per run, so handlers cannot change under them.
    targets: dict[tuple[str, str | None, str, str], tuple[Function, Handler | None]] = attrs.field(
        init=False, factory=dict, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.kind is Kind.LAMBDA:
            ids: dict[str, str] = {}
            scheduled = {"resource": self.resource}
            prefix = "LambdaFunction"
        else:
            ids = {"resource": self.resource_name, "resourceType": self.resource_type}
            scheduled = {**ids, "region": DEFAULT_REGION}
            prefix = "Task"
        object.__setattr__(self, "event_ids", ids)
        object.__setattr__(self, "scheduled_ids", scheduled)
        object.__setattr__(self, "event_types",
                           (prefix + "Scheduled", prefix + "Started", prefix + "Succeeded"))

    @property
    def missing(self) -> bool:
        """True when no handler can ever serve this resource (checkable at load, for warnings)."""
        if self.kind is Kind.LAMBDA_INVOKE:
            return False
        if self.pattern is Pattern.WAIT_FOR_TASK_TOKEN and self.kind is Kind.SERVICE:
            return False  # the callback alone may complete it
        return self.handler is None


def resolve(resource: str, handlers: Mapping[str, Handler] | Handlers) -> Invocation:
    """Classify `resource` and find its handler: an exact key wins, then the Lambda function
    (by ARN, `name:qualifier` or name), then the resource without its `.waitForTaskToken` /
    `.sync` suffix, then the first glob pattern (in registration order) that matches."""
    index = handlers if isinstance(handlers, Handlers) else Handlers(handlers)
    exact = index.exact.get(resource)
    if match := _STATES_INTEGRATION.fullmatch(resource):
        base, pattern = match["base"], Pattern(match["pattern"] or "")
        service, _, action = base.rpartition(":")
        name = action + (f".{pattern.value}" if pattern.value else "")
        if base == "lambda:invoke":
            return Invocation(resource, Kind.LAMBDA_INVOKE, pattern, "lambda", name, index, exact)
        plain = resource[: match.end("base")]
        handler = exact or index.exact.get(plain) or index.match(resource, plain)
        return Invocation(resource, Kind.SERVICE, pattern, service, name, index, handler)
    if match := _ACTIVITY_ARN.fullmatch(resource):
        handler = exact or index.exact.get(match["name"]) or index.match(resource)
        return Invocation(
            resource, Kind.ACTIVITY, Pattern.REQUEST_RESPONSE, "activity", resource, index, handler
        )
    ref = parse_function(resource)
    if ref is not None:
        # A Lambda function ARN, or a bare function name (a local convenience: AWS needs an ARN).
        arn = ref.arn(DEFAULT_REGION, DEFAULT_ACCOUNT)
        handler = exact or index.function(ref, arn) or index.match(resource)
        return Invocation(
            resource, Kind.LAMBDA, Pattern.REQUEST_RESPONSE, "lambda", resource, index, handler,
            ref,
        )
    return Invocation(
        resource, Kind.SERVICE, Pattern.REQUEST_RESPONSE, "", resource, index,
        exact or index.match(resource),
    )
