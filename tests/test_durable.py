"""Durable executions: checkpoints in an execution store, resume after a crash, redrive."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import asl
from asl._cli import main
from asl._runtime.store import ExecutionStore, SQLiteStore

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
RETRY_INTERRUPTED = [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 1, "IntervalSeconds": 1}]


class Crash(BaseException):
    """Stands for the process dying where no boundary of asl's catches it (the handler
    boundary catches even BaseException: see `_die_after_this_call`)."""


_ARMED = [False]


def _die_after_this_call() -> None:
    """The process dies as the calling handler returns, before its outcome is journaled: the
    attempt is in flight as far as the store knows."""
    _ARMED[0] = True


class CrashingStore(SQLiteStore):
    """A store whose process dies when an armed handler's outcome is about to be journaled."""

    def journal_put(self, arn: str, key: str, outcome: str) -> None:
        if _ARMED[0] and '"kind":"ok"' in outcome:
            _ARMED[0] = False
            raise Crash()
        super().journal_put(arn, key, outcome)


class ScaledClock:
    """Real time, a hundred times faster, the same in every process (a shared origin): Waits
    take real time, short enough for a hundred runs, and keep their deadlines across processes."""

    ORIGIN = 1_750_000_000.0
    RATE = 100.0

    def now(self) -> float:
        return self.ORIGIN + (time.time() - self.ORIGIN) * self.RATE

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.RATE)


def _store(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = CrashingStore(tmp_path / "executions.db")
    yield store
    store.close()
    _ARMED[0] = False


store = pytest.fixture(_store)


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


CHAIN = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Task", "Resource": FN + "a", "ResultPath": "$.a", "Next": "W",
              "Retry": RETRY_INTERRUPTED},
        "W": {"Type": "Wait", "Seconds": 100, "Next": "B"},
        "B": {"Type": "Task", "Resource": FN + "b", "ResultPath": "$.b", "Next": "P",
              "Retry": RETRY_INTERRUPTED},
        "P": {"Type": "Pass", "Parameters": {"redrives.$": "$$.Execution.RedriveCount",
                                             "a.$": "$.a", "b.$": "$.b"}, "End": True},
    },
}


def _counting(calls: list[str], crash_on: str | None = None) -> dict[str, Callable[..., Any]]:
    def make(name: str) -> Callable[..., Any]:
        def handler(event: Any, context: Any) -> Any:
            calls.append(name)
            if name == crash_on:
                _die_after_this_call()
            return name.upper()
        return handler
    return {"a": make("a"), "b": make("b")}


# -- checkpoints ---------------------------------------------------------------------------------

def test_every_event_of_a_run_is_in_the_store(store: SQLiteStore) -> None:
    machine = asl.load(CHAIN)
    execution = machine.run({"x": 1}, handlers=_counting([]), clock=asl.VirtualClock(), store=store)
    assert execution.status == "SUCCEEDED"
    record = store.get(execution.execution_arn)
    assert record is not None and record.status == "SUCCEEDED"
    assert json.loads(record.output or "") == execution.output
    code, out, _ = _cli("executions", "history", execution.execution_arn, "--store", str(store.path))
    assert code == 0
    stored = json.loads(out)["events"]
    shown = json.loads(json.dumps(execution.history, default=lambda d: d.isoformat()))
    assert stored == shown


def test_a_store_path_is_a_sqlite_file_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    asl.load(CHAIN).run({}, handlers=_counting([]), clock=asl.VirtualClock(), store=str(path))
    import sqlite3

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert isinstance(SQLiteStore(path), ExecutionStore)


def test_store_must_be_a_path_or_a_store() -> None:
    with pytest.raises(TypeError, match="store must be a path or an ExecutionStore"):
        asl.load(CHAIN).run({}, store=42)


