"""One compile per distinct text: the compile functions for paths, intrinsic calls and JSONata
expressions are pure and their results immutable, so equal text can share one compiled object.

A definition repeats the same few paths (`$`, `$.value`, `$.Payload`) across thousands of
fields, and `asl.load` compiles each field twice (once to validate, once to build the model);
without this, a 2,000-state definition spends most of its load re-parsing identical strings.
The cache is bounded, like `re`'s; CompileErrors are not cached (bad definitions are rare and
each error must carry a fresh traceback).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

MAX_ENTRIES = 4096  # per compile function
_CACHES: list[Callable[[], None]] = []


def by_text(compile_text: Callable[[str], T]) -> Callable[[str], T]:
    """Decorator: `compile_text` memoised for `str` arguments; any other argument (which the
    function rejects with a CompileError) is passed through uncached."""
    cached = functools.lru_cache(maxsize=MAX_ENTRIES)(compile_text)
    _CACHES.append(cached.cache_clear)

    @functools.wraps(compile_text)
    def compile(text: str) -> T:
        # `type(...) is str`: a str subclass could hash equal yet compile differently.
        return cached(text) if type(text) is str else compile_text(text)

    return compile


def clear() -> None:
    """Empty every cache (benchmarks use it to time a first load in a warm interpreter)."""
    for cache_clear in _CACHES:
        cache_clear()

