"""Durable executions: checkpointing, resume and redrive over an `ExecutionStore`.

The position of an execution is where its top-level graph stands between two states: the next
state's name, that state's input, the variables in scope, how many transitions came before
(`seq`) and the id its next event chains to. It is written with the events of the transition in
one `checkpoint` transaction. Work inside a state (Task attempts, anywhere in the state: in a
Map's iterations or a Parallel's branches too; Wait and retry deadlines) is journaled under a
key of where it happened: the transition number, the kind, the unit (branch and iteration
indices), the state's name and how many such keys came before in this transition. Resuming
re-enters the state in flight from its position and replays the journal: a completed attempt
returns its recorded outcome without calling the handler; an attempt that was in flight when the
process died counts as failed (`INTERRUPTED`), so the state's Retry policy decides whether it
runs again, as after an infrastructure failure on AWS; a sleep keeps the deadline it had.

Without a store none of this exists: `StateMachine.run` builds a plain `Interpreter` and the
hot path is untouched.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from asl import _errors as E
from asl._clock import Clock, SystemClock, isoformat
from asl._definition.model import (
    ChoiceState,
    FailState,
    Graph,
    PassState,
    State,
    SucceedState,
    TaskState,
)
from asl._errors import Aborted, ExecutionStoreError, Failure, StatesError
from asl._json import Deferred, JsonText, to_json
from asl._languages import bounds as _bounds
from asl._runtime.core import EXECUTION_LIMIT, HISTORY_LIMIT, Machine, Run, Session
from asl._runtime.execution import ABORTED, FAILED, RUNNING, SUCCEEDED, TIMED_OUT, Execution
from asl._runtime.executor import Interpreter, conclude, prepare
from asl._runtime.executor import _drive as drive_execution
from asl._runtime.fanout import CancelScope
from asl._runtime.history import History, Lane, restored, stored
from asl._runtime.options import RunOptions
from asl._runtime.store import ExecutionRecord, ExecutionStore, dumps

#: The error of a Task attempt that was running when its execution's process died.
INTERRUPTED = E.TASK_FAILED
INTERRUPTED_CAUSE = ("The task was running when the execution's process stopped; the execution "
                     "was resumed from its store.")
#: AWS: an execution may be redriven within 14 days of its stop, at most 1000 times.
REDRIVE_WINDOW = 14 * 24 * 3600
REDRIVE_LIMIT = 1000
#: AWS's maximum execution time of a Standard workflow (one year).
MAX_EXECUTION_TIME = EXECUTION_LIMIT
REDRIVABLE = (FAILED, TIMED_OUT, ABORTED)
#: States whose transitions may be grouped into the next one's commit (see `run_graph`).
_PURE = frozenset({PassState, ChoiceState, SucceedState, FailState})
#: The longest a group of such transitions waits for its commit.
GROUP_SECONDS = 0.05
#: How often a running durable execution looks for requests from other processes.
POLL_SECONDS = 0.1


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(who: str | None) -> bool:
    """Whether the process named by `owner()` still runs (only knowable on this host)."""
    if not who:
        return False
    host, _, pid = who.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False  # this process: the execution's own runner is gone (a test, a thread)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Journal:
    """Task outcomes and sleep deadlines of one execution, keyed by where they happen."""

    def __init__(self, store: ExecutionStore, arn: str, seq: int, prefix: str = "") -> None:
        self.store = store
        self.arn = arn
        self.seq = seq
        #: A distributed Map child's journal: its keys under the key of the child.
        self.prefix = prefix
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def begin(self, seq: int) -> None:
        """A new top-level transition: keys count from 0 again."""
        self.seq = seq
        self._counts.clear()

    def key(self, kind: str, name: str, path: str) -> str:
        """Where a task attempt or sleep happens: the transition, the kind, the unit (`path`:
        the indices of the branches and iterations it runs in) and the state, counted, so a
        replay finds each again in the same place whatever order threads ran in and whatever
        its payload (which may read `$$.State.EnteredTime` or `States.UUID()`) is this time."""
        prefix = f"{self.prefix}{self.seq}|{kind}|{path}|{name}"
        with self._lock:
            count = self._counts.get(prefix, 0)
            self._counts[prefix] = count + 1
        return f"{prefix}|{count}"

    def _task_key(self, run: Run, state: TaskState) -> str:
        if isinstance(run, DurableInterpreter) and run.token_key is not None:
            key, run.token_key = run.token_key, None  # made by `token` for this attempt
            return key
        return self.key("task", state.name, run.path if isinstance(run, DurableInterpreter) else "")

    def token(self, run: Run, state: TaskState, fresh: str) -> str:
        """A callback task's token: the one its attempt had when its process died, if it was
        waiting then (so the answer sent with it still reaches it), else `fresh`."""
        key = self._task_key(run, state)
        if isinstance(run, DurableInterpreter):
            run.token_key = key
        found = self.store.journal_get(self.arn, key)
        if found is not None:
            outcome = json.loads(found)
            if outcome["kind"] == "started" and "token" in outcome:
                return str(outcome["token"])
        return fresh

    def task(self, run: Run, state: TaskState, text: str | None, payload: Any,
             call: Callable[[], Any], token: str | None = None,
             again: Callable[[float], Any] | None = None) -> Any:
        """One Task attempt: replayed from the journal, or made and journaled. A callback
        task that was waiting for its token (`token`) when the process died waits again
        (`again(seconds since it started)`) instead of calling its handler again."""
        store, arn = self.store, self.arn
        key = self._task_key(run, state)
        found = store.journal_get(arn, key)
        if found is not None:
            outcome = json.loads(found)
            kind = outcome["kind"]
            if kind == "ok":
                return outcome["result"]
            if kind == "failed":
                raise (Failure if outcome["final"] else StatesError)(outcome["error"], outcome["cause"])
            if again is not None and outcome.get("token") == token and outcome.get("submitted"):
                return self._finish(key, lambda: again(run.clock.now() - float(outcome["at"])))
            # "started": in flight when the process died. It failed; Retry decides what next.
            store.journal_put(arn, key, dumps({"kind": "failed", "final": True,
                                               "error": INTERRUPTED, "cause": INTERRUPTED_CAUSE}))
            raise Failure(INTERRUPTED, INTERRUPTED_CAUSE)
        started: dict[str, Any] = {"kind": "started"}
        if token is not None:
            started.update(token=token, at=run.clock.now())
            if isinstance(run, DurableInterpreter):
                run.attempt = (key, started)
        store.journal_put(arn, key, dumps(started))
        return self._finish(key, call)

    def submitted(self, run: Run) -> None:
        """A callback task's handler has returned: its token is out, so after a restart the
        task waits for it again (before this, the attempt counts as interrupted)."""
        if not isinstance(run, DurableInterpreter) or run.attempt is None:
            return
        (key, started), run.attempt = run.attempt, None
        self.store.journal_put(self.arn, key, dumps({**started, "submitted": True}))

    def _finish(self, key: str, call: Callable[[], Any]) -> Any:
        """Make the attempt and journal its outcome."""
        store, arn = self.store, self.arn
        try:
            result = call()
        except StatesError as failure:
            store.journal_put(arn, key, dumps({"kind": "failed", "final": isinstance(failure, Failure),
                                               "error": failure.error, "cause": failure.cause}))
            raise
        # A Lambda response is journaled as the value it stands for (what a replay returns).
        shown = json.loads(result.json_text()) if isinstance(result, Deferred) else result
        store.journal_put(arn, key, dumps({"kind": "ok", "result": shown}))
        return result

    def sleep(self, now: float, name: str, path: str, seconds: float) -> float:
        """How long a sleep still lasts: the deadline it was given before a restart holds."""
        key = self.key("sleep", name, path)
        found = self.store.journal_get(self.arn, key)
        if found is not None:
            until = float(json.loads(found)["until"])
        else:
            until = now + seconds
            self.store.journal_put(self.arn, key, dumps({"kind": "sleep", "until": until}))
        return max(0.0, until - now)


class DurableInterpreter(Interpreter):
    """An `Interpreter` that checkpoints its top-level transitions and journals the work of
    its states (forks of it, the units of Map and Parallel, journal but never checkpoint)."""

    __slots__ = ("attempt", "current", "path", "position", "saved", "token_key")

    def __init__(self, session: Session, history: Any, cancel: Any = None) -> None:
        super().__init__(session, history, cancel)
        #: The state running in this unit (journal keys of sleeps).
        self.current: str | None = None
        #: Which unit this is: the indices of the branches and iterations it runs in.
        self.path = ""
        #: The journal key a callback task's token was looked up under, for its attempt.
        self.token_key: str | None = None
        #: A callback attempt's journal key and entry, until its handler has returned.
        self.attempt: tuple[str, dict[str, Any]] | None = None
        #: Set on the root run only: (next state, seq, fresh) to start the top-level loop from
        #: (next None and not fresh: the graph had ended when the process died).
        self.position: tuple[str | None, int, bool] | None = None
        self.saved = 0

    def run_graph(self, graph: Graph, data: Any, lane: Lane, variables: dict[str, Any],
                  extra_context: Mapping[str, Any] | None = None) -> Any:
        position = self.position
        if position is None:
            return super().run_graph(graph, data, lane, variables, extra_context)
        self.position = None  # the top-level loop runs once; nested graphs run plainly
        name, seq, fresh = position
        if fresh:
            name = graph.start_at
            self.checkpoint(name, data, variables, lane, seq)
        journal: Journal = self.session.journal
        states_ = graph.states
        every = getattr(journal.store, "every_transition", False)
        committed = time.monotonic()
        cancel = self.cancel
        # As `Interpreter.run_graph`: JSONata stops at TimeoutSeconds, a stop cuts at the boundary.
        outer = _bounds.get_deadline()
        _bounds.set_deadline(self.session.real_deadline)
        try:
            while name is not None:
                state = states_[name]
                if cancel is not None and cancel.cut:
                    raise Aborted()
                journal.begin(seq)
                try:
                    data, name, variables = self.state_loop(state, data, lane, variables, None)
                except Aborted as cut:
                    if cut.state_type is None:
                        cut.state_type = state.type
                    raise
                seq += 1
                # A transition into a state without effects (Pass, Choice, Succeed, Fail) may
                # share the next one's transaction: nothing outside saw it, and running it again
                # after a crash is the same as running it once. Everything is committed before
                # any effect (a Task, a Wait, a Map or Parallel), and at least every
                # GROUP_SECONDS.
                if (every or name is None or type(states_[name]) not in _PURE
                        or time.monotonic() - committed >= GROUP_SECONDS):
                    self.checkpoint(name, data, variables, lane, seq)
                    committed = time.monotonic()
        finally:
            _bounds.set_deadline(outer)
        return data

    def fork(self, cancel: Any, index: int = 0) -> Run:
        unit = super().fork(cancel, index)
        assert isinstance(unit, DurableInterpreter)
        unit.path = f"{self.path}/{index}"
        return unit

    def state_loop(self, state: State, data: Any, lane: Lane, variables: dict[str, Any],
                   extra_context: Mapping[str, Any] | None) -> tuple[Any, str | None, dict[str, Any]]:
        outer = self.current
        self.current = state.name
        try:
            return super().state_loop(state, data, lane, variables, extra_context)
        finally:
            self.current = outer

    def sleep(self, seconds: float) -> None:
        journal = self.session.journal
        current = self.current
        if journal is not None and current is not None:
            seconds = journal.sleep(self.clock.now(), current, self.path, seconds)
        super().sleep(seconds)

    def start_child(self, machine: Machine, input: Any, name: str, options: RunOptions,
                    cancel: Any) -> Execution:
        """A distributed Map's child run in this process, journaled under a key of its own
        (its input and how many children had that input), so a redriven Map keeps the
        finished children's work."""
        journal: Journal | None = self.session.journal
        if journal is None:
            return super().start_child(machine, input, name, options, cancel)
        # Children run in index order on this thread or on a pool's: the name ends with the
        # child's index (see `itemio`), which makes the key.
        key = journal.key("child", name.rsplit("-", 1)[-1], self.path) + "/"

        def root(session: Session, history: History, cut: Any) -> DurableInterpreter:
            session.journal = Journal(journal.store, journal.arn, journal.seq, prefix=key)
            return DurableInterpreter(session, history, cut)

        execution, drive = prepare(machine, input, clock=self.clock, name=name, options=options,
                                   synchronous=True, cancel=cancel, interpreter=root)
        drive()
        return execution

    def checkpoint(self, name: str | None, data: Any, variables: dict[str, Any], lane: Lane,
                   seq: int) -> None:
        """One transition: the events since the last checkpoint and the new position."""
        history = self.history
        events = stored(history, self.saved)
        self.saved = len(history._events)
        checked, text = self.checked
        if data is not checked or text is None:
            text = to_json(data)
        position = (f'{{"next":{to_json(name)},"seq":{seq},"lane":{lane.last},'
                    f'"input":{text},"variables":{to_json(variables)}}}')
        journal: Journal = self.session.journal
        journal.store.checkpoint(journal.arn, events, position=position)

    def finish(self) -> None:
        """The closing checkpoint: the last events and the execution's outcome."""
        session = self.session
        execution = session.execution
        journal: Journal = session.journal
        events = stored(self.history, self.saved)
        self.saved = len(self.history._events)
        output = None if execution.status != SUCCEEDED else to_json(execution.output)
        journal.store.checkpoint(journal.arn, events, status=execution.status,
                                 stop_date=execution.stop_date, output=output,
                                 error=execution.error, cause=execution.cause, owner=None)


