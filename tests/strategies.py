"""Hypothesis strategies for state machine definitions: valid ones, mutations of them, and
Choice rules well formed or not."""

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


def _io_fields(draw: st.DrawFn, depth: int) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["InputPath"] = draw(PATHS)
    if draw(st.booleans()):
        fields["ResultPath"] = draw(REFERENCE_PATHS)
    if draw(st.booleans()):
        fields["Parameters"] = {"v.$": draw(PATHS), "k": draw(JSON_SCALARS)}
    if draw(st.booleans()):
        # Named by depth: a branch or iteration may not assign a name its outer scopes assign.
        fields["Assign"] = {f"seen{depth}.$": draw(PATHS), f"n{depth}": draw(JSON_SCALARS)}
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
        body.update(_io_fields(draw, depth))
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
        body.update(_io_fields(draw, depth))
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
                body["Choices"] = draw(st.lists(valid_choice_rule(target), min_size=1, max_size=2))
                body["Default"] = target
        elif body["Type"] not in ("Succeed", "Fail"):
            if following is None:
                body["End"] = True
            else:
                body["Next"] = following
                if body["Type"] == "Task" and draw(st.booleans()):
                    catcher = {"ErrorEquals": ["States.ALL"], "Next": following}
                    catcher.update(draw(st.fixed_dictionaries({}, optional={
                        "ResultPath": REFERENCE_PATHS, "Assign": st.just({f"error{depth}.$": "$.Error"}),
                    })))  # fmt: skip
                    body["Catch"] = [catcher]
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


# Strings that are almost a path, an intrinsic call or an expression, or not at all.
GARBLED = st.sampled_from(
    ["nope", "$.a[*]", "$..a", "$[", "$$", "$.a.", "States.Nope()", "States.Format('{}'",
     "States.UUID()", "{% 1 + %}", "{% true %}", "", "2016-03-14T01:59:00z"]
)  # fmt: skip


