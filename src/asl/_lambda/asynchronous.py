"""Asynchronous invocation (InvocationType Event): Lambda's event queue, its retries on the
service's clock (one minute, then two, FACTS §6), throttled events re-queued with a growing
back-off, the maximum event age, and the invocation record sent to on-success / on-failure
destinations or the dead-letter handler.

With a store (`Functions(store=...)`), each queued event is written to it when it is queued,
rewritten when it goes back on the queue (a retry, a throttle) and removed when it is done, so a
new service on the same store picks up what a dead process left (`Functions.resume_events`)."""

from __future__ import annotations

import base64
import heapq
import itertools
import json
import threading
import uuid
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from asl._clock import Clock, SystemClock, isoformat
from asl._errors import LambdaError
from asl._lambda.config import integer, invalid, member_range, validation

if TYPE_CHECKING:
    from asl._lambda.records import Record

#: The service (`service.Functions`, which imports this module: typed loosely to keep the
#: import graph a tree).
Functions = Any

DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600
#: The waits before the second and third attempts after a function error.
RETRY_DELAYS = (60.0, 120.0)
THROTTLE_FIRST, THROTTLE_MAX = 1.0, 300.0


@runtime_checkable
class EventStore(Protocol):
    """Where a service keeps its queued events (`asl.ExecutionStore` has these methods). Each
    method is one transaction; an event is JSON text, its due time a number on the service's
    clock."""

    def queue_put(self, key: str, event: str, due: float) -> None:
        """Keep a queued event (replacing the one of the same key: its retry or throttle)."""

    def queue_delete(self, key: str) -> None:
        """Forget an event that is done (delivered, or sent to its destination)."""

    def queue_list(self) -> list[tuple[str, str, float]]:
        """Every queued event: (key, event JSON text, due), in due order."""


def check_event_config(fns: Functions, record: Record, retries: Any, age: Any, on_success: Any,
                       on_failure: Any, dead_letter: Any) -> None:
    violations = [
        message for message in (
            None if retries is None else member_range(
                integer(retries, "maximum_retry_attempts"), "maximumRetryAttempts", 0, 2),
            None if age is None else member_range(
                integer(age, "maximum_event_age"), "maximumEventAgeInSeconds", 60, 21600),
        ) if message is not None
    ]  # fmt: skip
    if violations:
        raise validation(violations)
    if all(v is None for v in (retries, age, on_success, on_failure, dead_letter)):
        raise invalid("You must specify at least one of error handling or destination setting.")
    for target in (on_success, on_failure):
        if target is None or callable(target):
            continue
        if not isinstance(target, str):
            raise TypeError(f"a destination is a callable or a function name/ARN, not {target!r}")
        if not fns.has(target):
            raise invalid(f"The destination ARN {target} is invalid.")
        if fns._parse(target, None)[0] == record.name:
            raise invalid("You can't specify the function as a destination for itself.")
    if dead_letter is not None and not callable(dead_letter):
        raise TypeError(f"dead_letter must be a callable taking the DLQ message, not {dead_letter!r}")


@attrs.define
class Event:
    record: Record
    qualifier: str | None
    body: bytes
    request_id: str
    received: float
    attempts: int = 0
    throttle_wait: float = 0.0
    #: Its key in the service's store (None without one).
    key: str | None = None

    def dumps(self) -> str:
        """The event as the store keeps it (the body as text, or base64 when not UTF-8)."""
        fields: dict[str, Any] = {"function": self.record.arn, "qualifier": self.qualifier,
                                  "requestId": self.request_id, "received": self.received,
                                  "attempts": self.attempts, "throttleWait": self.throttle_wait}
        try:
            fields["body"] = self.body.decode("utf-8")
        except UnicodeDecodeError:
            fields["body64"] = base64.b64encode(self.body).decode()
        return json.dumps(fields, ensure_ascii=False)


def loads(fns: Functions, key: str, text: str) -> Event | None:
    """A stored event, or None when its function is not one of `fns`."""
    fields = json.loads(text)
    name = str(fields["function"]).rsplit(":", 1)[-1]
    record = fns._functions.get(name)
    if record is None or record.arn != fields["function"]:
        return None
    body = (fields["body"].encode() if "body" in fields
            else base64.b64decode(fields["body64"]))
    return Event(record, fields["qualifier"], body, fields["requestId"], float(fields["received"]),
                 int(fields["attempts"]), float(fields["throttleWait"]), key)


