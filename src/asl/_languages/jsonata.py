"""JSONata (`"QueryLanguage": "JSONata"`): `{% ... %}` expressions compiled once, evaluated per state.

The engine is jsonata-python, a port of jsonata-java; it reads bindings in place where the Rust
candidate converts every binding on every call (see bench/jsonata_choice.py). AWS's error texts are
jsonata-js's (the reference implementation): causes are reworded from the engine's error codes, and
two of the port's signature checks are put back to jsonata-js's (null is not a missing argument; an
extra argument is named by its position). On top of it this module adds what AWS
adds: the `$states` binding, the functions `$partition`, `$range`, `$hash`, `$random([seed])`,
`$uuid`, `$parse`, the removal of `$eval`, plain-JSON results, and AWS's wording for failures
(`States.QueryEvaluationError`).
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, NoReturn

import attrs

# jsonata-python sets the whole process's recursion limit to 10,000 when imported; the caller's
# limit is put back, and raised only while an evaluation runs (`bounds.DEEP_STACK`).
_RECURSION_LIMIT: Final = sys.getrecursionlimit()
import jsonata  # type: ignore[import-untyped]  # noqa: E402  # jsonata-python ships no type information
from jsonata import jexception, tokenizer, utils  # noqa: E402
from jsonata import signature as _signature  # noqa: E402

sys.setrecursionlimit(_RECURSION_LIMIT)
# Its evaluator prints "Proc not found ..." to stdout before raising T1006 (invoking something
# that is not a function); the error is the state's failure, so the print would only corrupt
# the caller's stdout (`asl run`'s JSON). A module global shadows the builtin for it alone.
jsonata.jsonata.print = lambda *args, **kwargs: None

from asl._errors import QUERY_EVALUATION_ERROR, CompileError, StatesError  # noqa: E402
from asl._json import escape, to_json  # noqa: E402
from asl._languages import bounds  # noqa: E402

__all__ = [
    "UNDEFINED",
    "EvaluationFailed",
    "Expression",
    "JsonataTemplate",
    "compile_expression",
    "compile_template",
    "is_expression",
    "json_type",
]

_OPEN: Final = "{%"
_CLOSE: Final = "%}"
_NULL: Final = utils.Utils.NULL_VALUE


class _Undefined:
    """JSONata's `undefined`: what an expression returns when it selects nothing. Not JSON."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "UNDEFINED"  # copies and pickles stay the one sentinel, so `is UNDEFINED` holds

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()


def is_expression(value: object) -> bool:
    """True for a string AWS treats as JSONata: exactly `{%` ... `%}`, no surrounding blanks."""
    return (
        isinstance(value, str)
        and len(value) >= len(_OPEN) + len(_CLOSE)
        and value.startswith(_OPEN)
        and value.endswith(_CLOSE)
    )


