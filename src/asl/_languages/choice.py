"""Choice rules (JSONPath) compiled to predicates: the one parser of Choice rules.

`compile_rule` is what `asl.load` builds with; `rule_errors` is the same parse reporting every
mistake with its Problem code, which is how `asl.validate` checks rules, so a rule that
validates always compiles.

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
from typing import Any, Final

import attrs

from asl._errors import CompileError
from asl._json import escape, type_phrase
from asl._languages.env import Env
from asl._languages.memo import by_value
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
_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _as_timestamp(value: Any) -> Any:
    """An exact (seconds, nanoseconds) instant for an RFC 3339 string, else MISSING.

    Integer arithmetic rather than `datetime`, which would cost `asl validate` a few
    milliseconds of start-up to import for any file with a Choice state."""
    if not isinstance(value, str):
        return MISSING
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return MISSING
    year, month, day, hour, minute, second = map(int, match.groups()[:6])
    fraction, zone = match.group(7), match.group(8)
    if not 1 <= month <= 12 or year < 1 or hour > 23 or minute > 59 or second > 59:
        return MISSING
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= day <= _DAYS_IN_MONTH[month - 1] + (leap and month == 2):
        return MISSING  # February 30th, April 31st, ...
    offset = 0 if zone == "Z" else int(zone[1:3]) * 60 + int(zone[4:6])  # minutes
    if offset >= 24 * 60:
        return MISSING
    if zone[0] == "-":
        offset = -offset
    seconds = (_days_since_epoch(year, month, day) * 86_400 + hour * 3_600 + minute * 60
               + second - offset * 60)  # fmt: skip
    nanos = int((fraction or "0")[:9].ljust(9, "0"))
    return (seconds, nanos)


def _days_since_epoch(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


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
_NESTED_EXTRAS: Final = frozenset({"Comment"})
_KNOWN: Final = _OPERATORS | {"Variable"} | _TOP_LEVEL_EXTRAS


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


@by_value
def compile_rule(rule: Mapping[str, Any]) -> Rule:
    """Compile one top-level Choice rule (an element of `Choices`), which must have a Next.
    Raises the first CompileError; `rule_errors` lists them all.

    Memoised by value: validation compiles each rule first, so `asl.load`'s build of the same
    rule is a cache hit."""
    rule_or_none = _Parse(collect=False).top_level(rule)
    assert rule_or_none is not None  # without collecting, a failed parse raises instead
    return rule_or_none


def rule_errors(rule: Any) -> list[CompileError]:
    """Every CompileError of one top-level Choice rule, in document order; [] when it compiles.

    Each error has a `code` (the Problem code validation reports) and a subpointer relative
    to the rule. The same parse as `compile_rule`, carrying on past each error."""
    try:
        compile_rule(rule)
    except CompileError:
        parse = _Parse(collect=True)
        parse.top_level(rule)
        return parse.errors
    return []


def compile_choices(state: Mapping[str, Any]) -> tuple[Rule, ...]:
    """Compile every rule of a JSONPath Choice state, subpointers relative to the state."""
    choices = state.get("Choices")
    if not isinstance(choices, list) or not choices:
        raise CompileError("a Choice state needs a non-empty Choices array", "/Choices", EMPTY)
    compiled = []
    for n, rule in enumerate(choices):
        try:
            compiled.append(compile_rule(rule))
        except CompileError as exc:
            raise CompileError(exc.message, f"/Choices/{n}{exc.subpointer}", exc.code) from None
    return tuple(compiled)


# Problem codes (docs/problems-rules.md). A mistake the JSON Schema pass also reports gets the
# schema's code, so that validation reports it once, in the schema's words.
OPERATOR = "choice-rule-operator"
VARIABLE = "choice-rule-variable"
OPERAND = "choice-rule-operand"
NEXT = "choice-rule-next"
NESTED_NEXT = "choice-nested-next"
EMPTY = "empty-choices"
REFERENCE = "bad-reference-path"
TEMPLATE = "bad-template"
OTHER_LANGUAGE = "field-not-allowed"
UNKNOWN_FIELD, WRONG_TYPE, BAD_SIZE = "unknown-field", "wrong-type", "bad-size"


def _never(data: Any, env: Env) -> bool:
    return False  # stands in for a part that did not compile; such a rule is never returned


class _Parse:
    """One parse of a top-level rule. Compiling raises the first CompileError; collecting
    records each one and carries on, so that validation reports every mistake at once.

    `at` is the JSON pointer of the part being parsed, relative to the top-level rule."""

    __slots__ = ("errors", "_collect")

    def __init__(self, *, collect: bool) -> None:
        self._collect = collect
        self.errors: list[CompileError] = []

    def fail(self, message: str, at: str, code: str) -> Predicate:
        error = CompileError(message, at, code)
        if not self._collect:
            raise error
        self.errors.append(error)
        return _never

    def top_level(self, rule: Any) -> Rule | None:
        if not isinstance(rule, Mapping):
            self.fail(f"a Choice rule must be an object, not {type_phrase(rule)}", "", WRONG_TYPE)
            return None
        predicate = self.condition(rule, "", top_level=True)
        target = rule.get("Next")
        if "Next" not in rule:
            self.fail(
                'a top-level Choice rule needs "Next": the name of the state to go to when it '
                "matches",
                "",
                NEXT,
            )
        elif not isinstance(target, str):
            self.fail(f"Next must be a state name, not {type_phrase(target)}", "/Next", WRONG_TYPE)
        elif not target:
            self.fail("Next must name a state; it is empty", "/Next", BAD_SIZE)
        assign = self.assign(rule["Assign"]) if "Assign" in rule else None
        if self.errors:
            return None
        return Rule(predicate, target, assign, rule)

    def condition(self, rule: Mapping[str, Any], at: str, *, top_level: bool) -> Predicate:
        operators = [key for key in rule if key in _OPERATORS]
        allowed_extras = _TOP_LEVEL_EXTRAS if top_level else _NESTED_EXTRAS
        for key in rule:
            if key in _OPERATORS or key == "Variable" or key in allowed_extras:
                continue
            where = f"{at}/{escape(key)}"
            if key == "Next":
                self.fail(
                    "Next is only allowed on a top-level Choice rule, not inside And, Or or Not; "
                    "remove it from this nested rule",
                    where,
                    NESTED_NEXT,
                )
            elif top_level and key in _JSONATA_FIELDS:
                self.fail(_JSONATA_FIELDS[key], where, OTHER_LANGUAGE)
            else:
                hint = _suggest(key) or "; remove it"
                self.fail(f"unknown Choice rule field {key!r}{hint}", where, UNKNOWN_FIELD)
        if not operators:
            unknown = [key for key in rule if key not in _KNOWN]
            return self.fail(
                "a Choice rule needs exactly one comparison operator (e.g. StringEquals, "
                "NumericLessThan, IsPresent) with a Variable, or one of And, Or, Not"
                + (_suggest(unknown[0]) if unknown else ""),
                at,
                OPERATOR,
            )
        if len(operators) > 1:
            return self.fail(
                f"a Choice rule has exactly one operator, but this one has {', '.join(operators)}; "
                "keep one, and combine several tests with And or Or",
                f"{at}/{operators[1]}",
                OPERATOR,
            )
        name = operators[0]
        if name in _BOOLEAN_OPERATORS:
            if "Variable" in rule:
                self.fail(
                    f"{name} combines the rules nested in it and takes no Variable; remove this "
                    "Variable (each nested comparison names its own)",
                    f"{at}/Variable",
                    VARIABLE,
                )
            return self.boolean(name, rule[name], f"{at}/{name}")
        if "Variable" not in rule:
            self.fail(
                f'{name} needs a Variable: add "Variable": "$.field" with the path of the value '
                "to test",
                at,
                VARIABLE,
            )
            variable = None
        else:
            variable = self.reference(rule["Variable"], f"{at}/Variable", WRONG_TYPE, "Variable")
        return self.value_operator(name, rule[name], variable or _ROOT, f"{at}/{name}")

    def boolean(self, name: str, operand: Any, at: str) -> Predicate:
        if name == "Not":
            if not isinstance(operand, Mapping):
                return self.fail(
                    f"Not takes one Choice rule object, not {type_phrase(operand)}", at, WRONG_TYPE
                )
            inner = self.condition(operand, at, top_level=False)
            return lambda data, env: not inner(data, env)
        if not isinstance(operand, list):
            return self.fail(
                f"{name} takes an array of Choice rules, not {type_phrase(operand)}", at, WRONG_TYPE
            )
        if not operand:
            return self.fail(
                f"{name} takes a non-empty array of Choice rules; add a rule or remove {name}",
                at,
                OPERATOR,
            )
        parts = []
        for n, item in enumerate(operand):
            if isinstance(item, Mapping):
                parts.append(self.condition(item, f"{at}/{n}", top_level=False))
            else:
                parts.append(self.fail(
                    f"each element of {name} must be a Choice rule object, not "
                    f"{type_phrase(item)}",
                    f"{at}/{n}",
                    WRONG_TYPE,
                ))  # fmt: skip
        predicates = tuple(parts)
        if name == "And":
            return lambda data, env: all(p(data, env) for p in predicates)
        return lambda data, env: any(p(data, env) for p in predicates)

    def value_operator(self, name: str, operand: Any, variable: ReferencePath, at: str) -> Predicate:
        if name == "IsPresent":
            expected = self.flag(name, operand, at)
            find = variable.find
            return lambda data, env: (find(data, env) is not MISSING) == expected
        get = variable.get
        if name in _TYPE_TESTS:
            expected, test = self.flag(name, operand, at), _TYPE_TESTS[name]
            return lambda data, env: test(get(data, env)) == expected
        if name.endswith("Path"):
            comparand_path = self.reference(operand, at, OPERAND, name)
            if comparand_path is None:
                return _never
            return _path_comparison(name[: -len("Path")], get, comparand_path.get)
        if name == "StringMatches":
            if not isinstance(operand, str):
                return self.fail(
                    "StringMatches must be a string pattern (* matches any characters), not "
                    f"{_describe(operand)}",
                    at,
                    OPERAND,
                )
            glob = _compile_glob(operand)
            return lambda data, env: _matches(glob, get(data, env))
        coerce, expected_type, relation = _COMPARISONS[name]
        comparand = coerce(operand)
        if comparand is MISSING:
            return self.fail(f"{name} must be {expected_type}, not {_describe(operand)}", at, OPERAND)

        def compare(data: Any, env: Env) -> bool:
            value = coerce(get(data, env))
            return value is not MISSING and relation(value, comparand)

        return compare

    def reference(self, text: Any, at: str, type_code: str, what: str) -> ReferencePath | None:
        if not isinstance(text, str):
            self.fail(
                f'{what} must be a reference path string such as "$.field", not '
                f"{type_phrase(text)}",
                at,
                type_code,
            )
            return None
        try:
            return compile_reference_path(text)
        except CompileError as exc:
            self.fail(exc.message, at + exc.subpointer, exc.code or REFERENCE)
            return None

    def flag(self, name: str, operand: Any, at: str) -> bool:
        if not isinstance(operand, bool):
            self.fail(f"{name} must be true or false, not {_describe(operand)}", at, OPERAND)
            return True
        return operand

    def assign(self, assign: Any) -> Any:
        # Payload templates live one module up the list; imported lazily so rules without
        # Assign never need it.
        from asl._languages import payload as _payload

        try:
            return _payload.compile_template(assign)
        except CompileError as exc:
            self.fail(exc.message, "/Assign" + exc.subpointer, exc.code or TEMPLATE)
            return None


def _path_comparison(
    base: str, get_variable: Callable[[Any, Env], Any], get_comparand: Callable[[Any, Env], Any]
) -> Predicate:
    """The `...Path` twin of `base`: the same test, with the comparand read at run time."""
    coerce, _, relation = _COMPARISONS[base]

    def compare(data: Any, env: Env) -> bool:
        value = coerce(get_variable(data, env))
        comparand = coerce(get_comparand(data, env))
        return value is not MISSING and comparand is not MISSING and relation(value, comparand)

    return compare


def _matches(glob: Callable[[str], bool], value: Any) -> bool:
    return isinstance(value, str) and glob(value)


_ROOT: Final = compile_reference_path("$")  # stands in for a Variable that is missing or bad
# A JSONPath rule's fields that belong to JSONata rules, and what to do instead.
_JSONATA_FIELDS: Final = {
    "Condition": 'Condition is a JSONata field; set "QueryLanguage": "JSONata" or use Variable '
    "with a comparison operator",
    "Output": 'Output is a JSONata field; set "QueryLanguage": "JSONata", or shape the state\'s '
    "output with its OutputPath",
}


# ---------------------------------------------------------------------------------------------
# Messages


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type_phrase(value)} ({value!r})" if value is not None else "null"


def _suggest(key: str) -> str:
    folded = key.casefold()
    for name in sorted(_KNOWN):
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


__all__ = ["Rule", "compile_choices", "compile_rule", "rule_errors"]
