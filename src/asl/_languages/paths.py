"""AWS's JSONPath dialect, compiled once: reading paths, reference paths and the ResultPath merge.

AWS evaluates JSONPath with Jayway JsonPath, and its quirks live here and nowhere else:

- a *definite* path (only names and single indexes) yields one value, and failing to match is a
  `States.Runtime` error worded as Jayway words it ("No results for path: $['a']" when the last
  step is missing, "Missing property in path $['a']" when an intermediate one is);
- an *indefinite* path (wildcards, slices, filters, unions, `..`) yields the list of its matches,
  possibly empty, and never fails;
- `$$...` reads the context object and `$name...` a workflow variable; both then behave as `$`.

Definite paths compile to a tuple of steps walked by a small loop; indefinite ones to a chain of
`jayway` selectors. Both are built once, at load, by the one tokenizer below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

import attrs

from asl._errors import RESULT_PATH_MATCH_FAILURE, RUNTIME, CompileError, StatesError
from asl._json import to_json, type_phrase
from asl._languages import jayway as _jayway
from asl._languages.env import Env
from asl._languages.memo import by_text
from asl._languages.scan import unquoted

Root = Literal["input", "context", "variable"]
Step = str | int  # a str is an object key, an int an array index (negative counts from the end)


class _Missing:
    """The one value of "the path matched nothing"; distinct from JSON null."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Characters that end (or may not appear in) a dot-notation name; Jayway reads a name up to them.
_NAME_STOP = frozenset(".[]()'\"*?@,= \t\r\n")
_INDEX = re.compile(r"-?[0-9]+")
# What Jayway's messages print for a Java value's class (AWS surfaces these in causes).
_PROVIDER = "com.jayway.jsonpath.spi.json.JsonSmartJsonProvider"


def is_path(text: object) -> bool:
    """True when `text` looks like a JSONPath (starts with `$`, after any blanks), whatever else
    it contains."""
    return isinstance(text, str) and text.lstrip().startswith("$")


def is_context_path(text: object) -> bool:
    """True when `text` reads the context object (`$$...`)."""
    return isinstance(text, str) and text.startswith("$$")


# ---------------------------------------------------------------------------------------------
# Compiled objects


@attrs.frozen
class JsonPath:
    """A compiled Path.

    `find(data, env)` is the value at the path, MISSING when a definite path matches nothing
    (or its variable is unset), or the list of matches of an indefinite path; it never raises.
    `get(data, env)` is the same but raises AWS's States.Runtime error instead of MISSING."""

    text: str
    definite: bool
    root: Root
    variable: str | None  # the variable's name when root == "variable"
    steps: tuple[Step, ...]  # definite paths only
    # A closure built at compile time, so the hot path is one call with no dispatch on root.
    find: Callable[[Any, Env], Any] = attrs.field(repr=False, eq=False)

    def get(self, data: Any, env: Env) -> Any:
        """The value at the path; `StatesError(States.Runtime)` worded as AWS when it matches
        nothing. Indefinite paths return a list and never fail."""
        value = self.find(data, env)
        if value is MISSING:
            raise StatesError(RUNTIME, f"Invalid path '{self.text}' : {self.explain(data, env)}")
        return value

    def explain(self, data: Any, env: Env) -> str:
        """Jayway's message for why this definite path matches nothing in `data` (slow path)."""
        if self.root == "input":
            value = data
        elif self.root == "context":
            value = env.context
        else:
            value = env.variables.get(self.variable, MISSING)  # type: ignore[arg-type]
            if value is MISSING:
                # No recording pins AWS's wording for an unset variable; this follows its shape.
                return f"The variable '{self.variable}' is not defined"
        return _explain_miss(value, self.steps)


@attrs.frozen
class ReferencePath:
    """A compiled Reference Path (a definite path): readable like `JsonPath`, and for `$` paths
    writable with `.apply(data, result)`, the ResultPath merge."""

    path: JsonPath

    @property
    def text(self) -> str:
        return self.path.text

    def get(self, data: Any, env: Env) -> Any:
        return self.path.get(data, env)

    def find(self, data: Any, env: Env) -> Any:
        return self.path.find(data, env)

    def apply(self, data: Any, result: Any) -> Any:
        """A new document: `data` with `result` written at this path. Missing objects along the
        path are created; only the containers along the path are copied, never `data` itself."""
        steps = self.path.steps
        if not steps:
            return result
        written = _write(data, steps, 0, result)
        if written is MISSING:
            raise StatesError(
                RESULT_PATH_MATCH_FAILURE,
                f"Unable to apply ReferencePath {self.path.text} to input {to_json(data)}",
            )
        return written