def json_type(value: Any) -> str:
    """JSONata's `$type` name of a plain JSON value ('null', 'number', 'array', ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# ---------------------------------------------------------------------------------------------
# AWS's wording. AWS's causes quote JSONata's reference implementation (jsonata-js): a message
# template per code whose {{field}} holes hold JSON.stringify(value) ('T0410: Argument 3 of
# function "partition" does not match function signature', 'T2001: The left side of the "+"
# operator ...', recorded). jsonata-python fills the same holes with str(value) and its table,
# ported from Java, reads "Object" wherever jsonata-js says "function"; the table is derived
# from the engine's so it follows the engine's codes.

_JS_TEMPLATES: Final = {
    code: text.replace("Object", "function")
    for code, text in jexception.JException.error_codes.items()
}
_HOLE: Final = re.compile(r"\{\{\{(\w+)\}\}\}|\{\{(\w+)\}\}")
# Which of the engine's positional values (current, expected, extra) fills each hole, where
# it is not simply in order: D1002 passes the operator before the value the message names.
_HOLE_VALUES: Final = {"D1002": (1,)}
# jsonata-js names an array signature's item type in T0412 ('an array of numbers').
_ARRAY_OF: Final = {
    "a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings",
}  # fmt: skip


def _stringify(value: Any) -> str:
    """JavaScript's JSON.stringify of a value the engine puts in a message ('undefined' for
    undefined or a function, as a JavaScript template string shows it)."""
    try:
        plain = _json_value(value) if value is not None else UNDEFINED
    except _Unsupported:
        return "undefined"
    return "undefined" if plain is UNDEFINED else to_json(plain)


def _js_message(code: str, values: Sequence[Any]) -> str | None:
    """The jsonata-js message of `code` with its holes filled from `values`, or None for a
    code the table does not know."""
    template = _JS_TEMPLATES.get(code)
    if template is None:
        return None
    order = _HOLE_VALUES.get(code)
    picked = [values[i] for i in order] if order else list(values)
    if code == "T0412" and len(picked) > 2:
        picked[2] = _ARRAY_OF.get(picked[2]) if isinstance(picked[2], str) else None
    holes = iter(picked)

    def fill(match: re.Match[str]) -> str:
        value = next(holes, None)
        if match.group(1):  # {{{raw}}}
            return "undefined" if value is None else str(value)
        return _stringify(value)

    return _HOLE.sub(fill, template)


def _signature_mismatch(self: Any, bad_args: Any, bad_sig: str, function_name: Any) -> NoReturn:
    """jsonata-js's T0410: the argument is the first one the signature's parameters, matched
    as a prefix one after another, cannot take (the port matches each prefix against the whole
    supplied signature, so an extra argument was reported as argument 1)."""
    partial = "^"
    good_to = 0
    for param in self._params:
        partial += param.regex
        match = re.match(partial, bad_sig)
        if match is None:
            break
        good_to = match.end()
    raise jexception.JException("T0410", -1, good_to + 1, function_name)


_port_symbol = _signature.Signature.get_symbol


def _symbol(self: Any, value: Any) -> str:
    """jsonata-js's signature symbol: null is 'l', which no number, string or boolean parameter
    takes (the port reads its null marker as 'm', a missing argument, and lets it through to
    fail inside the function with a Python error: `$abs(null)`)."""
    return "l" if value is _NULL else str(_port_symbol(self, value))


_signature.Signature.throw_validation_error = _signature_mismatch
_signature.Signature.get_symbol = _symbol


# ---------------------------------------------------------------------------------------------
# AWS's added functions. Each raises _FunctionError, reported like a JSONata evaluation error.


class _FunctionError(Exception):
    """An AWS function rejected its arguments: a JSONata error code and the values of its
    message's holes (D3137 is jsonata-js's code for a message given in full)."""

    def __init__(self, code: str, *values: Any) -> None:
        super().__init__(code, *values)
        self.code = code
        self.values = values

    def __str__(self) -> str:
        return f"{self.code}: {_js_message(self.code, self.values)}"


_HASHES: Final = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}
# The order AWS lists them in its cause (recorded).
_HASH_NAMES: Final = "SHA-1, SHA-384, SHA-256, SHA-512, MD5"


def _partition(array: Any, size: float) -> list[list[Any]]:
    if not isinstance(array, list):
        # AWS's wording (recorded): its signature's item type has no name.
        raise _FunctionError("T0412", 1, "partition", None)
    if size < 0:
        raise _FunctionError("D3137", "Second argument must be zero or greater")
    chunk = int(size)  # truncated: AWS splits [1..5] by 2.6 into pairs (recorded)
    if chunk == 0:
        return []
    items = list(array)
    # A plain list, not a sequence: AWS keeps a single chunk nested ([[0, 1, 2]]).
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


_MAX_RANGE: Final = 1_000_000  # the engine's limit for `[a..b]`


def _range(start: float, end: float, step: float) -> Any:
    first, last, stride = int(start), int(end), int(step)
    if stride == 0:
        return None  # undefined: AWS's $range(1, 10, 0) and (1, 10, 0.49) return nothing (recorded)
    stop = last + (1 if stride > 0 else -1)  # the end is inclusive, as in States.ArrayRange
    size = len(range(first, stop, stride))
    if size > _MAX_RANGE:
        # Not recorded; bounded like JSONata's own range operator (D2014) so memory cannot run away.
        raise _FunctionError(
            "D3137", f"The size of the sequence allocated by $range must not exceed 1e6. "
            f"Attempted to allocate {size}."
        )
    # A JSONata sequence: AWS returns a lone number for a one-element range ($range(1, 9, 9) = 1).
    return utils.Utils.create_sequence_from_iter(range(first, stop, stride))


def _hash(value: str, algorithm: str) -> str:
    name = _HASHES.get(algorithm)
    if name is None:
        raise _FunctionError(
            "D3137", f"Hash algorithm '{algorithm}' must be one of {_HASH_NAMES}"
        )
    import hashlib  # rare functions import their modules lazily (start-up)

    # A lone surrogate becomes '?', as Java's UTF-8 encoder makes it (no Python error).
    return hashlib.new(name, value.encode("utf-8", "replace")).hexdigest()


def _random(seed: Any = None) -> float:
    if seed is None or seed is _NULL:
        return random.random()
    if isinstance(seed, (dict, list)):
        raise _FunctionError("D3137", "The seed argument of $random must be a number or a string")
    return random.Random(seed).random()


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def _parse(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        raise _FunctionError("D3137", "Invalid JSON") from None  # AWS's words (recorded)
    return _NULL if value is None else value


class _Native(jsonata.Jsonata.JFunctionCallable):  # type: ignore[misc]  # untyped base
    """Adapts a Python function to the engine's call protocol (arguments already validated)."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def call(self, input: Any, args: Sequence[Any] | None) -> Any:
        values = list(args or ())
        if self.function is not _random and any(a is None for a in values):
            return None  # as JSONata's own functions: an undefined argument gives undefined
        return self.function(*(None if a is _NULL else a for a in values))