def start(machine: Machine, definition: Mapping[str, Any], input: Any, *, clock: Clock | None,
          name: str | None, options: RunOptions, store: ExecutionStore,
          synchronous: bool) -> tuple[Execution, Callable[[], None]]:
    """A new durable execution: recorded in the store before its first state runs."""
    made: list[DurableInterpreter] = []

    def root(session: Session, history: History, cancel: Any) -> DurableInterpreter:
        made.append(DurableInterpreter(session, history, cancel))
        return made[-1]

    # Callbacks of a durable execution can be answered from other processes (`asl
    # send-task-success --store`), so a task token is never unanswerable, even in run().
    execution, _drive_plain = prepare(machine, input, clock=clock, name=name, options=options,
                                      synchronous=False, interpreter=root)
    run = made[0]
    scope = execution._scope
    text = to_json(execution.input)
    session = run.session
    session.journal = Journal(store, execution.execution_arn, 0)
    run.position = (None, 0, True)
    store.create(ExecutionRecord(
        arn=execution.execution_arn, name=execution.name, state_machine_arn=machine.arn,
        state_machine_name=machine.name, definition=dumps(definition),
        input=to_json(execution.input), status=RUNNING, start_date=execution.start_date,
        owner=owner()), [])

    def durable_drive() -> None:
        # The closing checkpoint is written before a waiting caller is told the run ended.
        watcher = Watcher(store, execution)
        watcher.start()
        try:
            try:
                drive_execution(run, execution.input, text)
            finally:
                watcher.close()
                run.finish()
        finally:
            scope.close()
            execution._done.set()

    return execution, durable_drive


