"""Semantic checks beyond the JSON Schema: transitions, reachability, Choice rules, paths,
templates, query languages and the other constraints AWS enforces when it creates a state machine.

`check(document)` walks the definition once into scopes (the machine, each Parallel branch, each
Map processor) and states, then runs every rule in `RULES`. Each rule is a small function that
yields `Problem`s; rules never raise on malformed input: the schema reports wrong types, so a rule
skips whatever is not the shape it needs. Problems stricter than AWS have severity "warning".
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeGuard

import attrs

from asl._errors import STATES_ALL, CompileError, Problem
from asl._intrinsics import compile_intrinsic
from asl._jsonata import compile_expression
from asl._paths import compile_path, compile_reference_path, compile_result_path
from asl._payload import compile_template

JSONPATH, JSONATA = "JSONPath", "JSONata"
MAX_STATE_NAME = 80  # AWS quota: state names are at most 80 characters
WITH_TRANSITION = frozenset({"Task", "Pass", "Wait", "Parallel", "Map"})
TERMINAL_TYPES = frozenset({"Succeed", "Fail"})

# Fields that only exist in one query language (AWS rejects them in the other).
JSONPATH_ONLY = (
    "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "ItemsPath",
    "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath",
    "CausePath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
)  # fmt: skip
JSONATA_ONLY = ("Arguments", "Output", "Items")

# Path-valued fields of a JSONPath state: (field, nullable). ResultPath is a Reference Path.
PATH_FIELDS = (
    ("InputPath", True), ("OutputPath", True), ("ItemsPath", False),
    ("TimeoutSecondsPath", False), ("HeartbeatSecondsPath", False), ("SecondsPath", False),
    ("TimestampPath", False), ("MaxConcurrencyPath", False), ("ToleratedFailureCountPath", False),
    ("ToleratedFailurePercentagePath", False),
)  # fmt: skip
NESTED_PATH_FIELDS = (
    ("ItemReader", "ReaderConfig", "MaxItemsPath"),
    ("ItemBatcher", "MaxItemsPerBatchPath"),
    ("ItemBatcher", "MaxInputBytesPerBatchPath"),
)
TEMPLATE_FIELDS = (
    ("Parameters",), ("ResultSelector",), ("ItemSelector",), ("Assign",),
    ("ItemReader", "Parameters"), ("ResultWriter", "Parameters"), ("ItemBatcher", "BatchInput"),
)  # fmt: skip
# Fields (at these depths) where only one of each group may be present.
EXCLUSIVE = (
    ((), ("TimeoutSeconds", "TimeoutSecondsPath")),
    ((), ("HeartbeatSeconds", "HeartbeatSecondsPath")),
    ((), ("Error", "ErrorPath")),
    ((), ("Cause", "CausePath")),
    ((), ("Iterator", "ItemProcessor")),
    ((), ("Parameters", "ItemSelector")),
    ((), ("MaxConcurrency", "MaxConcurrencyPath")),
    ((), ("ToleratedFailureCount", "ToleratedFailureCountPath")),
    ((), ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath")),
    (("ItemReader", "ReaderConfig"), ("MaxItems", "MaxItemsPath")),
    (("ItemBatcher",), ("MaxItemsPerBatch", "MaxItemsPerBatchPath")),
    (("ItemBatcher",), ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath")),
)
WAIT_FIELDS = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")
# Fields whose values a JSONata state evaluates (strings in them may be `{% %}` expressions).
JSONATA_VALUE_FIELDS = (
    "Arguments", "Output", "Assign", "Items", "ItemSelector", "TimeoutSeconds",
    "HeartbeatSeconds", "Seconds", "Timestamp", "MaxConcurrency", "ToleratedFailureCount",
    "ToleratedFailurePercentage", "Error", "Cause", "ItemReader", "ItemBatcher", "ResultWriter",
    "Credentials",
)  # fmt: skip

# Choice comparison operators and the operand each takes; the ...Path variants are derived.
_OPERAND_KIND = {"String": "string", "Numeric": "number", "Timestamp": "timestamp"}
_OPERATORS: dict[str, str] = {
    f"{prefix}{suffix}": kind
    for prefix, kind in _OPERAND_KIND.items()
    for suffix in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
}
_OPERATORS["BooleanEquals"] = "boolean"
_OPERATORS.update({f"{name}Path": "path" for name in list(_OPERATORS)})
_OPERATORS["StringMatches"] = "string"
_OPERATORS.update(
    {f"Is{t}": "boolean" for t in ("Null", "Present", "Numeric", "String", "Boolean", "Timestamp")}
)
_COMBINATORS = ("And", "Or", "Not")

# RFC 3339 as AWS profiles it: uppercase T and Z, numeric offsets allowed.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# arn:partition:service:region:account:resource (region and account may be empty).
_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:\S+")


@attrs.frozen
class Scope:
    """An object holding StartAt and States: the machine, a Parallel branch or a Map processor."""

    pointer: str
    node: Mapping[str, Any]
    states: Mapping[str, Any]


@attrs.frozen
class State:
    """One state object with its location and effective query language."""

    pointer: str
    name: str
    node: Mapping[str, Any]
    type: str | None
    jsonata: bool
    scope: Scope


@attrs.frozen
class Machine:
    """The definition walked once: every scope and every (object-valued) state in it."""

    root: Mapping[str, Any]
    jsonata: bool
    scopes: tuple[Scope, ...]
    states: tuple[State, ...]


def check(document: Any) -> Iterator[Problem]:
    """Yield every semantic Problem of a definition (any JSON value; non-objects yield none)."""
    if not isinstance(document, Mapping):
        return
    machine = walk(document)
    for rule in RULES:
        yield from rule(machine)


def walk(document: Mapping[str, Any]) -> Machine:
    """Collect the scopes and states of a definition, depth first, in document order."""
    root_jsonata = document.get("QueryLanguage") == JSONATA
    scopes: list[Scope] = []
    states: list[State] = []

    def visit(pointer: str, node: Mapping[str, Any]) -> None:
        raw = node.get("States")
        scope = Scope(pointer, node, raw if isinstance(raw, Mapping) else {})
        scopes.append(scope)
        for name, state in scope.states.items():
            if not isinstance(state, Mapping):
                continue
            here = ptr(pointer, "States", name)
            language = state.get("QueryLanguage")
            jsonata = language == JSONATA if language in (JSONPATH, JSONATA) else root_jsonata
            kind = state.get("Type")
            states.append(
                State(
                    here, str(name), state, kind if isinstance(kind, str) else None, jsonata, scope
                )
            )
            branches = state.get("Branches")
            if kind == "Parallel" and isinstance(branches, list):
                for i, branch in enumerate(branches):
                    if isinstance(branch, Mapping):
                        visit(ptr(here, "Branches", i), branch)
            for key in ("ItemProcessor", "Iterator"):
                processor = state.get(key)
                if kind == "Map" and isinstance(processor, Mapping):
                    visit(ptr(here, key), processor)

    visit("", document)
    return Machine(document, root_jsonata, tuple(scopes), tuple(states))


def ptr(base: str, *parts: object) -> str:
    """Extend a JSON pointer, escaping `~` and `/` in each part (RFC 6901)."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/".join((base, *escaped))


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _dig(node: Any, keys: Iterable[str]) -> Any:
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _number(value: Any) -> TypeGuard[int | float]:
    # JSON booleans are Python ints; they are not numbers here.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- transitions and graph -----------------------------------------------------------------


