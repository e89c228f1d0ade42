"""The fan-out engine of Parallel and Map: run the units, collect them in order, and write AWS's
history; the states' own handlers are in `parallel_map`.

Where the work runs: branches and inline iterations belong to the parent's history, so they run
in this process. When any of them may block (a Task's handler, a Wait on the real clock) they run
on threads: the `executor` option when it is a `ThreadPoolExecutor`, else a pool made for the
state. Otherwise (only Pass/Choice/Succeed/Fail/Wait on a virtual clock) they run one after the
other, which is faster in CPython. Either way each unit records into its own forked history
buffer, spliced in branch/index order, so histories are identical on a `VirtualClock`.

When one unit fails past what the state tolerates, the others are cut: a shared `CancelScope`
makes each stop before its next state (a wait on the real clock ends at once; a running handler
is waited for, since a thread cannot be killed), and the history records them as AWS does:
`MapIterationAborted` and `<Type>StateAborted` of the state each was cut in, chained to the
failing unit's last event, ahead of its `MapIterationFailed` (Parallel: ahead of the state's
`ParallelStateFailed`).

Progress: the run option `on_progress(state_name, done, total, failed)` is called for each Map,
at most ten times a second plus once at the start and once at the end; unset, it costs nothing.

Distributed Map iterations are child executions with their own histories; they go to any
`concurrent.futures.Executor` given as `executor` (threads, processes, Dask's
`Client.get_executor()`), shipped as a picklable work unit (see `itemio`).
"""

from __future__ import annotations

import concurrent.futures as cf
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import attrs

from asl import _errors as E
from asl._clock import SystemClock, VirtualClock
from asl._definition.model import Graph, MapState
from asl._errors import Aborted, Failure, StatesError
from asl._languages.env import Env
from asl._runtime.core import Run
from asl._runtime.history import Lane

#: Threads for one fan-out when MaxConcurrency leaves it unbounded.
DEFAULT_WORKERS = 32
#: The most threads one fan-out's pool gets, whatever MaxConcurrency asks (more iterations wait
#: their turn in the pool's queue).
MAX_POOL = 256
#: Above this many live threads in the process, a fan-out (a nested Map, typically) runs its
#: units one at a time on its own thread instead of starting more: bounded, never exhausted.
MAX_THREADS = 1024
#: AWS's wording when a tolerated failure threshold is passed (no final period, as AWS's TestState
#: API and the emulators that record it give it).
THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"


@attrs.frozen
class Failed:
    """A branch or iteration that ended in failure, as data."""

    error: str | None
    cause: str | None

    def failure(self) -> Failure:
        """The failure it passes on to its Map or Parallel state. A Fail state without Error
        leaves the error absent, as at top level: None, not "" (absent is not empty)."""
        return Failure(cast(str, self.error), self.cause)


@attrs.frozen
class Cut:
    """A branch or iteration stopped because a sibling failed; `state_type` is the type of the
    state it was in (None: between states)."""

    state_type: str | None


class CancelScope:
    """Shared by the units of one threaded fan-out and set when one of them fails past what is
    tolerated. A scope made inside a unit of another fan-out is cut with its parent."""

    __slots__ = ("_children", "_event", "_lock", "_parent", "cut")

    def __init__(self, parent: CancelScope | None = None) -> None:
        self._event = threading.Event()
        #: Set with the event: read before every state, where a plain attribute costs least.
        self.cut = False
        self._children: list[CancelScope] = []
        self._lock = threading.Lock()
        self._parent = parent
        if parent is not None:
            with parent._lock:
                parent._children.append(self)
            if parent.cancelled:
                self.cancel()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            self.cut = True
            self._event.set()
            children = list(self._children)
        for child in children:
            child.cancel()

    def close(self) -> None:
        """Detach from the parent once the fan-out has joined its units."""
        parent = self._parent
        if parent is not None:
            with parent._lock:
                parent._children.remove(self)

    def check(self) -> None:
        """Called by `run_graph` before each state of a unit."""
        if self._event.is_set():
            raise Aborted()

    def sleep(self, clock: Any, seconds: float) -> None:
        """A real-clock wait that ends as soon as the scope is cut; others are instant anyway."""
        if isinstance(clock, SystemClock):
            if seconds > 0 and self._event.wait(seconds):
                raise Aborted()
            return
        clock.sleep(seconds)


class Progress:
    """Calls the `on_progress(state_name, done, total, failed)` run option as units finish, at
    most every INTERVAL seconds, plus at the start and the end (`close`)."""

    INTERVAL = 0.1

    def __init__(self, hook: Callable[[str, int, int, int], Any], name: str, total: int) -> None:
        self.hook = hook
        self.name = name
        self.total = total
        self.done = 0
        self.failed = 0
        self._shown = (0, 0)
        self._next = time.monotonic() + self.INTERVAL
        self._lock = threading.Lock()
        hook(name, 0, total, 0)

    def __call__(self, failed: bool) -> None:
        with self._lock:
            self.done += 1
            self.failed += failed
            now = time.monotonic()
            if now < self._next and self.done < self.total:
                return
            self._next = now + self.INTERVAL
            shown = self._shown = (self.done, self.failed)
        self.hook(self.name, shown[0], self.total, shown[1])

    def close(self) -> None:
        """The last counts, if the throttle held them back (or the Map stopped early)."""
        with self._lock:
            shown = (self.done, self.failed)
            if shown == self._shown:
                return
            self._shown = shown
        self.hook(self.name, shown[0], self.total, shown[1])


