"""jsonpath-ng adjusted to Jayway, for indefinite paths only (wildcards, slices, filters, unions,
`..`): `*` selects an object's values, and array selectors skip non-arrays (jsonpath-ng would
wrap a lone object into a one-element list).

A module of its own so that jsonpath-ng is imported only when a definition has such a path.
"""

from __future__ import annotations

from typing import Any

from jsonpath_ng import jsonpath as _jp  # type: ignore[import-untyped]  # no type information
from jsonpath_ng.ext import parse as ext_parse  # type: ignore[import-untyped]

__all__ = ["ext_parse", "jaywayish"]


class _Wildcard(_jp.JSONPath):  # type: ignore[misc]  # jsonpath-ng is untyped
    def find(self, datum: Any) -> list[Any]:
        datum = _jp.DatumInContext.wrap(datum)
        value = datum.value
        if isinstance(value, list):
            return [
                _jp.DatumInContext(v, path=_jp.Index(n), context=datum) for n, v in enumerate(value)
            ]
        if isinstance(value, dict):
            return [
                _jp.DatumInContext(v, path=_jp.Fields(k), context=datum) for k, v in value.items()
            ]
        return []

    def __str__(self) -> str:
        return "*"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Wildcard)

    def __hash__(self) -> int:
        return hash("*")


class _ArraySlice(_jp.Slice):  # type: ignore[misc]
    def find(self, datum: Any) -> list[Any]:
        datum = _jp.DatumInContext.wrap(datum)
        return super().find(datum) if isinstance(datum.value, list) else []


class _ArrayIndex(_jp.Index):  # type: ignore[misc]
    def find(self, datum: Any) -> list[Any]:
        datum = _jp.DatumInContext.wrap(datum)
        return super().find(datum) if isinstance(datum.value, list) else []


def jaywayish(node: Any) -> Any:
    if isinstance(node, _jp.Slice):
        if node.start is None and node.end is None and node.step is None:
            return _Wildcard()
        return _ArraySlice(node.start, node.end, node.step)
    if isinstance(node, _jp.Fields) and node.fields == ("*",):
        return _Wildcard()
    if type(node) is _jp.Index:
        indices = getattr(node, "indices", None)
        return _ArrayIndex(*indices) if indices is not None else _ArrayIndex(node.index)
    for attr in ("left", "right"):
        child = getattr(node, attr, None)
        if isinstance(child, _jp.JSONPath):
            setattr(node, attr, jaywayish(child))
    return node