class Queue:
    """The service's event queue for one clock, worked in due order by one thread, which runs
    only while events are queued (a test suite's many runs leave no idle threads behind)."""

    def __init__(self, fns: Functions, clock: Clock) -> None:
        self.fns = fns
        self.clock = clock
        self.heap: list[tuple[float, int, Event]] = []
        self.order = itertools.count()
        self.cond = threading.Condition()
        self.busy = False
        self.stopped = False
        self.failures: list[BaseException] = []  # destinations that raised (kept, not lost)
        self.working = False

    def put(self, record: Record, qualifier: str | None, body: bytes, request_id: str) -> None:
        with self.fns._lock:
            record.async_events += 1
        event = Event(record, qualifier, body, request_id, self.clock.now())
        if self.fns.store is not None:
            event.key = uuid.uuid4().hex
            self.fns._event_keys.add(event.key)
        self._schedule(event, 0.0)

    def restore(self, event: Event, due: float) -> None:
        """Queue an event a store kept, at the due time it had."""
        self.fns._event_keys.add(event.key)
        self._schedule(event, due - self.clock.now(), persist=False)

    def _schedule(self, event: Event, delay: float, *, persist: bool = True) -> None:
        due = self.clock.now() + delay
        if persist and event.key is not None:
            # Written before it is queued: an accepted event (202) or a retry survives a crash.
            self.fns.store.queue_put(event.key, event.dumps(), due)
        with self.cond:
            heapq.heappush(self.heap, (due, next(self.order), event))
            self.cond.notify_all()
            if not self.working and not self.stopped:
                self.working = True
                threading.Thread(target=self._work, name="asl-lambda-async", daemon=True).start()

    def join(self, timeout: float | None) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: not self.heap and not self.busy, timeout)

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def _work(self) -> None:
        while True:
            with self.cond:
                if not self.heap or self.stopped:
                    self.working = False
                    self.cond.notify_all()
                    return
                due, _, event = self.heap[0]
                wait = due - self.clock.now()
                if wait > 0:
                    if isinstance(self.clock, SystemClock):
                        self.cond.wait(wait)  # a new, earlier event may come meanwhile
                        continue
                    self.clock.sleep(wait)  # a virtual clock: the wait takes no real time
                    continue  # stopped meanwhile, or an earlier event came
                heapq.heappop(self.heap)
                self.busy = True
            try:
                self._attempt(event)
            except BaseException as exc:  # noqa: BLE001 - a destination's own failure is kept
                self.failures.append(exc)
                self._forget(event)
            finally:
                with self.cond:
                    self.busy = False
                    self.cond.notify_all()

    def _attempt(self, event: Event) -> None:
        fns, record = self.fns, event.record
        settings = record.events
        max_age = settings.maximum_event_age or DEFAULT_MAX_AGE
        retries = (settings.maximum_retry_attempts if settings.maximum_retry_attempts is not None
                   else DEFAULT_RETRIES)
        if record.reserved == 0:
            self._failed(event, "ZeroReservedConcurrency", None)
            return
        if self.clock.now() - event.received > max_age:
            self._failed(event, "EventAgeExceeded", None)
            return
        try:
            version, configuration, invoked = fns._route(record, event.qualifier, fns.rng)
            answer = fns.run_invocation(record, version, configuration, invoked, event.body,
                                        event.request_id)
        except LambdaError as error:
            if error.code == "TooManyRequestsException":
                # Back on the queue, waiting longer each time (1 s doubling to 5 minutes).
                event.throttle_wait = min(THROTTLE_MAX, max(THROTTLE_FIRST, event.throttle_wait * 2))
                self._schedule(event, event.throttle_wait)
                return
            raise
        event.attempts += 1
        if not answer.error:
            try:
                self._send(record.events.on_success, self._record(event, "Success", answer))
            finally:
                self._forget(event)
            return
        if event.attempts <= retries:
            self._schedule(event, RETRY_DELAYS[min(event.attempts - 1, len(RETRY_DELAYS) - 1)])
            return
        self._failed(event, "RetriesExhausted", answer)

    def _forget(self, event: Event) -> None:
        if event.key is not None:
            self.fns.store.queue_delete(event.key)
            self.fns._event_keys.discard(event.key)
            event.key = None

    def _failed(self, event: Event, condition: str, answer: Any) -> None:
        try:
            self._fail(event, condition, answer)
        finally:
            self._forget(event)

    def _fail(self, event: Event, condition: str, answer: Any) -> None:
        settings = event.record.events
        self._send(settings.on_failure, self._record(event, condition, answer))
        if settings.dead_letter is not None:
            message = "" if answer is None else _parsed(answer.payload).get("errorMessage", "")
            settings.dead_letter({
                "body": event.body.decode("utf-8", "replace"),
                "attributes": {"RequestID": event.request_id, "ErrorCode": "200",
                               "ErrorMessage": str(message)},
            })

    def _record(self, event: Event, condition: str, answer: Any) -> dict[str, Any]:
        """Lambda's invocation record (FACTS §6, key order as recorded)."""
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": isoformat(self.clock.now()),
            "requestContext": {
                "requestId": event.request_id,
                "functionArn": f"{event.record.arn}:{event.qualifier or '$LATEST'}",
                "condition": condition,
                "approximateInvokeCount": event.attempts,
            },
            "requestPayload": _parsed_any(event.body),
        }
        if answer is not None:
            context: dict[str, Any] = {"statusCode": 200, "executedVersion": answer.version}
            if answer.error:
                context["functionError"] = "Unhandled"
            record["responseContext"] = context
            record["responsePayload"] = _parsed_any(answer.payload)
        return record

    def _send(self, target: Any, record: dict[str, Any]) -> None:
        if target is None:
            return
        if callable(target):
            target(record)
            return
        self.fns.call(target, None, json.dumps(record).encode(), invocation_type="Event",
                      clock=self.clock)


def _parsed_any(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _parsed(body: bytes) -> dict[str, Any]:
    value = _parsed_any(body)
    return value if isinstance(value, dict) else {}