def progress_for(run: Run, name: str, total: int) -> Progress | None:
    hook = run.options.on_progress
    return None if hook is None else Progress(hook, name, total)


# -- iteration inputs ------------------------------------------------------------------------


def iteration_inputs(run: Run, state: MapState, data: Any, effective: Any, items: Sequence[Any],
                     env: Env) -> Sequence[Any]:
    """Each iteration's input: the item, or ItemSelector rendered with `$$.Map.Item`."""
    selector = state.item_selector
    if selector is None:
        return items
    context = dict(env.context)
    item_env = Env(context, env.variables)
    render = state.flow.template
    inputs = []
    for index, item in enumerate(items):
        context["Map"] = {"Item": {"Index": index, "Value": item}}
        inputs.append(render(selector, data, effective, item_env, run.clock, "ItemSelector"))
    return inputs


# -- limits and tolerated failures --------------------------------------------------------------


@attrs.frozen
class Limits:
    """A Map's MaxConcurrency and tolerated failures, resolved for one run of the state."""

    max_concurrency: int = 0
    tolerated_count: int | None = None
    tolerated_percentage: float | None = None

    def tally(self, total: int) -> Tally:
        return Tally(self, total)


class Tally:
    """Counts failures as units finish; says when the tolerated threshold is passed."""

    def __init__(self, limits: Limits, total: int) -> None:
        self.limits = limits
        self.total = total
        self.failed = 0
        self._lock = threading.Lock()

    @property
    def tolerant(self) -> bool:
        return self.limits.tolerated_count is not None or self.limits.tolerated_percentage is not None

    def exceeded(self, failed: int) -> bool:
        if failed == 0:
            return False
        limits = self.limits
        if not self.tolerant:
            return True
        over_count = limits.tolerated_count is not None and failed > limits.tolerated_count
        over_share = (limits.tolerated_percentage is not None
                      and failed * 100.0 > limits.tolerated_percentage * self.total)
        # With both set, the Map fails when either threshold is passed.
        return over_count or over_share

    def stop(self, value: Any) -> bool:
        if not isinstance(value, Failed):
            return False
        with self._lock:
            self.failed += 1
            return self.exceeded(self.failed)

    def verdict(self, results: Sequence[Any], *, distributed: bool,
                trip: int | None = None) -> StatesError | None:
        failures = [value for value in results if isinstance(value, Failed)]
        if not self.exceeded(len(failures)):
            return None
        if self.tolerant or distributed:
            return Failure(E.EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)
        # An inline Map with no tolerance fails with the failed iteration's own error (the first
        # to fail, in time when iterations run concurrently).
        first = results[trip] if trip is not None else failures[0]
        return first.failure()


# -- the fan-out engine -------------------------------------------------------------------------

_local = threading.local()