def resume(machine: Machine, record: ExecutionRecord, *, clock: Clock | None,
           options: RunOptions, store: ExecutionStore, synchronous: bool,
           redrive: bool = False) -> tuple[Execution, Callable[[], None]]:
    """An execution continued from its last checkpoint (a resume), or restarted from the
    state that failed (a redrive)."""
    clock = clock if clock is not None else SystemClock()
    fresh = record.position is None  # its process died before the first checkpoint
    position = (json.loads(record.position) if record.position is not None else
                {"next": None, "seq": 0, "lane": 0, "input": json.loads(record.input),
                 "variables": {}})
    history = restored(store.events(record.arn), HISTORY_LIMIT, options.on_event)
    execution = Execution(name=record.name, arn=record.arn, state_machine_arn=record.state_machine_arn,
                          input=json.loads(record.input), start=record.start_date, history=history)
    session = Session(machine, execution, clock, options, synchronous=False)  # see `start`
    redrive_count = record.redrive_count
    now = clock.now()
    if redrive:
        redrive_count += 1
        store.journal_prune(record.arn, ["ok"])
    timeout = machine.graph.timeout_seconds
    since = now if redrive else record.redrive_date
    if since is not None and timeout is not None:
        # TimeoutSeconds counts again from the redrive (inferred: see divergences); the year
        # an execution may last still counts from its start (Session's default deadline).
        session.deadline = min(record.start_date + EXECUTION_LIMIT, since + timeout)
        # The real-time bound of the same deadline (see Session).
        session.real_deadline = time.monotonic() + max(0.0, session.deadline - now)
    session.context_execution["RedriveCount"] = redrive_count
    redrive_date = now if redrive else record.redrive_date
    if redrive_date is not None:
        session.context_execution["RedriveTime"] = isoformat(redrive_date)
    session.journal = Journal(store, record.arn, int(position["seq"]))
    # The root cancel scope, as `prepare` makes it: Execution.stop() cuts the run through it.
    scope = execution._scope = CancelScope(None)
    run = DurableInterpreter(session, history, scope)
    run.saved = len(history._events)
    run.position = (position["next"], int(position["seq"]), fresh)
    lane = Lane(int(position["lane"]))
    if fresh:
        history.add(lane, "ExecutionStarted", execution.start_date, {
            "input": JsonText(record.input), "roleArn": session.context_execution["RoleArn"],
            "stateMachineArn": machine.arn}, chain=False)
    data, variables = position["input"], position["variables"]
    if redrive:
        lane.last = history.last_id()  # after the previous closing event; what follows, after it
        run.event(lane, "ExecutionRedriven", {"redriveCount": redrive_count})
        store.checkpoint(record.arn, stored(history, run.saved), status=RUNNING, stop_date=None,
                         error=None, cause=None, output=None, redrive_count=redrive_count,
                         redrive_date=now, owner=owner(), stop_request=None)
        run.saved = len(history._events)
    else:
        store.checkpoint(record.arn, [], owner=owner())

    def drive() -> None:
        watcher = Watcher(store, execution)
        watcher.start()
        try:
            conclude(run, lane, lambda: run.run_graph(machine.graph, data, lane, variables))
        finally:
            watcher.close()
            try:
                run.finish()
            finally:
                scope.close()
                execution._done.set()

    return execution, drive


