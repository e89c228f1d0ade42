"""Payload templates of JSONPath states: Parameters, ResultSelector, ItemSelector and Assign.

A key ending in `.$` takes a path (`$...`, `$$...`, `$name...`) or a `States.*` intrinsic call,
and its output key drops the `.$`; objects and arrays are templated recursively. Everything is
compiled once by `compile_template`; `Template.render(data, env)` only walks the compiled tree.

Sharing: subtrees with no `.$` key anywhere below them are built once at compile time and the very
same objects are returned by every render (no per-render copies), and path values are the
caller's own objects, not copies. Nothing in asl mutates a rendered value in place (the ResultPath
merge copies along the path it writes), so sharing is safe inside the engine; code that hands a
rendered payload to user code that might mutate it (the Task handler boundary) must copy it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from asl._errors import RUNTIME, CompileError, StatesError
from asl._json import escape, to_json, type_phrase
from asl._languages import intrinsics as _intrinsics
from asl._languages import paths as _paths
from asl._languages.env import Env
from asl._languages.memo import by_value


@by_value
def compile_template(obj: Any) -> Template:
    """Compile a payload template; raises CompileError with `subpointer` at the offending key."""
    warnings: list[tuple[str, str]] = []
    root = _compile(obj, "", warnings)
    return Template(root, tuple(warnings))


@attrs.frozen
class Template:
    """A compiled payload template; `render` is the hot path and never mutates `data`."""

    root: Any  # _Const | _Object | _Array
    #: (subpointer, why) of each intrinsic call that compiles but can never succeed.
    warnings: tuple[tuple[str, str], ...] = ()

    @property
    def is_constant(self) -> bool:
        """True when the template has no `.$` key, so every render returns the same value."""
        return isinstance(self.root, _Const)

    def render(self, data: Any, env: Env) -> Any:
        return self.root.render(data, env)


# --------------------------------------------------------------------------- nodes


@attrs.frozen
class _Const:
    value: Any

    def render(self, data: Any, env: Env) -> Any:
        return self.value


@attrs.frozen
class _PathValue:
    key: str  # the template key as written, `.$` included (AWS names it in the cause)
    path: _paths.JsonPath

    def render(self, data: Any, env: Env) -> Any:
        value = self.path.find(data, env)
        if value is _paths.MISSING:
            # AWS names the document the path searched: the context object for `$$` paths.
            searched = env.context if self.path.root == "context" else data
            raise StatesError(
                RUNTIME,
                f"The JSONPath '{self.path.text}' specified for the field '{self.key}' could not "
                f"be found in the input '{to_json(searched)}'",
            )
        return value


@attrs.frozen
class _IntrinsicValue:
    intrinsic: _intrinsics.Intrinsic

    def render(self, data: Any, env: Env) -> Any:
        return self.intrinsic.evaluate(data, env)


@attrs.frozen
class _Object:
    items: tuple[tuple[str, Any], ...]  # (output key, node), in the template's key order

    def render(self, data: Any, env: Env) -> dict[str, Any]:
        return {key: node.render(data, env) for key, node in self.items}


@attrs.frozen
class _Array:
    items: tuple[Any, ...]

    def render(self, data: Any, env: Env) -> list[Any]:
        return [node.render(data, env) for node in self.items]


# --------------------------------------------------------------------------- compilation


def _compile(obj: Any, pointer: str, warnings: list[tuple[str, str]]) -> Any:
    if isinstance(obj, Mapping):
        return _compile_object(obj, pointer, warnings)
    if isinstance(obj, list):
        nodes = tuple(_compile(item, f"{pointer}/{i}", warnings) for i, item in enumerate(obj))
        if all(isinstance(n, _Const) for n in nodes):
            return _Const([n.value for n in nodes])
        return _Array(nodes)
    return _Const(obj)


def _compile_object(obj: Mapping[str, Any], pointer: str, warnings: list[tuple[str, str]]) -> Any:
    items: list[tuple[str, Any]] = []
    sources: dict[str, str] = {}  # output key -> the template key that produced it
    for key, value in obj.items():
        where = f"{pointer}/{escape(key)}"
        if isinstance(key, str) and key.endswith(".$"):
            out_key = key[:-2]
            node = _compile_dynamic(key, value, where)
            if isinstance(node, _IntrinsicValue):
                warnings.extend((where, why) for why in node.intrinsic.warnings)
        else:
            out_key, node = key, _compile(value, where, warnings)
        if out_key in sources:
            raise CompileError(
                f"the keys '{sources[out_key]}' and '{key}' both produce the field '{out_key}'; "
                "keep only one of them",
                where,
            )
        sources[out_key] = key
        items.append((out_key, node))
    if all(isinstance(node, _Const) for _, node in items):
        return _Const({key: node.value for key, node in items})
    return _Object(tuple(items))


def _compile_dynamic(key: str, value: Any, where: str) -> Any:
    if not isinstance(value, str):
        raise CompileError(
            f'the value of \'{key}\' must be a string holding a path ("$.field", "$$.Execution.Id", '
            f'"$variable") or an intrinsic call ("States.Format(...)"), not '
            f"{type_phrase(value)}; to pass a literal value, drop the '.$' from the key",
            where,
        )
    try:
        if _intrinsics.is_intrinsic(value):
            return _IntrinsicValue(_intrinsics.compile_intrinsic(value))
        if _paths.is_path(value):
            return _PathValue(key, _paths.compile_path(value))
    except CompileError as e:
        raise CompileError(f"'{key}': {e.message}", where, e.code) from None
    raise CompileError(
        f"the value of '{key}' is {value!r}, which is neither a path (it must start with '$') "
        "nor an intrinsic call (States.Name(...)); to pass the text literally, drop the '.$' "
        "from the key",
        where,
    )


