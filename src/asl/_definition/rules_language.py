"""Semantic rules about the languages inside field values: JSONPath paths, payload templates,
intrinsic calls, the query language a field belongs to, and JSONata `{% %}` expressions.

Each value is compiled by the same function `asl.load` uses (so a definition that validates
compiles); those modules load on first use, so a definition without templates or JSONata never
imports them. Pointers are built only for values that have a Problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from asl._definition.rules_walk import JSONPATH, Machine, dig, ptr
from asl._errors import CompileError, Problem

JSONPATH_ONLY = (
    "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "ItemsPath",
    "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath",
    "CausePath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
)  # fmt: skip
JSONATA_ONLY = ("Arguments", "Output", "Items")
_JSONPATH_ONLY_SET = frozenset(JSONPATH_ONLY)
_JSONATA_ONLY_SET = frozenset(JSONATA_ONLY)

# Path-valued fields of a JSONPath state: (field, nullable). ResultPath is a Reference Path.
PATH_FIELDS = (
    ("InputPath", True), ("OutputPath", True), ("ItemsPath", False),
    ("TimeoutSecondsPath", False), ("HeartbeatSecondsPath", False), ("SecondsPath", False),
    ("TimestampPath", False), ("MaxConcurrencyPath", False), ("ToleratedFailureCountPath", False),
    ("ToleratedFailurePercentagePath", False),
)  # fmt: skip
_PATH_FIELD_NAMES = frozenset(field for field, _ in PATH_FIELDS)
NESTED_PATH_FIELDS = (
    ("ItemReader", "ReaderConfig", "MaxItemsPath"),
    ("ItemBatcher", "MaxItemsPerBatchPath"),
    ("ItemBatcher", "MaxInputBytesPerBatchPath"),
)
TEMPLATE_FIELDS = (
    ("Parameters",), ("ResultSelector",), ("ItemSelector",), ("Assign",),
    ("ItemReader", "Parameters"), ("ResultWriter", "Parameters"), ("ItemBatcher", "BatchInput"),
)  # fmt: skip
# Fields whose values a JSONata state evaluates (strings in them may be `{% %}` expressions).
JSONATA_VALUE_FIELDS = (
    "Arguments", "Output", "Assign", "Items", "ItemSelector", "TimeoutSeconds",
    "HeartbeatSeconds", "Seconds", "Timestamp", "MaxConcurrency", "ToleratedFailureCount",
    "ToleratedFailurePercentage", "Error", "Cause", "ItemReader", "ItemBatcher", "ResultWriter",
    "Credentials",
)  # fmt: skip
_EXPRESSION_FIELDS = (*JSONATA_VALUE_FIELDS, "Condition")
_EXPRESSION_FIELD_NAMES = frozenset(_EXPRESSION_FIELDS)

# AWS documents these as the intrinsics a Fail ErrorPath/CausePath may call (they return strings).
FAIL_INTRINSICS = frozenset(
    f"States.{name}"
    for name in (
        "Format",
        "JsonToString",
        "ArrayGetItem",
        "Base64Encode",
        "Base64Decode",
        "Hash",
        "UUID",
    )
)

# How a path field is compiled: a Path, a Reference Path (one node), or a ResultPath (a
# Reference Path into the state input, which is written to).
PATH, REFERENCE, RESULT = "path", "reference", "result"


def compile_problem(where: str, err: CompileError, code: str) -> Problem:
    """The Problem for a CompileError raised while compiling the value at `where`."""
    return Problem(where + err.subpointer, err.code or code, err.message)


def path_error(text: str, kind: str) -> CompileError | None:
    """Why `text` does not compile as a path of `kind`, or None."""
    compiler = _COMPILERS.get(kind) or _load_compilers()[kind]
    try:
        compiler(text)
    except CompileError as err:
        return err
    return None


_COMPILERS: dict[str, Callable[[str], object]] = {}


def _load_compilers() -> dict[str, Callable[[str], object]]:
    # _paths is imported on first use, not with this module: a definition may have no paths.
    from asl._languages import paths as _paths

    _COMPILERS.update(
        {
            PATH: _paths.compile_path,
            REFERENCE: _paths.compile_reference_path,
            RESULT: _paths.compile_result_path,
        }
    )
    return _COMPILERS


def path_problem(where: str, text: str, kind: str) -> Iterator[Problem]:
    """The Problem of a path string that does not compile as `kind`."""
    err = path_error(text, kind)
    if err is not None:
        yield compile_problem(where, err, "bad-path" if kind == PATH else "bad-reference-path")


# --- paths, templates, intrinsics ----------------------------------------------------------


def jsonpath_fields(machine: Machine) -> Iterator[Problem]:
    """Path fields of JSONPath states hold valid Paths; ResultPath holds a Reference Path."""
    for state in machine.states:
        if state.jsonata:
            continue
        node = state.node
        if not _PATH_FIELD_NAMES.isdisjoint(node):
            for field, nullable in PATH_FIELDS:
                if field in node:
                    kind = REFERENCE if field == "ItemsPath" else PATH
                    yield from _path_value(state.pointer, (field,), node[field], nullable, kind)
        if "ResultPath" in node:
            yield from _path_value(state.pointer, ("ResultPath",), node["ResultPath"], True, RESULT)
        if "ItemReader" in node or "ItemBatcher" in node:
            for keys in NESTED_PATH_FIELDS:
                value = dig(node, keys)
                if isinstance(value, str):
                    yield from path_problem(ptr(state.pointer, *keys), value, PATH)
        catchers = node.get("Catch")
        if isinstance(catchers, list):
            for i, catcher in enumerate(catchers):
                if isinstance(catcher, dict) and "ResultPath" in catcher:
                    where = (f"Catch/{i}/ResultPath",)
                    yield from _path_value(
                        state.pointer, where, catcher["ResultPath"], True, RESULT
                    )
        if state.type == "Fail":
            for field in ("ErrorPath", "CausePath"):
                value = node.get(field)
                if isinstance(value, str):
                    yield from _fail_path(ptr(state.pointer, field), value)


def _path_value(
    base: str, parts: tuple[str, ...], value: Any, nullable: bool, kind: str
) -> Iterator[Problem]:
    # `parts` are already escaped: they are field names and indexes.
    if value is None and not nullable:
        yield Problem(
            "/".join((base, *parts)), "bad-path", "this path cannot be null; omit the field instead"
        )
    elif isinstance(value, str):
        err = path_error(value, kind)
        if err is not None:
            code = "bad-path" if kind == PATH else "bad-reference-path"
            yield compile_problem("/".join((base, *parts)), err, code)


def _fail_path(where: str, text: str) -> Iterator[Problem]:
    name = text.split("(", 1)[0].strip()
    if text.startswith("States.") and "(" in text and name not in FAIL_INTRINSICS:
        yield Problem(
            where,
            "fail-path-intrinsic",
            f"{name} does not return a string; ErrorPath and CausePath accept only "
            f"{', '.join(sorted(FAIL_INTRINSICS))}",
        )
    else:
        yield from _value_path(where, text)


def _value_path(where: str, text: str) -> Iterator[Problem]:
    """A `.$` value or Fail ErrorPath/CausePath: a path or an intrinsic function call."""
    if not text.startswith("States."):
        yield from path_problem(where, text, PATH)
        return
    from asl._languages.intrinsics import compile_intrinsic

    try:
        intrinsic = compile_intrinsic(text)
    except CompileError as err:
        yield compile_problem(where, err, "bad-intrinsic")
    else:
        yield from _intrinsic_warnings(where, intrinsic.warnings)


def _intrinsic_warnings(where: str, warnings: tuple[str, ...]) -> Iterator[Problem]:
    # AWS accepts such a call and fails it when the state runs (recorded), so only a warning.
    for message in warnings:
        yield Problem(
            where,
            "intrinsic-fails",
            f"{message}; AWS accepts the definition, and the call fails with States.Runtime "
            "when it runs",
            "warning",
        )


def templates(machine: Machine) -> Iterator[Problem]:
    """`.$` keys of Parameters, ResultSelector, ItemSelector and Assign (a state's or a
    Catcher's) hold a valid path or intrinsic call; plain keys whose value looks like a path
    get AWS's NO_DOLLAR warning."""
    compile_template: Callable[[Any], Any] | None = None  # imported on first use
    for state in machine.states:
        node = state.node
        if state.jsonata or _TEMPLATE_ROOTS.isdisjoint(node):
            continue
        for keys, value in _template_values(node):
            for parts, key, item in _no_dollar((), value):
                yield Problem(
                    ptr(state.pointer, *keys, *parts),
                    "no-dollar",
                    f"{item!r} looks like a path or intrinsic but is passed as a literal string; "
                    f'name the key "{key}.$" to evaluate it',
                    "warning",
                )
            if compile_template is None:
                from asl._languages import payload as _payload

                compile_template = _payload.compile_template
            try:
                compiled = compile_template(value)
            except CompileError as err:
                yield compile_problem(ptr(state.pointer, *keys), err, "bad-template")
            else:
                for where, why in compiled.warnings:
                    yield from _intrinsic_warnings(ptr(state.pointer, *keys) + where, (why,))


_TEMPLATE_ROOTS = frozenset((*(keys[0] for keys in TEMPLATE_FIELDS), "Catch"))


def _template_values(
    node: dict[str, Any],
) -> Iterator[tuple[tuple[object, ...], dict[str, Any] | list[Any]]]:
    """(keys below the state, value) of each template field holding an object or array."""
    for keys in TEMPLATE_FIELDS:
        value = node.get(keys[0])
        if len(keys) > 1:
            value = dig(value, keys[1:])
        if isinstance(value, (dict, list)):
            yield keys, value
    catchers = node.get("Catch")
    for i, catcher in enumerate(catchers if isinstance(catchers, list) else ()):
        value = catcher.get("Assign") if isinstance(catcher, dict) else None
        if isinstance(value, (dict, list)):
            yield ("Catch", i, "Assign"), value


def _no_dollar(
    parts: tuple[object, ...], value: dict[str, Any] | list[Any]
) -> list[tuple[tuple[object, ...], str, str]]:
    """(pointer parts, key, value) of plain keys whose string value looks like a path."""
    found: list[tuple[tuple[object, ...], str, str]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(item, (dict, list)):
            found += _no_dollar((*parts, key), item)
        elif (
            isinstance(item, str)
            and (item == "$" or item.startswith(("$.", "$$.", "States.")))
            and isinstance(key, str)
            and not key.endswith(".$")
        ):
            found.append(((*parts, key), key, item))
    return found


# --- query languages and JSONata -----------------------------------------------------------


def query_language_fields(machine: Machine) -> Iterator[Problem]:
    """JSONata states have no JSONPath fields and vice versa; a JSONata machine has no
    JSONPath states."""
    for state in machine.states:
        node = state.node
        if machine.jsonata and node.get("QueryLanguage") == JSONPATH:
            yield Problem(
                ptr(state.pointer, "QueryLanguage"),
                "query-language-conflict",
                "the machine's QueryLanguage is JSONata, so its states cannot use JSONPath",
            )
        wrong: tuple[str, ...]
        if state.jsonata:
            wrong, wrong_set, right, other = (
                JSONPATH_ONLY,
                _JSONPATH_ONLY_SET,
                "JSONata",
                "JSONPath",
            )
        else:
            wrong, wrong_set, right, other = JSONATA_ONLY, _JSONATA_ONLY_SET, "JSONPath", "JSONata"
        if not wrong_set.isdisjoint(node):
            for field in wrong:
                if field in node:
                    yield Problem(
                        ptr(state.pointer, field),
                        "field-not-allowed",
                        f"{field} is a {other} field, but this state uses {right}; "
                        f"{_language_hint(field, state.jsonata)}",
                    )
        choices = node.get("Choices")
        if not state.jsonata or not isinstance(choices, list):
            continue  # a JSONPath rule's Condition or Output is the Choice parser's to report
        for i, rule in enumerate(choices):
            if isinstance(rule, dict) and "Variable" in rule:
                yield Problem(
                    ptr(state.pointer, "Choices", i, "Variable"),
                    "field-not-allowed",
                    "Variable is a JSONPath field; a JSONata rule tests a Condition",
                )


def _language_hint(field: str, jsonata: bool) -> str:
    if not jsonata:
        return 'set "QueryLanguage": "JSONata" on the state or the machine'
    if field in _JSONATA_REPLACEMENT:
        return f"use {_JSONATA_REPLACEMENT[field]} instead"
    # TimeoutSecondsPath, SecondsPath, ErrorPath, ...: the plain field takes an expression.
    return f"use {field[:-4]} with a {{% %}} expression instead"


_JSONATA_REPLACEMENT = {
    "Parameters": "Arguments",
    "ItemsPath": "Items",
    "InputPath": "Arguments",
    "ResultSelector": "Output",
    "ResultPath": "Output or Assign",
    "OutputPath": "Output",
}


def _delimited(value: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(relative path, string) of every string inside a JSON value (keys excluded) that opens
    with `{%` or closes with `%}`: the only strings the JSONata checks look at."""
    if isinstance(value, str):
        if value.startswith("{%") or value.endswith("%}"):
            yield (), value
    elif isinstance(value, dict):
        for key, item in value.items():
            for path, text in _delimited(item):
                yield (key, *path), text
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for path, text in _delimited(item):
                yield (i, *path), text


def jsonata_expressions(machine: Machine) -> Iterator[Problem]:
    """`{% %}` strings appear only in JSONata states, are closed, and parse."""
    for state in machine.states:
        node = state.node
        values: list[tuple[tuple[object, ...], Any]] = (
            [((f,), node[f]) for f in _EXPRESSION_FIELDS if f in node]
            if not _EXPRESSION_FIELD_NAMES.isdisjoint(node)
            else []
        )
        choices = node.get("Choices")
        if isinstance(choices, list):
            for i, rule in enumerate(choices):
                if isinstance(rule, dict):
                    values += [
                        (("Choices", i, f), rule[f])
                        for f in ("Condition", "Assign", "Output")
                        if f in rule
                    ]
        catchers = node.get("Catch")
        if isinstance(catchers, list):
            for i, catcher in enumerate(catchers):
                if isinstance(catcher, dict):
                    values += [
                        (("Catch", i, f), catcher[f]) for f in ("Assign", "Output") if f in catcher
                    ]
        for base, value in values:
            for path, text in _delimited(value):
                yield from _expression(state.pointer, (*base, *path), text, state.jsonata)
        if state.jsonata and "Arguments" in node:
            arguments = node["Arguments"]
            if not isinstance(arguments, dict) and not (
                isinstance(arguments, str) and arguments.startswith("{%")
            ):
                yield Problem(
                    ptr(state.pointer, "Arguments"),
                    "bad-jsonata",
                    "Arguments is an object or a {% %} JSONata expression",
                )


def _expression(base: str, parts: tuple[Any, ...], text: str, jsonata: bool) -> Iterator[Problem]:
    opens, closes = text.startswith("{%"), text.endswith("%}")
    if not jsonata:
        if opens and closes:
            # Only a hint: AWS accepts the string and treats it as a plain constant (recorded:
            # assign BASE_CONSTANT_LITERALS assigns "{% ... %}" literally in a JSONPath Assign).
            yield Problem(
                ptr(base, *parts),
                "jsonata-in-jsonpath-state",
                "a {% %} expression only works in a JSONata state (here it is a plain string); "
                'set "QueryLanguage": "JSONata" to evaluate it',
                severity="warning",
            )
        return
    if opens != closes or len(text) < 4:
        yield Problem(
            ptr(base, *parts), "bad-jsonata", "a JSONata expression is written \"{% expression %}\"; "
            "the opening or closing delimiter is missing"
        )  # fmt: skip
        return
    from asl._languages.jsonata import compile_expression

    try:
        compile_expression(text)
    except CompileError as err:
        yield compile_problem(ptr(base, *parts), err, "bad-jsonata")
