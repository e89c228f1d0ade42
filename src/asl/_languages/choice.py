"""Choice rules (JSONPath) compiled to predicates.

Every comparison operator is a (type, relation) pair from two small tables, and each `...Path`
twin is derived from its plain operator: the comparand is read from a reference path at run time
instead of being a literal checked at load. As AWS does:

- a value of the wrong type (a string for NumericEquals, `true` for a number, a string that is
  not an RFC 3339 timestamp for TimestampEquals) makes the comparison false, never an error;
- a Variable (or `...Path` comparand) that matches nothing is a States.Runtime failure; only
  IsPresent tolerates it, which is what it is for.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

import attrs

from asl._errors import CompileError
from asl._json import type_phrase
from asl._languages.env import Env
from asl._languages.paths import MISSING, ReferencePath, compile_reference_path

Predicate = Callable[[Any, Env], bool]
Coerce = Callable[[Any], Any]  # value -> comparable form, or MISSING when of the wrong type


# ---------------------------------------------------------------------------------------------
# Types: how a JSON value becomes comparable (or is rejected as the wrong type).


def _as_string(value: Any) -> Any:
    return value if isinstance(value, str) else MISSING


def _as_number(value: Any) -> Any:
    # bool is an int in Python but never a number in JSON.
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else MISSING


def _as_boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else MISSING


# RFC 3339 as AWS profiles it: uppercase T between date and time, and Z or a numeric offset.
_TIMESTAMP: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})"
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _as_timestamp(value: Any) -> Any:
    """An exact (seconds, nanoseconds) instant for an RFC 3339 string, else MISSING."""
    if not isinstance(value, str):
        return MISSING
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return MISSING
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone == "Z":
        offset = timedelta(0)
    else:
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        if abs(offset) >= timedelta(hours=24):
            return MISSING
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            tzinfo=timezone(offset),
        )  # fmt: skip
    except ValueError:  # month 13, February 30th, ...
        return MISSING
    seconds = (moment - _EPOCH) // timedelta(seconds=1)
    nanos = int((fraction or "0")[:9].ljust(9, "0"))
    return (seconds, nanos)


_TYPES: Final[dict[str, tuple[Coerce, str]]] = {
    "String": (_as_string, "a string"),
    "Numeric": (_as_number, "a number"),
    "Boolean": (_as_boolean, "a boolean (true or false)"),
    "Timestamp": (_as_timestamp, "an RFC 3339 timestamp string such as 2016-08-18T17:33:00Z"),
}

_RELATIONS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}

# Operator name -> (coerce, what the comparand must be, relation(variable, comparand)).
_COMPARISONS: Final[dict[str, tuple[Coerce, str, Callable[[Any, Any], bool]]]] = {
    f"{type_name}{rel_name}": (coerce, expected, relation)
    for type_name, (coerce, expected) in _TYPES.items()
    for rel_name, relation in _RELATIONS.items()
    if type_name != "Boolean" or rel_name == "Equals"
}

_TYPE_TESTS: Final[dict[str, Callable[[Any], bool]]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": lambda value: _as_number(value) is not MISSING,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": lambda value: _as_timestamp(value) is not MISSING,
}

# AWS has no StringMatchesPath: a pattern is always a literal, compiled at load.
_PATH_OPERATORS: Final = frozenset(f"{name}Path" for name in _COMPARISONS)
_VALUE_OPERATORS: Final = frozenset(
    (*_COMPARISONS, "StringMatches", *_PATH_OPERATORS, *_TYPE_TESTS, "IsPresent")
)
_BOOLEAN_OPERATORS: Final = ("And", "Or", "Not")
_OPERATORS: Final = _VALUE_OPERATORS | frozenset(_BOOLEAN_OPERATORS)
_TOP_LEVEL_EXTRAS: Final = frozenset({"Next", "Comment", "Assign"})


# ---------------------------------------------------------------------------------------------
# StringMatches: `*` matches any run of characters; `\*` and `\\` are a literal `*` and `\`.


def _compile_glob(pattern: str) -> Callable[[str], bool]:
    """A matcher for the pattern, split once into its literal pieces. Matching takes each piece
    at its leftmost position, which is always right for `*`-only globs: no backtracking."""
    pieces: list[str] = []
    chars: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            chars.append(pattern[i + 1])
            i += 2
            continue
        if char == "*":
            pieces.append("".join(chars))
            chars = []
        else:
            chars.append(char)
        i += 1
    pieces.append("".join(chars))
    if len(pieces) == 1:
        literal = pieces[0]
        return lambda text: text == literal
    head, middle, tail = pieces[0], pieces[1:-1], pieces[-1]
    minimum = sum(map(len, pieces))

    def matches(text: str) -> bool:
        if len(text) < minimum or not text.startswith(head) or not text.endswith(tail):
            return False
        position, end = len(head), len(text) - len(tail)
        for piece in middle:
            found = text.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return matches


# ---------------------------------------------------------------------------------------------
# Compiled rules


@attrs.frozen
class Rule:
    """A compiled Choice rule: `.matches(data, env)`, plus, for a top-level rule, where to go
    (`next`) and the rule's own compiled Assign (None when it has none)."""

    _predicate: Predicate = attrs.field(repr=False)
    next: str | None = None
    assign: Any = None
    source: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    def matches(self, data: Any, env: Env) -> bool:
        return self._predicate(data, env)