def redrive_status(record: ExecutionRecord, now: float,
                   history_length: int | None = None) -> tuple[str, str | None]:
    """DescribeExecution's `redriveStatus` and, when NOT_REDRIVABLE, `redriveStatusReason`
    (AWS's wording)."""
    if record.status == RUNNING:
        return "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven."
    if record.status == SUCCEEDED:
        return "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven."
    if history_length is not None and history_length >= HISTORY_LIMIT:
        return "NOT_REDRIVABLE", "Execution history event limit exceeded."
    if now - record.start_date >= MAX_EXECUTION_TIME:
        return "NOT_REDRIVABLE", "Execution has exceeded the max execution time."
    if record.stop_date is not None and now - record.stop_date > REDRIVE_WINDOW:
        return "NOT_REDRIVABLE", "Execution redrivable period exceeded."
    if record.position is None:  # recorded before it ever checkpointed
        return "NOT_REDRIVABLE", "Execution was started before the launch of RedriveExecution."
    if record.redrive_count >= REDRIVE_LIMIT:  # AWS's wording not known: inferred
        return "NOT_REDRIVABLE", f"Execution has been redriven the maximum number of times ({REDRIVE_LIMIT})."
    return "REDRIVABLE", None


def check_redrivable(store: ExecutionStore, record: ExecutionRecord, now: float) -> None:
    status, reason = redrive_status(record, now, len(store.events(record.arn)))
    if status != "REDRIVABLE":
        raise ExecutionStoreError("ExecutionNotRedrivable", reason or "")