def _targets(state: State) -> Iterator[tuple[str, Any]]:
    """(pointer, target name) of every transition out of a state."""
    node = state.node
    for key in ("Next", "Default"):
        if key in node:
            yield ptr(state.pointer, key), node[key]
    for field in ("Choices", "Catch"):
        items = node.get(field)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, Mapping) and "Next" in item:
                    yield ptr(state.pointer, field, i, "Next"), item["Next"]


def start_at_exists(machine: Machine) -> Iterator[Problem]:
    """StartAt names a state of its own scope."""
    for scope in machine.scopes:
        start = scope.node.get("StartAt")
        if isinstance(start, str) and scope.states and start not in scope.states:
            yield Problem(
                ptr(scope.pointer, "StartAt"),
                "unknown-start-at",
                f"StartAt {start!r} is not a state in this States object"
                f"{_suggest(start, scope.states)}",
            )


def targets_exist(machine: Machine) -> Iterator[Problem]:
    """Next, Default, Choices[].Next and Catch[].Next name states of the same scope."""
    for state in machine.states:
        for pointer, target in _targets(state):
            if isinstance(target, str) and target not in state.scope.states:
                yield Problem(
                    pointer,
                    "unknown-target",
                    f"transition to {target!r}, which is not a state in this scope"
                    f"{_suggest(target, state.scope.states)}",
                )


