"""The structural pass: a definition checked against `schemas/asl.schema.json`, every jsonschema
error turned into a Problem with a stable code and a message that says what to change.

jsonschema is thorough but slow (~0.4 ms per state, ~50 ms to import), so the schema is also
compiled once into plain closures that only answer "valid or not" for the keywords it uses;
jsonschema then runs only on the states that failed, to word the errors. The same JSON file
drives both, so they cannot drift apart (tests/test_schema.py checks they agree).

The schema carries two extension keywords that jsonschema ignores and this module reads:
`x-message` / `x-code` word a whole `anyOf`/`not` constraint (e.g. "Next or End"), and
`x-expected` describes an `anyOf` of alternatives ("an integer, or a JSONata expression").
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from asl._errors import Problem
from asl._json import join

REQUIRED_FIELD = "required-field"
UNKNOWN_FIELD = "unknown-field"
WRONG_TYPE = "wrong-type"
BAD_VALUE = "bad-value"
OUT_OF_RANGE = "out-of-range"
BAD_SIZE = "bad-size"
SCHEMA = "schema"

_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}
_STATE_TYPES = frozenset({"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"})
_EXPECTED = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "null": "null",
}


def load_schema() -> dict[str, Any]:
    """The ASL JSON Schema shipped in the package (asl.schemas)."""
    try:
        from asl import schemas
    except ImportError:
        # A source checkout on sys.path (PYTHONPATH=src): the package maps schemas/ into asl
        # only when installed, so read the repository's own copy, three folders above this
        # file (src/asl/_definition/schema.py).
        source = Path(__file__).resolve().parents[3] / "schemas" / "asl.schema.json"
        loaded: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
        return loaded
    try:
        # A plain file read: importlib.resources alone costs more than a whole `asl validate`.
        with open(f"{next(iter(schemas.__path__))}/asl.schema.json", encoding="utf-8") as file:
            text = file.read()
    except OSError:  # not a directory on disk (a zip import): ask the loader
        from importlib import resources

        text = resources.files(schemas).joinpath("asl.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


Check = Callable[[Any], bool]


@functools.cache
def _fast() -> tuple[Check, Check]:
    """Compiled (document check, single state check)."""
    schema = load_schema()
    compiler = _Compiler(schema)
    return compiler.compile(schema), compiler.ref("#/$defs/state")


@functools.cache
def _validator() -> Any:
    # jsonschema costs ~50 ms to import: only pay for it when a definition is actually checked.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema())


def check(document: object) -> list[Problem]:
    """Problems of `document` against the schema (pointer-only; the caller adds positions)."""
    document_ok, state_ok = _fast()
    if document_ok(document):
        return []
    problems: list[Problem] = []
    for error in _validator().iter_errors(_failing_part(document, state_ok)):
        problems.extend(_problems(error, document))
    return problems


def _failing_part(document: Any, state_ok: Check) -> Any:
    """`document` with only its failing top-level states (at least one state, so that an
    error outside States is still reported), keys and so error paths unchanged."""
    states = document.get("States") if isinstance(document, dict) else None
    if not isinstance(states, dict) or not states:
        return document
    failing = {name: state for name, state in states.items() if not state_ok(state)}
    return {**document, "States": failing or dict([next(iter(states.items()))])}


class _Compiler:
    """JSON Schema (the keywords asl.schema.json uses) to closures returning bool."""

    _IGNORED = frozenset({"$schema", "$id", "$defs", "title", "description", "$comment"})

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}
        self.compiling: set[str] = set()

    def ref(self, ref: str) -> Check:
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {ref}")
        if ref in self.refs:
            return self.refs[ref]
        if ref in self.compiling:
            # A recursive definition (states inside a branch inside a state): bind late.
            return lambda value: self.refs[ref](value)
        self.compiling.add(ref)
        self.refs[ref] = self.compile(self.root["$defs"][ref.removeprefix("#/$defs/")])
        self.compiling.discard(ref)
        return self.refs[ref]

    def compile(self, schema: Any) -> Check:  # one branch per keyword, flat
        if schema is True or schema == {}:
            return lambda value: True
        if schema is False:
            return lambda value: False
        checks: list[Check] = []
        for keyword, arg in schema.items():
            if keyword in self._IGNORED or keyword.startswith("x-"):
                continue
            if keyword in ("then", "properties") or keyword == "additionalProperties":
                continue  # handled with "if" / together below
            checks.append(self._keyword(keyword, arg, schema))
        if "properties" in schema or "additionalProperties" in schema:
            checks.append(self._properties(schema))
        return checks[0] if len(checks) == 1 else _all(checks)

    def _keyword(self, keyword: str, arg: Any, schema: dict[str, Any]) -> Check:
        if keyword == "type":
            names = (arg,) if isinstance(arg, str) else tuple(arg)
            if len(names) == 1:
                return _TYPE_TESTS[names[0]]
            if "number" not in names and "integer" not in names:
                classes = tuple(_CLASSES[name] for name in names)
                return lambda value: isinstance(value, classes)
            return _any([_TYPE_TESTS[name] for name in names])
        if keyword == "$ref":
            return self.ref(arg)
        if keyword == "required":
            fields = tuple(arg)
            if len(fields) == 1:
                field = fields[0]
                return lambda value: not isinstance(value, dict) or field in value
            return lambda value: not isinstance(value, dict) or all(f in value for f in fields)
        if keyword == "enum":
            options = tuple(arg)
            if all(type(option) is str for option in options):
                # The common case (state types, modes, ...): one set lookup.
                allowed = frozenset(options)
                return lambda value: isinstance(value, str) and value in allowed
            return lambda value: any(_equal(value, option) for option in options)
        if keyword == "const":
            if type(arg) is str:
                return lambda value: value == arg and isinstance(value, str)
            return lambda value: _equal(value, arg)
        if keyword in ("minimum", "maximum"):
            low = keyword == "minimum"
            return lambda value: not _is_number(value) or (value >= arg if low else value <= arg)
        if keyword in ("minLength", "maxLength"):
            low = keyword == "minLength"
            return lambda value: not isinstance(value, str) or (
                len(value) >= arg if low else len(value) <= arg
            )
        if keyword == "minItems":
            return lambda value: not isinstance(value, list) or len(value) >= arg
        if keyword == "minProperties":
            return lambda value: not isinstance(value, dict) or len(value) >= arg
        if keyword == "pattern":
            search = re.compile(arg).search
            return lambda value: not isinstance(value, str) or search(value) is not None
        if keyword == "items":
            item = self.compile(arg)

            def items(value: Any) -> bool:
                if isinstance(value, list):
                    for element in value:
                        if not item(element):
                            return False
                return True

            return items
        if keyword == "allOf":
            return self._dispatch(arg) or _all([self.compile(sub) for sub in arg])
        if keyword == "anyOf":
            return _any([self.compile(sub) for sub in arg])
        if keyword == "not":
            if set(arg) == {"type", "required"} and arg["type"] == "object":
                # "at most one of" (not both fields present): the common case, kept cheap.
                fields = tuple(arg["required"])
                return lambda value: not isinstance(value, dict) or not all(
                    f in value for f in fields
                )
            sub = self.compile(arg)
            return lambda value: not sub(value)
        if keyword == "if":
            condition, then = self.compile(arg), self.compile(schema.get("then", True))
            return lambda value: not condition(value) or then(value)
        raise ValueError(f"unsupported JSON Schema keyword {keyword}")

    def _dispatch(self, entries: list[Any]) -> Check | None:
        """`allOf` of `if Type is X then ...` (the state types) as one dict lookup."""
        table: dict[str, Check] = {}
        key = None
        for entry in entries:
            condition = entry.get("if") if isinstance(entry, dict) else None
            if not (
                isinstance(condition, dict)
                and set(entry) == {"if", "then"}
                and set(condition) == {"type", "properties", "required"}
                and condition["type"] == "object"
                and len(condition["properties"]) == 1
            ):
                return None
            (field, test), = condition["properties"].items()
            if condition["required"] != [field] or set(test) != {"const"} or key not in (None, field):
                return None
            if not isinstance(test["const"], str):
                return None
            key = field
            table[test["const"]] = self.compile(entry["then"])

        def dispatch(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            tag = value.get(key)
            check = table.get(tag) if isinstance(tag, str) else None
            return check is None or check(value)

        return dispatch

    def _properties(self, schema: dict[str, Any]) -> Check:
        properties = {name: self.compile(sub) for name, sub in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        additional = None if extra is True else self.compile(extra)

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in value.items():
                sub = properties.get(key)
                if sub is None:
                    if additional is not None and not additional(item):
                        return False
                elif not sub(item):
                    return False
            return True

        return check


def _all(checks: list[Check]) -> Check:
    def check_all(value: Any) -> bool:
        for check in checks:
            if not check(value):
                return False
        return True

    return check_all


def _any(checks: list[Check]) -> Check:
    def check_any(value: Any) -> bool:
        for check in checks:
            if check(value):
                return True
        return False

    return check_any


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(value: object, option: object) -> bool:
    # JSON equality: true is not 1, 1 is 1.0.
    if isinstance(value, bool) or isinstance(option, bool):
        return isinstance(value, bool) and isinstance(option, bool) and value == option
    return value == option and (_is_number(value) == _is_number(option))


_CLASSES: dict[str, type] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}
_TYPE_TESTS: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}


def _problems(error: Any, document: object) -> Iterator[Problem]:
    path = list(error.absolute_path)
    pointer = _pointer(path)
    keyword = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    where = _describe(document, path)
    if "x-message" in schema:
        yield _custom(schema, pointer, where, instance)
    elif keyword == "additionalProperties":
        # Fields the schema lets through for asl._definition.rules to word better (Next in a Succeed).
        hidden = {"Type", *schema.get("x-not-listed", ())}
        allowed = sorted(k for k in schema.get("properties", ()) if k not in hidden)
        for field in instance:
            if field not in schema.get("properties", ()):
                import difflib

                hint = difflib.get_close_matches(field, allowed, n=1)
                suggestion = f"did you mean '{hint[0]}'? " if hint else ""
                yield Problem(
                    join(pointer, field),
                    UNKNOWN_FIELD,
                    f"{where} does not allow field '{field}'; {suggestion}allowed: "
                    + ", ".join(allowed),
                )
    elif keyword == "required":
        for field in error.validator_value:
            if isinstance(instance, dict) and field not in instance:
                yield Problem(pointer, REQUIRED_FIELD, f"{where} is missing required field '{field}'")
    elif keyword == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_EXPECTED.get(n, n) for n in names)
        yield Problem(pointer, WRONG_TYPE, f"{where} must be {wanted}, not {_kind(instance)}")
    elif keyword in ("enum", "const"):
        options = error.validator_value if keyword == "enum" else [error.validator_value]
        if path and path[-1] == "Type" and isinstance(instance, str):
            message = f"{_describe(document, path[:-1])} has unknown Type '{instance}'; use one of "
        else:
            message = f"{where} is {_short(instance)}; use one of "
        yield Problem(pointer, BAD_VALUE, message + ", ".join(json.dumps(o) for o in options))
    elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
        yield Problem(
            pointer,
            OUT_OF_RANGE,
            f"{where} is {_short(instance)}; it must be {bound[keyword]} {error.validator_value}",
        )
    elif keyword in ("minItems", "minProperties", "minLength", "maxLength", "maxItems"):
        yield Problem(pointer, BAD_SIZE, f"{where} {_size(keyword, error.validator_value)}")
    elif keyword in ("anyOf", "oneOf") and "x-expected" in schema:
        yield Problem(
            pointer,
            WRONG_TYPE,
            f"{where} is {_short(instance)}; it must be {schema['x-expected']}",
        )
    elif keyword in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        yield from _problems(best_match(error.context), document)
    else:
        yield Problem(pointer, SCHEMA, f"{where}: {error.message}")


def _custom(schema: dict[str, Any], pointer: str, where: str, instance: object) -> Problem:
    code = schema.get("x-code", SCHEMA)
    if "not" in schema and isinstance(instance, dict):
        # "at most one of" constraints: point at the later of the clashing fields.
        fields = schema["not"].get("required", ())
        present = [f for f in fields if f in instance]
        if present:
            pointer = join(pointer, present[-1])
    return Problem(pointer, code, f"{where} {schema['x-message']}")


def _size(keyword: str, limit: int) -> str:
    if keyword == "minItems":
        return "must not be empty" if limit == 1 else f"must have at least {limit} items"
    if keyword == "minProperties":
        return "must not be empty" if limit == 1 else f"must have at least {limit} entries"
    if keyword == "minLength":
        return "must not be empty" if limit == 1 else f"must be at least {limit} characters"
    if keyword == "maxLength":
        return f"must be at most {limit} characters long"
    return f"must have at most {limit} items"


def _kind(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    text = json.dumps(value) if isinstance(value, str | int | float | bool | type(None)) else ""
    return text if text and len(text) <= 40 else _kind(value)


def _pointer(path: Sequence[object]) -> str:
    pointer = ""
    for part in path:
        pointer = join(pointer, part if isinstance(part, int) else str(part))
    return pointer


def _describe(document: object, path: Sequence[object]) -> str:
    """A reader's name for the value at `path`: "State 'X' of type Pass",
    "'Retry[0]' of state 'X'", "'StartAt'", "The state machine"."""
    state: str | None = None
    state_type: str | None = None
    rest_start = 0
    node = document
    for i, part in enumerate(path):
        parent_is_states = i > 0 and path[i - 1] == "States" and isinstance(part, str)
        node = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
        )
        if parent_is_states:
            state, rest_start = part, i + 1  # type: ignore[assignment]  # part is a str here
            kind = node.get("Type") if isinstance(node, dict) else None
            state_type = kind if isinstance(kind, str) and kind in _STATE_TYPES else None
    if state is None:
        return f"'{_dotted(path)}'" if path else "The state machine"
    rest = path[rest_start:]
    if not rest:
        return f"State '{state}'" + (f" of type {state_type}" if state_type else "")
    return f"'{_dotted(rest)}' of state '{state}'"


def _dotted(path: Sequence[object]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