class _Guarded(jsonata.Jsonata.JFunctionCallable):  # type: ignore[misc]  # untyped base
    """A built-in whose Python implementation fails with a Python error where jsonata-js
    throws a coded one: the error is reworded as jsonata-js words it."""

    def __init__(self, original: Any, code: str, holes: Callable[[Sequence[Any]], tuple[Any, ...]]) -> None:
        self.original = original
        self.code = code
        self.holes = holes

    def call(self, input: Any, args: Sequence[Any] | None) -> Any:
        try:
            return self.original.call(input, args)
        except (ValueError, TypeError, ArithmeticError) as error:
            raise _FunctionError(self.code, *self.holes(list(args or ()))) from error


def _first(args: Sequence[Any]) -> tuple[Any, ...]:
    return (args[0] if args else None,)


# jsonata-js's codes for what the port's implementations fail on with Python errors.
_GUARDED: Final = (
    ("number", "D3030", _first),  # "Unable to cast value to a number: "x""
    ("toMillis", "D3110", _first),  # "... must be an ISO 8601 formatted timestamp. Given "x""
    ("sort", "D3070", lambda args: ()),  # mixed strings and numbers without a comparator
)


def _aws_frame() -> jsonata.Jsonata.Frame:
    frame = jsonata.Jsonata.Frame(jsonata.Jsonata.static_frame)
    # Signatures use JSONata's notation: a = array, n = number, s = string, j = any JSON, ? = optional.
    for name, function, signature in (
        # j, not a: the engine would wrap a non-array in one, and AWS refuses it (T0412).
        ("partition", _partition, "<jn:a>"),
        ("range", _range, "<nnn:a<n>>"),
        ("hash", _hash, "<ss:s>"),
        ("random", _random, "<j?:n>"),
        ("uuid", _uuid, "<:s>"),
        ("parse", _parse, "<s:j>"),
    ):
        frame.bind(name, jsonata.Jsonata.JFunction(_Native(function), signature))
    for name, code, holes in _GUARDED:
        original = jsonata.Jsonata.static_frame.lookup(name)
        guarded = jsonata.Jsonata.JFunction(_Guarded(original, code, holes), None)
        guarded.signature, guarded.function_name = original.signature, original.function_name
        frame.bind(name, guarded)
    # AWS supports every JSONata 2.0.6 function except $eval (use $parse): unbound, so calling it
    # fails as calling any unknown name does (T1006).
    frame.bind("eval", None)
    return frame


_AWS_FRAME: Final = _aws_frame()


# ---------------------------------------------------------------------------------------------
# Results: the engine's values (sequences, its null marker, whole floats) to plain JSON.


class _Unsupported(Exception):
    """The result holds something JSON cannot: a function."""


