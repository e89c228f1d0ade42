"""Semantic rules for Choice states and for the RFC 3339 timestamps Wait states use.

A JSONPath Choice rule is checked by the parser `asl.load` compiles it with
(`asl._languages.choice.rule_errors`): there is one parser of Choice rules, so a rule that
validates compiles. What is left here is not parsing: an empty Choices array, and the two
fields every JSONata rule needs (its Condition and Next; `{% %}` strings are the JSONata
rules' business).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from asl._definition.rules_walk import Machine, ptr
from asl._errors import CompileError, Problem

# RFC 3339 as AWS profiles it: uppercase T and Z, numeric offsets allowed. Compiled on first
# use (re caches it): only a Wait with a literal Timestamp needs it, and `asl validate` starts
# faster without.
_TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"


def choice_rules(machine: Machine) -> Iterator[Problem]:
    """Choices is non-empty; each JSONPath rule compiles; each JSONata rule has a Condition
    and a Next."""
    rule_errors: Callable[[Any], list[CompileError]] | None = None  # imported on first use
    for state in machine.states:
        if state.type != "Choice":
            continue
        choices = state.node.get("Choices")
        if not isinstance(choices, list):
            continue  # the schema reports it
        if not choices:
            yield Problem(
                ptr(state.pointer, "Choices"),
                "empty-choices",
                "Choices needs at least one rule; add one, or use a Pass state to go on "
                "unconditionally",
            )
        for i, rule in enumerate(choices):
            where = f"{state.pointer}/Choices/{i}"
            if state.jsonata:
                yield from _jsonata_rule(where, rule)
                continue
            if rule_errors is None:
                from asl._languages import choice as _choice

                rule_errors = _choice.rule_errors
            for error in rule_errors(rule):
                yield Problem(where + error.subpointer, error.code, error.message)


def _jsonata_rule(where: str, rule: Any) -> Iterator[Problem]:
    if not isinstance(rule, dict):
        return  # the schema reports it
    if "Condition" not in rule:
        yield Problem(
            where,
            "choice-rule-condition",
            'a JSONata Choice rule needs "Condition": a boolean or a {% %} expression',
        )
    if "Next" not in rule:
        yield Problem(
            where,
            "choice-rule-next",
            'a top-level Choice rule needs "Next": the name of the state to go to when it '
            "matches",
        )


def is_timestamp(text: str) -> bool:
    """An RFC 3339 timestamp as AWS accepts it (and a real date and time)."""
    if not re.fullmatch(_TIMESTAMP, text):
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