def all_reachable(machine: Machine) -> Iterator[Problem]:
    """Every state can be reached from StartAt (AWS rejects unreachable states)."""
    by_scope: dict[int, list[State]] = {}
    for state in machine.states:
        by_scope.setdefault(id(state.scope), []).append(state)
    for scope in machine.scopes:
        start = scope.node.get("StartAt")
        members = {s.name: s for s in by_scope.get(id(scope), [])}
        if not isinstance(start, str) or start not in members:
            continue  # reported by start_at_exists or the schema; every state would be noise
        seen, todo = {start}, [start]
        while todo:
            for _, target in _targets(members[todo.pop()]):
                if isinstance(target, str) and target in members and target not in seen:
                    seen.add(target)
                    todo.append(target)
        for name, state in members.items():
            if name not in seen:
                yield Problem(
                    state.pointer,
                    "unreachable-state",
                    f"state {name!r} cannot be reached from StartAt {start!r}; "
                    "transition to it or remove it",
                )


def terminal_exists(machine: Machine) -> Iterator[Problem]:
    """Each scope has a state that ends it: End true, Succeed or Fail."""
    by_scope: dict[int, bool] = {}
    for state in machine.states:
        ends = state.node.get("End") is True or state.type in TERMINAL_TYPES
        by_scope[id(state.scope)] = by_scope.get(id(state.scope), False) or ends
    for scope in machine.scopes:
        if by_scope.get(id(scope)) is False:
            yield Problem(
                ptr(scope.pointer, "States"),
                "no-terminal-state",
                'no state ends this scope; give one state "End": true or add a Succeed or Fail state',
            )


def next_or_end(machine: Machine) -> Iterator[Problem]:
    """Task, Pass, Wait, Parallel and Map have Next or End true, not both; others have neither."""
    for state in machine.states:
        has_next, ends = "Next" in state.node, state.node.get("End") is True
        if state.type in WITH_TRANSITION:
            if has_next and ends:
                yield Problem(
                    state.pointer,
                    "next-and-end",
                    'a state has either "Next" or "End": true, not both',
                )
            elif not has_next and not ends:
                yield Problem(
                    state.pointer,
                    "missing-next-or-end",
                    f'{state.type} state {state.name!r} needs "Next" or "End": true',
                )
        elif state.type in TERMINAL_TYPES or state.type == "Choice":
            for key in ("Next", "End"):
                if key in state.node:
                    how = "uses Choices and Default" if state.type == "Choice" else "ends the scope"
                    yield Problem(
                        ptr(state.pointer, key),
                        "transition-not-allowed",
                        f'a {state.type} state {how}; remove "{key}"',
                    )


# --- names ---------------------------------------------------------------------------------


def state_names(machine: Machine) -> Iterator[Problem]:
    """State names are at most 80 characters and unique across the whole machine."""
    first: dict[str, str] = {}
    for state in machine.states:
        if len(state.name) > MAX_STATE_NAME:
            yield Problem(
                state.pointer,
                "state-name-too-long",
                f"state name is {len(state.name)} characters; AWS allows at most {MAX_STATE_NAME}",
            )
        if state.name in first:
            yield Problem(
                state.pointer,
                "duplicate-state-name",
                f"state name {state.name!r} is also used at {first[state.name]}; "
                "names must be unique in the whole machine, including branches and Map processors",
            )
        else:
            first[state.name] = state.pointer