def compile_rule(rule: Mapping[str, Any]) -> Rule:
    """Compile one top-level Choice rule (an element of `Choices`), which must have a Next."""
    if not isinstance(rule, Mapping):
        raise CompileError(f"a Choice rule must be an object, not {type_phrase(rule)}")
    predicate = _compile_condition(rule, top_level=True)
    target = rule.get("Next")
    if not isinstance(target, str) or not target:
        raise CompileError(
            "a Choice rule needs a Next naming the state to go to when it matches",
            "/Next" if "Next" in rule else "",
        )
    assign = _compile_assign(rule["Assign"]) if "Assign" in rule else None
    return Rule(predicate, target, assign, rule)


def compile_choices(state: Mapping[str, Any]) -> tuple[Rule, ...]:
    """Compile every rule of a JSONPath Choice state, subpointers relative to the state."""
    choices = state.get("Choices")
    if not isinstance(choices, list) or not choices:
        raise CompileError("a Choice state needs a non-empty Choices array", "/Choices")
    compiled = []
    for n, rule in enumerate(choices):
        try:
            compiled.append(compile_rule(rule))
        except CompileError as exc:
            raise _nested(exc, f"/Choices/{n}") from None
    return tuple(compiled)


def _compile_condition(rule: Mapping[str, Any], top_level: bool) -> Predicate:
    operators = [key for key in rule if key in _OPERATORS]
    allowed_extras = _TOP_LEVEL_EXTRAS if top_level else frozenset({"Comment"})
    for key in rule:
        if key in _OPERATORS or key == "Variable" or key in allowed_extras:
            continue
        if key == "Next":
            raise CompileError(
                "Next is only allowed on a top-level Choice rule, not inside And, Or or Not",
                "/Next",
            )
        if key == "Condition":
            raise CompileError(
                "Condition is a JSONata Choice rule field; with JSONPath use a comparison such "
                "as StringEquals with a Variable, or set QueryLanguage to JSONata",
                "/Condition",
            )
        raise CompileError(f"unknown Choice rule field {key!r}{_suggest(key)}", f"/{key}")
    if not operators:
        raise CompileError(
            "a Choice rule needs exactly one comparison operator (e.g. StringEquals, "
            "NumericLessThan, IsPresent) with a Variable, or one of And, Or, Not"
        )
    if len(operators) > 1:
        raise CompileError(
            f"a Choice rule has exactly one operator, but this one has {', '.join(operators)}; "
            "combine conditions with And or Or",
            f"/{operators[1]}",
        )
    name = operators[0]
    if name in _BOOLEAN_OPERATORS:
        if "Variable" in rule:
            raise CompileError(f"{name} takes no Variable; put it in the nested rules", "/Variable")
        return _compile_boolean(name, rule[name])
    if "Variable" not in rule:
        raise CompileError(f"{name} needs a Variable: the path of the value to test", "")
    variable = _reference(rule["Variable"], "/Variable")
    return _compile_value_operator(name, rule[name], variable)


