"""asl's pytest plugin (entry point `pytest11`, loaded by pytest once asl is installed).

Fixtures:

- `asl_clock`: a fresh `VirtualClock` per test, starting at 2024-01-01T00:00:00Z.
- `asl_load(definition, **kw)`: `asl.load`, with a relative path read next to the test file
  (then from pytest's rootdir); each file is compiled once per session.
- `asl_run(machine, input=None, *, handlers=..., mocks=..., **options)`: `machine.run(...)` on
  the test's virtual clock, with a seed drawn from the test's id, so that names, task tokens,
  request ids and jitter are the same on every run of the test (histories are
  snapshot-friendly: compare `execution.snapshot()`). `machine` may be a `StateMachine`, a
  definition or a path (as for `asl_load`).
- `asl_start(...)`: the same with `StateMachine.start`, for callbacks: answer with
  `execution.send_task_success(token, output)`, move time with `asl_clock.advance(seconds)`.
- `asl_handlers`: the handlers every `asl_run`/`asl_start` of the test gets (empty; override
  the fixture in a conftest.py); a call's own `handlers=` add to them and win.

A failing test that ran executions through these fixtures gets a report section, "asl
executions", with each one's outcome and the states it entered, the failing one marked.

Everything lives on the test item or the session, never in module globals, so the plugin works
under pytest-xdist (each worker compiles its own machines).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import asl

#: Where each test keeps the executions its fixtures ran (for the failure report).
_RAN = pytest.StashKey[list[Any]]()
#: The session's compiled machines: (path, modification time) -> StateMachine.
_LOADED = pytest.StashKey[dict[tuple[str, int], Any]]()
#: The virtual clock's start: a fixed, readable moment, so timestamps are stable.
START = 1_704_067_200.0  # 2024-01-01T00:00:00Z


@pytest.fixture
def asl_clock() -> asl.VirtualClock:
    """A virtual clock of the test's own: Wait states and back-off take no time, and deadlines
    pass when `advance(seconds)` moves it."""
    from asl._clock import VirtualClock

    return VirtualClock(START)


@pytest.fixture
def asl_load(request: pytest.FixtureRequest) -> Callable[..., asl.StateMachine]:
    """Load a definition (dict, text or path); a relative path is found next to the test file
    first, then under the rootdir. A file is compiled once per session (per xdist worker)."""
    return lambda definition, **kw: _load(request, definition, **kw)


@pytest.fixture
def asl_handlers() -> dict[str, Callable[..., Any]]:
    """The handlers every run of the test gets: override this fixture in a conftest.py."""
    return {}


@pytest.fixture
def asl_run(request: pytest.FixtureRequest, asl_clock: Any,
            asl_handlers: dict[str, Callable[..., Any]]) -> Callable[..., asl.Execution]:
    """Run a machine to its end on the test's virtual clock, reproducibly (see the module)."""
    return _runner(request, asl_clock, asl_handlers, "run")


@pytest.fixture
def asl_start(request: pytest.FixtureRequest, asl_clock: Any,
              asl_handlers: dict[str, Callable[..., Any]]) -> Iterator[Callable[..., asl.Execution]]:
    """Start a machine in the background on the test's virtual clock; executions still running
    when the test ends are stopped."""
    started: list[Any] = []
    start = _runner(request, asl_clock, asl_handlers, "start", started)
    yield start
    for execution in started:
        execution.stop(error="asl.TestEnded", cause="The test ended while the execution ran.")
        execution.wait(5)


def _runner(request: pytest.FixtureRequest, clock: Any, handlers: dict[str, Any], how: str,
            started: list[Any] | None = None) -> Callable[..., Any]:
    ran = request.node.stash.setdefault(_RAN, [])
    base = int.from_bytes(hashlib.sha256(request.node.nodeid.encode()).digest()[:8], "big")

    def go(machine: Any, input: Any = None, **options: Any) -> Any:
        if not hasattr(machine, "run"):
            machine = _load(request, machine)
        options.setdefault("clock", clock)
        if handlers:
            options["handlers"] = {**handlers, **(options.get("handlers") or {})}
        # A seed per test and per call: reproducible, and two runs in one test still differ.
        options.setdefault("seed", base + len(ran))
        execution = getattr(machine, how)(input, **options)
        ran.append(execution)
        if started is not None:
            started.append(execution)
        return execution

    return go


def _load(request: pytest.FixtureRequest, definition: Any, **kw: Any) -> Any:
    import asl

    if isinstance(definition, (str, Path)) and not _is_text(definition):
        path = _find(request, Path(definition))
        cache = request.session.stash.setdefault(_LOADED, {})
        key = (str(path), path.stat().st_mtime_ns)
        if kw:
            return asl.load(path, **kw)
        machine = cache.get(key)
        if machine is None:
            machine = cache[key] = asl.load(path)
        return machine
    return asl.load(definition, **kw)


def _is_text(definition: str | Path) -> bool:
    """JSON or YAML text rather than a path (a definition always has a StartAt)."""
    return isinstance(definition, str) and ("\n" in definition or definition.lstrip().startswith("{"))


def _find(request: pytest.FixtureRequest, path: Path) -> Path:
    if path.is_absolute():
        return path
    for base in (Path(request.node.path).parent, Path(request.config.rootpath)):
        candidate = base / path
        if candidate.exists():
            return candidate
    return Path(request.node.path).parent / path  # asl.load says it cannot be read


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
        None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        ran = item.stash.get(_RAN, None)
        if ran:
            report.sections.append(("asl executions", "\n\n".join(
                execution.describe() for execution in ran)))