# --- per-state field constraints -----------------------------------------------------------


def exclusive_fields(machine: Machine) -> Iterator[Problem]:
    """At most one of each group of alternative fields (e.g. TimeoutSeconds/TimeoutSecondsPath)."""
    for state in machine.states:
        for where, group in EXCLUSIVE:
            node = _dig(state.node, where)
            if isinstance(node, Mapping):
                present = [key for key in group if key in node]
                if len(present) > 1:
                    yield Problem(
                        ptr(state.pointer, *where, present[1]),
                        "mutually-exclusive",
                        f"{' and '.join(present)} are alternatives; keep only one",
                    )
        if state.type == "Wait":
            present = [key for key in WAIT_FIELDS if key in state.node]
            if len(present) != 1:
                yield Problem(
                    state.pointer,
                    "wait-duration",
                    "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp or "
                    f"TimestampPath (found {', '.join(present) or 'none'})",
                )


def heartbeat_below_timeout(machine: Machine) -> Iterator[Problem]:
    """A Task's HeartbeatSeconds is smaller than its TimeoutSeconds."""
    for state in machine.states:
        beat, timeout = state.node.get("HeartbeatSeconds"), state.node.get("TimeoutSeconds")
        if _number(beat) and _number(timeout) and beat >= timeout:
            yield Problem(
                ptr(state.pointer, "HeartbeatSeconds"),
                "heartbeat-not-below-timeout",
                f"HeartbeatSeconds ({beat}) must be smaller than TimeoutSeconds ({timeout})",
            )


def states_all_last(machine: Machine) -> Iterator[Problem]:
    """States.ALL appears alone in its ErrorEquals, and only in the last Retrier or Catcher."""
    for state in machine.states:
        for field in ("Retry", "Catch"):
            items = state.node.get(field)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                errors = item.get("ErrorEquals") if isinstance(item, Mapping) else None
                if not isinstance(errors, list) or STATES_ALL not in errors:
                    continue
                where = ptr(state.pointer, field, i, "ErrorEquals")
                if len(errors) > 1:
                    yield Problem(
                        where, "states-all-position", f"{STATES_ALL} must be alone in ErrorEquals"
                    )
                if i != len(items) - 1:
                    yield Problem(
                        where,
                        "states-all-position",
                        f"{STATES_ALL} catches everything, so it must be in the last "
                        f"{'Retrier' if field == 'Retry' else 'Catcher'}",
                    )


def task_resource(machine: Machine) -> Iterator[Problem]:
    """A Task's Resource is a URI; AWS accepts only ARNs, so other URIs are warnings."""
    for state in machine.states:
        resource = state.node.get("Resource")
        if state.type != "Task" or not isinstance(resource, str):
            continue
        where = ptr(state.pointer, "Resource")
        if "${" in resource:
            yield Problem(
                where,
                "bad-resource",
                f"Resource {resource!r} holds an unsubstituted ${{...}} placeholder; "
                "substitute it before validating",
            )
        elif not _URI.fullmatch(resource):
            yield Problem(
                where, "bad-resource", f"Resource {resource!r} is not a URI (an ARN such as "
                "arn:aws:states:::lambda:invoke)"
            )  # fmt: skip
        elif not _ARN.fullmatch(resource):
            yield Problem(
                where,
                "resource-not-arn",
                f"Resource {resource!r} is not an AWS ARN; it can run locally but AWS rejects it",
                "warning",
            )


# --- Choice rules --------------------------------------------------------------------------


def choice_rules(machine: Machine) -> Iterator[Problem]:
    """Choices is non-empty; top-level rules have Next, nested ones do not; each rule is
    well formed for the state's query language."""
    for state in machine.states:
        choices = state.node.get("Choices")
        if state.type != "Choice" or not isinstance(choices, list):
            continue
        if not choices:
            yield Problem(
                ptr(state.pointer, "Choices"), "empty-choices", "Choices needs at least one rule"
            )
        for i, rule in enumerate(choices):
            if not isinstance(rule, Mapping):
                continue
            where = ptr(state.pointer, "Choices", i)
            if "Next" not in rule:
                yield Problem(where, "choice-rule-next", 'a top-level Choice rule needs "Next"')
            if state.jsonata:
                yield from _jsonata_rule(where, rule)
            else:
                yield from _jsonpath_rule(where, rule, top=True)