def _json_value(value: Any) -> Any:
    """A JSONata result as a plain JSON value (the engine's null, sequences and doubles mapped)."""
    if value is _NULL or value is None:
        return None
    kind = type(value)
    if kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _Unsupported
        # JSONata numbers are doubles; AWS prints a whole double without a fraction (2, not 2.0).
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    if isinstance(value, list):  # includes the engine's sequence and range types
        return [_json_value(item) for item in value]
    if isinstance(value, (int, float)):  # bool-less int/float subclasses
        return _json_value(float(value)) if isinstance(value, float) else int(value)
    raise _Unsupported


class _Scope(dict[str, Any]):
    """The outermost frame's bindings: `$states`, then the variables, read in place (no per-call
    copy of every variable). Names bound by the expression itself (`$x := 1`) land in the dict."""

    __slots__ = ("states", "variables")

    def __init__(self, states: Mapping[str, Any], variables: Mapping[str, Any]) -> None:
        super().__init__()
        self.states = states
        self.variables = variables

    def get(self, name: str, default: Any = None) -> Any:  # the engine's only read
        if name in self:
            return self[name]
        if name == "states":
            return self.states
        if name in self.variables:
            value = self.variables[name]
            # The engine reads a bare None as undefined; a variable holding JSON null is null.
            return _NULL if value is None else value
        return default


# ---------------------------------------------------------------------------------------------
# Expressions.


class _Engine(jsonata.Jsonata):  # type: ignore[misc]  # untyped base
    """One parsed expression. `run` replaces `evaluate` to take the clock's time, skip the input
    validation walk (asl's data is JSON already), and point the engine's per-thread state at this
    expression (its `$now()` reads the last-built expression's timestamp otherwise)."""

    def run(self, scope: _Scope, now_ms: int) -> Any:
        frame = jsonata.Jsonata.Frame(_AWS_FRAME)
        budget = bounds.Budget()
        scope["__evaluate_entry"] = budget.enter  # the engine's hooks, looked up by these names
        scope["__evaluate_exit"] = budget.leave
        frame.bindings = scope
        self.timestamp = now_ms
        jsonata.Jsonata.CURRENT.jsonata = self
        try:
            with bounds.DEEP_STACK:
                return self.eval(self.ast, None, frame)
        except jexception.JException as error:
            self.populate_message(error)
            raise


class EvaluationFailed(StatesError):
    """A JSONata field failed; `location` is the state's field ('Output', 'Items'), which AWS's
    EvaluationFailed event names (documented: "the location of the field in the state")."""

    def __init__(self, error: str, cause: str, location: str) -> None:
        super().__init__(error, cause)
        self.location = location


def _subject(text: str, field: str) -> str:
    where = f" specified for the field '{field}'" if field else ""
    return f"The JSONata expression '{text}'{where}"


def _describe_failure(error: Exception) -> str:
    if isinstance(error, jexception.JException):
        message = _js_message(error.error, (error.current, error.expected, error.extra))
        return f"{error.error}: {error if message is None else message}"
    if isinstance(error, _FunctionError | bounds.BudgetExceeded | bounds.RegexTimeout):
        return str(error)
    if isinstance(error, ZeroDivisionError):
        return "D1001: Number out of range"
    if isinstance(error, RecursionError):
        return "U1001: Stack overflow error: Check for non-terminating recursive function."
    return str(error)


# The engine lets some Python errors through (e.g. ValueError from $number('x')): still the user's.
_EVALUATION_FAILURES: Final = (
    jexception.JException,
    _FunctionError,
    bounds.BudgetExceeded,
    bounds.RegexTimeout,
    MemoryError,
    ArithmeticError,
    RecursionError,
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
)