def check_resumable(record: ExecutionRecord) -> None:
    if record.status != RUNNING:
        raise ExecutionStoreError("ExecutionNotResumable",
            f"Execution is {record.status} and cannot be resumed (a finished execution may be "
            f"redriven instead).")
    if owner_alive(record.owner):
        raise ExecutionStoreError("ExecutionNotResumable",
            f"The execution '{record.arn}' is still run by process {record.owner}.")


def find(store: ExecutionStore, execution_id: str) -> ExecutionRecord:
    """An execution by ARN, or by name when one execution has it."""
    record = store.get(execution_id)
    if record is not None:
        return record
    named = [r for r in store.list_executions() if r.name == execution_id]
    if len(named) == 1:
        return named[0]
    if named:
        raise ExecutionStoreError("ExecutionDoesNotExist",
                                  f"{len(named)} executions are named {execution_id!r}: give its ARN.")
    raise ExecutionStoreError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{execution_id}'")


class Watcher:
    """What other processes ask of a running durable execution, through the store: a stop
    (`asl stop`: routed to `Execution.stop`) and callback answers (`asl send-task-*`: routed
    to the execution's own `send_task_*`). Polls every POLL_SECONDS on a thread of its own while
    the execution runs; the pending tokens are written to the store as they open."""

    def __init__(self, store: ExecutionStore, execution: Execution) -> None:
        self.store = store
        self.execution = execution
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"asl-watch-{execution.name}",
                                        daemon=True)
        self._registered: frozenset[str] = frozenset()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._done.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _loop(self) -> None:
        while not self._done.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - a busy or closed store: try again next time
                continue

    def poll(self) -> None:
        execution, store = self.execution, self.store
        arn = execution.execution_arn
        record = store.get(arn)
        if record is not None and record.stop_request is not None:
            asked = json.loads(record.stop_request)
            execution.stop(error=asked.get("error"), cause=asked.get("cause"))
        tokens = execution._tokens
        with tokens._lock:
            pending = frozenset(tokens._pending)
        if pending != self._registered:
            store.wait_for_callbacks(arn, pending)
            self._registered = pending
        for token, kind, payload in store.take_answers(arn):
            try:
                if kind == "success":
                    execution.send_task_success(token, json.loads(payload or "null"))
                elif kind == "failure":
                    answer = json.loads(payload or "{}")
                    execution.send_task_failure(token, answer.get("error"), answer.get("cause"))
                else:
                    execution.send_task_heartbeat(token)
            except E.TaskTokenError:
                continue  # the task ended meanwhile, as for an answer that comes too late


def request_stop(store: ExecutionStore, record: ExecutionRecord, error: str | None,
                 cause: str | None, now: float) -> None:
    """StopExecution from another process: the running execution's watcher stops it; an
    execution no live process runs is stopped here, its history closed as AWS closes it
    (ExecutionAborted, pointing at no event)."""
    if record.status != RUNNING:
        return  # AWS: stopping an execution that has ended changes nothing
    asked = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    if owner_alive(record.owner):
        store.checkpoint(record.arn, [], stop_request=dumps(asked))
        return
    events = store.events(record.arn)
    last = events[-1][0] if events else 0
    store.checkpoint(record.arn, [(last + 1, 0, now, "ExecutionAborted",
                                   dumps(asked) if asked else None)],
                     status=ABORTED, stop_date=now, error=error, cause=cause, owner=None)