def test_a_name_is_unique_in_the_store(store: SQLiteStore) -> None:
    machine = asl.load({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine.run({}, name="once", store=store)
    with pytest.raises(asl.Error, match="ExecutionAlreadyExists"):
        machine.run({}, name="once", store=store)


# -- resume --------------------------------------------------------------------------------------

def test_resume_never_reruns_completed_tasks_and_retries_the_one_in_flight(store: SQLiteStore) -> None:
    machine = asl.load(CHAIN)
    calls: list[str] = []
    with pytest.raises(Crash):
        machine.run({"x": 1}, name="crashy", handlers=_counting(calls, crash_on="b"),
                    clock=asl.VirtualClock(), store=store)
    assert calls == ["a", "b"]
    record = store.get(machine.arn.replace(":stateMachine:", ":execution:") + ":crashy")
    assert record is not None and record.status == "RUNNING"
    resumed = machine.resume("crashy", handlers=_counting(calls), clock=asl.VirtualClock(), store=store)
    assert resumed.status == "SUCCEEDED"
    assert resumed.output == {"redrives": 0, "a": "A", "b": "B"}
    assert calls == ["a", "b", "b"]  # a never again; b, in flight, once more under its Retry
    failed = [e for e in resumed.history if e["type"] == "LambdaFunctionFailed"]
    assert [e["lambdaFunctionFailedEventDetails"]["error"] for e in failed] == ["States.TaskFailed"]
    assert "resumed from its store" in failed[0]["lambdaFunctionFailedEventDetails"]["cause"]
    ids = [e["id"] for e in resumed.history]
    assert ids == list(range(1, len(ids) + 1))


def test_an_interrupted_task_without_retry_fails_as_its_policy_says(store: SQLiteStore) -> None:
    definition = json.loads(json.dumps(CHAIN))
    del definition["States"]["B"]["Retry"]
    machine = asl.load(definition)
    calls: list[str] = []
    with pytest.raises(Crash):
        machine.run({}, name="n", handlers=_counting(calls, crash_on="b"),
                    clock=asl.VirtualClock(), store=store)
    resumed = machine.resume("n", handlers=_counting(calls), clock=asl.VirtualClock(), store=store)
    assert (resumed.status, resumed.error) == ("FAILED", "States.TaskFailed")
    assert calls == ["a", "b"]


def test_a_wait_keeps_its_deadline_across_a_restart(store: SQLiteStore) -> None:
    class Dies(asl.VirtualClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(30)  # thirty of the Wait's hundred seconds, then the process dies
            raise Crash()

    machine = asl.load(CHAIN)
    clock = Dies()
    with pytest.raises(Crash):
        machine.run({}, name="w", handlers=_counting([]), clock=clock, store=store)
    later = asl.VirtualClock(clock.now() + 30)  # restarted a minute after the Wait began
    resumed = machine.resume("w", handlers=_counting([]), clock=later, store=store)
    assert resumed.status == "SUCCEEDED"
    entered = next(e for e in resumed.history if e["type"] == "WaitStateEntered")["timestamp"]
    exited = next(e for e in resumed.history if e["type"] == "WaitStateExited")["timestamp"]
    assert (exited - entered).total_seconds() == pytest.approx(100, abs=0.01)


def test_resume_refuses_a_finished_execution(store: SQLiteStore) -> None:
    machine = asl.load(CHAIN)
    done = machine.run({}, handlers=_counting([]), clock=asl.VirtualClock(), store=store)
    with pytest.raises(asl.Error, match="ExecutionNotResumable: Execution is SUCCEEDED"):
        machine.resume(done.execution_arn, store=store)
    with pytest.raises(asl.Error, match="ExecutionDoesNotExist"):
        machine.resume("nobody", store=store)
    with pytest.raises(TypeError, match="needs store="):
        machine.resume(done.execution_arn)


MAP_MACHINE = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Task", "Resource": FN + "h", "Parameters": {"step": "A"},
              "ResultPath": "$.a", "Next": "M", "Retry": RETRY_INTERRUPTED},
        "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "ResultPath": "$.m",
              "ItemProcessor": {"StartAt": "B", "States": {
                  "B": {"Type": "Task", "Resource": FN + "h", "Retry": RETRY_INTERRUPTED,
                        "Parameters": {"step": "B", "item.$": "$"}, "End": True}}},
              "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 2, "Next": "C"},
        "C": {"Type": "Task", "Resource": FN + "h", "Parameters": {"step": "C", "m.$": "$.m"},
              "End": True, "Retry": RETRY_INTERRUPTED},
    },
}


