"""What a caller holds: the `Execution` (DescribeExecution plus GetExecutionHistory), and the
task tokens it answers callbacks with (SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from asl._errors import Aborted, Failure, TaskTokenError
from asl._integrations import lambda_ as _lambda
from asl._integrations.lambda_ import Heartbeat
from asl._runtime.history import History

if TYPE_CHECKING:
    from asl._runtime.views import StateRun

SUCCEEDED, FAILED, TIMED_OUT, RUNNING, ABORTED = (
    "SUCCEEDED", "FAILED", "TIMED_OUT", "RUNNING", "ABORTED",
)


class TaskTokens:
    """The callbacks an execution is waiting for: token -> its pending outcome.

    `send_task_*` may be called from any thread (a handler's, a test's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, Callback] = {}
        self._closed: set[str] = set()

    def open(self, token: str) -> Callback:
        callback = Callback(token)
        with self._lock:
            self._pending[token] = callback
        return callback

    def close(self, token: str) -> None:
        with self._lock:
            callback = self._pending.pop(token, None)
            self._closed.add(token)
        if callback is not None:
            callback.closed = True

    def interrupt_all(self, outcome: Exception) -> None:
        """End every pending wait with `outcome` (the execution is stopping)."""
        with self._lock:
            pending = list(self._pending.values())
        for callback in pending:
            callback.interrupt(outcome)

    def get(self, token: str) -> Callback:
        with self._lock:
            callback = self._pending.get(token)
            closed = token in self._closed
        if callback is None:
            if closed:
                raise TaskTokenError("TaskTimedOut", f"the task of token {token!r} has ended.")
            raise TaskTokenError("TaskDoesNotExist", f"no task is waiting for token {token!r}.")
        return callback


class Callback(Heartbeat):
    """The pending answer of one `.waitForTaskToken` task. It is also the task's heartbeat, so
    the handler's `context.send_task_success(...)` / `heartbeat()` reach it directly.

    The first of the answer and an interruption (a deadline on a virtual clock, a stop) wins,
    under one lock, so an answer that comes after either is refused."""

    __slots__ = ("_lock", "closed", "done", "failure", "output", "token")

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.done = threading.Event()
        self.output: Any = None
        #: What the waiting task raises instead of returning `output`: a Failure (the answer's,
        #: or a timeout's), or an outcome (the execution's timeout, a stop).
        self.failure: Exception | None = None
        self.closed = False
        self._lock = threading.Lock()

    def succeed(self, output: Any) -> None:
        # SendTaskSuccess carries JSON text: the task gets its own copy of the value.
        value = _lambda.round_trip_event(output)
        with self._lock:
            self._check()
            self.output = value
            self.done.set()

    def fail(self, error: str | None = None, cause: str | None = None) -> None:
        with self._lock:
            self._check()
            self.failure = Failure(error or "", cause)
            self.done.set()

    def interrupt(self, outcome: Exception) -> None:
        """End the wait with `outcome` raised, unless it has been answered already; later
        answers find the task ended (TaskTimedOut)."""
        with self._lock:
            if self.done.is_set():
                return
            self.failure = outcome
            self.closed = True
            self.done.set()

    def beat(self) -> None:
        if self.closed:
            raise TaskTokenError("TaskTimedOut", f"the task of token {self.token!r} has ended.")
        super().beat()

    def _check(self) -> None:
        if self.closed:
            raise TaskTokenError("TaskTimedOut", f"the task of token {self.token!r} has ended.")
        if self.done.is_set():
            # AWS accepts only the first answer for a token; later ones find no task.
            raise TaskTokenError("TaskDoesNotExist", f"the token {self.token!r} was already answered.")


