"""The options of a run, typed and checked: `StateMachine.run` and `start` (and what comes later)
take them as keywords, and a misspelt one is a `TypeError` naming the nearest valid one, so a
typo cannot make a failure-path test pass for the wrong reason."""

from __future__ import annotations

import concurrent.futures as cf
import difflib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypedDict

import attrs

from asl._clock import Clock
from asl._integrations.resources import DEFAULT_ACCOUNT

#: The role a local run says it runs as (AWS's `$$.Execution.RoleArn`); see docs/divergences.md.
DEFAULT_ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/asl-local"

Progress = Callable[[str, int, int, int], Any]
#: Called with each history event (a GetExecutionHistory-shaped dict) as it enters the history.
Listener = Callable[[dict[str, Any]], Any]


class RunKeywords(TypedDict, total=False):
    """The keyword options of `run`/`start` besides `handlers`, `clock` and `name` (for type
    checkers, through `Unpack`)."""

    mock_config: Any
    test_case: str | None
    mocks: Mapping[str, Any] | None
    seed: int | None
    executor: cf.Executor | None
    on_progress: Progress | None
    on_event: Listener | None
    s3: Any
    s3_root: str | Path | None
    child_history: bool
    role_arn: str
    functions: Any
    store: Any


def _optional(kind: type | tuple[type, ...], what: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, attribute: Any, value: Any) -> None:
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{attribute.name} must be {what}, not {type(value).__name__}: {value!r}")
    return check


def _callable(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{attribute.name} must be callable, not {type(value).__name__}: {value!r}")


def _or_empty(value: Any) -> Any:
    return {} if value is None else value


def _functions(_instance: Any, attribute: Any, value: Any) -> None:
    if value is None:
        return
    from asl._lambda.service import Functions  # only for a run that passes one

    if not isinstance(value, Functions):
        raise TypeError(f"functions must be an asl.Functions, not {type(value).__name__}: {value!r}")


def _seed(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"seed must be an int, not {type(value).__name__}: {value!r}")


@attrs.frozen(kw_only=True)
class RunOptions:
    """Everything a run is given, checked once when it starts.

    `test_case` is the mock file's test case name as given; `StateMachine` resolves it against
    `mock_config` into `mocks` (a `_integrations.mocks.TestCase`) before the run starts."""

    handlers: Mapping[str, Callable[..., Any]] = attrs.field(
        factory=dict, converter=_or_empty,
        validator=_optional(Mapping, "a mapping of resource names to callables"))
    mock_config: Any = None
    test_case: str | None = attrs.field(default=None, validator=_optional(str, "a str"))
    seed: int | None = attrs.field(default=None, validator=_seed)
    executor: cf.Executor | None = attrs.field(
        default=None, validator=_optional(cf.Executor, "a concurrent.futures.Executor"))
    on_progress: Progress | None = attrs.field(default=None, validator=_callable)
    on_event: Listener | None = attrs.field(default=None, validator=_callable)
    s3: Any = None
    s3_root: str | Path | None = attrs.field(default=None, validator=_optional((str, Path), "a path"))
    child_history: bool = attrs.field(default=True, validator=_optional(bool, "a bool"))
    role_arn: str = attrs.field(default=DEFAULT_ROLE_ARN, validator=_optional(str, "a str"))
    #: Where a durable execution is checkpointed: a path (SQLite) or an `ExecutionStore`.
    store: Any = None
    #: The local Lambda service (an `asl.Functions`) Task states invoke functions through.
    functions: Any = attrs.field(default=None, validator=_functions)
    #: Mocks by state name as the caller gives them (`mocks={...}`); `StateMachine` resolves
    #: them, with `mock_config`'s test case, into one `_integrations.mocks.TestCase`.
    mocks: Any = None

    @classmethod
    def of(cls, where: str, handlers: Mapping[str, Callable[..., Any]] | None,
           keywords: Mapping[str, Any]) -> RunOptions:
        """Options from a call's keywords; an unknown keyword is a TypeError, as Python's own,
        naming the nearest valid one."""
        for key in keywords:
            if key not in _KEYWORDS:
                raise TypeError(f"{where}() got an unexpected keyword argument {key!r}"
                                f"{_nearest(key, (*_KEYWORDS, *_EXPLICIT))}")
        return cls(handlers=handlers, **keywords)

    @property
    def seeded(self) -> bool:
        return self.seed is not None


def _nearest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


#: The keywords `run`/`start` take as options, and
#: those they take as parameters of their own.
_KEYWORDS = tuple(RunKeywords.__annotations__)
_EXPLICIT = ("input", "handlers", "clock", "name")


def check_clock(clock: Any) -> Clock | None:
    """A `clock=` argument: None (the real clock) or an object with `now()` and `sleep()`."""
    if clock is not None and not (callable(getattr(clock, "now", None))
                                  and callable(getattr(clock, "sleep", None))):
        raise TypeError(f"clock must be a Clock (with now() and sleep(seconds)), such as "
                        f"asl.VirtualClock() or asl.SystemClock(), not {clock!r}")
    return clock  # type: ignore[no-any-return]  # checked just above