def _side_file_handler(side: Path) -> Callable[..., Any]:
    def h(event: Any, context: Any) -> Any:
        key = json.dumps(event, sort_keys=True)
        with open(side, "a") as file:
            file.write("start " + key + "\n")
        time.sleep(0.002)
        with open(side, "a") as file:
            file.write("end " + key + "\n")
        return {"done": event["step"], "item": event.get("item"), "m": event.get("m")}
    return h


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fault test forks the runs it kills")
def test_fault_runs_killed_at_random_points_all_resume_to_the_uninterrupted_output(tmp_path: Path) -> None:
    machine = asl.load(MAP_MACHINE)
    clock = ScaledClock()
    items = {"items": [1, 2, 3, 4]}
    side = tmp_path / "calls.log"
    expected = machine.run(items, handlers={"h": _side_file_handler(side)}, clock=clock)
    assert expected.status == "SUCCEEDED"
    start = time.monotonic()  # how long a checkpointed run takes: the kills land within it
    machine.run(items, handlers={"h": _side_file_handler(side)}, clock=clock,
                store=str(tmp_path / "timing.db"))
    duration = time.monotonic() - start
    rng = random.Random(16)
    db = tmp_path / "fault.db"
    outcomes = {"resumed": 0, "restarted": 0, "finished": 0, "retried": 0}
    for number in range(100):
        side.write_text("")
        name = f"fault-{number}"
        pid = os.fork()
        if pid == 0:  # the run that gets killed
            try:
                machine.run(items, name=name, handlers={"h": _side_file_handler(side)},
                            clock=clock, store=str(db))
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0, duration))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        killed_lines = side.read_text().splitlines()
        with SQLiteStore(db) as shared:
            record = shared.get(machine.arn.replace(":stateMachine:", ":execution:") + ":" + name)
            if record is None or record.status == "RUNNING":
                outcomes["restarted" if record is None else "resumed"] += 1
                if record is None:  # killed before its first checkpoint: started afresh
                    final = machine.run(items, name=name, handlers={"h": _side_file_handler(side)},
                                        clock=clock, store=shared)
                else:
                    final = machine.resume(name, handlers={"h": _side_file_handler(side)},
                                           clock=clock, store=shared)
                assert final.status == "SUCCEEDED", (number, final.error, final.cause)
                output = final.output
            else:
                outcomes["finished"] += 1
                assert record.status == "SUCCEEDED"
                output = json.loads(record.output or "null")
        assert output == expected.output, number
        starts = [line[6:] for line in side.read_text().splitlines() if line.startswith("start ")]
        twice = {key for key in starts if starts.count(key) > 1}
        assert all(starts.count(key) <= 2 for key in starts), number
        # Only the call in flight at the kill (the last one the killed run started) runs again.
        killed_starts = [line[6:] for line in killed_lines if line.startswith("start ")]
        assert twice <= set(killed_starts[-1:]), (number, twice)
        outcomes["retried"] += bool(twice)
    # The kills land all over the run: most runs were resumed, some with a task in flight.
    assert outcomes["resumed"] >= 25 and outcomes["retried"] >= 5, outcomes


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the processes are forked")
def test_processes_sharing_one_store_lose_nothing_and_corrupt_nothing(tmp_path: Path) -> None:
    machine = asl.load(MAP_MACHINE)
    items = {"items": [1, 2, 3]}
    side = tmp_path / "calls.log"
    alone = machine.run(items, handlers={"h": _side_file_handler(side)}, clock=asl.VirtualClock())
    db = tmp_path / "shared.db"
    children = []
    for worker in range(4):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for number in range(5):
                    done = machine.run(items, name=f"w{worker}-{number}", store=str(db),
                                       handlers={"h": _side_file_handler(side)},
                                       clock=asl.VirtualClock())
                    assert done.status == "SUCCEEDED", (done.error, done.cause)
                code = 0
            except BaseException:  # noqa: BLE001 - a forked child reports, then exits
                import traceback

                traceback.print_exc()  # pytest shows the child's stderr with the failure
            finally:
                os._exit(code)
        children.append(pid)
    assert all(os.waitpid(pid, 0)[1] == 0 for pid in children)
    with SQLiteStore(db) as shared:
        assert shared.integrity() == "ok"
        records = shared.list_executions()
        assert len(records) == 20 and {r.status for r in records} == {"SUCCEEDED"}
        for record in records:
            events = shared.events(record.arn)
            assert [e[0] for e in events] == list(range(1, len(alone.history) + 1))
            assert [e[3] for e in events] == alone.history_types
            assert json.loads(record.output or "") == alone.output


# -- redrive -------------------------------------------------------------------------------------

class Flaky:
    """Handlers that fail for the inputs in `failing` until `heal()`; every call is counted."""

    def __init__(self, *failing: Any) -> None:
        self.failing = list(failing)
        self.calls: list[Any] = []
        self.succeeded: list[Any] = []

    def heal(self) -> None:
        self.failing = []

    def __call__(self, event: Any, context: Any) -> Any:
        self.calls.append(event)
        if event in self.failing:
            raise RuntimeError(f"no {event}")
        self.succeeded.append(event)
        return {"got": event}


