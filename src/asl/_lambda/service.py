"""`asl.Functions`: a local Lambda service, its methods named after Lambda's API in Python style.

Functions are created with Lambda's configuration (validated as Lambda validates it); `$LATEST`
and immutable numbered versions; aliases with one weighted additional version; reserved
concurrency and throttling; synchronous, dry-run and asynchronous invocation (`asynchronous`);
the START/END/REPORT log lines and metrics of every invocation. Each version's invocations run in
execution environments (`environments`): in this process, or isolated under AWS's runtime
interface client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from asl._clock import Clock, SystemClock, isoformat
from asl._errors import LambdaError
from asl._integrations.lambda_ import new_request_id
from asl._integrations.resources import DEFAULT_ACCOUNT, DEFAULT_REGION
from asl._lambda import config as _config
from asl._lambda.config import Configuration, invalid, validation
from asl._lambda.environments import (
    Environment,
    InProcess,
    Isolated,
    Outcome,
    Request,
    runtime_client_available,
)
from asl._lambda.records import Alias, Answer, EventInvokeConfig, Measurement, Pool, Record

LATEST = "$LATEST"
DEFAULT_ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/asl-local"
#: The account's concurrency quota and the part of it that cannot be reserved (FACTS §4).
ACCOUNT_CONCURRENCY = 1000
UNRESERVED_MINIMUM = 100
#: Synchronous and asynchronous request payload limits (FACTS §2b).
SYNC_LIMIT = 6 * 1024 * 1024
ASYNC_LIMIT = 1024 * 1024
RESPONSE_LIMIT = 6 * 1024 * 1024 + 100

_INVOKE_NAME = re.compile(
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?(?P<region>(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(?P<account>\d{12}:)?(function:)?(?P<name>[a-zA-Z0-9-_\.]+)"
    r"(:(?P<qualifier>\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)
_INVOKE_NAME_TEXT = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)
_QUALIFIER = re.compile(r"\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+")
_ALIAS_NAME = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")
_VERSION = re.compile(r"\$LATEST|[0-9]+")
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
_RUNTIME_VERSION = "INIT_START Runtime Version: {runtime}.asl\tRuntime Version ARN: " \
                   "arn:aws:lambda:{region}::runtime:asl-local\n"


class Functions:
    """A local Lambda service. Pass it to `StateMachine.run(..., functions=fns)` and Task states
    invoke its functions by name, partial or full ARN, version or alias.

    `isolated=True` runs every function (unless created otherwise) in processes under AWS's
    runtime interface client (`pip install 'asl-engine[lambda]'`); the default runs handlers in
    this process. `seed` makes request ids and weighted-alias routing reproducible (a run passes
    its own seeded source); `clock` is what asynchronous retries wait on (a VirtualClock: no
    real time). `store` (an `asl.SQLiteStore` or another `asl.ExecutionStore`) keeps the queued
    asynchronous events, so a new service on it resumes them (`resume_events`).
    """

    def __init__(self, *, isolated: bool = False, region: str = DEFAULT_REGION,
                 account: str = DEFAULT_ACCOUNT, seed: int | None = None,
                 clock: Clock | None = None, store: Any = None) -> None:
        if not isinstance(isolated, bool):
            raise TypeError(f"isolated must be a bool, not {isolated!r}")
        if store is not None:
            from asl._lambda.asynchronous import EventStore

            if not isinstance(store, EventStore):
                hint = (" (open a path with asl.SQLiteStore(path))"
                        if isinstance(store, (str, Path)) else "")
                raise TypeError(f"store must be an asl.ExecutionStore such as asl.SQLiteStore, "
                                f"not {type(store).__name__}: {store!r}{hint}")
        #: Where queued asynchronous events are kept (None: in memory only).
        self.store: Any = store
        self._event_keys: set[str] = set()  # the stored events this service has queued
        self.isolated = isolated
        self.region, self.account = region, account
        self.rng = random.Random(seed)
        self.seeded = seed is not None
        self.clock: Clock = clock if clock is not None else SystemClock()
        # Without a clock of its own, an event a run sends waits on that run's clock.
        self._own_clock = clock is not None
        self._functions: dict[str, Record] = {}
        self._lock = threading.RLock()
        self._root: Path | None = None
        self._async: dict[int, Any] = {}  # id(clock) -> its event queue

    # --- context management ---------------------------------------------------------------

    def __enter__(self) -> Functions:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Ends every environment (isolated processes, their directories) and the async queue."""
        for queue in list(self._async.values()):
            queue.stop()
        with self._lock:
            pools = [pool for record in self._functions.values() for pool in record.pools.values()]
            for record in self._functions.values():
                record.pools.clear()
        for pool in pools:
            for env in pool.all:
                env.close()
        if self._root is not None:
            import shutil

            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    # --- CreateFunction, GetFunction, updates -------------------------------------------------

    def create(
        self, name: str, handler: str | Callable[..., Any], code: str | Path | None = None, *,
        runtime: str = _config.DEFAULT_RUNTIME, timeout: int = _config.DEFAULT_TIMEOUT,
        memory: int = _config.DEFAULT_MEMORY, environment: Mapping[str, str] | None = None,
        ephemeral_storage: int = _config.DEFAULT_EPHEMERAL, reserved_concurrency: int | None = None,
        description: str = "", role: str = DEFAULT_ROLE, publish: bool = False,
        isolated: bool | None = None,
    ) -> dict[str, Any]:
        """CreateFunction: the function's configuration as Lambda answers it (State Pending, as
        the real call answers before the function settles; GetFunction says Active)."""
        isolated = self.isolated if isolated is None else isolated
        configuration = _config.build(
            name, handler=handler, code=code, runtime=runtime, timeout=timeout, memory=memory,
            environment=environment, ephemeral_storage=ephemeral_storage,
            description=description, role=role, isolated=isolated)
        if isolated and not runtime_client_available():
            raise LambdaError("InvalidParameterValueException",
                              "An isolated function needs AWS's runtime interface client: pip "
                              "install 'asl-engine[lambda]' (awslambdaric).")
        with self._lock:
            if name in self._functions:
                raise LambdaError("ResourceConflictException",
                                  f"Function already exist: {name}", 409)
            record = Record(name, self._arn(name), configuration, last_modified=_now())
            if reserved_concurrency is not None:
                self._check_reserved(record, reserved_concurrency)
                record.reserved = reserved_concurrency
            self._functions[name] = record
            answer = self._configuration(record, LATEST, configuration)
            answer.update(State="Pending", StateReason="The function is being created.",
                          StateReasonCode="Creating")
            if publish:
                return self.publish_version(name)
            return answer

    def get_function(self, name: str, qualifier: str | None = None) -> dict[str, Any]:
        """GetFunction's Configuration (and Concurrency when reserved)."""
        record, version, configuration = self._resolve_version(name, qualifier)
        answer: dict[str, Any] = {"Configuration": self._configuration(record, version, configuration)}
        if record.reserved is not None:
            answer["Concurrency"] = {"ReservedConcurrentExecutions": record.reserved}
        return answer

    def update_configuration(self, name: str, **changes: Any) -> dict[str, Any]:
        """UpdateFunctionConfiguration: any of runtime, handler, timeout, memory, environment,
        ephemeral_storage, description, role. `$LATEST`'s environments are replaced."""
        allowed = {"runtime", "handler", "timeout", "memory", "environment", "ephemeral_storage",
                   "description", "role"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"update_configuration() got unexpected keyword arguments "
                            f"{sorted(unknown)}; it takes {sorted(allowed)}")
        return self._update(name, changes, configuration_only=True)

    def update_code(self, name: str, handler: str | Callable[..., Any] | None = None,
                    code: str | Path | None = None, *, publish: bool = False) -> dict[str, Any]:
        """UpdateFunctionCode: new code (a directory) and/or a new in-process callable."""
        changes: dict[str, Any] = {}
        if handler is not None:
            changes["handler"] = handler
        if code is not None:
            changes["code"] = code
        answer = self._update(name, changes, configuration_only=False)
        return self.publish_version(name) if publish else answer

    def _update(self, name: str, changes: dict[str, Any], *, configuration_only: bool) -> dict[str, Any]:
        with self._lock:
            record = self._record(name)
            old = record.latest
            fields = {
                "handler": old.handler, "code": old.code, "runtime": old.runtime,
                "timeout": old.timeout, "memory": old.memory, "environment": old.environment,
                "ephemeral_storage": old.ephemeral_storage, "description": old.description,
                "role": old.role,
            }
            fields.update(changes)
            record.latest = _config.build(name, isolated=old.isolated, revision=old.revision + 1,
                                          **fields)
            record.last_modified = _now()
            stale = record.pools.pop((LATEST, old.revision), None)
            answer = self._configuration(record, LATEST, record.latest)
        if stale is not None:
            for env in stale.all:
                env.close()
        if configuration_only:
            answer.update(LastUpdateStatus="InProgress",
                          LastUpdateStatusReason="The function is being created.",
                          LastUpdateStatusReasonCode="Creating")
        return answer

    # --- versions and aliases ---------------------------------------------------------------

    def publish_version(self, name: str, description: str | None = None) -> dict[str, Any]:
        """PublishVersion: `$LATEST` frozen as the next number; unchanged since the last
        version, that version is returned (its description kept), as Lambda does."""
        with self._lock:
            record = self._record(name)
            if record.versions:
                last = str(max(int(v) for v in record.versions))
                if record.published[last] == record.latest.snapshot():
                    return self._configuration(record, last, record.versions[last])
            number = str(len(record.versions) + 1)
            frozen = record.latest
            if description is not None:
                frozen = attrs.evolve(frozen, description=description)
            record.versions[number] = frozen
            # What $LATEST was when published (a publish's own description is not a change).
            record.published[number] = record.latest.snapshot()
            return self._configuration(record, number, frozen)

    def list_versions(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            record = self._record(name)
            return [self._configuration(record, LATEST, record.latest)] + [
                self._configuration(record, number, record.versions[number])
                for number in sorted(record.versions, key=int)]

    def create_alias(self, name: str, alias: str, version: str, *,
                     routing: Mapping[str, float] | None = None,
                     description: str = "") -> dict[str, Any]:
        """CreateAlias: `alias` -> `version`, with `routing` as AdditionalVersionWeights
        (e.g. `{"2": 0.05}`: 5 % of invocations run version 2)."""
        with self._lock:
            record = self._record(name)
            violations = []
            if not (1 <= len(alias) <= 128 and _ALIAS_NAME.fullmatch(alias)):
                violations.append(f"Value '{alias}' at 'name' failed to satisfy constraint: Member "
                                  "must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
            violations += self._alias_violations(version, routing)
            if violations:
                raise validation(violations)
            if alias in record.aliases:
                raise LambdaError("ResourceConflictException",
                                  f"Alias already exists: {record.arn}:{alias}", 409)
            weights = self._check_routing(record, version, routing)
            record.aliases[alias] = Alias(alias, version, weights, description, _revision())
            return self._alias(record, record.aliases[alias])

    def update_alias(self, name: str, alias: str, version: str | None = None, *,
                     routing: Mapping[str, float] | None = None,
                     description: str | None = None) -> dict[str, Any]:
        """UpdateAlias: a new version and/or routing (`routing={}` removes the weights)."""
        with self._lock:
            record = self._record(name)
            current = record.aliases.get(alias)
            if current is None:
                raise LambdaError("ResourceNotFoundException",
                                  f"Alias not found: {record.arn}:{alias}", 404)
            target = current.version if version is None else version
            violations = self._alias_violations(target, routing)
            if violations:
                raise validation(violations)
            weights = (self._check_routing(record, target, routing) if routing is not None
                       else self._check_routing(record, target, current.weights))
            current.version, current.weights = target, weights
            if description is not None:
                current.description = description
            current.revision = _revision()
            return self._alias(record, current)

    def get_alias(self, name: str, alias: str) -> dict[str, Any]:
        with self._lock:
            record = self._record(name)
            found = record.aliases.get(alias)
            if found is None:
                raise LambdaError("ResourceNotFoundException",
                                  f"Cannot find alias arn: {record.arn}:{alias}", 404)
            return self._alias(record, found)

    def delete_alias(self, name: str, alias: str) -> None:
        """DeleteAlias: no error for an alias that does not exist (as Lambda: 204)."""
        with self._lock:
            self._record(name).aliases.pop(alias, None)

    @staticmethod
    def _alias_violations(version: Any, routing: Mapping[str, float] | None) -> list[str]:
        violations = []
        if not isinstance(version, str) or not _VERSION.fullmatch(version):
            violations.append(f"Value '{version}' at 'functionVersion' failed to satisfy "
                              "constraint: Member must satisfy regular expression pattern: "
                              "(\\$LATEST|[0-9]+)")
        if routing is not None:
            if not isinstance(routing, Mapping):
                raise TypeError(f"routing must be a mapping of version to weight, not {routing!r}")
            shown = "{" + ", ".join(f"{k}={float(v) if isinstance(v, (int, float)) else v}"
                                    for k, v in routing.items()) + "}"
            if any(not isinstance(k, str) or not k.isdigit() for k in routing):
                violations.append(
                    f"Value '{shown}' at 'routingConfig.additionalVersionWeights' failed to "
                    "satisfy constraint: Map keys must satisfy constraint: [Member must have "
                    "length less than or equal to 1024, Member must have length greater than or "
                    "equal to 1, Member must satisfy regular expression pattern: [0-9]+]")
            elif any(isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1
                     for v in routing.values()):
                violations.append(
                    f"Value '{shown}' at 'routingConfig.additionalVersionWeights' failed to "
                    "satisfy constraint: Map value must satisfy constraint: [Member must have "
                    "value less than or equal to 1.0, Member must have value greater than or "
                    "equal to 0.0, Member must not be null]")
        return violations

    def _check_routing(self, record: Record, version: str,
                       routing: Mapping[str, float] | None) -> dict[str, float]:
        if version != LATEST and version not in record.versions:
            raise LambdaError("ResourceNotFoundException",
                              f"Function not found: {record.arn}:{version}", 404)
        weights = {k: float(v) for k, v in (routing or {}).items()}
        if len(weights) > 1:
            raise invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
        if weights and version == LATEST:
            raise invalid("$LATEST is not supported for an alias pointing to more than 1 version")
        for extra in weights:
            if extra == version:
                raise invalid(f"Invalid function version {extra}. Function version {extra} is "
                              "already included in routing configuration.")
            if extra not in record.versions:
                raise LambdaError("ResourceNotFoundException",
                                  f"Function not found: {record.arn}:{extra}", 404)
        return weights

    def _alias(self, record: Record, alias: Alias) -> dict[str, Any]:
        answer: dict[str, Any] = {"AliasArn": f"{record.arn}:{alias.name}", "Name": alias.name,
                                  "FunctionVersion": alias.version, "Description": alias.description,
                                  "RevisionId": alias.revision}
        if alias.weights:
            answer["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
        return answer

    def deploy(self, name: str, alias: str, version: str,
               config: str | Mapping[str, Any] = "AllAtOnce", *,
               hook: Callable[[Any], Any] | None = None) -> Any:
        """A CodeDeploy-style traffic shift of `alias` to `version` (`config`: AllAtOnce,
        Canary10Percent5Minutes, Linear10PercentEvery1Minute, ... or a TimeBasedCanary /
        TimeBasedLinear mapping). `hook(deployment)` runs after each shift; returning False (or
        raising) rolls the alias back. Returns the `Deployment`, not yet started: `.run()` it
        (on this service's clock), `.step()` it, or `.start()` it on a thread."""
        from asl._lambda.deploy import deploy

        return deploy(self, name, alias, version, config, hook)

    # --- concurrency ------------------------------------------------------------------------

    def put_concurrency(self, name: str, reserved: int) -> dict[str, int]:
        """PutFunctionConcurrency: `reserved` concurrent executions (0 throttles every call)."""
        with self._lock:
            record = self._unqualified(name)
            self._check_reserved(record, reserved)
            record.reserved = reserved
            return {"ReservedConcurrentExecutions": reserved}

    def delete_concurrency(self, name: str) -> None:
        with self._lock:
            self._unqualified(name).reserved = None

    def get_concurrency(self, name: str) -> dict[str, int]:
        with self._lock:
            record = self._unqualified(name)
            return {} if record.reserved is None else {"ReservedConcurrentExecutions": record.reserved}

    def _unqualified(self, name: str) -> Record:
        ref = self._parse(name, None)
        if ref[1] is not None:
            raise invalid("This operation is permitted on Lambda functions only. Aliases and "
                          "versions do not support this operation. Please specify either a "
                          "function name or an unqualified function ARN.")
        return self._record(ref[0])

    def _check_reserved(self, record: Record, reserved: Any) -> None:
        if isinstance(reserved, bool) or not isinstance(reserved, int):
            raise TypeError(f"reserved concurrency must be an int, not {reserved!r}")
        if reserved < 0:
            raise validation([f"Value '{reserved}' at 'reservedConcurrentExecutions' failed to "
                              "satisfy constraint: Member must have value greater than or equal to 0"])
        others = sum(r.reserved or 0 for r in self._functions.values() if r is not record)
        if others + reserved > ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM:
            raise invalid("Specified ReservedConcurrentExecutions for function decreases "
                          "account's UnreservedConcurrentExecution below its minimum value of "
                          f"[{UNRESERVED_MINIMUM}].")

    # --- asynchronous invocation settings --------------------------------------------------------

    def put_event_invoke_config(
        self, name: str, *, maximum_retry_attempts: int | None = None,
        maximum_event_age: int | None = None, on_success: Any = None, on_failure: Any = None,
        dead_letter: Any = None,
    ) -> dict[str, Any]:
        """PutFunctionEventInvokeConfig (and the function's DeadLetterConfig): retries (0-2),
        maximum event age (60-21600 s), destinations (a callable given the invocation record,
        or another function's name or ARN, invoked asynchronously with it)."""
        from asl._lambda.asynchronous import check_event_config

        with self._lock:
            record = self._record(name)
            check_event_config(self, record, maximum_retry_attempts, maximum_event_age,
                               on_success, on_failure, dead_letter)
            record.events = EventInvokeConfig(maximum_retry_attempts, maximum_event_age,
                                              on_success, on_failure, dead_letter)
            record.event_config_set = True
            answer: dict[str, Any] = {
                "DestinationConfig": {"OnFailure": _destination(on_failure),
                                      "OnSuccess": _destination(on_success)},
                "FunctionArn": f"{record.arn}:{LATEST}", "LastModified": _now()}
            if maximum_retry_attempts is not None:
                answer["MaximumRetryAttempts"] = maximum_retry_attempts
            if maximum_event_age is not None:
                answer["MaximumEventAgeInSeconds"] = maximum_event_age
            return answer

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until every queued asynchronous event is done (retries and destinations
        included); False if `timeout` (real seconds) passed first."""
        end = None if timeout is None else time.monotonic() + timeout
        for queue in list(self._async.values()):
            left = None if end is None else max(0.0, end - time.monotonic())
            if not queue.join(left):
                return False
        return True

    def resume_events(self) -> list[str]:
        """Queue the asynchronous events the store keeps for this service's functions (those a
        previous service on the store had not finished: its process died or it was closed), at
        their due times on this service's clock, with their request ids and the attempts
        already made. Create the functions and their event invoke configs first. Returns the
        request ids queued; events of other functions stay in the store."""
        if self.store is None:
            raise TypeError("resume_events() needs a service created with store=")
        from asl._lambda.asynchronous import loads

        resumed = []
        queue = self._queue(self.clock)
        for key, text, due in self.store.queue_list():
            event = None if key in self._event_keys else loads(self, key, text)
            if event is not None:
                queue.restore(event, due)
                resumed.append(event.request_id)
        return resumed

    def _queue(self, clock: Clock) -> Any:
        from asl._lambda.asynchronous import Queue

        with self._lock:
            queue = self._async.get(id(clock))
            if queue is None:
                queue = self._async[id(clock)] = Queue(self, clock)
            return queue

    # --- Invoke -----------------------------------------------------------------------------

    def invoke(self, name_or_arn: str, payload: Any = None, *,
               invocation_type: str = "RequestResponse", qualifier: str | None = None,
               log_type: str = "None", client_context: str | None = None) -> dict[str, Any]:
        """Invoke, answering as Lambda's does: StatusCode (200, 202 for Event, 204 for DryRun),
        ExecutedVersion, FunctionError ("Unhandled") when the function failed, Payload (the
        response body, bytes) and LogResult with `log_type="Tail"`. `payload` is JSON text or
        bytes sent as is, or any other value serialised as JSON."""
        if invocation_type not in INVOCATION_TYPES:
            raise validation([f"Value '{invocation_type}' at 'invocationType' failed to satisfy "
                              "constraint: Member must satisfy enum value set: "
                              "[Event, RequestResponse, DryRun]"])
        if log_type not in ("None", "Tail"):
            raise validation([f"Value '{log_type}' at 'logType' failed to satisfy constraint: "
                              "Member must satisfy enum value set: [None, Tail]"])
        body = _body(payload)
        answer = self.call(name_or_arn, qualifier, body, invocation_type=invocation_type,
                           tail=log_type == "Tail", client_context=client_context)
        response: dict[str, Any] = {"StatusCode": answer.status}
        if answer.status == 200:
            if answer.error:
                response["FunctionError"] = "Unhandled"
            if answer.log_tail is not None:
                response["LogResult"] = answer.log_tail
            response["ExecutedVersion"] = answer.version
        response["Payload"] = answer.payload
        return response

    def call(self, name_or_arn: str, qualifier: str | None, body: bytes, *,
             invocation_type: str = "RequestResponse", tail: bool = False,
             client_context: str | None = None, request_id: str | None = None,
             rng: random.Random | None = None, task_token: str | None = None,
             heartbeat: Any = None, clock: Clock | None = None) -> Answer:
        """Invoke without the response's shaping: the one entry of `invoke` and of Task states
        (which pass the run's random source for request ids and alias routing, a callback
        task's token and heartbeat, so an in-process handler's context can answer or beat, and
        the run's clock, which an Event's retries wait on unless the service has a clock of its
        own)."""
        rng = rng if rng is not None else self.rng
        name, qualifier = self._parse(name_or_arn, qualifier)
        record = self._functions.get(name)
        if record is None:
            raise _not_found(self._arn(name), qualifier)
        version, configuration, invoked = self._route(record, qualifier, rng)
        limit = ASYNC_LIMIT if invocation_type == "Event" else SYNC_LIMIT
        if len(body) > limit:
            if invocation_type == "Event":
                raise LambdaError("RequestEntityTooLargeException",
                                  f"{len(body)} byte payload is too large for the Event "
                                  f"invocation type (limit {limit} bytes)", 413)
            raise LambdaError("RequestEntityTooLargeException",
                              f"Request must be smaller than {limit} bytes for the "
                              "InvokeFunction operation", 413)
        if request_id is None:
            request_id = new_request_id(rng if (rng is not self.rng or self.seeded) else None)
        if invocation_type == "DryRun":
            return Answer(204, None, b"", False, request_id)
        if invocation_type == "Event":
            queue_clock = clock if clock is not None and not self._own_clock else self.clock
            self._queue(queue_clock).put(record, qualifier, body, request_id)
            return Answer(202, None, b"", False, request_id)
        return self.run_invocation(record, version, configuration, invoked, body, request_id,
                                   tail=tail, client_context=client_context,
                                   task_token=task_token, heartbeat=heartbeat)

    def run_invocation(self, record: Record, version: str, configuration: Configuration,
                       invoked: str, body: bytes, request_id: str, *, tail: bool = False,
                       client_context: str | None = None, task_token: str | None = None,
                       heartbeat: Any = None) -> Answer:
        """One synchronous invocation: throttle or take an environment, run, log, measure."""
        env, _ = self._acquire(record, version, configuration)
        try:
            outcome = env.invoke(Request(request_id, body, invoked, version, client_context,
                                         task_token, heartbeat))
        finally:
            self._release(record, version, configuration, env)
        payload, error = outcome.payload, outcome.error
        if not error and len(payload) > RESPONSE_LIMIT:
            payload, error = json.dumps({
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                                f"({RESPONSE_LIMIT} bytes).",
                "errorType": "Function.ResponseSizeTooLarge"}).encode(), True
        lines = self._log(record, version, configuration, request_id, outcome,
                          outcome.init_ms is not None)
        with self._lock:
            record.invocations += 1
            record.errors += error
            record.durations.append(outcome.duration_ms)
            first_init = False
            if outcome.init_ms is not None and not outcome.suppressed:
                first_init = True
                record.cold_starts += 1
                record.init_durations.append(outcome.init_ms)
            elif outcome.suppressed:
                record.reinits += 1
            record.measurements.append(Measurement(request_id, version, outcome.started,
                                                   outcome.deadline, outcome.ended,
                                                   outcome.timed_out, first_init))
        log_tail = None
        if tail:
            text = "".join(line + "\n" for line in lines).encode()
            log_tail = base64.b64encode(text[-4096:]).decode()
        return Answer(200, version, payload, error, request_id, log_tail)

    def _acquire(self, record: Record, version: str,
                 configuration: Configuration) -> tuple[Environment, bool]:
        with self._lock:
            busy = sum(r.active for r in self._functions.values())
            if record.reserved is not None and record.active >= record.reserved:
                record.throttles += 1
                raise LambdaError("TooManyRequestsException", "Rate Exceeded.", 429,
                                  "ReservedFunctionConcurrentInvocationLimitExceeded")
            if record.reserved is None and busy >= ACCOUNT_CONCURRENCY:
                record.throttles += 1
                raise LambdaError("TooManyRequestsException", "Rate Exceeded.", 429,
                                  "ConcurrentInvocationLimitExceeded")
            record.active += 1
            record.peak_concurrency = max(record.peak_concurrency, record.active)
            pool = record.pools.setdefault((version, configuration.revision), Pool())
            if pool.idle:
                env = pool.idle.pop()
                return env, not env.initialised
            env = self._environment(record, version, configuration)
            pool.all.append(env)
            return env, True

    def _release(self, record: Record, version: str, configuration: Configuration,
                 env: Environment) -> None:
        with self._lock:
            record.active -= 1
            pool = record.pools.get((version, configuration.revision))
            if pool is not None and env in pool.all:
                pool.idle.append(env)
                return
        env.close()  # its version's environments were replaced meanwhile

    def _environment(self, record: Record, version: str, configuration: Configuration) -> Environment:
        if not configuration.isolated:
            return InProcess(configuration, record.name, version)
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="asl-lambda-"))
        return Isolated(configuration, record.name, version, self.region, self.account, self._root)

    def _log(self, record: Record, version: str, configuration: Configuration, request_id: str,
             outcome: Outcome, cold: bool) -> list[str]:
        """The invocation's log lines as Lambda writes them (FACTS §5, and AWS's current
        INIT_REPORT / `Status:` fields as public logs quote them)."""
        first_init = cold and not outcome.suppressed
        lines = []
        if first_init:
            lines.append(_RUNTIME_VERSION.format(runtime=configuration.runtime.replace(
                "python", "python:"), region=self.region).rstrip("\n"))
        lines.extend(outcome.lines[:outcome.init_lines])
        if outcome.init_error is not None:
            lines.append(f"INIT_REPORT Init Duration: {outcome.init_ms or 0.0:.2f} ms\tPhase: "
                         f"init\tStatus: error\tError Type: {outcome.init_error}")
        lines.append(f"START RequestId: {request_id} Version: {version}")
        lines.extend(outcome.lines[outcome.init_lines:])
        if outcome.timed_out:
            lines.append(f"{isoformat(time.time())} {request_id} Task timed out after "
                         f"{configuration.timeout:.2f} seconds")
        lines.append(f"END RequestId: {request_id}")
        # A timed-out call lasted its timeout exactly; a first init is billed with the call.
        duration = configuration.timeout * 1000.0 if outcome.timed_out else outcome.duration_ms
        init = outcome.init_ms if first_init and outcome.init_error is None else None
        billed = max(1, math.ceil(duration + (init or 0.0)))
        fields = [f"REPORT RequestId: {request_id}", f"Duration: {duration:.2f} ms",
                  f"Billed Duration: {billed} ms", f"Memory Size: {configuration.memory} MB",
                  f"Max Memory Used: {outcome.max_memory_mb} MB"]
        if init is not None:
            fields.append(f"Init Duration: {init:.2f} ms")
        if outcome.timed_out:
            report = "\t".join([*fields, "Status: timeout"])
        elif outcome.error_type is not None:
            report = "\t".join([*fields, "Status: error", f"Error Type: {outcome.error_type}"])
        else:
            report = "\t".join(fields) + "\t"
        lines.append(report)
        with self._lock:
            record.logs.extend(lines)
        return lines

    # --- what users look at -----------------------------------------------------------------

    def logs(self, name: str) -> list[str]:
        """The function's log lines (INIT_START, START, its own output, END, REPORT), in order."""
        with self._lock:
            return list(self._record(name).logs)

    def measurements(self, name: str) -> list[Measurement]:
        """The service's timing of each invocation of `name` (started, deadline, ended)."""
        with self._lock:
            return list(self._record(name).measurements)

    def metrics(self, name: str) -> dict[str, Any]:
        """Invocations, Errors, Throttles, ColdStarts, ConcurrentExecutions (the peak) and
        Duration / InitDuration percentiles in milliseconds."""
        with self._lock:
            record = self._record(name)
            return {
                "Invocations": record.invocations, "Errors": record.errors,
                "Throttles": record.throttles, "ColdStarts": record.cold_starts,
                "Reinits": record.reinits,
                "ConcurrentExecutions": record.peak_concurrency,
                "AsyncEventsReceived": record.async_events,
                "Duration": _percentiles(record.durations),
                "InitDuration": _percentiles(record.init_durations),
            }

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._functions)

    # --- name resolution ----------------------------------------------------------------------

    def has(self, name_or_arn: str) -> bool:
        """True when `name_or_arn` names a function of this service (any qualifier)."""
        match = _INVOKE_NAME.fullmatch(name_or_arn)
        return match is not None and match["name"] in self._functions

    def _parse(self, name_or_arn: Any, qualifier: str | None) -> tuple[str, str | None]:
        if not isinstance(name_or_arn, str):
            raise TypeError(f"a function name must be a str, not {name_or_arn!r}")
        violations = []
        match = _INVOKE_NAME.fullmatch(name_or_arn)
        if match is None or len(name_or_arn) > 170:
            violations.append(f"Value '{name_or_arn}' at 'functionName' failed to satisfy "
                              "constraint: Member must satisfy regular expression pattern: "
                              f"{_INVOKE_NAME_TEXT}")
        if qualifier is not None:
            if not isinstance(qualifier, str):
                raise TypeError(f"qualifier must be a str, not {qualifier!r}")
            if not _QUALIFIER.fullmatch(qualifier):
                violations.append(f"Value '{qualifier}' at 'qualifier' failed to satisfy "
                                  "constraint: Member must satisfy regular expression pattern: "
                                  "\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+")
            if len(qualifier) > 128:
                violations.append(f"Value '{qualifier}' at 'qualifier' failed to satisfy "
                                  "constraint: Member must have length less than or equal to 128")
        if violations:
            raise validation(violations)
        assert match is not None
        derived = match["qualifier"]
        if derived is not None and qualifier is not None and derived != qualifier:
            raise invalid("The derived qualifier from the function name does not match the "
                          "specified qualifier.")
        return match["name"], derived if derived is not None else qualifier

    def _route(self, record: Record, qualifier: str | None,
               rng: random.Random) -> tuple[str, Configuration, str]:
        """The version an invocation runs, its configuration and the invoked ARN (which keeps
        the alias, as context.invoked_function_arn does)."""
        invoked = record.arn if qualifier is None else f"{record.arn}:{qualifier}"
        with self._lock:
            if qualifier is None or qualifier == LATEST:
                return LATEST, record.latest, invoked
            if qualifier.isdigit():
                found = record.versions.get(qualifier)
                if found is None:
                    raise _not_found(record.arn, qualifier)
                return qualifier, found, invoked
            alias = record.aliases.get(qualifier)
            if alias is None:
                raise _not_found(record.arn, qualifier)
            version = alias.version
            for extra, weight in alias.weights.items():
                if rng.random() < weight:
                    version = extra
            configuration = record.latest if version == LATEST else record.versions[version]
            return version, configuration, invoked

    def _resolve_version(self, name: str, qualifier: str | None) -> tuple[Record, str, Configuration]:
        name, qualifier = self._parse(name, qualifier)
        record = self._record(name)
        if qualifier is None or qualifier == LATEST:
            return record, LATEST, record.latest
        version = record.aliases[qualifier].version if qualifier in record.aliases else qualifier
        found = record.latest if version == LATEST else record.versions.get(version)
        if found is None:
            raise _not_found(record.arn, qualifier)
        return record, version, found

    def _record(self, name: str) -> Record:
        parsed = _INVOKE_NAME.fullmatch(name) if isinstance(name, str) else None
        key = parsed["name"] if parsed is not None else name
        record = self._functions.get(key)
        if record is None:
            raise LambdaError("ResourceNotFoundException",
                              f"Function not found: {self._arn(str(key))}", 404)
        return record

    def _arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    def _configuration(self, record: Record, version: str,
                       configuration: Configuration) -> dict[str, Any]:
        handler = configuration.handler
        answer: dict[str, Any] = {
            "FunctionName": record.name,
            "FunctionArn": f"{record.arn}:{version}" if version != LATEST else record.arn,
            "Runtime": configuration.runtime, "Role": configuration.role,
            "Handler": handler if isinstance(handler, str) else
            f"{getattr(handler, '__module__', '')}.{getattr(handler, '__qualname__', repr(handler))}",
            "CodeSize": 0, "Description": configuration.description,
            "Timeout": configuration.timeout, "MemorySize": configuration.memory,
            "LastModified": record.last_modified,
            "CodeSha256": base64.b64encode(bytes.fromhex(configuration.code_sha256)).decode(),
            "Version": version,
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": _revision(configuration.code_sha256, configuration.revision),
            "State": "Active", "LastUpdateStatus": "Successful",
            "PackageType": "Zip", "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": configuration.ephemeral_storage},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{record.name}"},
        }
        if configuration.environment:
            answer["Environment"] = {"Variables": dict(configuration.environment)}
        return answer


def _not_found(arn: str, qualifier: str | None) -> LambdaError:
    return LambdaError("ResourceNotFoundException",
                       f"Function not found: {arn}:{qualifier or LATEST}", 404)


def _body(payload: Any) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        try:
            return json.dumps(payload, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise TypeError(f"the payload is not JSON: {exc}") from None
    try:
        json.loads(body) if body.strip() else None
    except ValueError as exc:
        raise LambdaError("InvalidRequestContentException",
                          f"Could not parse request body into json: Could not parse payload into "
                          f"json: {exc}", 400) from None
    return body


def _destination(target: Any) -> dict[str, str]:
    if target is None:
        return {}
    return {"Destination": target if isinstance(target, str) else
            f"python:{getattr(target, '__qualname__', repr(target))}"}


def _percentiles(values: Iterable[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 2)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered[-1], 2)}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())


def _revision(*parts: object) -> str:
    text = hashlib.sha256(repr(parts or (time.time_ns(),)).encode()).hexdigest()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:32]}"
