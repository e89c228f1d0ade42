"""Bounds on evaluating what a definition or its input spells: regular expressions that cannot
backtrack forever, and a time, depth and size budget for one JSONata evaluation.

Python's `re` cannot be interrupted (a catastrophic pattern holds the GIL, so not even another
thread's timeout fires), so user-written patterns (JSONata regex literals, JSONPath `=~`) run on
the `regex` module, which takes a timeout. The JSONata budget is checked from the engine's
evaluate-entry and -exit hooks: depth on every step, the clock every few hundred steps, the
size of each string or array a step produces.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import time
from typing import Any, Final

from asl._errors import ExecutionTimedOut, StatesError


def _regex() -> Any:
    """The `regex` module, imported when a pattern is first compiled (start-up stays lean)."""
    import regex  # type: ignore[import-untyped, unused-ignore]  # types-regex: not a dependency

    return regex

#: The longest a single regular-expression search may take on one subject.
REGEX_SECONDS = 1.0  # not Final: tests lower it
#: The longest one JSONata evaluation may take (AWS does not document its bound: inferred).
EVALUATION_SECONDS = 10.0  # not Final: tests lower it
#: The deepest nesting of evaluation steps in one JSONata evaluation (recursion included).
EVALUATION_DEPTH: Final = 3000
#: Python's recursion limit while a JSONata evaluation runs (the engine recurses deeply: what
#: jsonata-python sets for itself on import, as JavaScript's stack would allow).
EVALUATION_RECURSION: Final = 10_000
#: The longest string, or array, one JSONata step may produce (AWS's payload quota is 256 KiB,
#: so anything near this is lost anyway; the bound keeps memory, not semantics).
PRODUCED_SIZE: Final = 16 * 1024 * 1024
#: The most values (as JSON would spell them out) a result may hold: 256 KiB of JSON, AWS's
#: payload quota, holds fewer than 300,000; $range may build 1,000,000 (AWS's bound).
RESULT_VALUES: Final = 2_000_000
#: Steps between two clock readings.
_CLOCK_EVERY: Final = 256


class RegexTimeout(Exception):
    """A regular expression ran past REGEX_SECONDS on a subject (catastrophic backtracking)."""

    def __init__(self, pattern: str) -> None:
        shown = pattern if len(pattern) <= 80 else pattern[:77] + "..."
        super().__init__(
            f"The regular expression /{shown}/ took longer than {REGEX_SECONDS:g} s on its input "
            "(catastrophic backtracking); simplify the pattern"
        )


class BoundedPattern:
    """A compiled `regex` pattern whose searches give up after REGEX_SECONDS, with the methods
    jsonata-python calls on a pattern (`search`, `finditer`, `sub`, `split`)."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        regex = _regex()
        try:
            self._compiled = regex.compile(pattern, flags)
        except regex.error as error:  # reported as Python's own re reports a bad pattern
            raise re.error(str(error)) from None

    def _timed_out(self) -> RegexTimeout:
        return RegexTimeout(self.pattern)

    def search(self, string: str, *args: Any) -> Any:
        try:
            return self._compiled.search(string, *args, timeout=REGEX_SECONDS)
        except TimeoutError:
            raise self._timed_out() from None

    def finditer(self, string: str) -> Any:
        try:
            # Materialised, so the timeout applies here and not in the engine's loop.
            return iter(list(self._compiled.finditer(string, timeout=REGEX_SECONDS)))
        except TimeoutError:
            raise self._timed_out() from None

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        try:
            return str(self._compiled.sub(repl, string, count, timeout=REGEX_SECONDS))
        except TimeoutError:
            raise self._timed_out() from None

    def split(self, string: str, maxsplit: int = 0) -> list[str]:
        try:
            return list(self._compiled.split(string, maxsplit, timeout=REGEX_SECONDS))
        except TimeoutError:
            raise self._timed_out() from None


def jsonata_regex(pattern: str, flags: Any) -> BoundedPattern:
    """jsonata-python's `regex_engine`: a regex literal compiled once, bounded when run."""
    regex = _regex()
    native = 0
    if flags.case_insensitive:
        native |= regex.IGNORECASE
    if flags.multiline:
        native |= regex.MULTILINE
    return BoundedPattern(pattern, native)


def search(pattern: str, subject: str) -> bool:
    """`regex.search` for JSONPath `=~`: True when `pattern` matches somewhere in `subject`."""
    try:
        return _regex().search(pattern, subject, timeout=REGEX_SECONDS) is not None
    except TimeoutError:
        raise RegexTimeout(pattern) from None