def _redrive(definition: dict[str, Any], input: Any, flaky: Flaky, store: SQLiteStore,
             **options: Any) -> tuple[asl.Execution, asl.Execution, list[Any]]:
    machine = asl.load(definition)
    failed = machine.run(input, handlers={"f": flaky}, clock=asl.VirtualClock(), store=store,
                         **options)
    assert failed.status == "FAILED"
    first = list(flaky.calls)
    flaky.heal()
    flaky.calls.clear()
    kept = list(flaky.succeeded)
    redriven = machine.redrive(failed.execution_arn, handlers={"f": flaky},
                               clock=asl.VirtualClock(), store=store, **options)
    assert first  # something ran the first time
    assert not set(map(json.dumps, flaky.calls)) & set(map(json.dumps, kept))  # none runs twice
    return failed, redriven, flaky.calls


def _redrives(tail: dict[str, Any]) -> dict[str, Any]:
    """A definition whose last state shows `$$.Execution.RedriveCount`."""
    return {"StartAt": "First", "States": {
        "First": {"Type": "Task", "Resource": FN + "f", "Parameters": {"first": True},
                  "ResultPath": "$.first", "Next": "Work"},
        "Work": {**tail, "ResultPath": "$.work", "Next": "Show"},
        "Show": {"Type": "Pass", "Parameters": {"redrives.$": "$$.Execution.RedriveCount",
                                                "work.$": "$.work"}, "End": True}}}


def test_redrive_a_failed_task_from_the_state_that_failed(store: SQLiteStore) -> None:
    flaky = Flaky("again")
    failed, redriven, calls = _redrive(
        _redrives({"Type": "Task", "Resource": FN + "f", "Parameters": "again"}), {}, flaky, store)
    assert calls == ["again"]  # First succeeded and is kept
    assert redriven.status == "SUCCEEDED"
    assert redriven.output == {"redrives": 1, "work": {"got": "again"}}
    types = redriven.history_types
    assert types[:len(failed.history_types)] == failed.history_types
    assert types[len(failed.history_types)] == "ExecutionRedriven"
    event = redriven.history[len(failed.history_types)]
    assert event["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert event["previousEventId"] == event["id"] - 1  # the ExecutionFailed before it
    assert redriven.history[len(failed.history_types) + 1]["previousEventId"] == event["id"]
    record = store.get(failed.execution_arn)
    assert record is not None and record.redrive_count == 1 and record.redrive_date is not None


def test_redrive_an_inline_map_keeps_its_finished_iterations(store: SQLiteStore) -> None:
    flaky = Flaky(2)
    tail = {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "ItemProcessor": {
        "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": FN + "f", "End": True}}}}
    _failed, redriven, calls = _redrive(_redrives(tail), {"items": [1, 2, 3]}, flaky, store)
    assert calls == [2, 3]  # the failed one again, and the one it kept from starting
    assert redriven.output == {"redrives": 1, "work": [{"got": 1}, {"got": 2}, {"got": 3}]}


def test_redrive_a_distributed_map_keeps_its_finished_children(store: SQLiteStore) -> None:
    flaky = Flaky(2)
    tail = {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN + "f", "End": True}}}}
    _failed, redriven, calls = _redrive(_redrives(tail), {"items": [1, 2, 3]}, flaky, store)
    assert calls == [2, 3]  # the failed one again, and the one it kept from starting
    assert redriven.output == {"redrives": 1, "work": [{"got": 1}, {"got": 2}, {"got": 3}]}


def test_redrive_a_parallel_keeps_its_finished_branches(store: SQLiteStore) -> None:
    flaky = Flaky("right")
    branch = lambda name: {"StartAt": name, "States": {  # noqa: E731
        name: {"Type": "Task", "Resource": FN + "f", "Parameters": name, "End": True}}}
    tail = {"Type": "Parallel", "Branches": [branch("left"), branch("right")]}
    _failed, redriven, calls = _redrive(_redrives(tail), {}, flaky, store)
    assert calls == ["right"]
    assert redriven.output == {"redrives": 1, "work": [{"got": "left"}, {"got": "right"}]}