@st.composite
def mutated_definitions(draw: st.DrawFn) -> Any:
    """A valid definition with one to three mutations: a deleted key, a value swapped for
    another JSON type or for a garbled path, a renamed transition target, or a key that
    gains or loses its `.$`."""
    document: Any = copy.deepcopy(draw(definitions()))
    for _ in range(draw(st.integers(1, 3))):
        mutation = draw(st.sampled_from(["delete", "swap", "rename", "garble", "dollar"]))
        trails = _locations(document)
        if mutation == "garble":  # a string leaf: a path, template value, name or expression
            trails = [t for t in trails if t and isinstance(_parent(document, t)[t[-1]], str)]
        if not trails:
            continue
        trail = draw(st.sampled_from(trails))
        if not trail:
            document = draw(JSON) if mutation == "swap" else document
            continue
        parent = _parent(document, trail)
        if mutation == "delete" and isinstance(parent, dict):
            del parent[trail[-1]]
        elif mutation == "rename" and isinstance(parent[trail[-1]], str):
            parent[trail[-1]] = parent[trail[-1]] + draw(st.sampled_from(["x", " ", "/"]))
        elif mutation == "garble":
            parent[trail[-1]] = draw(GARBLED)
        elif mutation == "dollar" and isinstance(parent, dict):
            key = trail[-1]
            renamed = key[:-2] if key.endswith(".$") else key + ".$"
            items = [(renamed if k == key else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
        else:
            parent[trail[-1]] = draw(JSON)
    return document


# --- Choice rules: well formed, and malformed in the ways people get them wrong -----------------

_KINDS = {"String": "string", "Numeric": "number", "Timestamp": "timestamp"}
COMPARISONS = {
    f"{prefix}{relation}": kind
    for prefix, kind in _KINDS.items()
    for relation in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
}
COMPARISONS["BooleanEquals"] = "boolean"
COMPARISONS.update({f"{name}Path": "path" for name in list(COMPARISONS)})
COMPARISONS["StringMatches"] = "pattern"
COMPARISONS.update(
    {f"Is{t}": "boolean" for t in ("Null", "Present", "Numeric", "String", "Boolean", "Timestamp")}
)
_OPERANDS = {
    "string": st.text(alphabet="ab*\\", max_size=3),
    "number": st.integers(-3, 3) | st.floats(-10, 10, allow_nan=False),
    "boolean": st.booleans(),
    "timestamp": st.sampled_from(["2016-03-14T01:59:00Z", "2016-03-14T01:59:00.123+02:00"]),
    "path": st.sampled_from(["$.a", "$", "$.b[0]", "$$.Execution.Name", "$x"]),
    "pattern": st.sampled_from(["*", "a*", "\\*x", "log-*.txt"]),
}
# Values of the wrong kind for some operator, or not valid for any.
CHOICE_ODDITIES = st.none() | st.sampled_from(
    [True, 0, 1.5, "", "1", "a", "$.a", "a.b", "$.a[*]", "$..a", "$[", "2016-03-14T01:59:00z",
     "2016-02-30T00:00:00Z", "2016-03-14 01:59:00Z", "{% true %}", [], {}, ["x"], {"a": 1}]
)  # fmt: skip
_MISSPELT = st.sampled_from(["StringEqual", "stringEquals", "IsNul", "Varible", "Nexts", "a/b~c"])
_RULE_TEMPLATES = st.sampled_from(
    [{"x.$": "$.a"}, {"x": 1}, {"x.$": "not a path"}, {"x.$": "States.Nope()"}, {"a.$": "$", "a": 1}]
)


@st.composite
def _comparison(draw: st.DrawFn) -> dict[str, Any]:
    operator = draw(st.sampled_from(sorted(COMPARISONS)))
    operand = draw(_OPERANDS[COMPARISONS[operator]])
    return {"Variable": draw(REFERENCE_PATHS | st.sampled_from(["$x", "$$.State.Name"])),
            operator: operand}  # fmt: skip


def _well_formed(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """A nested rule (no Next) that compiles: a comparison, or And/Or/Not over smaller rules."""
    if depth >= 2:
        return _comparison()
    inner = _well_formed(depth + 1)
    return st.one_of(
        _comparison(),
        st.builds(lambda rules: {"And": rules}, st.lists(inner, min_size=1, max_size=2)),
        st.builds(lambda rules: {"Or": rules}, st.lists(inner, min_size=1, max_size=2)),
        st.builds(lambda rule: {"Not": rule}, inner),
    )


def valid_choice_rule(target: str) -> st.SearchStrategy[dict[str, Any]]:
    """A top-level JSONPath Choice rule that AWS accepts, going to `target`."""
    return _well_formed(0).map(lambda rule: {**rule, "Next": target})


@st.composite
def _broken(draw: st.DrawFn, rule: dict[str, Any], depth: int) -> dict[str, Any]:
    """`rule` (or a rule nested in it) with zero to two mistakes in it."""
    rule = copy.deepcopy(rule)
    for _ in range(draw(st.integers(0, 2))):
        for key in ("And", "Or"):
            if key in rule and isinstance(rule[key], list) and rule[key] and draw(st.booleans()):
                i = draw(st.integers(0, len(rule[key]) - 1))
                if isinstance(rule[key][i], dict):
                    rule[key][i] = draw(_broken(rule[key][i], depth + 1))
        if isinstance(rule.get("Not"), dict) and draw(st.booleans()):
            rule["Not"] = draw(_broken(rule["Not"], depth + 1))
        mistake = draw(st.sampled_from(
            ["operator", "operand", "variable", "drop", "next", "field", "nested", "none"]
        ))  # fmt: skip
        if mistake == "operator":  # a second operator, or a boolean beside a comparison
            name = draw(st.sampled_from([*sorted(COMPARISONS), "And", "Or", "Not"]))
            rule[name] = draw(_OPERANDS[COMPARISONS.get(name, "boolean")] | CHOICE_ODDITIES)
        elif mistake == "operand":
            names = [key for key in rule if key in COMPARISONS or key in ("And", "Or", "Not")]
            if names:
                rule[draw(st.sampled_from(names))] = draw(CHOICE_ODDITIES)
        elif mistake == "variable":  # Variable beside And/Or/Not, or a bad Variable
            rule["Variable"] = draw(REFERENCE_PATHS | CHOICE_ODDITIES)
        elif mistake == "drop" and rule:
            del rule[draw(st.sampled_from(sorted(rule)))]
        elif mistake == "next":  # Next where it must not be, or a bad one
            rule["Next"] = draw(st.sampled_from(["S", "Nowhere", "", 3, None]))
        elif mistake == "field":
            name = draw(_MISSPELT | st.sampled_from(["Comment", "Assign", "Condition", "Output"]))
            rule[name] = draw(_RULE_TEMPLATES | CHOICE_ODDITIES | st.text(max_size=3))
        elif mistake == "nested":
            rule[draw(st.sampled_from(["And", "Or"]))] = draw(
                st.lists(_well_formed(depth + 1) | CHOICE_ODDITIES, max_size=2)
            )
    return rule


@st.composite
def choice_rules(draw: st.DrawFn) -> Any:
    """A top-level JSONPath Choice rule, often malformed: mixed or missing operators, a
    Variable beside And, wrong operand types, misplaced Next, unknown fields, bad Assign."""
    rule: dict[str, Any] = draw(valid_choice_rule("S"))
    if draw(st.booleans()):
        rule["Assign"] = draw(_RULE_TEMPLATES)
    if draw(st.integers(0, 9)) == 0:
        return draw(CHOICE_ODDITIES)  # not an object at all
    return draw(_broken(rule, 0))


_CONDITIONS = st.sampled_from(
    ["{% true %}", "{% $states.input.a > 1 %}", "{% $exists($states.input.b) %}", "{% 1 + %}",
     "{% true", "true %}", "{%%}", True, False, 1, "true", None, {"a": 1}]
)  # fmt: skip


@st.composite
def jsonata_choice_rules(draw: st.DrawFn) -> Any:
    """A JSONata Choice rule: a Condition (valid or not) and Next, sometimes with Assign or
    Output, sometimes missing a field or carrying a JSONPath one."""
    rule: dict[str, Any] = {"Condition": draw(_CONDITIONS), "Next": "S"}
    if draw(st.booleans()):
        rule["Assign"] = draw(st.sampled_from([{"x": "{% $states.input %}"}, {"x": "{% ( %}"}, 1]))
    if draw(st.booleans()):
        rule["Output"] = draw(st.sampled_from(["{% $states.input.a %}", "{% ] %}", {"k": 1}]))
    extra = draw(st.sampled_from(["none", "none", "drop", "variable", "operator"]))
    if extra == "drop":
        del rule[draw(st.sampled_from(sorted(rule)))]
    elif extra == "variable":
        rule["Variable"] = "$.a"
    elif extra == "operator":
        rule["StringEquals"] = "x"
    return rule


@st.composite
def choice_definitions(draw: st.DrawFn) -> dict[str, Any]:
    """A small machine whose Choice state (at the top, or inside a Map or Parallel) holds
    random, often malformed, JSONPath or JSONata rules."""
    jsonata = draw(st.booleans())
    rules = draw(st.lists(jsonata_choice_rules() if jsonata else choice_rules(), max_size=3))
    choice: dict[str, Any] = {"Type": "Choice", "Choices": rules, "Default": "S"}
    if draw(st.integers(0, 9)) == 0:
        choice["Choices"] = draw(CHOICE_ODDITIES)
    scope: dict[str, Any] = {"StartAt": "C", "States": {"C": choice, "S": {"Type": "Succeed"}}}
    where = draw(st.sampled_from(["top", "top", "map", "parallel"]))
    if where == "map":
        scope = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": scope, "End": True}}}
    elif where == "parallel":
        scope = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [scope], "End": True}}}
    if jsonata:
        if draw(st.booleans()):
            scope["QueryLanguage"] = "JSONata"
        else:
            choice["QueryLanguage"] = "JSONata"
    return scope


def _compiled(key: object) -> bool:
    """Whether a field's string value is compiled at load (a path, a `.$` value, a Variable)."""
    return isinstance(key, str) and (key.endswith((".$", "Path")) or key == "Variable")


@st.composite
def garbled_definitions(draw: st.DrawFn) -> Any:
    """A valid definition in which one or two strings that are compiled at load (path fields,
    `.$` template values, including a Catcher's or a Choice rule's Assign, Choice Variables)
    are garbled."""
    document: Any = copy.deepcopy(draw(definitions()))
    for _ in range(draw(st.integers(1, 2))):
        trails = [
            trail
            for trail in _locations(document)
            if trail and _compiled(trail[-1]) and isinstance(_parent(document, trail)[trail[-1]], str)
        ]
        if trails:
            trail = draw(st.sampled_from(trails))
            _parent(document, trail)[trail[-1]] = draw(GARBLED)
    return document
