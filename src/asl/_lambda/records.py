"""The service's records: a function (its versions, aliases, concurrency, environments, logs
and counters), an alias, the asynchronous settings, one invocation's answer and measurements."""

from __future__ import annotations

from collections import deque
from typing import Any

import attrs

from asl._lambda.config import Configuration
from asl._lambda.environments import Environment

#: How many invocations' durations and measurements, and how many log lines, a function keeps.
KEPT = 100_000
KEPT_LINES = 400_000


@attrs.define
class Alias:
    name: str
    version: str
    weights: dict[str, float]
    description: str
    revision: str


@attrs.define
class EventInvokeConfig:
    """PutFunctionEventInvokeConfig's settings (None: Lambda's defaults)."""

    maximum_retry_attempts: int | None = None
    maximum_event_age: int | None = None
    on_success: Any = None  # a callable taking the invocation record, or a function name/ARN
    on_failure: Any = None
    dead_letter: Any = None  # a callable taking the DLQ message


class Pool:
    """One version's execution environments: idle ones are reused, a new one started when all
    are busy (the function's concurrency decides how many may be)."""

    def __init__(self) -> None:
        self.idle: list[Environment] = []
        self.all: list[Environment] = []


@attrs.define(eq=False)
class Record:
    """A function: `$LATEST`, its versions and aliases, concurrency, environments, logs."""

    name: str
    arn: str
    latest: Configuration
    versions: dict[str, Configuration] = attrs.field(factory=dict)
    published: dict[str, tuple[Any, ...]] = attrs.field(factory=dict)
    aliases: dict[str, Alias] = attrs.field(factory=dict)
    reserved: int | None = None
    active: int = 0
    pools: dict[tuple[str, int], Pool] = attrs.field(factory=dict)
    events: EventInvokeConfig = attrs.field(factory=EventInvokeConfig)
    event_config_set: bool = False
    last_modified: str = ""
    # Bounded, so a long test loop cannot grow them without end: the latest entries are kept
    # (the counters above them count everything).
    logs: deque[str] = attrs.field(factory=lambda: deque(maxlen=KEPT_LINES))
    invocations: int = 0
    errors: int = 0
    throttles: int = 0
    cold_starts: int = 0
    reinits: int = 0  # runtimes restarted in their environment after a timeout or crash
    durations: deque[float] = attrs.field(factory=lambda: deque(maxlen=KEPT))
    init_durations: deque[float] = attrs.field(factory=lambda: deque(maxlen=KEPT))
    peak_concurrency: int = 0
    async_events: int = 0
    measurements: deque[Measurement] = attrs.field(factory=lambda: deque(maxlen=KEPT))


@attrs.frozen
class Measurement:
    """The service's own timing of one invocation (time.monotonic() seconds), for tests that
    check a timeout against its deadline without a wall-clock assertion of their own."""

    request_id: str
    version: str
    started: float
    deadline: float
    ended: float
    timed_out: bool
    cold: bool


@attrs.frozen
class Answer:
    """An invocation's answer before it is shaped as Invoke's response."""

    status: int
    version: str | None
    payload: bytes
    error: bool
    request_id: str
    log_tail: str | None = None