# ---------------------------------------------------------------------------------------------
# Compilation


@by_text
def compile_path(text: str) -> JsonPath:
    """Compile a Path (InputPath, OutputPath, a `.$` value, ...): definite or not."""
    if not isinstance(text, str):
        raise CompileError(f"a path must be a string, not {type_phrase(text)}")
    # AWS trims blanks around a whole path (" $.a " reads $.a).
    text = text.strip()
    root, variable, start = _parse_root(text)
    parsed = _parse_steps(text, start)
    steps = tuple(step for step in parsed if isinstance(step, str | int))
    definite = len(steps) == len(parsed)
    if definite:
        walk = _walker(steps)
    else:
        walk = _jayway.compose([_selector(step) for step in parsed])
        steps = ()
    return JsonPath(text, definite, root, variable, steps, _finder(root, variable, walk))


@by_text
def compile_reference_path(text: str) -> ReferencePath:
    """Compile a Reference Path: names and single indexes only (`$`, `$.a.b`, `$.a[0]`,
    `$['a b']`, also `$$...` and `$name...`), so it always addresses at most one node."""
    path = compile_path(text)
    if not path.definite:
        raise CompileError(
            f"'{text}' is not a reference path: it may select several values; use only "
            "'.name', \"['name']\" and '[index]' steps (no '*', '..', slices, unions or filters)"
        )
    return ReferencePath(path)


@by_text
def compile_result_path(text: str) -> ReferencePath:
    """Compile a ResultPath: a reference path into the state input (`$...`), which is written to."""
    ref = compile_reference_path(text)
    if ref.path.root != "input":
        raise CompileError(
            f"ResultPath '{text}' must write into the state input, so it must start with '$' "
            "followed by '.', '[' or nothing; the context object and variables are read-only"
        )
    return ref


def _parse_root(text: str) -> tuple[Root, str | None, int]:
    if not text.startswith("$"):
        raise CompileError(f"'{text}' is not a JSONPath: a path must start with '$'")
    if text.startswith("$$"):
        return "context", None, 2
    match = _VARIABLE_NAME.match(text, 1)
    if match:
        return "variable", match.group(), match.end()
    return "input", None, 1


def _parse_steps(text: str, i: int) -> list[Step | _jayway.Selector]:
    """Split a path into steps: a name or an index for each definite step, a Jayway selector for
    each indefinite one (the path is definite when it has none)."""
    steps: list[Step | _jayway.Selector] = []
    n = len(text)
    while i < n:
        char = text[i]
        if char == ".":
            if text.startswith("..", i):
                i += 2
                step: Step | _jayway.Selector
                if i < n and text[i] == "[":
                    end = _closing_bracket(text, i)
                    inner = text[i + 1 : end].strip()
                    if inner.startswith("?"):
                        # Jayway tests a deep scan's filter on every object of the tree, itself
                        # included, unlike a filter anywhere else; not built, so refused at load.
                        raise CompileError(
                            f"'{text}' is not supported: a filter right after '..'; filter a "
                            "named array instead, e.g. $..items[?(@.price > 10)]"
                        )
                    step = _bracket_step(text, inner, i)
                    i = end + 1
                elif i < n and text[i] == "*":
                    step, i = _jayway.wildcard, i + 1
                else:
                    step, i = _read_name(text, i)
                steps.append(_jayway.descendants(_selector(step)))
            elif i + 1 < n and text[i + 1] == "*":
                steps.append(_jayway.wildcard)
                i += 2
            elif i + 1 < n and text[i + 1] == "[":
                # Jayway (and so AWS) reads `.[` as `[`: `$.a.[0]`, `$.['b c']` (the latter is
                # in AWS's own documentation).
                i += 1
            else:
                name, i = _read_name(text, i + 1)
                steps.append(name)
        elif char == "[":
            end = _closing_bracket(text, i)
            steps.append(_bracket_step(text, text[i + 1 : end].strip(), i))
            i = end + 1
        else:
            raise CompileError(
                f"'{text}' is not a valid JSONPath: unexpected {char!r} at position {i}; "
                "after the root, each step starts with '.' or '['"
            )
    return steps


