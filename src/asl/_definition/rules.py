"""Semantic checks beyond the JSON Schema: transitions, reachability, Choice rules, paths,
templates, query languages and the other constraints AWS enforces when it creates a state machine.

`check(document)` walks the definition once into scopes (the machine, each Parallel branch, each
Map processor) and states (`_rules_walk`), then runs every rule in `RULES`. Each rule is a small
function that yields `Problem`s; rules never raise on malformed input: the schema reports wrong
types, so a rule skips whatever is not the shape it needs. Problems stricter than AWS have
severity "warning". This module holds the graph and per-field rules; `_rules_choice` the Choice
rules and timestamps, `_rules_language` paths, templates, intrinsics and JSONata.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from asl._definition.rules_choice import choice_rules, wait_timestamp
from asl._definition.rules_language import (
    jsonata_expressions,
    jsonpath_fields,
    query_language_fields,
    templates,
)
from asl._definition.rules_scope import (
    reader_config,
    states_members,
    variable_scopes,
    writer_config,
)
from asl._definition.rules_walk import Machine, State, dig, number, ptr, suggest, walk
from asl._definition.templates.placeholders import stands_for_arn
from asl._errors import STATES_ALL, Problem

MAX_STATE_NAME = 80  # AWS quota: state names are at most 80 characters
WITH_TRANSITION = frozenset({"Task", "Pass", "Wait", "Parallel", "Map"})
TERMINAL_TYPES = frozenset({"Succeed", "Fail"})

# Alternative fields of a state where only one of each pair may be present.
EXCLUSIVE = (
    ("TimeoutSeconds", "TimeoutSecondsPath"),
    ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ("Error", "ErrorPath"),
    ("Cause", "CausePath"),
    ("Iterator", "ItemProcessor"),
    ("Parameters", "ItemSelector"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
)
# The same, inside a nested object of the state.
NESTED_EXCLUSIVE = (
    (("ItemReader", "ReaderConfig"), ("MaxItems", "MaxItemsPath")),
    (("ItemBatcher",), ("MaxItemsPerBatch", "MaxItemsPerBatchPath")),
    (("ItemBatcher",), ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath")),
)
WAIT_FIELDS = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# arn:partition:service:region:account:resource (region and account may be empty).
_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:\S+")


def check(document: Any) -> Iterator[Problem]:
    """Yield every semantic Problem of a definition (any JSON value; non-objects yield none)."""
    if not isinstance(document, dict):
        return
    machine = walk(document)
    for rule in RULES:
        yield from rule(machine)


# --- transitions and graph -----------------------------------------------------------------


def start_at_exists(machine: Machine) -> Iterator[Problem]:
    """StartAt names a state of its own scope."""
    for scope in machine.scopes:
        start = scope.node.get("StartAt")
        if isinstance(start, str) and scope.states and start not in scope.states:
            yield Problem(
                ptr(scope.pointer, "StartAt"),
                "unknown-start-at",
                f"StartAt {start!r} is not a state in this States object{suggest(start, scope.states)}",
            )


def targets_exist(machine: Machine) -> Iterator[Problem]:
    """Next, Default, Choices[].Next and Catch[].Next name states of the same scope."""
    for state in machine.states:
        names = state.scope.states
        for parts, target in state.targets():
            if isinstance(target, str) and target not in names:
                yield Problem(
                    ptr(state.pointer, *parts),
                    "unknown-target",
                    f"transition to {target!r}, which is not a state in this scope{suggest(target, names)}",
                )


def all_reachable(machine: Machine) -> Iterator[Problem]:
    """Every state can be reached from StartAt (AWS rejects unreachable states)."""
    for scope in machine.scopes:
        start = scope.node.get("StartAt")
        members = scope.members
        if not isinstance(start, str) or start not in members:
            continue  # reported by start_at_exists or the schema; every state would be noise
        seen, todo = {start}, [start]
        while todo:
            for _, target in members[todo.pop()].targets():
                if isinstance(target, str) and target in members and target not in seen:
                    seen.add(target)
                    todo.append(target)
        if len(seen) == len(members):
            continue
        for name, state in members.items():
            if name not in seen:
                yield Problem(
                    state.pointer,
                    "unreachable-state",
                    f"state {name!r} cannot be reached from StartAt {start!r}; transition to it or remove it",
                )


def _ends(state: State) -> bool:
    return state.type in TERMINAL_TYPES or state.node.get("End") is True


def terminal_exists(machine: Machine) -> Iterator[Problem]:
    """Each scope has a state that ends it: End true, Succeed or Fail."""
    for scope in machine.scopes:
        if scope.members and not any(_ends(state) for state in scope.members.values()):
            yield Problem(
                ptr(scope.pointer, "States"),
                "no-terminal-state",
                'no state ends this scope; give one state "End": true or add a Succeed or Fail state',
            )


def next_or_end(machine: Machine) -> Iterator[Problem]:
    """Task, Pass, Wait, Parallel and Map have Next or End true, not both; others have neither."""
    for state in machine.states:
        node = state.node
        if state.type in WITH_TRANSITION:
            has_next, ends = "Next" in node, node.get("End") is True
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
                if key in node:
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
        node = state.node
        for first, second in EXCLUSIVE:
            if second in node and first in node:
                yield Problem(
                    ptr(state.pointer, second),
                    "mutually-exclusive",
                    f"{first} and {second} are alternatives; keep only one",
                )
        if "ItemReader" in node or "ItemBatcher" in node:
            for where, (first, second) in NESTED_EXCLUSIVE:
                inner = dig(node, where)
                if isinstance(inner, dict) and first in inner and second in inner:
                    yield Problem(
                        ptr(state.pointer, *where, second),
                        "mutually-exclusive",
                        f"{first} and {second} are alternatives; keep only one",
                    )
        if state.type == "Wait":
            present = [key for key in WAIT_FIELDS if key in node]
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
        node = state.node
        if "HeartbeatSeconds" not in node or "TimeoutSeconds" not in node:
            continue
        beat, timeout = node["HeartbeatSeconds"], node["TimeoutSeconds"]
        if number(beat) and number(timeout) and beat >= timeout:
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
                errors = item.get("ErrorEquals") if isinstance(item, dict) else None
                if not isinstance(errors, list) or STATES_ALL not in errors:
                    continue
                where = f"{state.pointer}/{field}/{i}/ErrorEquals"
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
        if state.type != "Task":
            continue
        resource = state.node.get("Resource")
        if not isinstance(resource, str) or _ARN.fullmatch(resource) and "${" not in resource:
            continue
        where = ptr(state.pointer, "Resource")
        if "${" in resource:
            # A deploy-time placeholder stands for the ARN its tool fills in (SAM, CDK,
            # Terraform): never an error by itself; only one that cannot be an ARN is.
            if stands_for_arn(resource):
                continue
            yield Problem(
                where,
                "bad-resource",
                f"Resource {resource!r} holds a ${{...}} placeholder but cannot be an ARN once "
                "it is substituted (is a brace missing?)",
            )
        elif not _URI.fullmatch(resource):
            yield Problem(
                where, "bad-resource", f"Resource {resource!r} is not a URI (an ARN such as "
                "arn:aws:states:::lambda:invoke)"
            )  # fmt: skip
        else:
            yield Problem(
                where,
                "resource-not-arn",
                f"Resource {resource!r} is not an AWS ARN; it can run locally but AWS rejects it",
                "warning",
            )


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
    states_members,
    variable_scopes,
    reader_config,
    writer_config,
)
