"""Definition sources: a dict, JSON or YAML text, bytes, or a file, turned into a document plus a
locator that maps a JSON pointer back to the line and column it came from.

Nothing here raises for bad input: unreadable files, bad encodings, syntax errors, duplicate keys
and a top level that is not an object all come back as Problems on the Source.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from asl._errors import Problem
from asl._json import escape, join, to_json

# Codes (documented in docs/problems.md).
IO_ERROR = "io-error"
ENCODING = "encoding"
EMPTY = "empty"
SYNTAX = "syntax"
TOO_DEEP = "too-deep"
NOT_AN_OBJECT = "not-an-object"
NOT_JSON = "not-json"
DUPLICATE_KEY = "duplicate-key"
TOO_LARGE = "too-large"

# Bounds on what a definition may be, so that hostile text costs milliseconds, not gigabytes.
#: Text above this is refused unread (AWS's quota is 1 MB of definition; room for YAML's comments).
MAX_TEXT = 4 * 1024 * 1024
#: AWS's hard quota on a definition's size, counted here on its compact JSON (an inferred bound:
#: AWS counts the text as sent, whitespace included).
MAX_DEFINITION = 1024 * 1024
#: Nesting below this depth is refused (no real definition comes near; Python's parsers and
#: every recursive walk stay far from the recursion limit).
MAX_DEPTH = 400

_YAML_SUFFIXES = (".yaml", ".yml")
_SUFFIXES = (".json", *_YAML_SUFFIXES)

# One token of (already known to be valid) JSON text: a string, a structural character, or a
# bare literal (number, true, false, null). Whitespace falls between matches.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')
_NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity"})


class _Index:
    """Lazily built pointer -> (line, column) table for one text; most valid definitions are
    never located, so the scan happens only when a Problem needs a position."""

    __slots__ = ("_line_starts", "_offsets", "_positions", "text")

    def __init__(
        self,
        text: str | None,
        offsets: dict[str, int] | None = None,
        positions: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        self.text = text
        self._offsets = offsets
        self._positions = positions
        self._line_starts: list[int] | None = None

    def position_of_offset(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            text = self.text or ""
            self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def locate(self, pointer: str) -> tuple[int, int] | None:
        if self._positions is None:
            if self.text is None:
                return None
            if self._offsets is None:
                self._offsets, _ = _scan(self.text)
        while True:
            if self._positions is not None and pointer in self._positions:
                return self._positions[pointer]
            if self._offsets is not None and pointer in self._offsets:
                return self.position_of_offset(self._offsets[pointer])
            if not pointer:
                return None
            # A pointer below what the text spells out (a key inside a path string, a missing
            # field) is shown at its nearest written ancestor.
            pointer = pointer.rpartition("/")[0]


class Source:
    """A parsed definition: `document` is the JSON value (None when unparseable), `problems`
    what is wrong with the text itself, `name` the file it came from (if any).

    A plain slotted class, not attrs: it is on the start-up path of `asl validate`."""

    __slots__ = ("_index", "document", "name", "problems")

    def __init__(
        self,
        document: Any,
        problems: tuple[Problem, ...] = (),
        name: str | None = None,
        index: _Index | None = None,
    ) -> None:
        self.document = document
        self.problems = problems
        self.name = name
        self._index = index if index is not None else _Index(None)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Source:
            return NotImplemented
        return (self.document, self.problems, self.name) == (
            other.document,
            other.problems,
            other.name,
        )

    __hash__ = None  # type: ignore[assignment]  # documents are dicts: unhashable, like before

    def __repr__(self) -> str:
        return f"Source(document={self.document!r}, problems={self.problems!r}, name={self.name!r})"

    def locate(self, pointer: str) -> tuple[int, int] | None:
        """The 1-based (line, column) where `pointer` is written, or None when not known."""
        return self._index.locate(pointer)


def load_source(definition: object) -> Source:
    """Parse `definition` (dict, JSON/YAML text, bytes, `Path` or file path) into a Source."""
    if isinstance(definition, Path):
        return _load_path(definition)
    if isinstance(definition, bytes | bytearray | memoryview):
        return _load_bytes(bytes(definition), name=None, yaml_hint=False)
    if isinstance(definition, str):
        if _looks_like_path(definition):
            return _load_path(Path(definition))
        return _load_text(definition, name=None, yaml_hint=False)
    if isinstance(definition, dict):
        problems = tuple(_bounds(definition))
        if not problems:
            problems = tuple(_non_json(definition, ""))
        return Source(definition, problems)
    return Source(
        definition,
        (
            Problem(
                "",
                NOT_AN_OBJECT,
                f"a definition must be a JSON object (or text, bytes or a file holding one), "
                f"not {type(definition).__name__}",
            ),
        ),
    )


def _looks_like_path(text: str) -> bool:
    if "\n" in text or not text.strip() or text.lstrip()[0] in "{[":
        return False
    return text.lower().endswith(_SUFFIXES) or os.path.isfile(text)


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes, no more than MAX_TEXT + 1 of them (so that a caller can tell it is
    too large): a FIFO would block the open and a device (/dev/zero) never end. OSError else."""
    import stat

    if not stat.S_ISREG(path.stat().st_mode):
        raise OSError(0, "not a regular file")
    with path.open("rb") as file:
        return file.read(MAX_TEXT + 1)


