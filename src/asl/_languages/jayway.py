"""Indefinite paths (wildcards, slices, unions, filters, `..`) evaluated the way Jayway JsonPath,
and so AWS, evaluates them.

An indefinite path compiles to a sequence of selectors, each a function from one value to the
list of its matches, and evaluates as their composition. Jayway's rules live in the selectors:

- `*` selects an array's items and an object's values;
- index, union and slice selectors select from arrays only: a lone object or string is never
  treated as a one-element list, nor indexed;
- `..X` applies X to a value and then to every value below it, depth first in document order;
- a filter `[?(...)]` keeps those of an array's items (or an object's values) that its predicate
  accepts; a predicate that cannot be evaluated on an item (a string compared with a number)
  rejects that item only, never the whole path.

Only the filter predicates go through jsonpath-ng, by its public extended `parse` and `find`,
parsed once per predicate at load. jsonpath-ng is imported only when a definition has a filter.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from asl._errors import CompileError
from asl._languages.scan import unquoted

Selector = Callable[[Any], list[Any]]


def compose(selectors: Sequence[Selector]) -> Callable[[Any], list[Any]]:
    """value -> the matches of the whole path: each selector applied to every match of the one
    before it, in order."""
    chain = tuple(selectors)

    def find(value: Any) -> list[Any]:
        values = [value]
        for select in chain:
            values = [match for each in values for match in select(each)]
            if not values:
                break
        return values

    return find


def wildcard(value: Any) -> list[Any]:
    """`*` and `[*]`: an array's items or an object's values; nothing below a scalar."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    return []


def names(keys: Sequence[str]) -> Selector:
    """`.name`, `['a','b']`: the values of those keys that an object has, in the order written."""
    wanted = tuple(keys)

    def select(value: Any) -> list[Any]:
        if not isinstance(value, Mapping):
            return []
        return [value[key] for key in wanted if key in value]

    return select


def indexes(positions: Sequence[int]) -> Selector:
    """`[1]`, `[0,2]`, `[-1]`: those items of an array (negative counts from the end); an index
    out of range selects nothing."""
    wanted = tuple(positions)

    def select(value: Any) -> list[Any]:
        if not isinstance(value, list):
            return []
        size = len(value)
        return [value[n] for n in wanted if -size <= n < size]

    return select


def slice_(start: int | None, end: int | None, step: int | None) -> Selector:
    """`[start:end]` and `[start:end:step]` over an array, bounds as in Python."""
    if start is None and end is None and step is None:
        # `[:]` has always selected like `[*]` here (objects' values included): kept as it was.
        return wildcard
    if step == 0:
        # No step can walk a slice of step 0; it has always matched nothing rather than failed.
        return lambda value: []
    bounds = slice(start, end, step)

    def select(value: Any) -> list[Any]:
        return value[bounds] if isinstance(value, list) else []

    return select


def descendants(select: Selector) -> Selector:
    """`..X`: X applied to the value, then to each value below it, depth first in document order
    (the order jsonpath-ng listed them in before this module replaced it, kept)."""

    def find(value: Any) -> list[Any]:
        found: list[Any] = []
        pending = [value]  # a stack, not recursion: a deep document must not overflow Python's
        while pending:
            node = pending.pop()
            found.extend(select(node))
            if isinstance(node, list):
                pending.extend(reversed(node))
            elif isinstance(node, dict):
                pending.extend(reversed(node.values()))
        return found

    return find


def filter_(text: str, expression: str) -> Selector:
    """`[?(predicate)]` in `text`: the items of an array (values of an object) that the predicate,
    in jsonpath-ng's extended grammar, accepts. CompileError when jsonpath-ng cannot parse it."""
    # jsonpath-ng ships types from 1.12 on; the ignore is for older releases, unused on newer ones.
    from jsonpath_ng.ext.parser import parse  # type: ignore[import-untyped, unused-ignore]

    from asl._languages import bounds  # with jsonpath-ng: only filters pay for `regex`

    parts = _conjuncts(expression)
    try:
        predicates = tuple(parse(f"$[?({part})]") for part in parts)
    except Exception as exc:  # noqa: BLE001  # jsonpath-ng raises several unrelated types on bad syntax
        raise CompileError(f"'{text}' is not a valid JSONPath: {exc}") from None
    for predicate in predicates:
        bounds.bound_jsonpath_regexes(predicate)
    # jsonpath-ng 1.8 overwrites an object it filters, in place in its parent; a predicate with
    # a filter of its own (`@.a[?(...)]`) so reads a copy of the item, never the state's data.
    nested = any("[?" in part for part in parts)

    def accepts(item: Any) -> bool:
        # The item alone in a list: a filter over that list keeps it or not, whatever its type.
        alone = [copy.deepcopy(item) if nested else item]
        try:
            return all(predicate.find(alone) for predicate in predicates)
        except bounds.RegexTimeout as exc:
            raise bounds.runtime_failure(exc) from None
        except Exception:  # noqa: BLE001  # Jayway rejects an item its predicate cannot evaluate
            return False

    def select(value: Any) -> list[Any]:
        if isinstance(value, list):
            items = value
        elif isinstance(value, dict):
            items = list(value.values())
        else:
            return []
        if not nested:
            # One pass per conjunct over the whole list, each keeping what the one before kept;
            # item by item only when some item makes a predicate raise.
            kept = items
            try:
                for predicate in predicates:
                    kept = [match.value for match in predicate.find(kept)]
                return kept
            except bounds.RegexTimeout as exc:
                raise bounds.runtime_failure(exc) from None
            except Exception:  # noqa: BLE001  # the slow path below skips just the failing items
                pass
        return [item for item in items if accepts(item)]

    return select


def _conjuncts(expression: str) -> list[str]:
    """`(a && b && c)` -> [a, b, c], split at the top level (outside quotes and parentheses).

    Jayway spells "and" `&&`; jsonpath-ng spells it `&` before 1.13 and deprecates `&` from 1.13
    on (it goes in 2.0), so a predicate per conjunct, all of which must accept, suits every
    version. An expression with a top-level `||` stays whole: splitting it at `&&` would bind
    `||` tighter than `&&`."""
    body = _unwrap(expression.strip())
    parts: list[str] = []
    depth, start = 0, 0
    for i, char in unquoted(body):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and i >= start and body.startswith("||", i):
            return [body]
        elif depth == 0 and i >= start and body.startswith("&&", i):
            parts.append(body[start:i].strip())
            start = i + 2  # the second `&` is skipped below: it is before `start`
    parts.append(body[start:].strip())
    return parts


def _unwrap(body: str) -> str:
    """`(x)` -> `x` while one pair of parentheses encloses the whole of it."""
    while body.startswith("(") and _closing_paren(body) == len(body) - 1:
        body = body[1:-1].strip()
    return body


def _closing_paren(body: str) -> int:
    """The index of the `)` matching the `(` at 0, outside quotes; -1 when unclosed."""
    depth = 0
    for i, char in unquoted(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


__all__ = ["Selector", "compose", "descendants", "filter_", "indexes", "names", "slice_", "wildcard"]