def _describe(store: SQLiteStore, arn: str) -> dict[str, Any]:
    code, out, err = _cli("executions", "describe", arn, "--store", str(store.path))
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_redrive_is_refused_with_aws_reasons(store: SQLiteStore) -> None:
    machine = asl.load(_redrives({"Type": "Task", "Resource": FN + "f", "Parameters": "x"}))
    flaky = Flaky("x")
    start = asl.VirtualClock(time.time())  # describe judges the window on the real clock
    failed = machine.run({}, handlers={"f": flaky}, clock=start, store=store)
    described = _describe(store, failed.execution_arn)
    assert described["redriveStatus"] == "REDRIVABLE" and "redriveStatusReason" not in described
    assert (described["status"], described["redriveCount"]) == ("FAILED", 0)
    late = asl.VirtualClock(start.now() + 15 * 24 * 3600)
    with pytest.raises(asl.ExecutionStoreError,
                       match="ExecutionNotRedrivable: Execution redrivable period exceeded."):
        machine.redrive(failed.execution_arn, handlers={"f": flaky}, clock=late, store=store)
    flaky.heal()
    in_time = asl.VirtualClock(start.now() + 13 * 24 * 3600)
    done = machine.redrive(failed.execution_arn, handlers={"f": flaky}, clock=in_time, store=store)
    assert done.status == "SUCCEEDED"
    described = _describe(store, failed.execution_arn)
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven."
    with pytest.raises(asl.ExecutionStoreError, match="Execution is SUCCEEDED and cannot be redriven."):
        machine.redrive(failed.execution_arn, handlers={"f": flaky}, store=store)
    with pytest.raises(Crash):
        machine.run({}, name="crashed", handlers={"f": _crash}, clock=asl.VirtualClock(), store=store)
    with pytest.raises(asl.ExecutionStoreError, match="Execution is RUNNING and cannot be redriven."):
        machine.redrive("crashed", handlers={"f": flaky}, store=store)


def test_redrive_count_is_bounded(store: SQLiteStore) -> None:
    machine = asl.load(_redrives({"Type": "Task", "Resource": FN + "f", "Parameters": "x"}))
    failed = machine.run({}, handlers={"f": Flaky("x")}, clock=asl.VirtualClock(), store=store)
    store.checkpoint(failed.execution_arn, [], redrive_count=1000)
    with pytest.raises(asl.ExecutionStoreError, match="ExecutionNotRedrivable"):
        machine.redrive(failed.execution_arn, handlers={"f": Flaky()}, clock=asl.VirtualClock(),
                        store=store)


def _crash(event: Any, context: Any) -> Any:
    _die_after_this_call()
    return None


# -- the command line ----------------------------------------------------------------------------

def test_cli_run_list_describe_history_resume_and_redrive(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "machine.asl.json").write_text(json.dumps(
        _redrives({"Type": "Task", "Resource": FN + "f", "Parameters": "x"})))
    (tmp_path / "flaky16.py").write_text(
        "import os\n"
        "def f(event, context):\n"
        "    if os.path.exists('broken'):\n"
        "        raise RuntimeError('broken')\n"
        "    return {'got': event}\n")
    (tmp_path / "broken").write_text("")
    db = str(tmp_path / "runs.db")
    code, _, err = _cli("run", "machine.asl.json", "--store", db, "--name", "one",
                        "--handlers", "flaky16", "--virtual-clock")
    assert code == 1 and "RuntimeError" in err
    code, out, _ = _cli("executions", "list", "--store", db)
    listed = json.loads(out)["executions"]
    assert [(e["name"], e["status"], e["redriveCount"]) for e in listed] == [("one", "FAILED", 0)]
    code, out, _ = _cli("executions", "list", "--store", db, "--format", "table")
    assert out.splitlines()[0].split() == ["name", "status", "startDate", "stopDate", "redriveCount"]
    assert out.splitlines()[1].split()[:2] == ["one", "FAILED"]
    code, out, _ = _cli("executions", "history", "one", "--store", db, "--format", "table")
    assert code == 0 and "ExecutionFailed" in out.splitlines()[-1]
    code, _, err = _cli("resume", "one", "--store", db, "--handlers", "flaky16")
    assert code == 2 and "ExecutionNotResumable" in err
    (tmp_path / "broken").unlink()
    code, out, err = _cli("redrive", "one", "--store", db, "--handlers", "flaky16", "--virtual-clock")
    assert code == 0, err
    assert json.loads(out) == {"redrives": 1, "work": {"got": "x"}}
    code, out, _ = _cli("executions", "describe", "one", "--store", db)
    described = json.loads(out)
    assert described["status"] == "SUCCEEDED" and described["redriveCount"] == 1
    code, _, err = _cli("executions", "describe", "two", "--store", db)
    assert code == 2 and "ExecutionDoesNotExist" in err
    code, _, err = _cli("executions", "list", "--store", str(tmp_path / "none.db"))
    assert code == 2 and "no store" in err