class Execution:
    """The result of one run, shaped like DescribeExecution plus GetExecutionHistory."""

    def __init__(self, *, name: str, arn: str, state_machine_arn: str, input: Any, start: float,
                 history: History) -> None:
        self.name = name
        self.execution_arn = arn
        self.state_machine_arn = state_machine_arn
        self.input = input
        self.start_date = start
        self.stop_date: float | None = None
        self.status = RUNNING
        self.output: Any = None
        self.error: str | None = None
        self.cause: str | None = None
        self._history = history
        #: One summary per distributed Map run (`_runtime.itemio.MapRun`), in the order they started.
        self.map_runs: list[Any] = []
        self._tokens = TaskTokens()
        self._done = threading.Event()
        #: The run's root cancel scope (`fanout.CancelScope`), set when it is prepared.
        self._scope: Any = None
        #: StopExecution's (error, cause), once asked for.
        self._stopped: tuple[str | None, str | None] | None = None
        self._views: Any = None  # the states, read from the history on first use (`_views`)

    def send_task_success(self, token: str, output: Any) -> None:
        """Complete a `.waitForTaskToken` Task with `output` (SendTaskSuccess)."""
        self._tokens.get(token).succeed(output)

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """Fail a `.waitForTaskToken` Task (SendTaskFailure)."""
        self._tokens.get(token).fail(error, cause)

    def send_task_heartbeat(self, token: str) -> None:
        """Keep a `.waitForTaskToken` Task alive (SendTaskHeartbeat)."""
        self._tokens.get(token).beat()

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        """Stop a running execution, as StopExecution does: its status becomes ABORTED, with this
        error and cause (both optional), and the history ends with ExecutionAborted. What runs
        is cut before its next state (a wait, a pending callback and Map iterations and
        Parallel branches in flight at once; a handler already running is waited for, as a
        thread cannot be killed). Stopping an execution that has ended changes nothing."""
        for name, value, limit in (("error", error, 256), ("cause", cause, 32768)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str or None, not {type(value).__name__}: {value!r}")
            if value is not None and len(value) > limit:
                raise ValueError(f"{name} is {len(value)} characters long; StopExecution takes "
                                 f"at most {limit}")
        if self._done.is_set() or self._stopped is not None:
            return
        self._stopped = (error, cause)
        if self._scope is not None:
            self._scope.cancel()
        self._tokens.interrupt_all(Aborted())

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the execution ends (for `StateMachine.start`); False on timeout."""
        return self._done.wait(timeout)

    @property
    def history(self) -> list[dict[str, Any]]:
        """The events, as AWS's GetExecutionHistory returns them (oldest first)."""
        return self._history.events()

    @property
    def history_types(self) -> list[str]:
        return self._history.types()

    # -- what a test asks (read from the history on first use; see `_runtime.views`) ---------

    @property
    def states(self) -> list[StateRun]:
        """Every state entered, in order, Map iterations and Parallel branches included (each
        with its `scope`, `input`, `output`, `error`, `attempts`, ...)."""
        views = self._views
        if views is None:
            from asl._runtime.views import state_runs

            views = state_runs(self.history)
            if self._done.is_set():
                self._views = views  # a finished history never changes
        return list(views)

    def state(self, name: str, *, iteration: int | None = None,
              branch: int | None = None) -> StateRun:
        """The one entry into the state `name` (in Map iteration `iteration` / Parallel branch
        `branch`, when it ran in several). Raises LookupError saying what ran instead when
        there is no such entry, or more than one."""
        runs = [run for run in self.states if run.name == name
                and (iteration is None or run.iteration == iteration)
                and (branch is None or run.branch == branch)]
        if len(runs) == 1:
            return runs[0]
        if not runs:
            ran = sorted({run.name for run in self.states})
            import difflib

            close = difflib.get_close_matches(name, ran, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close and close[0] != name else ""
            where = "".join(f", {k}={v}" for k, v in (("iteration", iteration), ("branch", branch))
                            if v is not None)
            raise LookupError(f"the state {name!r}{where} was never entered{hint}; entered: "
                              f"{', '.join(ran) or '(none)'}")
        raise LookupError(
            f"the state {name!r} was entered {len(runs)} times ({', '.join(r.label for r in runs[:8])}"
            f"{', ...' if len(runs) > 8 else ''}); pick one with iteration=... or branch=..., or "
            f"use state_runs({name!r})")

    def state_runs(self, name: str) -> list[StateRun]:
        """Every entry into the state `name`, in order (one per Map iteration, loop turn, ...)."""
        return [run for run in self.states if run.name == name]

    @property
    def path(self) -> list[str]:
        """The top-level states entered, in order: the path the run took."""
        return [run.name for run in self.states if not run.scope]

    def retries(self, name: str) -> int:
        """How often the state `name` was retried, over all its entries."""
        return sum(run.retries for run in self.state_runs(name))

    @property
    def failed_state(self) -> StateRun | None:
        """The state the execution failed in (None when it did not fail)."""
        from asl._runtime.views import failed_state

        return failed_state(self.states, self.status)

    def describe(self) -> str:
        """A readable account: the outcome, and one line per state entered."""
        from asl._runtime.views import describe

        return describe(self, self.states)

    def snapshot(self) -> list[dict[str, Any]]:
        """The history as JSON values for snapshot tests: times as seconds since the start
        (`elapsed`), JSON text parsed."""
        from asl._runtime.views import snapshot

        return snapshot(self.history)

    def assert_succeeded(self) -> None:
        """Raise AssertionError, with `describe()` as its message, unless the run succeeded."""
        if self.status != SUCCEEDED:
            raise AssertionError(f"expected SUCCEEDED, got {self.status}\n{self.describe()}")

    def assert_failed(self, error: str | None = None, *, state: str | None = None) -> None:
        """Raise AssertionError, with `describe()`, unless the run failed (with `error`, in the
        state `state`, when given)."""
        failed = self.failed_state
        wrong = (self.status != FAILED or (error is not None and self.error != error)
                 or (state is not None and (failed is None or failed.name != state)))
        if wrong:
            expected = " ".join(filter(None, ["FAILED", error and f"with {error}",
                                              state and f"in {state}"]))
            raise AssertionError(f"expected {expected}, got {self.status} {self.error or ''}"
                                 f"\n{self.describe()}")

    def __repr__(self) -> str:
        text = f"<Execution {self.name} {self.status}"
        if self.error is not None:
            text += f" {self.error}"
        if self._done.is_set():
            path = self.path
            shown = " > ".join(path if len(path) <= 8 else [*path[:3], "...", *path[-4:]])
            failed = self.failed_state
            if failed is not None:
                text += f" in {failed.label}"
            if shown:
                text += f": {shown}"
        return text + ">"