def read_text(path: Path) -> str:
    """A regular file's UTF-8 text (a BOM dropped), as every file a definition or template
    names is read: OSError for what `read_bytes` refuses or a file over MAX_TEXT,
    UnicodeDecodeError for text that is not UTF-8."""
    data = read_bytes(path)
    if len(data) > MAX_TEXT:
        raise OSError(0, f"larger than {MAX_TEXT:,} bytes")
    return data.decode("utf-8-sig")


def _load_path(path: Path) -> Source:
    name = str(path)
    try:
        data = read_bytes(path)
    except OSError as error:
        reason = error.strerror or str(error)
        return Source(None, (Problem("", IO_ERROR, f"cannot read {name}: {reason}"),), name)
    return _load_bytes(data, name, yaml_hint=path.suffix.lower() in _YAML_SUFFIXES)


def _load_bytes(data: bytes, name: str | None, yaml_hint: bool) -> Source:
    if len(data) > MAX_TEXT:
        return _too_large_text(len(data), name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        problem = Problem(
            "",
            ENCODING,
            f"the definition is not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded; "
            "save the file as UTF-8",
            line=line,
            column=column,
        )
        return Source(None, (problem,), name)
    return _load_text(text, name, yaml_hint)


def _too_large_text(size: int, name: str | None) -> Source:
    message = (
        f"the definition is {size:,} bytes, far above AWS's quota of {MAX_DEFINITION:,} bytes; "
        "it is not read"
    )
    return Source(None, (Problem("", TOO_LARGE, message),), name)


def _load_text(text: str, name: str | None, yaml_hint: bool) -> Source:
    if len(text) > MAX_TEXT:
        return _too_large_text(len(text), name)
    stripped = text.lstrip()
    if not stripped:
        return Source(
            None,
            (
                Problem(
                    "",
                    EMPTY,
                    "the definition is empty; expected a JSON object with StartAt and States",
                ),
            ),
            name,
        )
    if yaml_hint or stripped[0] not in "{[":
        if "${" in text:
            from asl._definition.templates.placeholders import unquoted_yaml

            text = unquoted_yaml(text)  # `Seconds: ${Wait}` is a number once substituted
        return _load_yaml(text, name)
    if "${" in text:
        from asl._definition.templates.placeholders import unquoted

        text = unquoted(text)  # `"Seconds": ${Wait}` parses (same length: positions hold)
    return _load_json(text, name)


class _NonFinite(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _NonFinite(name)


def _load_json(text: str, name: str | None) -> Source:
    duplicated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicated
        result = dict(items)
        if len(result) != len(items):
            duplicated = True
        return result

    try:
        document = json.loads(text, object_pairs_hook=pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        problem = Problem(
            "", SYNTAX, f"invalid JSON: {error.msg}", line=error.lineno, column=error.colno
        )
        return Source(None, (problem,), name, _Index(text, positions={}))
    except _NonFinite as error:
        index = _Index(text, positions={})
        offset = next((m.start() for m in _TOKEN.finditer(text) if m.group() in _NON_FINITE), 0)
        line, column = index.position_of_offset(offset)
        message = f"invalid JSON: {error} is not a JSON number; write it as a string or use null"
        return Source(None, (Problem("", SYNTAX, message, line=line, column=column),), name, index)
    except RecursionError:
        message = "the definition is nested too deeply to be parsed"
        return Source(None, (Problem("", TOO_DEEP, message),), name, _Index(text, positions={}))
    except ValueError as error:  # Python's bound on digits in an integer (4,300 by default)
        return Source(None, (_long_number(error),), name, _Index(text, positions={}))
    index = _Index(text)
    problems: list[Problem] = []
    if duplicated:
        offsets, duplicates = _scan(text)
        index = _Index(text, offsets)
        for pointer, offset in duplicates:
            line, column = index.position_of_offset(offset)
            key = pointer.rpartition("/")[2].replace("~1", "/").replace("~0", "~")
            problems.append(
                Problem(
                    pointer,
                    DUPLICATE_KEY,
                    f"key {key!r} appears more than once in this object; only the last one is "
                    "used, remove the others",
                    "warning",
                    line,
                    column,
                )
            )
    problems.extend(_top_level(document))
    problems.extend(_bounds(document))
    return Source(document, tuple(problems), name, index)


def _long_number(error: ValueError) -> Problem:
    return Problem(
        "", TOO_LARGE, f"the definition holds a number too long to read ({error}); write it as a string"
    )


def _bounds(document: object) -> Iterator[Problem]:
    """Nesting deeper than MAX_DEPTH; more than MAX_DEFINITION bytes of compact JSON."""
    # Only containers go on the stack: most values are scalars, and a tuple for each made this
    # walk a quarter of a large definition's load time.
    containers = (dict, list)
    stack = [(document, 1)] if isinstance(document, containers) else []
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if depth > MAX_DEPTH:
            yield Problem(
                "", TOO_DEEP, f"the definition is nested more than {MAX_DEPTH} levels deep"
            )
            return
        deeper = depth + 1
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, containers):
                push((child, deeper))
    try:
        size = len(to_json(document).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError, RecursionError):
        return  # not JSON: reported as such
    if size > MAX_DEFINITION:
        yield Problem(
            "",
            TOO_LARGE,
            f"the definition is {size:,} bytes of JSON; AWS accepts at most {MAX_DEFINITION:,}",
        )


def _top_level(document: object) -> Iterator[Problem]:
    if not isinstance(document, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(document), "a number"
        )
        yield Problem(
            "",
            NOT_AN_OBJECT,
            f"the definition is {kind}; it must be a JSON object with StartAt and States",
            line=1,
            column=1,
        )


def _scan(text: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Offsets of every key (for object members) and value (for array items) in valid JSON
    text, by pointer; plus the pointers and offsets of repeated keys."""
    offsets: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []
    # Frame: [pointer, is_object, next array index, keys seen]
    stack: list[list[Any]] = []
    target = ""  # pointer of the value the parser expects next
    expecting_key = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        # A '}' where a key is expected (an empty object) is handled with the other closers.
        if expecting_key and first == '"':
            key = json.loads(token) if "\\" in token else token[1:-1]
            frame = stack[-1]
            target = f"{frame[0]}/{escape(key)}"
            if key in frame[3]:
                duplicates.append((target, match.start()))
            else:
                frame[3].add(key)
            offsets[target] = match.start()
            expecting_key = False
            continue
        if first == "{" or first == "[":
            if not stack or not stack[-1][1]:
                offsets.setdefault(target, match.start())
            is_object = first == "{"
            stack.append([target, is_object, 0, set()])
            if is_object:
                expecting_key = True
            else:
                target = f"{target}/0"
        elif first == "}" or first == "]":
            stack.pop()
            expecting_key = False
        elif first == ",":
            frame = stack[-1]
            if frame[1]:
                expecting_key = True
            else:
                frame[2] += 1
                target = f"{frame[0]}/{frame[2]}"
        elif first == ":":
            continue
        elif not stack or not stack[-1][1]:
            # A scalar at the top level or inside an array.
            offsets[target] = match.start()
    return offsets, duplicates


def _load_yaml(text: str, name: str | None) -> Source:
    # PyYAML is only imported for YAML sources: JSON validation should not pay for it.
    import yaml

    loader = yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Source(
                None,
                (
                    Problem(
                        "",
                        EMPTY,
                        "the definition is empty; expected a mapping with StartAt and States",
                    ),
                ),
                name,
            )
        _string_keys(node)
        shape = _alias_problem(node)
        if shape is not None:
            message, mark = shape
            problem = Problem("", NOT_JSON, message, line=mark.line + 1, column=mark.column + 1)
            return Source(None, (problem,), name, _Index(text, positions={}))
        deep = _too_deep_yaml(node)
        if deep is not None:
            return Source(None, (deep,), name, _Index(text, positions={}))
        document = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        detail = error.problem or error.context or "cannot be parsed"
        problem = Problem(
            "",
            SYNTAX,
            f"invalid YAML: {detail}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        )
        return Source(None, (problem,), name, _Index(text, positions={}))
    except yaml.YAMLError as error:
        return Source(
            None, (Problem("", SYNTAX, f"invalid YAML: {error}"),), name, _Index(text, positions={})
        )
    except RecursionError:
        message = "the definition is nested too deeply to be parsed"
        return Source(None, (Problem("", TOO_DEEP, message),), name, _Index(text, positions={}))
    except ValueError as error:  # an integer with more digits than Python reads
        return Source(None, (_long_number(error),), name, _Index(text, positions={}))
    finally:
        loader.dispose()
    positions: dict[str, tuple[int, int]] = {}
    problems: list[Problem] = []
    _walk_yaml(node, "", positions, problems)
    index = _Index(text, positions=positions)
    for problem in _non_json(document, ""):
        line, column = index.locate(problem.pointer) or (None, None)
        problems.append(problem.evolve(line=line, column=column))
    problems.extend(_top_level(document))
    problems.extend(_bounds(document))
    return Source(document, tuple(problems), name, index)


_STR_TAG = "tag:yaml.org,2002:str"
_KEY_TAGS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("bool", "int", "float", "null"))


def _string_keys(root: Any) -> None:
    """Plain mapping keys stay the text written: `Yes:` and `No:` name states, `1:` is "1"
    (YAML 1.1 would read true, false and 1; a JSON key is always a string)."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias repeats a node, and may make the graph a cycle
            continue
        seen.add(id(node))
        if node.id == "mapping":
            for key, value in node.value:
                if key.id == "scalar" and not key.style and key.tag in _KEY_TAGS:
                    key.tag = _STR_TAG
                stack.append(key)
                stack.append(value)
        elif node.id == "sequence":
            stack.extend(node.value)


# Nodes a document may hold once YAML aliases are expanded: JSON has no aliases, so the rules
# (and the engine) see every repetition; a "billion laughs" document must not get that far.
MAX_EXPANDED_NODES = 1_000_000


def _alias_problem(root: Any) -> tuple[str, Any] | None:
    """Why a YAML node graph cannot be a JSON document, with the mark to point at: an alias
    inside the node it names (a cycle), or aliases that expand past MAX_EXPANDED_NODES."""
    size: dict[int, int] = {}  # id(node) -> nodes it expands to, once finished
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            if size[key] > MAX_EXPANDED_NODES:
                return (
                    f"YAML aliases expand this document past {MAX_EXPANDED_NODES:,} values; "
                    "write the repeated parts out or make them smaller",
                    node.start_mark,
                )
            continue
        if key in size:
            continue
        if key in on_path:
            return "a YAML alias refers to a node that contains it; JSON cannot hold a cycle", (
                node.start_mark
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
    return None


def _children(node: Any) -> list[Any]:
    if node.id == "mapping":
        return [part for pair in node.value for part in pair]
    if node.id == "sequence":
        return list(node.value)
    return []


def _too_deep_yaml(root: Any) -> Problem | None:
    """A YAML node graph (acyclic, `_alias_problem` has checked) nested deeper than MAX_DEPTH,
    found before anything is built; each node is visited once."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            mark = node.start_mark
            return Problem(
                "", TOO_DEEP, f"the definition is nested more than {MAX_DEPTH} levels deep",
                line=mark.line + 1, column=mark.column + 1,
            )  # fmt: skip
        stack.extend((child, depth + 1) for child in _children(node))
    return None


_LOADER: type | None = None


def yaml_loader() -> type:
    """SafeLoader (the C one when available) without the timestamp resolver: ASL timestamps
    such as `2016-03-14T01:59:00Z` must stay strings, as they would in JSON."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class Loader(base):  # type: ignore[valid-type,misc]  # base is chosen at run time
            yaml_implicit_resolvers = {  # noqa: RUF012  # PyYAML's own class-level table
                first: [
                    (tag, regexp) for tag, regexp in resolvers if not tag.endswith(":timestamp")
                ]
                for first, resolvers in base.yaml_implicit_resolvers.items()
            }

        _LOADER = Loader
    return _LOADER


def _walk_yaml(
    node: Any, pointer: str, positions: dict[str, tuple[int, int]], problems: list[Problem]
) -> None:
    kind = node.id
    if kind == "mapping":
        seen: set[object] = set()
        for key_node, value_node in node.value:
            key = key_node.value if key_node.id == "scalar" else None
            child = join(pointer, key) if isinstance(key, str) else pointer
            mark = key_node.start_mark
            if key in seen and isinstance(key, str):
                problems.append(
                    Problem(
                        child,
                        DUPLICATE_KEY,
                        f"key {key!r} appears more than once in this mapping; only the last one "
                        "is used, remove the others",
                        "warning",
                        mark.line + 1,
                        mark.column + 1,
                    )
                )
            seen.add(key)
            positions[child] = (mark.line + 1, mark.column + 1)
            _walk_yaml(value_node, child, positions, problems)
    elif kind == "sequence":
        for i, item in enumerate(node.value):
            child = f"{pointer}/{i}"
            positions[child] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _walk_yaml(item, child, positions, problems)
    if pointer not in positions:
        positions[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)


def _non_json(value: Any, pointer: str) -> Iterator[Problem]:
    """Values a JSON document cannot hold (YAML dates, sets, binary; non-string keys; NaN)."""
    stack = [(value, pointer)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    yield Problem(where, NOT_JSON, f"key {key!r} is not a string; quote it")
                    continue
                stack.append((child, join(where, key)))
        elif isinstance(item, list):
            stack.extend((child, f"{where}/{i}") for i, child in enumerate(item))
        elif isinstance(item, float):
            if not math.isfinite(item):
                yield Problem(
                    where, NOT_JSON, f"{item} is not a JSON number; use a number or a string"
                )
        elif not (item is None or isinstance(item, str | int | bool)):
            yield Problem(
                where,
                NOT_JSON,
                f"a {type(item).__name__} value is not JSON; write it as a string",
            )