def _jsonata_rule(where: str, rule: Mapping[str, Any]) -> Iterator[Problem]:
    if "Condition" not in rule:
        yield Problem(
            where, "choice-rule-condition", 'a JSONata Choice rule needs "Condition" (and "Next")'
        )


def _jsonpath_rule(where: str, rule: Mapping[str, Any], top: bool) -> Iterator[Problem]:
    if not top and "Next" in rule:
        yield Problem(
            ptr(where, "Next"),
            "choice-nested-next",
            'only top-level Choice rules have "Next"; remove it from this nested rule',
        )
    found = [key for key in rule if key in _OPERATORS or key in _COMBINATORS]
    if not found:
        unknown = [k for k in rule if k not in ("Variable", "Next", "Comment", "Assign")]
        hint = _suggest(unknown[0], [*_OPERATORS, *_COMBINATORS]) if unknown else ""
        yield Problem(
            where,
            "choice-rule-operator",
            "a Choice rule needs one comparison operator (StringEquals, NumericLessThan, "
            f"IsPresent, ...) or And/Or/Not{hint}",
        )
        return
    if len(found) > 1:
        yield Problem(
            where,
            "choice-rule-operator",
            f"a Choice rule holds exactly one operator, found {', '.join(found)}; "
            "combine comparisons with And/Or",
        )
        return
    (op,) = found
    value = rule[op]
    if op in ("And", "Or"):
        if isinstance(value, list) and not value:
            yield Problem(ptr(where, op), "choice-rule-operator", f"{op} needs at least one rule")
        for i, sub in enumerate(value if isinstance(value, list) else ()):
            if isinstance(sub, Mapping):
                yield from _jsonpath_rule(ptr(where, op, i), sub, top=False)
        return
    if op == "Not":
        if isinstance(value, Mapping):
            yield from _jsonpath_rule(ptr(where, op), value, top=False)
        return
    variable = rule.get("Variable")
    if variable is None:
        yield Problem(
            where, "choice-rule-variable", f'a rule with {op} needs "Variable" (a path to compare)'
        )
    elif isinstance(variable, str):
        # AWS: "Variable and Path fields in a comparison must be valid Reference Paths".
        yield from _path_problem(ptr(where, "Variable"), variable, REFERENCE)
    yield from _operand(ptr(where, op), op, value)


def _operand(where: str, op: str, value: Any) -> Iterator[Problem]:
    kind = _OPERATORS[op]
    if kind == "path":
        if isinstance(value, str):
            yield from _path_problem(where, value, REFERENCE)
        else:
            yield Problem(where, "choice-rule-operand", f"{op} takes a path string")
        return
    ok = {
        "string": isinstance(value, str),
        "number": _number(value),
        "boolean": isinstance(value, bool),
        "timestamp": isinstance(value, str) and _is_timestamp(value),
    }[kind]
    if not ok:
        what = (
            "an RFC 3339 timestamp string such as 2016-03-14T01:59:00Z"
            if kind == "timestamp"
            else f"a {kind}"
        )
        yield Problem(where, "choice-rule-operand", f"{op} compares with {what}, not {value!r}")


def _is_timestamp(text: str) -> bool:
    if not _TIMESTAMP.fullmatch(text):
        return False
    try:
        datetime.datetime.fromisoformat(text)  # 3.11 reads Z
    except ValueError:
        return False
    return True


def wait_timestamp(machine: Machine) -> Iterator[Problem]:
    """A Wait's literal Timestamp is RFC 3339 (uppercase T and Z)."""
    for state in machine.states:
        stamp = state.node.get("Timestamp")
        if state.type != "Wait" or not isinstance(stamp, str):
            continue
        if state.jsonata and stamp.startswith("{%"):
            continue
        if not _is_timestamp(stamp):
            yield Problem(
                ptr(state.pointer, "Timestamp"),
                "bad-timestamp",
                f"Timestamp {stamp!r} is not RFC 3339; write it like 2016-03-14T01:59:00Z",
            )


