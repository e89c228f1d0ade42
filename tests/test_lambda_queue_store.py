"""The local Lambda service's asynchronous queue kept in an execution store: an event waiting for
its retry survives the death of its process, and a new service on the store delivers it at its
due time with its request id and the attempts already made."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import asl

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def _fails(clock: asl.VirtualClock, attempts: list[tuple[float, str]]) -> Any:
    def handler(event: Any, context: Any) -> Any:
        attempts.append((clock.now(), context.aws_request_id))
        raise Exception("Test exception (this is intentional)")
    return handler


def _wait_for(predicate: Any, seconds: float = 20.0) -> None:
    give_up = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < give_up, "timed out"
        time.sleep(0.02)


def _resume_and_finish(path: Path) -> tuple[list[str], list[tuple[float, str]], list[dict[str, Any]]]:
    """A new process's service: the same function, its failure destination, the queue resumed."""
    clock = asl.VirtualClock()
    attempts: list[tuple[float, str]] = []
    records: list[dict[str, Any]] = []
    with asl.SQLiteStore(path) as store, asl.Functions(clock=clock, store=store) as fns:
        fns.create("f", handler=_fails(clock, attempts))
        fns.put_event_invoke_config("f", on_failure=records.append)
        resumed = fns.resume_events()
        assert fns.wait(20)
        assert store.queue_list() == []  # sent to its destination: gone
        assert store.integrity() == "ok"
    start = asl.VirtualClock().now()  # where a new VirtualClock starts, as the child's did
    return resumed, [(at - start, rid) for at, rid in attempts], records


CHILD = textwrap.dedent("""
    import sys, threading
    import asl

    class Stuck(asl.VirtualClock):
        # The retry's minute never passes here: the process is killed while it waits.
        def sleep(self, seconds):
            threading.Event().wait()

    clock = Stuck()
    side = open(sys.argv[2], "a")

    def fails(event, context):
        side.write(context.aws_request_id + "\\n")
        side.flush()
        raise Exception("Test exception (this is intentional)")

    fns = asl.Functions(clock=clock, store=asl.SQLiteStore(sys.argv[1]))
    fns.create("f", handler=fails)
    fns.invoke("f", {"n": 1}, invocation_type="Event")
    threading.Event().wait()
""")


def test_an_event_waiting_for_its_retry_survives_sigkill(tmp_path: Path) -> None:
    path, side = tmp_path / "q.db", tmp_path / "attempts.txt"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(script), str(path), str(side)])
    try:
        def retry_stored() -> bool:
            if not path.exists():
                return False
            with asl.SQLiteStore(path) as store:
                return any(json.loads(event)["attempts"] == 1 for _, event, _ in store.queue_list())
        _wait_for(retry_stored)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    [first] = side.read_text().split()
    with asl.SQLiteStore(path) as store:
        [(_, text, due)] = store.queue_list()
    start = asl.VirtualClock().now()
    assert due == start + 60  # the first retry's minute, on the service's clock
    assert json.loads(text)["body"] == '{"n": 1}'

    resumed, attempts, records = _resume_and_finish(path)
    assert resumed == [first]
    # The retries after the restart are the second and third attempts: 1 and 3 minutes in.
    assert attempts == [(60.0, first), (180.0, first)]
    [record] = records
    assert record["requestContext"] == {"requestId": first, "functionArn": f"{ARN}:$LATEST",
                                        "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"]["functionError"] == "Unhandled"


def test_a_closed_service_leaves_its_retry_to_the_next(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    clock = asl.VirtualClock()
    entered, release = threading.Event(), threading.Event()
    first: list[str] = []

    def fails_late(event: Any, context: Any) -> Any:
        first.append(context.aws_request_id)
        entered.set()
        release.wait(20)
        raise Exception("Test exception (this is intentional)")

    with asl.SQLiteStore(path) as store:
        fns = asl.Functions(clock=clock, store=store)
        fns.create("f", handler=fails_late)
        fns.put_event_invoke_config("f", maximum_retry_attempts=1, on_failure=lambda r: None)
        fns.invoke("f", {"n": 2}, invocation_type="Event")
        assert entered.wait(20)
        fns.close()  # the queue stops; the attempt in flight ends and its retry is kept
        release.set()
        _wait_for(lambda: [json.loads(e)["attempts"] for _, e, _ in store.queue_list()] == [1])

    clock2 = asl.VirtualClock()
    attempts: list[tuple[float, str]] = []
    records: list[dict[str, Any]] = []
    with asl.SQLiteStore(path) as store, asl.Functions(clock=clock2, store=store) as fns:
        fns.create("f", handler=_fails(clock2, attempts))
        fns.put_event_invoke_config("f", maximum_retry_attempts=1, on_failure=records.append)
        assert fns.resume_events() == first
        assert fns.resume_events() == []  # already queued here
        assert fns.wait(20)
        assert store.queue_list() == [] and store.integrity() == "ok"
    assert attempts == [(clock.now() + 60, first[0])]  # both clocks started at one instant  # the one retry left, a minute in
    assert records[0]["requestContext"]["approximateInvokeCount"] == 2


def test_a_delivered_event_is_gone_from_the_store(tmp_path: Path) -> None:
    seen: list[Any] = []
    with asl.SQLiteStore(tmp_path / "q.db") as store:
        with asl.Functions(clock=asl.VirtualClock(), store=store) as fns:
            fns.create("f", handler=lambda event, context: seen.append(event))
            fns.create("g", handler=lambda event, context: {"ok": event})
            fns.create("sink", handler=lambda event, context: seen.append(event["responsePayload"]))
            fns.put_event_invoke_config("g", on_success="sink")
            fns.invoke("f", {"n": 1}, invocation_type="Event")
            fns.invoke("g", "\"é\"", invocation_type="Event")
            assert fns.wait(20)
            assert store.queue_list() == []
        assert store.integrity() == "ok"
    assert seen == [{"n": 1}, {"ok": "é"}]


def test_events_of_functions_a_service_lacks_stay_stored(tmp_path: Path) -> None:
    with asl.SQLiteStore(tmp_path / "q.db") as store:
        store.queue_put("k", json.dumps({
            "function": "arn:aws:lambda:us-east-1:123456789012:function:other", "qualifier": None,
            "requestId": "r", "received": 0.0, "attempts": 1, "throttleWait": 0.0,
            "body64": "/w=="}), 60.0)
        with asl.Functions(clock=asl.VirtualClock(), store=store) as fns:
            fns.create("f", handler=lambda event, context: None)
            assert fns.resume_events() == []
        assert [key for key, _, _ in store.queue_list()] == ["k"]


def test_store_argument_is_checked() -> None:
    with pytest.raises(TypeError, match=r"asl.SQLiteStore\(path\)"):
        asl.Functions(store="q.db")
    with pytest.raises(TypeError, match="resume_events"):
        asl.Functions().resume_events()