def test_cli_resume_after_the_process_was_killed(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "machine.asl.json").write_text(json.dumps(CHAIN))
    (tmp_path / "slow16.py").write_text(
        "import time\n"
        "def a(event, context):\n"
        "    return 'A'\n"
        "def b(event, context):\n"
        "    open('b-calls', 'a').write('b\\n')\n"
        "    time.sleep(60)\n"
        "    return 'B'\n")
    db = str(tmp_path / "runs.db")
    # The children run in tmp_path: the package they import is this one, wherever it is.
    env = {**os.environ, "PYTHONPATH": str(Path(asl.__file__).resolve().parents[1])}
    run = subprocess.Popen([sys.executable, "-m", "asl._cli", "run", "machine.asl.json", "--store", db,
                            "--name", "k", "--handlers", "slow16", "--virtual-clock"], cwd=tmp_path, env=env)
    deadline = time.monotonic() + 30
    while not (tmp_path / "b-calls").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run.poll() is None  # still in b
    run.kill()
    run.wait()
    (tmp_path / "slow16.py").write_text(
        "def a(event, context):\n"
        "    raise AssertionError('a ran again')\n"
        "def b(event, context):\n"
        "    return 'B'\n")
    done = subprocess.run([sys.executable, "-m", "asl._cli", "resume", "k", "--store", db,
                           "--handlers", "slow16", "--virtual-clock"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"redrives": 0, "a": "A", "b": "B"}


# -- other processes: callbacks and stop ---------------------------------------------------------

def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(asl.__file__).resolve().parents[1])}


def _wait_for(path: Path, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.02)
    raise AssertionError(f"{path} never written")


