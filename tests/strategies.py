"""Hypothesis strategies for state machine definitions: valid ones, and mutations of them."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

NAMES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij _-/~", min_size=1, max_size=12)
PATHS = st.sampled_from(["$", "$.a", "$.a.b", "$.items[0]", "$['x y']", "$$.Execution.Id"])
REFERENCE_PATHS = st.sampled_from(["$", "$.a", "$.result", "$.a[1].b"])
JSON_SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
RESOURCES = st.sampled_from(
    ["arn:aws:states:::lambda:invoke", "arn:aws:lambda:us-east-1:123456789012:function:f"]
)


def _io_fields(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["InputPath"] = draw(PATHS)
    if draw(st.booleans()):
        fields["ResultPath"] = draw(REFERENCE_PATHS)
    if draw(st.booleans()):
        fields["Parameters"] = {"v.$": draw(PATHS), "k": draw(JSON_SCALARS)}
    return fields


@st.composite
def _body(draw: st.DrawFn, depth: int, names: set[str]) -> dict[str, Any]:
    """A state body of a random type, without its transition (Next/End/Default)."""
    kinds = ["Pass", "Wait", "Task", "Choice", "Succeed", "Fail"]
    if depth < 2:
        kinds += ["Parallel", "Map"]
    kind = draw(st.sampled_from(kinds))
    body: dict[str, Any] = {"Type": kind}
    if kind == "Pass":
        body.update(_io_fields(draw))
        if draw(st.booleans()):
            body["Result"] = draw(JSON)
    elif kind == "Wait":
        body[draw(st.sampled_from(["Seconds", "SecondsPath", "Timestamp"]))] = None
        if "Seconds" in body:
            body["Seconds"] = draw(st.integers(0, 100))
        elif "SecondsPath" in body:
            body["SecondsPath"] = draw(PATHS)
        else:
            body["Timestamp"] = "2016-03-14T01:59:00Z"
    elif kind == "Task":
        body["Resource"] = draw(RESOURCES)
        body.update(_io_fields(draw))
        if draw(st.booleans()):
            body["TimeoutSeconds"] = draw(st.integers(2, 100))
            body["HeartbeatSeconds"] = 1
    elif kind == "Fail":
        body["Error"] = draw(st.text(max_size=5))
    elif kind == "Parallel":
        body["Branches"] = [draw(_scope(depth + 1, names)) for _ in range(draw(st.integers(1, 2)))]
    elif kind == "Map":
        body["ItemsPath"] = draw(REFERENCE_PATHS)
        body["ItemProcessor"] = draw(_scope(depth + 1, names))
    return body


@st.composite
def _scope(draw: st.DrawFn, depth: int, names: set[str]) -> dict[str, Any]:
    """StartAt and States: a chain of states; Choice states branch forward; the last ends."""
    own = draw(
        st.lists(NAMES.filter(lambda n: n not in names), min_size=1, max_size=4, unique=True)
    )
    names.update(own)
    states: dict[str, Any] = {}
    for i, name in enumerate(own):
        body = draw(_body(depth, names))
        following = own[i + 1] if i + 1 < len(own) else None
        if body["Type"] in ("Succeed", "Fail") and following is not None:
            body = {"Type": "Pass"}  # keep the chain connected so every state is reachable
        if body["Type"] == "Choice":
            target = following
            if target is None:
                body = {"Type": "Succeed"}
            else:
                rule = {"Variable": draw(REFERENCE_PATHS), "IsPresent": draw(st.booleans())}
                body["Choices"] = [{**rule, "Next": target}]
                body["Default"] = target
        elif body["Type"] not in ("Succeed", "Fail"):
            if following is None:
                body["End"] = True
            else:
                body["Next"] = following
        states[name] = body
    return {"StartAt": own[0], "States": states}


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid JSONPath state machine definition (nested up to two levels)."""
    machine = draw(_scope(0, set()))
    if draw(st.booleans()):
        machine["Comment"] = draw(st.text(max_size=10))
    return machine


def _locations(node: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The trail of keys/indexes to every value inside a JSON document."""
    found = [trail]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _locations(value, (*trail, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _locations(value, (*trail, i))
    return found


def _parent(document: Any, trail: tuple[Any, ...]) -> Any:
    for step in trail[:-1]:
        document = document[step]
    return document


@st.composite
def mutated_definitions(draw: st.DrawFn) -> Any:
    """A valid definition with one to three mutations: a deleted key, a value swapped for
    another JSON type, or a renamed transition target."""
    document: Any = copy.deepcopy(draw(definitions()))
    for _ in range(draw(st.integers(1, 3))):
        trail = draw(st.sampled_from(_locations(document)))
        mutation = draw(st.sampled_from(["delete", "swap", "rename"]))
        if not trail:
            document = draw(JSON) if mutation == "swap" else document
            continue
        parent = _parent(document, trail)
        if mutation == "delete" and isinstance(parent, dict):
            del parent[trail[-1]]
        elif mutation == "rename" and isinstance(parent[trail[-1]], str):
            parent[trail[-1]] = parent[trail[-1]] + draw(st.sampled_from(["x", " ", "/"]))
        else:
            parent[trail[-1]] = draw(JSON)
    return document