def _compile_boolean(name: str, operand: Any) -> Predicate:
    if name == "Not":
        if not isinstance(operand, Mapping):
            raise CompileError("Not takes one Choice rule object", "/Not")
        inner = _nested_condition(operand, "/Not")
        return lambda data, env: not inner(data, env)
    if not isinstance(operand, list) or not operand:
        raise CompileError(f"{name} takes a non-empty array of Choice rules", f"/{name}")
    parts = []
    for n, item in enumerate(operand):
        if not isinstance(item, Mapping):
            raise CompileError(
                f"each element of {name} must be a Choice rule object", f"/{name}/{n}"
            )
        parts.append(_nested_condition(item, f"/{name}/{n}"))
    predicates = tuple(parts)
    if name == "And":
        return lambda data, env: all(p(data, env) for p in predicates)
    return lambda data, env: any(p(data, env) for p in predicates)


def _nested_condition(rule: Mapping[str, Any], pointer: str) -> Predicate:
    try:
        return _compile_condition(rule, top_level=False)
    except CompileError as exc:
        raise _nested(exc, pointer) from None


def _compile_value_operator(name: str, operand: Any, variable: ReferencePath) -> Predicate:
    if name == "IsPresent":
        expected = _flag(name, operand)
        find = variable.find
        return lambda data, env: (find(data, env) is not MISSING) == expected
    get = variable.get
    if name in _TYPE_TESTS:
        expected, test = _flag(name, operand), _TYPE_TESTS[name]
        return lambda data, env: test(get(data, env)) == expected
    if name.endswith("Path"):
        return _compile_path_comparison(name[: -len("Path")], operand, get)
    if name == "StringMatches":
        if not isinstance(operand, str):
            raise CompileError(
                f"StringMatches must be a string pattern, not {type_phrase(operand)}", "/StringMatches"
            )
        glob = _compile_glob(operand)
        return lambda data, env: _matches(glob, get(data, env))
    coerce, expected_type, relation = _COMPARISONS[name]
    comparand = coerce(operand)
    if comparand is MISSING:
        raise CompileError(f"{name} must be {expected_type}, not {_describe(operand)}", f"/{name}")

    def compare(data: Any, env: Env) -> bool:
        value = coerce(get(data, env))
        return value is not MISSING and relation(value, comparand)

    return compare


def _compile_path_comparison(
    base: str, operand: Any, get_variable: Callable[[Any, Env], Any]
) -> Predicate:
    """The `...Path` twin of `base`: the same test, with the comparand read at run time."""
    comparand_path = _reference(operand, f"/{base}Path")
    get_comparand = comparand_path.get
    coerce, _, relation = _COMPARISONS[base]

    def compare(data: Any, env: Env) -> bool:
        value = coerce(get_variable(data, env))
        comparand = coerce(get_comparand(data, env))
        return value is not MISSING and comparand is not MISSING and relation(value, comparand)

    return compare


def _matches(glob: Callable[[str], bool], value: Any) -> bool:
    return isinstance(value, str) and glob(value)


def _reference(text: Any, pointer: str) -> ReferencePath:
    try:
        return compile_reference_path(text)
    except CompileError as exc:
        raise _nested(exc, pointer) from None


def _flag(name: str, operand: Any) -> bool:
    if not isinstance(operand, bool):
        raise CompileError(f"{name} must be true or false, not {_describe(operand)}", f"/{name}")
    return operand


def _compile_assign(assign: Any) -> Any:
    # Payload templates live one module up the list; imported lazily so rules without Assign
    # never need it.
    from asl._languages import payload as _payload

    try:
        return _payload.compile_template(assign)
    except CompileError as exc:
        raise _nested(exc, "/Assign") from None


# ---------------------------------------------------------------------------------------------
# Messages


def _nested(exc: CompileError, pointer: str) -> CompileError:
    return CompileError(exc.message, pointer + exc.subpointer, exc.code)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type_phrase(value)} ({value!r})" if value is not None else "null"


def _suggest(key: str) -> str:
    folded = key.casefold()
    for name in sorted(_OPERATORS | {"Variable", "Next", "Comment", "Assign"}):
        if name.casefold() == folded or (len(folded) > 4 and _close(folded, name.casefold())):
            return f"; did you mean {name!r}?"
    return ""


def _close(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion or substitution."""
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] or a[i:] == b[i + 1 :] or a[i + 1 :] == b[i:]


__all__ = ["Rule", "compile_choices", "compile_rule"]