def _selector(step: Step | _jayway.Selector) -> _jayway.Selector:
    """A definite step as a selector, for use within an indefinite path."""
    if isinstance(step, str):
        return _jayway.names((step,))
    if isinstance(step, int):
        return _jayway.indexes((step,))
    return step


def _read_name(text: str, i: int) -> tuple[str, int]:
    start = i
    while i < len(text) and text[i] not in _NAME_STOP:
        i += 1
    if i < len(text) and text[i] == "(":
        raise CompileError(
            f"'{text}' is not supported: AWS's JSONPath has no functions such as "
            f"'{text[start:i]}()'; use an intrinsic function (States.*) instead"
        )
    if i == start:
        raise CompileError(
            f"'{text}' is not a valid JSONPath: expected a name at position {start}; names "
            "with spaces or punctuation go in brackets, e.g. $['my name']"
        )
    return text[start:i], i


def _closing_bracket(text: str, i: int) -> int:
    depth = 0
    for j, char in unquoted(text, i):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return j
    raise CompileError(f"'{text}' is not a valid JSONPath: the '[' at position {i} is never closed")


def _bracket_step(text: str, inner: str, at: int) -> Step | _jayway.Selector:
    """The step of a `[...]`: an index or a name, else the selector of an indefinite one (`*`, a
    union, a slice, a filter); CompileError when invalid."""
    if _INDEX.fullmatch(inner):
        return int(inner)
    if inner[:1] in ("'", '"'):
        names = _quoted_names(text, inner, at)
        return names[0] if len(names) == 1 else _jayway.names(names)
    if inner == "*":
        return _jayway.wildcard
    if inner.startswith("?"):
        return _jayway.filter_(text, inner[1:])
    if ":" in inner:
        bounds = [part.strip() for part in inner.split(":")]
        if len(bounds) <= 3 and all(not b or _INDEX.fullmatch(b) for b in bounds):
            numbers = [int(b) if b else None for b in bounds]
            return _jayway.slice_(numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else None)
        raise CompileError(
            f"'{text}' is not a valid JSONPath: '[{inner}]' at position {at} is not a slice "
            "('[start:end]' or '[start:end:step]', each an optional integer)"
        )
    if "," in inner:
        positions = [part.strip() for part in inner.split(",")]
        if all(_INDEX.fullmatch(p) for p in positions):
            return _jayway.indexes([int(p) for p in positions])
        raise CompileError(
            f"'{text}' is not a valid JSONPath: '[{inner}]' at position {at} is not a union "
            "(indexes such as '[0,2]', or quoted names such as \"['a','b']\")"
        )
    raise CompileError(
        f"'{text}' is not a valid JSONPath: '[{inner}]' at position {at} is neither an index, "
        "a quoted name, '*', a slice nor a filter"
    )


def _quoted_names(text: str, inner: str, at: int) -> list[str]:
    names, i = [], 0
    while True:
        quote = inner[i]
        j, chars = i + 1, []
        while j < len(inner) and inner[j] != quote:
            # Only the enclosing quote is escapable: AWS keeps any other backslash as written
            # (recorded: $['Test\\""Name"'] reads the key Test\\""Name", backslash included).
            if inner[j] == "\\" and j + 1 < len(inner) and inner[j + 1] == quote:
                j += 1
            chars.append(inner[j])
            j += 1
        if j >= len(inner):
            raise CompileError(f"'{text}' is not a valid JSONPath: unclosed quote at position {at}")
        names.append("".join(chars))
        rest = inner[j + 1 :].lstrip()
        if not rest:
            return names
        if not rest.startswith(","):
            raise CompileError(
                f"'{text}' is not a valid JSONPath: unexpected {rest[0]!r} in '[{inner}]'"
            )
        inner, i = rest[1:].lstrip(), 0
        if inner[:1] not in ("'", '"'):
            raise CompileError(
                f"'{text}' is not a valid JSONPath: expected a quoted name after ','"
            )