# --- paths, templates, intrinsics ----------------------------------------------------------


def _compile_problem(where: str, err: CompileError, code: str) -> Problem:
    return Problem(where + err.subpointer, err.code or code, err.message)


# How a path field is compiled: a Path, a Reference Path (one node), or a ResultPath (a
# Reference Path into the state input, which is written to).
PATH, REFERENCE, RESULT = "path", "reference", "result"


def _path_problem(where: str, text: str, kind: str) -> Iterator[Problem]:
    compiler: Callable[[str], object] = {
        PATH: compile_path,
        REFERENCE: compile_reference_path,
        RESULT: compile_result_path,
    }[kind]
    code = "bad-path" if kind == PATH else "bad-reference-path"
    try:
        compiler(text)
    except CompileError as err:
        yield _compile_problem(where, err, code)


def jsonpath_fields(machine: Machine) -> Iterator[Problem]:
    """Path fields of JSONPath states hold valid Paths; ResultPath holds a Reference Path."""
    for state in machine.states:
        if state.jsonata:
            continue
        node = state.node
        for field, nullable in PATH_FIELDS:
            if field in node:
                kind = REFERENCE if field == "ItemsPath" else PATH
                yield from _path_value(ptr(state.pointer, field), node[field], nullable, kind)
        if "ResultPath" in node:
            yield from _path_value(
                ptr(state.pointer, "ResultPath"), node["ResultPath"], True, RESULT
            )
        for keys in NESTED_PATH_FIELDS:
            value = _dig(node, keys)
            if isinstance(value, str):
                yield from _path_problem(ptr(state.pointer, *keys), value, PATH)
        catchers = node.get("Catch")
        for i, catcher in enumerate(catchers if isinstance(catchers, list) else ()):
            if isinstance(catcher, Mapping) and "ResultPath" in catcher:
                where = ptr(state.pointer, "Catch", i, "ResultPath")
                yield from _path_value(where, catcher["ResultPath"], True, RESULT)
        for field in ("ErrorPath", "CausePath"):
            value = node.get(field)
            if state.type == "Fail" and isinstance(value, str):
                yield from _fail_path(ptr(state.pointer, field), value)


def _path_value(where: str, value: Any, nullable: bool, kind: str) -> Iterator[Problem]:
    if value is None and not nullable:
        yield Problem(where, "bad-path", "this path cannot be null; omit the field instead")
    elif isinstance(value, str):
        yield from _path_problem(where, value, kind)


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
        yield from _path_problem(where, text, PATH)
        return
    try:
        compile_intrinsic(text)
    except CompileError as err:
        yield _compile_problem(where, err, "bad-intrinsic")


def templates(machine: Machine) -> Iterator[Problem]:
    """`.$` keys of Parameters, ResultSelector, ItemSelector and Assign hold a valid path or
    intrinsic call; plain keys whose value looks like a path get AWS's NO_DOLLAR warning."""
    for state in machine.states:
        if state.jsonata:
            continue
        for keys in TEMPLATE_FIELDS:
            value = _dig(state.node, keys)
            if not isinstance(value, (Mapping, list)):
                continue
            where = ptr(state.pointer, *keys)
            yield from _no_dollar(where, value)
            try:
                compile_template(value)
            except CompileError as err:
                yield _compile_problem(where, err, "bad-template")