def test_a_callback_is_answered_from_another_process(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "machine.asl.json").write_text(json.dumps({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}},
        "End": True}}}))
    (tmp_path / "ask16.py").write_text(
        "def ask(event, context):\n"
        "    open('token', 'w').write(event['token'])\n"
        "    return {}\n")
    db = str(tmp_path / "runs.db")
    run = subprocess.Popen([sys.executable, "-m", "asl._cli", "run", "machine.asl.json", "--store", db,
                            "--name", "cb", "--handlers", "ask16"], cwd=tmp_path, env=_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    token = _wait_for(tmp_path / "token")
    code, _, err = _cli("send-task-heartbeat", token, "--store", db)
    deadline = time.monotonic() + 30
    while code != 0 and time.monotonic() < deadline:  # the token reaches the store within a poll
        time.sleep(0.05)
        code, _, err = _cli("send-task-heartbeat", token, "--store", db)
    assert code == 0, err
    assert _cli("send-task-success", token, '{"answer": 42}', "--store", db)[0] == 0
    out, err = run.communicate(timeout=30)
    assert run.returncode == 0, err
    assert json.loads(out) == {"answer": 42}
    code, _, err = _cli("send-task-success", token, "{}", "--store", db)
    assert code == 1 and "TaskDoesNotExist" in err
    assert _cli("send-task-failure", "no-such-token", "--store", db)[0] == 1
    code, _, err = _cli("send-task-success", token, "{not json", "--store", db)
    assert code == 2 and "not JSON" in err


def test_stop_from_another_process_aborts_as_aws_records_it(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "machine.asl.json").write_text(json.dumps({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 120, "End": True}}}))
    db = str(tmp_path / "runs.db")
    run = subprocess.Popen([sys.executable, "-m", "asl._cli", "run", "machine.asl.json", "--store", db,
                            "--name", "long"], cwd=tmp_path, env=_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Path(db).exists():
            with SQLiteStore(db) as shared:
                # Checkpointed before the Wait, the run's process watching for requests.
                if any(json.loads(r.position or "{}").get("next") == "W"
                       for r in shared.list_executions()):
                    break
        time.sleep(0.05)
    code, out, err = _cli("stop", "long", "--store", db, "--error", "Halt", "--cause", "enough")
    assert code == 0, err and "stopDate" in json.loads(out)
    _out, err = run.communicate(timeout=30)
    assert run.returncode == 1 and "ABORTED: Halt: enough" in err
    code, out, _ = _cli("executions", "describe", "long", "--store", db)
    described = json.loads(out)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Halt", "enough")
    assert described["redriveStatus"] == "REDRIVABLE"
    code, out, _ = _cli("executions", "history", "long", "--store", db)
    last = json.loads(out)["events"][-1]
    assert last["type"] == "ExecutionAborted"
    assert last["executionAbortedEventDetails"] == {"error": "Halt", "cause": "enough"}
    # Redriven, it runs again: the old stop request is spent.
    code, out, err = _cli("redrive", "long", "--store", db, "--virtual-clock")
    assert code == 0, err
    with SQLiteStore(db) as shared:
        record = shared.list_executions()[0]
        assert (record.status, record.redrive_count, record.stop_request) == ("SUCCEEDED", 1, None)


def test_stop_an_execution_whose_process_died(store: SQLiteStore) -> None:
    machine = asl.load(CHAIN)
    with pytest.raises(Crash):
        machine.run({}, name="gone", handlers=_counting([], crash_on="a"), clock=asl.VirtualClock(),
                    store=store)
    code, _, err = _cli("stop", "gone", "--store", str(store.path))
    assert code == 0, err
    record = store.get(machine.arn.replace(":stateMachine:", ":execution:") + ":gone")
    assert record is not None and record.status == "ABORTED"
    events = store.events(record.arn)
    assert (events[-1][1], events[-1][3], events[-1][4]) == (0, "ExecutionAborted", None)
    assert [e[0] for e in events] == list(range(1, len(events) + 1))


def test_a_lambda_invoke_result_replays_as_the_response_it_was(store: SQLiteStore) -> None:
    call = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload": {"n": 1}},
        "ResultSelector": {"got.$": "$.Payload", "status.$": "$.StatusCode"}, "End": True}}}
    then = {"StartAt": "Then", "States": {"Then": {"Type": "Task", "Resource": FN + "g",
                                                   "End": True}}}
    machine = asl.load({"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [call, then], "End": True}}})
    calls: list[str] = []

    def f(event: Any, context: Any) -> Any:
        calls.append("f")
        return {"twice": event["n"] * 2}

    def g(event: Any, context: Any) -> Any:
        calls.append("g")
        if calls.count("g") == 1:
            raise RuntimeError("not yet")
        return "ok"

    failed = machine.run({}, handlers={"f": f, "g": g}, clock=asl.VirtualClock(), store=store)
    assert failed.status == "FAILED"
    done = machine.redrive(failed.execution_arn, handlers={"f": f, "g": g},
                           clock=asl.VirtualClock(), store=store)
    assert sorted(calls) == ["f", "g", "g"]  # f's response came from the journal
    assert done.output == [{"got": {"twice": 2}, "status": 200}, "ok"]


def test_redrive_a_timed_out_execution_with_its_timeout_counting_again(store: SQLiteStore) -> None:
    clock = asl.VirtualClock()
    machine = asl.load({"StartAt": "Slow", "TimeoutSeconds": 5, "States": {
        "Slow": {"Type": "Task", "Resource": FN + "slow", "Next": "Show"},
        "Show": {"Type": "Pass", "Parameters": {"redrives.$": "$$.Execution.RedriveCount",
                                                "got.$": "$"}, "End": True}}})
    calls: list[int] = []

    def slow(event: Any, context: Any) -> Any:
        calls.append(1)
        clock.sleep(10)  # past the machine's TimeoutSeconds: the execution times out after it
        return "late"

    timed_out = machine.run({}, handlers={"slow": slow}, clock=clock, store=store)
    assert timed_out.status == "TIMED_OUT"
    done = machine.redrive(timed_out.execution_arn, handlers={"slow": slow}, clock=clock, store=store)
    assert done.status == "SUCCEEDED"
    # Counted from the start, the timeout would have passed: it counts from the redrive.
    assert done.output == {"redrives": 1, "got": "late"}
    assert calls == [1]  # the Task had succeeded: kept


@pytest.mark.parametrize("every", [False, True])
def test_resume_in_either_commit_mode(tmp_path: Path, every: bool) -> None:
    machine = asl.load(CHAIN)
    calls: list[str] = []
    with CrashingStore(tmp_path / "m.db", every_transition=every) as shared:
        with pytest.raises(Crash):
            machine.run({}, name="m", handlers=_counting(calls, crash_on="b"),
                        clock=asl.VirtualClock(), store=shared)
        resumed = machine.resume("m", handlers=_counting(calls), clock=asl.VirtualClock(),
                                 store=shared)
    assert resumed.output == {"redrives": 0, "a": "A", "b": "B"} and calls == ["a", "b", "b"]


def test_sqlite_store_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="synchronous must be"):
        SQLiteStore(tmp_path / "x.db", synchronous="SOMETIMES")


def test_on_event_after_a_resume_hears_only_new_events(store: SQLiteStore) -> None:
    machine = asl.load(CHAIN)
    with pytest.raises(Crash):
        machine.run({}, name="e", handlers=_counting([], crash_on="b"), clock=asl.VirtualClock(),
                    store=store)
    before = len(store.events(store.list_executions()[0].arn))
    heard: list[dict[str, Any]] = []
    resumed = machine.resume("e", handlers=_counting([]), clock=asl.VirtualClock(), store=store,
                             on_event=heard.append)
    assert [e["id"] for e in heard] == [e["id"] for e in resumed.history][before:]


def test_replay_finds_completed_tasks_whose_payload_differs_this_time(store: SQLiteStore) -> None:
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": FN + "t", "End": True, "Retry": RETRY_INTERRUPTED,
            "Parameters": {"item.$": "$", "id.$": "States.UUID()",
                           "at.$": "$$.State.EnteredTime"}}}}}}})
    calls: list[int] = []

    def t(event: Any, context: Any) -> Any:
        calls.append(event["item"])
        if event["item"] == 3 and calls.count(3) == 1:
            _die_after_this_call()
        return event["item"] * 10

    with pytest.raises(Crash):
        machine.run({"items": [1, 2, 3, 4]}, name="u", handlers={"t": t}, store=store,
                    clock=asl.VirtualClock())
    resumed = machine.resume("u", handlers={"t": t}, store=store, clock=asl.VirtualClock(3600))
    assert resumed.output == [10, 20, 30, 40]
    assert calls == [1, 2, 3, 3, 4]