@attrs.frozen(eq=False)
class Expression:
    """A compiled `{% ... %}` expression. `text` is the expression without its delimiters, as
    AWS quotes it in error causes."""

    text: str
    _engine: _Engine = attrs.field(repr=False, alias="engine")

    def evaluate(
        self,
        states: Mapping[str, Any],
        variables: Mapping[str, Any],
        field: str = "",
        *,
        now_ms: int | None = None,
    ) -> Any:
        """The result as plain JSON, or `UNDEFINED` when the expression selects nothing.

        `states` is bound as `$states` (`input`, `result`, `errorOutput`, `context`), each
        variable as `$name`; `field` (e.g. 'Output/result') names the field in error causes;
        `now_ms` is the clock's time for `$now()`/`$millis()` (the system clock when omitted).
        Raises StatesError(States.QueryEvaluationError) when evaluation fails or the result is
        not JSON (a function)."""
        scope = _Scope(states, variables)
        stamp = int(time.time() * 1000) if now_ms is None else now_ms
        try:
            raw = self._engine.run(scope, stamp)
        except _EVALUATION_FAILURES as error:
            failure = _describe_failure(error)
            raise self._error(f"threw an error during evaluation. {failure}", field) from None
        if raw is None:
            return UNDEFINED
        if isinstance(raw, dict | list) and bounds.too_many_values(raw):
            failure = f"The result holds more than {bounds.RESULT_VALUES:,} values"
            raise self._error(f"threw an error during evaluation. {failure}", field)
        try:
            return _json_value(raw)
        except _Unsupported:
            raise self._error("returned an unsupported result type.", field) from None
        except RecursionError:
            failure = "The result is nested too deeply to be JSON"
            raise self._error(f"threw an error during evaluation. {failure}", field) from None

    def evaluate_defined(
        self,
        states: Mapping[str, Any],
        variables: Mapping[str, Any],
        field: str = "",
        *,
        expect: str | None = None,
        now_ms: int | None = None,
    ) -> Any:
        """Like `evaluate`, for fields that must have a value: undefined is an error, and so is
        a result whose JSON type (`json_type`) is not `expect` when given (e.g. 'array' for Items)."""
        value = self.evaluate(states, variables, field, now_ms=now_ms)
        if value is UNDEFINED:
            raise self._error("returned nothing (undefined).", field)
        if expect is not None and json_type(value) != expect:
            raise self._error(
                f"returned an unexpected result type. Expected '{expect}', but was "
                f"'{json_type(value)}' for value: {to_json(value)}",
                field,
            )
        return value

    def _error(self, what: str, field: str = "") -> StatesError:
        return EvaluationFailed(
            QUERY_EVALUATION_ERROR, f"{_subject(self.text, field)} {what}", field.split("/")[0]
        )


# JSONata 2.1 operators: AWS runs JSONata 2.0.6 and rejects them; the engine knows them.
_NEWER_OPERATORS: Final = {
    "?:": "write `$a ? $a : default` instead",
    "??": "write `$exists($a) ? $a : default` instead",
}


def _newer_operator(body: str) -> str | None:
    scanner = tokenizer.Tokenizer(body)
    try:
        while (token := scanner.next(False)) is not None:
            if token.type == "operator" and token.value in _NEWER_OPERATORS:
                return str(token.value)
    # The parser has accepted the text; a re-scan that stumbles proves nothing. The tokenizer
    # on its own misreads some regex literals (`$x / /re/` raises IndexError), hence the width.
    except (jexception.JException, IndexError, ValueError):
        return None
    return None


def compile_expression(text: str) -> Expression:
    """Compile a `{% ... %}` string once. Raises CompileError with the parser's message."""
    if not is_expression(text):
        raise CompileError(
            f"a JSONata expression must be a string that starts with '{_OPEN}' and ends with "
            f"'{_CLOSE}', got {text!r}"
        )
    body = text[len(_OPEN) : -len(_CLOSE)].strip()
    if not body:
        raise CompileError(
            f"the JSONata expression {text!r} is empty: write an expression between {_OPEN} and {_CLOSE}"
        )
    try:
        engine = _Engine(body, bounds.jsonata_regex)
    except jexception.JException as error:
        raise CompileError(
            f"the JSONata expression {body!r} does not parse: {error.error}: {error} "
            f"(at character {error.location})"
        ) from None
    except (
        RecursionError, ValueError, TypeError, IndexError, KeyError, AttributeError, re.error
    ) as error:
        # The parser lets a few Python errors through on odd input: still a syntax error. A
        # regex literal is compiled by Python's re, whose error is none of the others.
        raise CompileError(f"the JSONata expression {body!r} does not parse: {error}") from None
    if engine.errors:
        first = engine.errors[0]
        raise CompileError(f"the JSONata expression {body!r} does not parse: {first}")
    operator = _newer_operator(body)
    if operator is not None:
        raise CompileError(
            f"the JSONata expression {body!r} uses the operator '{operator}', which AWS Step "
            f"Functions does not support (it runs JSONata 2.0.6): {_NEWER_OPERATORS[operator]}"
        )
    return Expression(text=body, engine=engine)


# ---------------------------------------------------------------------------------------------
# Templates: a JSONata field's value, with expressions at any depth.