def _no_dollar(where: str, value: Any) -> Iterator[Problem]:
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    for key, item in items:
        here = ptr(where, key)
        if isinstance(item, (Mapping, list)):
            yield from _no_dollar(here, item)
        elif (
            isinstance(key, str)
            and not key.endswith(".$")
            and isinstance(item, str)
            and (item == "$" or item.startswith(("$.", "$$.", "States.")))
        ):
            yield Problem(
                here,
                "no-dollar",
                f"{item!r} looks like a path or intrinsic but is passed as a literal string; "
                f'name the key "{key}.$" to evaluate it',
                "warning",
            )


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
        wrong, right, other = (
            (JSONPATH_ONLY, "JSONata", "JSONPath")
            if state.jsonata
            else (JSONATA_ONLY, "JSONPath", "JSONata")
        )
        for field in wrong:
            if field in node:
                yield Problem(
                    ptr(state.pointer, field),
                    "field-not-allowed",
                    f"{field} is a {other} field, but this state uses {right}; "
                    f"{_language_hint(field, state.jsonata)}",
                )
        choices = node.get("Choices")
        for i, rule in enumerate(choices if isinstance(choices, list) else ()):
            if isinstance(rule, Mapping) and not state.jsonata and "Condition" in rule:
                yield Problem(
                    ptr(state.pointer, "Choices", i, "Condition"),
                    "field-not-allowed",
                    'Condition is a JSONata field; set "QueryLanguage": "JSONata" or use Variable '
                    "with a comparison operator",
                )
            elif isinstance(rule, Mapping) and state.jsonata and "Variable" in rule:
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


def _strings(where: str, value: Any) -> Iterator[tuple[str, str]]:
    """(pointer, string) of every string inside a JSON value, keys excluded."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(ptr(where, key), item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(ptr(where, i), item)


def jsonata_expressions(machine: Machine) -> Iterator[Problem]:
    """`{% %}` strings appear only in JSONata states, are closed, and parse."""
    for state in machine.states:
        node = state.node
        fields = [*JSONATA_VALUE_FIELDS, "Condition"]
        values = [(ptr(state.pointer, f), node[f]) for f in fields if f in node]
        choices = node.get("Choices")
        for i, rule in enumerate(choices if isinstance(choices, list) else ()):
            if isinstance(rule, Mapping):
                values += [
                    (ptr(state.pointer, "Choices", i, f), rule[f])
                    for f in ("Condition", "Assign", "Output")
                    if f in rule
                ]
        catchers = node.get("Catch")
        for i, catcher in enumerate(catchers if isinstance(catchers, list) else ()):
            if isinstance(catcher, Mapping):
                values += [
                    (ptr(state.pointer, "Catch", i, f), catcher[f])
                    for f in ("Assign", "Output")
                    if f in catcher
                ]
        for base, value in values:
            for where, text in _strings(base, value):
                yield from _expression(where, text, state.jsonata)
        arguments = node.get("Arguments")
        if (
            state.jsonata
            and "Arguments" in node
            and not isinstance(arguments, Mapping)
            and not (isinstance(arguments, str) and arguments.startswith("{%"))
        ):
            yield Problem(
                ptr(state.pointer, "Arguments"),
                "bad-jsonata",
                "Arguments is an object or a {% %} JSONata expression",
            )


def _expression(where: str, text: str, jsonata: bool) -> Iterator[Problem]:
    opens, closes = text.startswith("{%"), text.endswith("%}")
    if not (opens or closes):
        return
    if not jsonata:
        if opens and closes:
            # Only a hint: AWS accepts the string and treats it as a plain constant (recorded:
            # assign BASE_CONSTANT_LITERALS assigns "{% ... %}" literally in a JSONPath Assign).
            yield Problem(
                where,
                "jsonata-in-jsonpath-state",
                'a {% %} expression only works in a JSONata state (here it is a plain string); '
                'set "QueryLanguage": "JSONata" to evaluate it',
                severity="warning",
            )
        return
    if opens != closes or len(text) < 4:
        yield Problem(
            where, "bad-jsonata", "a JSONata expression is written \"{% expression %}\"; "
            "the opening or closing delimiter is missing"
        )  # fmt: skip
        return
    try:
        compile_expression(text)
    except CompileError as err:
        yield _compile_problem(where, err, "bad-jsonata")


RULES: tuple[Callable[[Machine], Iterator[Problem]], ...] = (
    start_at_exists,
    targets_exist,
    all_reachable,
    terminal_exists,
    next_or_end,
    state_names,
    exclusive_fields,
    heartbeat_below_timeout,
    states_all_last,
    task_resource,
    choice_rules,
    wait_timestamp,
    jsonpath_fields,
    templates,
    query_language_fields,
    jsonata_expressions,
)