def fan_out(run: Run, lane: Lane, count: int, job: Callable[[Run, Lane, int], Any], *,
            limit: int, anchor: int | None, threaded: bool, stop: Callable[[Any], bool],
            on_failed: Callable[[Run, Lane, int], None] | None = None,
            on_cut: Callable[[Run, Lane, int, Cut], None] | None = None,
            progress: Progress | None = None) -> tuple[list[Any], int | None]:
    """Run `job(run, lane, i)` for i in range(count), at most `limit` at once (0: no bound).

    Returns the values in index order (None for units never started, `Cut` for units stopped
    because another failed) and the index of the unit whose value made `stop` true, if any.
    `anchor` is where every unit's first event points (Parallel: ParallelStateStarted); None
    chains each unit after the previous one's last event (Map). Events are recorded in index
    order whatever order the units finish in, except that the unit that stopped the others
    comes last, followed by what `on_cut` records for each cut unit and `on_failed` for it:
    AWS's order, where the failure is the last thing that happened."""
    results: list[Any] = [None] * count
    if count == 0:
        return results, None
    if not threaded or limit == 1 or threading.active_count() >= MAX_THREADS:
        # One at a time needs no threads, and records straight into the lane; nothing is ever
        # running beside a failure, so nothing is cut.
        for index in range(count):
            unit_lane = lane if anchor is None else Lane(anchor)
            value = results[index] = job(run, unit_lane, index)
            failed = isinstance(value, Failed)
            if failed and on_failed is not None:
                on_failed(run, unit_lane, index)
            lane.last = unit_lane.last
            if progress is not None:
                progress(failed)
            if stop(value):
                return results, index
        return results, None
    buffers: list[Any] = [None] * count
    scope = CancelScope(run.cancel)

    def unit(index: int) -> tuple[Any, int, Any]:
        if scope.cancelled:
            return None, 0, None  # cut before it started: no events at all
        unit_run = run.fork(scope, index)
        unit_lane = Lane(unit_run.history.base)
        _local.depth = getattr(_local, "depth", 0) + 1
        try:
            value = job(unit_run, unit_lane, index)
        except Aborted as aborted:
            value = Cut(aborted.state_type)
        except E.GraphFailed as failure:  # the history quota, met before the job's own try
            value = Failed(failure.error, failure.cause)
        finally:
            _local.depth -= 1
        return unit_run.history, unit_lane.last, value

    window = limit if limit > 0 else count
    pool, owned = _pool(run, min(window, DEFAULT_WORKERS) if limit <= 0 else window)
    pending: dict[cf.Future[Any], int] = {}
    next_index = 0
    trip: int | None = None
    try:
        while next_index < count and len(pending) < window:
            pending[_submit(pool, unit, next_index)] = next_index
            next_index += 1
        while pending:
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                buffer, last, value = future.result()
                if buffer is not None:
                    buffers[index] = (buffer, last)
                results[index] = value
                if progress is not None and not isinstance(value, Cut):
                    progress(isinstance(value, Failed))
                if trip is None and stop(value):
                    trip = index
                    scope.cancel()  # the running units stop before their next state
            while trip is None and next_index < count and len(pending) < window:
                pending[_submit(pool, unit, next_index)] = next_index
                next_index += 1
    finally:
        for future in pending:
            future.cancel()
        if owned:
            pool.shutdown(wait=True)
        scope.close()
    order = [index for index in range(count) if index != trip]
    for index in order + ([] if trip is None else [trip]):
        entry = buffers[index]
        if entry is None:
            continue
        buffer, last = entry
        start = lane.last if anchor is None else anchor
        offset = run.history.splice(buffer, start)
        lane.last = start if last == buffer.base else (last + offset if last > buffer.base else last)
        lane.last = min(lane.last, run.history.last_id())  # a buffer cut short at the quota
        value = results[index]
        if isinstance(value, Failed):
            if value.cause and "#" in value.cause:
                results[index] = Failed(value.error, _renumber(value.cause, buffer.base, offset))
            if index == trip:
                _record_cuts(run, lane, results, on_cut)
            if on_failed is not None:
                on_failed(run, lane, index)
    if trip is None and scope.cancelled:
        # Not stopped by one of ours: an enclosing fan-out cut the unit this one runs in.
        raise Aborted()
    return results, trip


def _record_cuts(run: Run, lane: Lane, results: Sequence[Any],
                 on_cut: Callable[[Run, Lane, int, Cut], None] | None) -> None:
    """The cut units' closing events, each pointing at the failing unit's last event."""
    if on_cut is None:
        return
    for index, value in enumerate(results):
        if isinstance(value, Cut):
            on_cut(run, lane, index, value)


def state_aborted(run: Run, lane: Lane, index: int, cut: Cut) -> None:
    if cut.state_type is not None:
        run.event(lane, cut.state_type + "StateAborted", chain=False)


_ENTERED_AT = re.compile(r"\(entered at the event id #(\d+)\)")


def _renumber(cause: str, base: int, offset: int) -> str:
    """A cause worded inside a forked buffer names provisional event ids; use the real ones."""
    def real(match: re.Match[str]) -> str:
        event_id = int(match.group(1))
        return f"(entered at the event id #{event_id + offset if event_id > base else event_id})"

    return _ENTERED_AT.sub(real, cause)


def _pool(run: Run, workers: int) -> tuple[cf.Executor, bool]:
    """The user's thread pool at the top level; a pool of our own inside a worker (a nested
    fan-out waiting on the same bounded pool as its parent could deadlock) or by default."""
    executor = run.options.executor
    if isinstance(executor, cf.ThreadPoolExecutor) and getattr(_local, "depth", 0) == 0:
        return executor, False
    workers = max(1, min(workers, MAX_POOL))
    return cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asl-fanout"), True


def _submit(pool: cf.Executor, unit: Callable[[int], Any], index: int) -> cf.Future[Any]:
    """`pool.submit`, with the system refusing a new thread as the state's failure."""
    try:
        return pool.submit(unit, index)
    except RuntimeError as error:  # "can't start new thread" (or a pool shut down by its owner)
        raise E.StatesError(
            E.RUNTIME, f"Could not start a thread for a branch or iteration: {error}; lower "
            "MaxConcurrency, or pass executor= a thread pool of the size the machine can hold",
        ) from None


def threaded(run: Run, graphs: Sequence[Graph]) -> bool:
    """Whether units run on threads: the user's thread pool, or work that waits (`Graph.blocks`)."""
    if isinstance(run.options.executor, cf.ThreadPoolExecutor):
        return True
    if isinstance(run.clock, VirtualClock):
        return any(graph.blocks_virtual for graph in graphs)
    return any(graph.blocks for graph in graphs)


# -- shared pieces ------------------------------------------------------------------------------


def as_output(value: Any) -> Any:
    """A tolerated failure's slot in the result array holds its error output."""
    if isinstance(value, Failed):
        return {"Error": value.error, "Cause": value.cause}
    return value