@functools.cache
def _bounded_match() -> type:
    from jsonpath_ng import DatumInContext  # type: ignore[import-untyped, unused-ignore]
    from jsonpath_ng.ext.filter import Expression  # type: ignore[import-untyped, unused-ignore]

    class BoundedMatch(Expression):  # type: ignore[misc, unused-ignore]  # untyped base
        """jsonpath-ng's `a =~ pattern`, through `search`."""

        def find(self, datum: Any) -> Any:
            found = self.target.find(DatumInContext.wrap(datum))
            return [d for d in found if isinstance(d.value, str) and search(self.value, d.value)]

    return BoundedMatch


def bound_jsonpath_regexes(node: Any) -> None:
    """Make every `=~` of a parsed jsonpath-ng filter search through `search` (bounded),
    in place; jsonpath-ng's own `=~` calls `re.search`, which nothing can interrupt."""
    from jsonpath_ng.ext.filter import Expression  # type: ignore[import-untyped, unused-ignore]

    bounded = _bounded_match()
    pending, seen = [node], set()
    while pending:
        item = pending.pop()
        if id(item) in seen or not hasattr(item, "__dict__"):
            continue
        seen.add(id(item))
        if type(item) is Expression and item.op == "=~" and isinstance(item.value, str):
            item.__class__ = bounded
        for value in vars(item).values():
            pending.extend(value if isinstance(value, list | tuple) else (value,))


class BudgetExceeded(Exception):
    """A JSONata evaluation built more than PRODUCED_SIZE (past its time or depth budget it
    raises the engine's own D1012 or D1011)."""


#: Per thread: `deadline`, the machine's TimeoutSeconds as a `time.monotonic()` reading.
LOCAL = threading.local()
_local = LOCAL


def set_deadline(deadline: float | None) -> None:
    """The machine's TimeoutSeconds as a `time.monotonic()` reading, for the evaluations of
    the calling thread (a unit of the execution sets it when it starts its graph)."""
    _local.deadline = deadline


def get_deadline() -> float | None:
    deadline: float | None = getattr(_local, "deadline", None)
    return deadline


class Budget:
    """One evaluation's budget; its `enter`/`leave` are the engine's evaluate-entry and -exit
    callbacks. `deadline` is a `time.monotonic()` reading."""

    __slots__ = ("by_machine", "deadline", "depth", "seconds", "steps")

    def __init__(self, seconds: float | None = None) -> None:
        seconds = EVALUATION_SECONDS if seconds is None else seconds
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        machine = get_deadline()
        # The machine's TimeoutSeconds, when it comes first, ends the execution instead.
        self.by_machine = machine is not None and machine < self.deadline
        if machine is not None and self.by_machine:
            self.deadline = machine
        self.depth = 0
        self.steps = 0

    def enter(self, expression: Any, input: Any, environment: Any) -> None:
        self.depth += 1
        if self.depth > EVALUATION_DEPTH:
            from jsonata import jexception  # type: ignore[import-untyped]  # untyped library

            raise jexception.JException("D1011", -1)  # the engine's own stack guard
        self.steps += 1
        if not self.steps % _CLOCK_EVERY and time.monotonic() > self.deadline:
            if self.by_machine:
                raise ExecutionTimedOut()
            from jsonata import jexception

            raise jexception.JException("D1012", -1, round(self.seconds * 1000))

    def leave(self, expression: Any, input: Any, environment: Any, result: Any) -> None:
        self.depth -= 1
        kind = type(result)
        if (kind is str or isinstance(result, list)) and len(result) > PRODUCED_SIZE:
            raise BudgetExceeded(
                f"The expression produced {'a string' if kind is str else 'an array'} of "
                f"{len(result):,} {'characters' if kind is str else 'items'}, more than the "
                f"{PRODUCED_SIZE:,} an evaluation may build"
            )


class DeepStack:
    """Raises Python's recursion limit to EVALUATION_RECURSION while at least one evaluation
    runs (on any thread), and puts the caller's limit back when the last one ends, so the rest
    of the process keeps its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved = 0

    def __enter__(self) -> None:
        with self._lock:
            if not self._running:
                self._saved = sys.getrecursionlimit()
                if self._saved < EVALUATION_RECURSION:
                    sys.setrecursionlimit(EVALUATION_RECURSION)
            self._running += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._running -= 1
            if not self._running and sys.getrecursionlimit() == EVALUATION_RECURSION:
                sys.setrecursionlimit(self._saved)


DEEP_STACK: Final = DeepStack()


def too_many_values(value: Any, limit: int = RESULT_VALUES) -> bool:
    """Whether `value` holds more than `limit` values counted as JSON would spell them out: an
    array that holds one array twice, 30 levels deep, is small in memory and a billion items
    as JSON."""
    stack = [value]
    count = 0
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def runtime_failure(error: Exception) -> StatesError:
    """What a bounded step that gave up is, inside a state: States.Runtime with the reason."""
    from asl._errors import RUNTIME

    return StatesError(RUNTIME, str(error))
