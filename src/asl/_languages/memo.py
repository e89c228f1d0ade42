"""One compile per distinct text: the compile functions for paths, intrinsic calls and payload
templates are pure and their results immutable, so equal input can share one compiled object.

A definition repeats the same few paths (`$`, `$.value`, `$.Payload`) across thousands of
fields, and `asl.load` compiles each field twice (once to validate, once to build the model);
without this, a 2,000-state definition spends most of its load re-parsing identical strings.
The cache is bounded, like `re`'s; CompileErrors are not cached (bad definitions are rare and
each error must carry a fresh traceback).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

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


def by_value(compile_value: Callable[[Any], T]) -> Callable[[Any], T]:
    """Decorator: `compile_value` memoised for JSON objects and arrays, keyed by their `repr`.

    For JSON values `repr` is exact (it tells 1 from 1.0, True and "1", and keeps key order),
    costs a fraction of a compile, and holds no reference to the caller's (mutable) value."""
    cache: dict[str, T] = {}
    _CACHES.append(cache.clear)

    @functools.wraps(compile_value)
    def compile(value: Any) -> T:
        if type(value) is not dict and type(value) is not list:
            return compile_value(value)
        key = repr(value)
        compiled = cache.get(key, _MISS)
        if compiled is _MISS:
            compiled = compile_value(value)
            if len(cache) >= MAX_ENTRIES:
                cache.clear()  # crude but bounded; a definition rarely has this many templates
            cache[key] = compiled
        return compiled  # type: ignore[return-value]  # not _MISS here

    return compile


_MISS = object()


def clear() -> None:
    """Empty every cache (benchmarks use it to time a first load in a warm interpreter)."""
    for cache_clear in _CACHES:
        cache_clear()