# ---------------------------------------------------------------------------------------------
# Evaluation


def _walker(steps: tuple[Step, ...]) -> Callable[[Any], Any]:
    """value -> the value at `steps` below it, or MISSING; the common shapes unrolled."""
    if not steps:
        return lambda value: value
    if len(steps) == 1 and type(steps[0]) is str:
        key = steps[0]

        def walk_key(value: Any) -> Any:
            if type(value) is dict:
                return value.get(key, MISSING)
            return _step(value, key)

        return walk_key
    if all(type(step) is str for step in steps):

        def walk_keys(value: Any) -> Any:
            for key in steps:
                if type(value) is not dict and not isinstance(value, Mapping):
                    return MISSING
                value = value.get(key, MISSING)
                if value is MISSING:
                    return MISSING
            return value

        return walk_keys

    def walk(value: Any) -> Any:
        for step in steps:
            value = _step(value, step)
            if value is MISSING:
                return MISSING
        return value

    return walk


def _finder(root: Root, variable: str | None, walk: Callable[[Any], Any]) -> Callable[..., Any]:
    if root == "input":
        return lambda data, env: walk(data)
    if root == "context":
        return lambda data, env: walk(env.context)

    def find_variable(data: Any, env: Env) -> Any:
        value = env.variables.get(variable, MISSING)  # type: ignore[arg-type]  # set for variables
        return MISSING if value is MISSING else walk(value)

    return find_variable


def _step(value: Any, step: Step) -> Any:
    if type(step) is str:
        if type(value) is dict or isinstance(value, Mapping):
            return value.get(step, MISSING)
        return MISSING
    if type(value) is list:
        try:
            return value[step]  # type: ignore[index]  # step is an int here
        except IndexError:
            return MISSING
    return MISSING


def _explain_miss(value: Any, steps: tuple[Step, ...]) -> str:
    """Jayway's PathNotFoundException message for the first step that fails."""
    current = "$"
    last = len(steps) - 1
    for n, step in enumerate(steps):
        fragment = _fragment(step)
        if isinstance(step, str):
            if not isinstance(value, Mapping):
                return (
                    f"Expected to find an object with property {fragment} in path {current} but "
                    f"found '{_java_class(value)}'. This is not a json object according to the "
                    f"JsonProvider: '{_PROVIDER}'."
                )
            if step not in value:
                if n == last:
                    break
                return f"Missing property in path {current}{fragment}"
        else:
            if value is None:
                return f"The path {current} is null"
            if not isinstance(value, list):
                return (
                    f"Filter: {fragment} can only be applied to arrays. "
                    f"Current context is: {to_json(value)}"
                )
            if not -len(value) <= step < len(value):
                break  # Jayway swallows the IndexOutOfBounds, leaving no result
        value = value[step]
        current += fragment
    return "No results for path: $" + "".join(_fragment(s) for s in steps)


def _write(node: Any, steps: tuple[Step, ...], i: int, result: Any) -> Any:
    """`node` with `result` at steps[i:], copying only the containers on the way; MISSING when
    the path runs into a value it cannot write into."""
    step = steps[i]
    last = i == len(steps) - 1
    if isinstance(step, str):
        if not isinstance(node, dict):
            return MISSING
        child = result if last else _write(node.get(step, {}), steps, i + 1, result)
        if child is MISSING:
            return MISSING
        copy = dict(node)
        copy[step] = child
        return copy
    if not isinstance(node, list) or not -len(node) <= step < len(node):
        return MISSING
    child = result if last else _write(node[step], steps, i + 1, result)
    if child is MISSING:
        return MISSING
    items = list(node)
    items[step] = child
    return items


# ---------------------------------------------------------------------------------------------
# Small helpers


def _fragment(step: Step) -> str:
    return f"['{step}']" if isinstance(step, str) else f"[{step}]"


def _java_class(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer" if -(2**31) <= value < 2**31 else "java.lang.Long"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    return "net.minidev.json.JSONArray"


__all__ = [
    "MISSING",
    "JsonPath",
    "ReferencePath",
    "compile_path",
    "compile_reference_path",
    "compile_result_path",
    "is_context_path",
    "is_path",
]