def test_redrive_status_reasons_for_the_history_and_the_year(store: SQLiteStore) -> None:
    from asl._runtime import durable

    machine = asl.load(_redrives({"Type": "Task", "Resource": FN + "f", "Parameters": "x"}))
    start = asl.VirtualClock()
    failed = machine.run({}, handlers={"f": Flaky("x")}, clock=start, store=store)
    record = store.get(failed.execution_arn)
    assert record is not None
    assert durable.redrive_status(record, start.now(), 25_000) == (
        "NOT_REDRIVABLE", "Execution history event limit exceeded.")
    assert durable.redrive_status(record, start.now() + 366 * 24 * 3600) == (
        "NOT_REDRIVABLE", "Execution has exceeded the max execution time.")
    assert durable.redrive_status(record, start.now() + 24 * 3600) == ("REDRIVABLE", None)


def test_a_started_durable_execution_stopped_in_process_is_stored_aborted(store: SQLiteStore) -> None:
    machine = asl.load({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
    execution = machine.start({}, store=store)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and json.loads(
            (store.get(execution.execution_arn) or _NO_RECORD).position or "{}").get("next") != "W":
        time.sleep(0.01)
    execution.stop(error="Enough", cause="in process")
    assert execution.wait(10)
    record = store.get(execution.execution_arn)
    assert record is not None
    assert (record.status, record.error, record.cause) == ("ABORTED", "Enough", "in process")
    assert store.events(record.arn)[-1][3] == "ExecutionAborted"


_NO_RECORD = asl.ExecutionRecord(arn="", name="", state_machine_arn="", state_machine_name="",
                                 definition="{}", input="{}", status="RUNNING", start_date=0.0)


def test_a_waiting_callback_keeps_its_token_across_a_restart(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "machine.asl.json").write_text(json.dumps({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "TimeoutSeconds": 300, "Retry": RETRY_INTERRUPTED,
        "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}},
        "End": True}}}))
    (tmp_path / "ask16b.py").write_text(
        "def ask(event, context):\n"
        "    open('asked', 'a').write(event['token'] + '\\n')\n"
        "    return {}\n")
    db = str(tmp_path / "runs.db")
    command = [sys.executable, "-m", "asl._cli"]
    first = subprocess.Popen([*command, "run", "machine.asl.json", "--store", db, "--name", "cb",
                              "--handlers", "ask16b"], cwd=tmp_path, env=_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    token = _wait_for(tmp_path / "asked").strip()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the handler returned: its token is out
        with SQLiteStore(db) as shared:
            if shared._db.execute("SELECT count(*) FROM journal WHERE outcome LIKE "
                                  "'%\"submitted\":true%'").fetchone()[0]:
                break
        time.sleep(0.02)
    first.kill()
    first.wait()
    resumed = subprocess.Popen([*command, "resume", "cb", "--store", db, "--handlers", "ask16b"],
                               cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    code, _, err = 1, "", ""
    while code != 0 and time.monotonic() < deadline:  # until the resumed run waits for it
        time.sleep(0.05)
        code, _, err = _cli("send-task-success", token, '{"late": true}', "--store", db)
    assert code == 0, err
    out, err = resumed.communicate(timeout=30)
    assert resumed.returncode == 0, err
    assert json.loads(out) == {"late": True}
    assert (tmp_path / "asked").read_text().split() == [token]  # the handler ran once
