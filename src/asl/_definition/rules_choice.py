"""Semantic rules for Choice states (operators, operands, Variable, nesting) and for the RFC 3339
timestamps that Choice rules and Wait states compare with."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from asl._definition.rules_language import REFERENCE, path_problem
from asl._definition.rules_walk import Machine, number, ptr, suggest
from asl._errors import Problem

# Choice comparison operators and the operand each takes; the ...Path variants are derived.
_OPERAND_KIND = {"String": "string", "Numeric": "number", "Timestamp": "timestamp"}
OPERATORS: dict[str, str] = {
    f"{prefix}{suffix}": kind
    for prefix, kind in _OPERAND_KIND.items()
    for suffix in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
}
OPERATORS["BooleanEquals"] = "boolean"
OPERATORS.update({f"{name}Path": "path" for name in list(OPERATORS)})
OPERATORS["StringMatches"] = "string"
OPERATORS.update(
    {f"Is{t}": "boolean" for t in ("Null", "Present", "Numeric", "String", "Boolean", "Timestamp")}
)
COMBINATORS = ("And", "Or", "Not")
_KEYWORDS = frozenset((*OPERATORS, *COMBINATORS))
_NOT_OPERATORS = ("Variable", "Next", "Comment", "Assign")

# RFC 3339 as AWS profiles it: uppercase T and Z, numeric offsets allowed.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def choice_rules(machine: Machine) -> Iterator[Problem]:
    """Choices is non-empty; top-level rules have Next, nested ones do not; each rule is
    well formed for the state's query language."""
    for state in machine.states:
        if state.type != "Choice":
            continue
        choices = state.node.get("Choices")
        if not isinstance(choices, list):
            continue
        if not choices:
            yield Problem(
                ptr(state.pointer, "Choices"), "empty-choices", "Choices needs at least one rule"
            )
        for i, rule in enumerate(choices):
            if not isinstance(rule, dict):
                continue
            where = f"{state.pointer}/Choices/{i}"
            if "Next" not in rule:
                yield Problem(where, "choice-rule-next", 'a top-level Choice rule needs "Next"')
            if state.jsonata:
                if "Condition" not in rule:
                    yield Problem(
                        where,
                        "choice-rule-condition",
                        'a JSONata Choice rule needs "Condition" (and "Next")',
                    )
            else:
                yield from _jsonpath_rule(where, rule, top=True)


def _jsonpath_rule(where: str, rule: dict[str, Any], top: bool) -> Iterator[Problem]:
    if not top and "Next" in rule:
        yield Problem(
            where + "/Next",
            "choice-nested-next",
            'only top-level Choice rules have "Next"; remove it from this nested rule',
        )
    found = [key for key in rule if key in _KEYWORDS]
    if not found:
        unknown = [k for k in rule if k not in _NOT_OPERATORS]
        hint = suggest(unknown[0], [*OPERATORS, *COMBINATORS]) if unknown else ""
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
    # Operator names need no pointer escaping.
    if op in ("And", "Or"):
        if isinstance(value, list):
            if not value:
                yield Problem(
                    f"{where}/{op}", "choice-rule-operator", f"{op} needs at least one rule"
                )
            for i, sub in enumerate(value):
                if isinstance(sub, dict):
                    yield from _jsonpath_rule(f"{where}/{op}/{i}", sub, top=False)
        return
    if op == "Not":
        if isinstance(value, dict):
            yield from _jsonpath_rule(f"{where}/{op}", value, top=False)
        return
    variable = rule.get("Variable")
    if variable is None:
        yield Problem(
            where, "choice-rule-variable", f'a rule with {op} needs "Variable" (a path to compare)'
        )
    elif isinstance(variable, str):
        # AWS: "Variable and Path fields in a comparison must be valid Reference Paths".
        yield from path_problem(where + "/Variable", variable, REFERENCE)
    yield from _operand(f"{where}/{op}", op, value)


def _operand(where: str, op: str, value: Any) -> Iterator[Problem]:
    kind = OPERATORS[op]
    if kind == "path":
        if isinstance(value, str):
            yield from path_problem(where, value, REFERENCE)
        else:
            yield Problem(where, "choice-rule-operand", f"{op} takes a path string")
        return
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "number":
        ok = number(value)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, str) and is_timestamp(value)
    if not ok:
        what = (
            "an RFC 3339 timestamp string such as 2016-03-14T01:59:00Z"
            if kind == "timestamp"
            else f"a {kind}"
        )
        yield Problem(where, "choice-rule-operand", f"{op} compares with {what}, not {value!r}")


def is_timestamp(text: str) -> bool:
    """An RFC 3339 timestamp as AWS accepts it (and a real date and time)."""
    if not _TIMESTAMP.fullmatch(text):
        return False
    import datetime

    try:
        datetime.datetime.fromisoformat(text)  # 3.11 reads Z
    except ValueError:
        return False
    return True


def wait_timestamp(machine: Machine) -> Iterator[Problem]:
    """A Wait's literal Timestamp is RFC 3339 (uppercase T and Z)."""
    for state in machine.states:
        if state.type != "Wait":
            continue
        stamp = state.node.get("Timestamp")
        if not isinstance(stamp, str) or (state.jsonata and stamp.startswith("{%")):
            continue
        if not is_timestamp(stamp):
            yield Problem(
                ptr(state.pointer, "Timestamp"),
                "bad-timestamp",
                f"Timestamp {stamp!r} is not RFC 3339; write it like 2016-03-14T01:59:00Z",
            )