_Builder = Callable[[Mapping[str, Any], Mapping[str, Any], str, "int | None"], Any]


def _join(field: str, key: str | int) -> str:
    return f"{field}/{key}" if field else str(key)


def _constant(value: Any) -> _Builder:
    return lambda states, variables, field, now_ms: value


def _expression_builder(expression: Expression) -> _Builder:
    def build(
        states: Mapping[str, Any], variables: Mapping[str, Any], field: str, now_ms: int | None
    ) -> Any:
        return expression.evaluate_defined(states, variables, field, now_ms=now_ms)

    return build


def _object_builder(parts: list[tuple[str, bool, Any]]) -> _Builder:
    def build(
        states: Mapping[str, Any], variables: Mapping[str, Any], field: str, now_ms: int | None
    ) -> Any:
        return {
            key: part(states, variables, _join(field, key), now_ms) if dynamic else part
            for key, dynamic, part in parts
        }

    return build


def _array_builder(parts: list[tuple[bool, Any]]) -> _Builder:
    def build(
        states: Mapping[str, Any], variables: Mapping[str, Any], field: str, now_ms: int | None
    ) -> Any:
        return [
            part(states, variables, _join(field, index), now_ms) if dynamic else part
            for index, (dynamic, part) in enumerate(parts)
        ]

    return build


def _compile_value(value: Any, pointer: str) -> tuple[bool, Any, list[Expression]]:
    """(dynamic, builder-or-literal, expressions found) for one value of a template."""
    if is_expression(value):
        try:
            expression = compile_expression(value)
        except CompileError as error:
            raise CompileError(error.message, pointer + error.subpointer, error.code) from None
        return True, _expression_builder(expression), [expression]
    if isinstance(value, dict):
        found: list[Expression] = []
        object_parts: list[tuple[str, bool, Any]] = []
        for key, item in value.items():
            dynamic, part, inner = _compile_value(item, f"{pointer}/{escape(key)}")
            object_parts.append((key, dynamic, part))
            found.extend(inner)
        if not found:
            return False, value, found  # wholly literal: shared, never copied
        return True, _object_builder(object_parts), found
    if isinstance(value, list):
        found = []
        array_parts: list[tuple[bool, Any]] = []
        for index, item in enumerate(value):
            dynamic, part, inner = _compile_value(item, f"{pointer}/{index}")
            array_parts.append((dynamic, part))
            found.extend(inner)
        if not found:
            return False, value, found
        return True, _array_builder(array_parts), found
    return False, value, []


@attrs.frozen(eq=False)
class JsonataTemplate:
    """A compiled JSONata field value (Arguments, Output, an Assign value, Items, Condition...):
    strings that are exactly `{% ... %}` are expressions, everything else is literal, at any
    depth. Literal parts are shared between renders, never copied: treat results as read-only."""

    source: Any = attrs.field(repr=False)
    expressions: tuple[Expression, ...]
    _build: _Builder = attrs.field(repr=False, alias="build")
    _single: Expression | None = attrs.field(repr=False, alias="single")

    @property
    def is_literal(self) -> bool:
        """True when the value holds no expression (render returns `source` itself)."""
        return not self.expressions

    def render(
        self,
        states: Mapping[str, Any],
        variables: Mapping[str, Any],
        field: str = "",
        *,
        expect: str | None = None,
        now_ms: int | None = None,
    ) -> Any:
        """The field's value as plain JSON. `field` is the field's name ('Output'); nested
        expressions are reported as 'Output/result'. An expression that returns nothing is an
        error (JSON has no undefined). `expect` (a `json_type` name, e.g. 'array' for Items)
        is checked, in AWS's words, when the whole value is one expression."""
        if self._single is not None:
            return self._single.evaluate_defined(
                states, variables, field, expect=expect, now_ms=now_ms
            )
        return self._build(states, variables, field, now_ms)


def compile_template(value: Any) -> JsonataTemplate:
    """Compile a JSONata field's JSON value once. Raises CompileError whose subpointer locates
    the expression that does not parse (e.g. '/result')."""
    dynamic, part, found = _compile_value(value, "")
    single = found[0] if is_expression(value) else None
    build = part if dynamic else _constant(part)
    return JsonataTemplate(source=value, expressions=tuple(found), build=build, single=single)
