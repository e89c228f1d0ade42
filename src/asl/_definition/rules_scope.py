"""Rules about what a field may see and combine, which AWS checks when it creates the machine:
the `$states` members a JSONata field may read, the variable names a nested Map or Parallel may
not reuse from the scopes around it, and the ReaderConfig fields each input type takes.

AWS's own messages (recorded, in the conformance-b cases' `validation_messages`) are quoted as
the Problem messages, with what to change after them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from asl._definition.rules_walk import Machine, Scope, State, dig, ptr
from asl._errors import Problem
from asl._languages.scan import unquoted

# --- $states members -------------------------------------------------------------------------

_STATES_MEMBER = re.compile(r"\$states\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
# What `$states` holds (documented); other members do not exist anywhere.
_EVERYWHERE = frozenset({"input", "context"})
_RESULT = frozenset({"result"})
# Fields holding other states or rules (looked at on their own) or never evaluated.
_NOT_EVALUATED = frozenset(
    {"Catch", "Choices", "Branches", "ItemProcessor", "Iterator", "Comment", "Type", "Next",
     "End", "Default", "QueryLanguage", "Resource"}
)
_ERROR_OUTPUT = frozenset({"errorOutput"})


def _members(text: str) -> set[str]:
    """The `$states` members an expression names, outside its string literals."""
    if "$states" not in text:
        return set()
    bare = "".join(char for _, char in unquoted(text))
    return set(_STATES_MEMBER.findall(bare))


def _expressions(value: Any, parts: tuple[object, ...]) -> Iterator[tuple[tuple[object, ...], str]]:
    if isinstance(value, str):
        if value.startswith("{%") and value.endswith("%}"):
            yield parts, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _expressions(item, (*parts, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _expressions(item, (*parts, i))


def _fields(state: State) -> Iterator[tuple[tuple[object, ...], Any, frozenset[str]]]:
    """(pointer parts, value, the `$states` members it may read) of each JSONata field."""
    node = state.node
    for field, value in node.items():
        if field in ("Output", "Assign"):
            yield (field,), value, _RESULT
        elif field not in _NOT_EVALUATED:
            yield (field,), value, frozenset()
    for field in ("Catch", "Choices"):
        items = node.get(field)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    for key, value in item.items():
                        if key == "Comment":
                            continue
                        if field == "Catch":
                            allowed = _ERROR_OUTPUT if key in ("Output", "Assign") else frozenset()
                        else:
                            allowed = _RESULT if key in ("Output", "Assign") else frozenset()
                        yield (field, i, key), value, allowed


def states_members(machine: Machine) -> Iterator[Problem]:
    """`$states.errorOutput` is read only in a Catcher's Output and Assign (recorded: AWS
    refuses a Pass Output reading it with "Field '$states.errorOutput' does not exist.");
    `$states.result` only in a state's (or a Choice rule's) Output and Assign, after the work
    (documented; not in a Catcher, whose state failed); a member `$states` does not hold
    (`$states.foo`) nowhere (inferred from the recorded wording)."""
    for state in machine.states:
        if not state.jsonata:
            continue
        for parts, value, allowed in _fields(state):
            for inner, text in _expressions(value, parts):
                for member in sorted(_members(text) - allowed - _EVERYWHERE):
                    where = {
                        "errorOutput": "It can be read only in a Catcher's Output or Assign.",
                        "result": "It can be read only in a state's Output or Assign.",
                    }.get(member, "$states holds input, result, errorOutput and context.")
                    yield Problem(
                        ptr(state.pointer, *inner),
                        "states-member",
                        f"Field '$states.{member}' does not exist. ({where})",
                    )


# --- variable scopes -------------------------------------------------------------------------


def _assigned(state: State) -> Iterator[tuple[tuple[object, ...], str]]:
    """(pointer parts, variable name) of each variable a state assigns (its own Assign, its
    Catchers' and its Choice rules')."""
    sources: list[tuple[tuple[object, ...], Any]] = [(("Assign",), state.node.get("Assign"))]
    for field in ("Catch", "Choices"):
        items = state.node.get(field)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    sources.append(((field, i, "Assign"), item.get("Assign")))
    for parts, assign in sources:
        if isinstance(assign, dict):
            for key in assign:
                if isinstance(key, str):
                    name = key[:-2] if key.endswith(".$") else key
                    yield (*parts, key), name


def _owner(scope: Scope, by_pointer: dict[str, State]) -> State | None:
    """The Map or Parallel state a nested scope belongs to (None for the machine)."""
    pointer = scope.pointer
    for suffix in ("/ItemProcessor", "/Iterator"):
        if pointer.endswith(suffix):
            return by_pointer.get(pointer[: -len(suffix)])
    head, _, index = pointer.rpartition("/")
    if index.isdigit() and head.endswith("/Branches"):
        return by_pointer.get(head[: -len("/Branches")])
    return None


def _distributed(state: State) -> bool:
    return bool(dig(state.node, ("ItemProcessor", "ProcessorConfig", "Mode")) == "DISTRIBUTED")


def variable_scopes(machine: Machine) -> Iterator[Problem]:
    """A Map iteration or Parallel branch may not assign a variable that a scope around it
    assigns (recorded: "The variable name 'shared' was already defined in a parent scope.").
    A distributed Map's children are executions of their own, which see no outer variable, so
    they start afresh (inferred from the documentation)."""
    if len(machine.scopes) < 2:
        return
    by_pointer = {state.pointer: state for state in machine.states}
    names: dict[str, set[str]] = {}  # scope pointer -> names its own states assign
    for state in machine.states:
        names.setdefault(state.scope.pointer, set()).update(name for _, name in _assigned(state))
    outer: dict[str, set[str]] = {"": set()}  # scope pointer -> names assigned around it
    for scope in machine.scopes[1:]:  # depth first: a scope's parents come before it
        owner = _owner(scope, by_pointer)
        if owner is None:
            continue
        parent = owner.scope.pointer
        around = set() if _distributed(owner) else outer.get(parent, set()) | names.get(parent, set())
        outer[scope.pointer] = around
        if not around:
            continue
        for state in scope.members.values():
            for parts, name in _assigned(state):
                if name in around:
                    yield Problem(
                        ptr(state.pointer, *parts),
                        "variable-shadows",
                        f"The variable name '{name}' was already defined in a parent scope. "
                        "(Rename it: a Map iteration or Parallel branch reads the outer "
                        "variable and cannot assign one of the same name.)",
                    )


# --- ItemReader ReaderConfig -----------------------------------------------------------------

_CSV_ONLY = ("CSVHeaderLocation", "CSVHeaders", "CSVDelimiter")
# Documented: an Athena manifest lists CSV, JSONL or Parquet files.
_ATHENA_INPUTS = frozenset({"CSV", "JSONL", "PARQUET"})


def reader_config(machine: Machine) -> Iterator[Problem]:
    """ReaderConfig fields fit its InputType (recorded messages): the CSV fields only with CSV
    input, which needs CSVHeaderLocation; an ATHENA_DATA manifest only with CSV, JSONL or
    PARQUET input."""
    for state in machine.states:
        if state.type != "Map":
            continue
        config = dig(state.node, ("ItemReader", "ReaderConfig"))
        if not isinstance(config, dict):
            continue
        base = ptr(state.pointer, "ItemReader", "ReaderConfig")
        kind = config.get("InputType")
        if not isinstance(kind, str):
            continue
        if kind == "CSV":
            if "CSVHeaderLocation" not in config:
                yield Problem(
                    base,
                    "reader-config",
                    "The field 'CSVHeaderLocation' is required (FIRST_ROW or GIVEN, with CSV "
                    "input)",
                )
        else:
            for field in _CSV_ONLY:
                if field in config:
                    yield Problem(
                        ptr(base, field),
                        "reader-config",
                        f"Field '{field}' is not supported (only with InputType CSV, not "
                        f"{kind})",
                    )
        if config.get("ManifestType") == "ATHENA_DATA" and kind not in _ATHENA_INPUTS:
            yield Problem(
                ptr(base, "ManifestType"),
                "reader-config",
                f"Field 'ManifestType' is not supported (ATHENA_DATA takes InputType CSV, "
                f"JSONL or PARQUET, not {kind})",
            )


def writer_config(machine: Machine) -> Iterator[Problem]:
    """A ResultWriter's WriterConfig gives both Transformation and OutputType (documented: both
    are required when WriterConfig is present)."""
    for state in machine.states:
        if state.type != "Map":
            continue
        config = dig(state.node, ("ResultWriter", "WriterConfig"))
        if not isinstance(config, dict):
            continue
        for field in ("Transformation", "OutputType"):
            if field not in config:
                yield Problem(
                    ptr(state.pointer, "ResultWriter", "WriterConfig"),
                    "writer-config",
                    f"WriterConfig needs {field} (Transformation NONE, COMPACT or FLATTEN; "
                    "OutputType JSON or JSONL)",
                )
