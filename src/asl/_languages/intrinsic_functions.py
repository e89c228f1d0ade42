"""The registry of `States.*` intrinsic functions and their bodies.

Each `Function` declares its arity, the JSON types each argument may have and its result type;
an optional `check` looks at literal arguments at compile time too. AWS accepts a definition
whose call breaks these rules and fails the call when it runs (recorded: `States.Hash('hello')`,
`States.ArrayPartition($.arr, 0)`, `States.MathAdd(1, 'b')` all fail with States.Runtime), so
`Function.compile` never refuses a call: it returns the implementation together with what is
wrong, and the implementation of a call that can never succeed fails as AWS's does. The
validator reports what is wrong as a warning. A body receives evaluated argument values (never
mutated; a result may share structure with them) and raises `StatesError` as AWS fails the call
(see the notes at `_RUNTIME_ERROR`).

The registry sees parsed arguments only through what every node of the tree offers:
`static_type` (the JSON types it can evaluate to), `describe()` (how a message names it) and
`is_literal`, with `value` and `raw` on a literal.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from asl._errors import RUNTIME, CompileError, StatesError
from asl._json import to_json
from asl._languages.scan import PLACEHOLDER

# AWS's documentation lists States.IntrinsicFailure, but recorded executions fail bad intrinsic
# arguments with States.Runtime ("Invalid arguments in States.MathAdd", "... StringToJson"), as
# they do a path argument that matches nothing. AWS is the oracle, so States.Runtime it is.
_RUNTIME_ERROR = RUNTIME

# Limits from the AWS intrinsic-function reference.
_MAX_RANGE_ITEMS = 1000
_MAX_CODEC_CHARS = 10_000
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1

# What a backslash escapes inside an intrinsic string: the lexer's rule, and States.Format's
# template reads its escapes the same way.
ESCAPABLE = "'{}\\"

_HASHES: dict[str, str] = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}

# JSON type names used in the registry's argument declarations.
STRING, NUMBER, BOOLEAN, NULL, ARRAY, OBJECT = (
    "string",
    "number",
    "boolean",
    "null",
    "array",
    "object",
)
ANY = frozenset({STRING, NUMBER, BOOLEAN, NULL, ARRAY, OBJECT})

#: A function body bound to its name, as a call evaluates it.
Impl = Callable[[list[Any]], Any]


@attrs.frozen
class Function:
    """One registry entry: arity, the JSON types each argument may have (the last entry repeats
    for variadic functions), the result type, the runtime implementation, and an optional
    `check` of literal argument values at compile time (it may also return a specialised impl)."""

    name: str
    min_args: int
    max_args: int | None
    params: tuple[frozenset[str], ...]
    returns: frozenset[str]
    impl: Callable[[str, list[Any]], Any]
    check: Callable[[str, list[Any]], Impl | None] | None = None
    #: What AWS adds to "Invalid arguments in <name>" for a wrong number of arguments.
    arity_detail: str = ""

    def compile(self, args: list[Any]) -> tuple[Impl, str | None]:
        """The implementation of a call with these parsed arguments, and why the call can never
        succeed (None when it may). Such a call's implementation fails as AWS's does: after its
        arguments are evaluated, with States.Runtime "Invalid arguments in <name>"."""
        count = len(args)
        if count < self.min_args or (self.max_args is not None and count > self.max_args):
            return _always_invalid(self.name, self.arity_detail), (
                f"{self.name} takes {self._arity()}, but was given {count}"
            )
        for index, arg in enumerate(args):
            allowed = self.params[min(index, len(self.params) - 1)]
            if not (arg.static_type & allowed):
                return _always_invalid(self.name), (
                    f"{self.name}: argument {index + 1} must be {_describe(allowed)}, but "
                    f"{arg.describe()} is {_describe(arg.static_type)}"
                )
        try:
            impl: Impl | None = self.check(self.name, args) if self.check else None
        except CompileError as err:
            return _always_invalid(self.name), err.message
        if impl is None:
            name, fn = self.name, self.impl

            def impl(values: list[Any]) -> Any:
                return fn(name, values)

        return impl, None

    def _arity(self) -> str:
        if self.max_args == self.min_args:
            plural = "" if self.min_args == 1 else "s"
            return f"exactly {self.min_args} argument{plural}"
        if self.max_args is None:
            return f"at least {self.min_args} argument{'' if self.min_args == 1 else 's'}"
        return f"{self.min_args} to {self.max_args} arguments"


class InvalidArguments(StatesError):
    """A call's arguments do not fit its function; AWS words the cause "There was an error
    while evaluating the intrinsic function: <call>. Invalid arguments in States.X" (recorded),
    unlike a path argument that selects nothing."""


def _invalid(name: str, detail: str = "") -> StatesError:
    return InvalidArguments(_RUNTIME_ERROR, f"Invalid arguments in {name}{detail}")


def _always_invalid(name: str, detail: str = "") -> Impl:
    def impl(values: list[Any]) -> Any:
        raise _invalid(name, detail)

    return impl


def _literal(arg: Any) -> Any:
    """The argument if it is a literal (it has `value` and `raw`), else None."""
    return arg if arg.is_literal else None


# ---- value helpers


def json_type(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, (list, tuple)):
        return ARRAY
    return OBJECT


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _java_round(value: float) -> int:
    """Java's Math.round (half up, towards positive infinity): AWS rounds MathAdd's
    1.5 to 2 and -1.5 to -1. Written without `x + 0.5` so 0.49999999999999994 stays 0."""
    floor = math.floor(value)
    return int(floor + 1 if value - floor >= 0.5 else floor)


def _as_int(name: str, value: Any) -> int:
    """AWS rounds non-integer numbers to the nearest integer for these arguments."""
    if not _is_number(value):
        raise _invalid(name)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid(name)
        return _java_round(value)
    return int(value)


def _describe(types: frozenset[str]) -> str:
    if types == ANY:
        return "any JSON value"
    names = sorted(types)
    words = [("an " if t in (ARRAY, OBJECT) else "a ") + t for t in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _json_key(value: Any) -> Any:
    """A hashable key under which JSON-equal values collide: 1 == 1.0, but true != 1, and
    object key order does not matter."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("n", value)
    if isinstance(value, list):
        return ("a", tuple(_json_key(v) for v in value))
    return ("o", frozenset((k, _json_key(v)) for k, v in value.items()))


def _java_double(value: float) -> str:
    """Java's Double.toString, which AWS uses when it prints a number into a string:
    plain between 1e-3 and 1e7, else d.dddE<exp> (1.0E20)."""
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)
    from decimal import Decimal

    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    scientific = len(digit_tuple) + int(exponent) - 1
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{scientific}"


def _format_value(value: Any) -> str:
    """How AWS prints an argument into States.Format: strings bare, objects and arrays the way
    Java prints a Map or a List ({a=1, b=[x, y]}), everything else as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{k}={_format_value(v)}" for k, v in value.items()) + "}"


def _parse_template(raw: str) -> tuple[str | None, ...] | None:
    """Split a States.Format template into literal parts and `None` placeholders; None when a
    `{` or `}` stands alone (AWS rejects such a template). A deploy-time `${Name}` is text: its
    tool substitutes it before AWS parses the template."""
    parts: list[str | None] = []
    buf: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\\" and i + 1 < n and raw[i + 1] in ESCAPABLE:
            buf.append(raw[i + 1])
            i += 2
        elif ch == "$" and (placeholder := PLACEHOLDER.match(raw, i)) is not None:
            buf.append(placeholder.group())
            i = placeholder.end()
        elif ch == "{":
            if i + 1 < n and raw[i + 1] == "}":
                parts.append("".join(buf))
                parts.append(None)
                buf = []
                i += 2
            else:
                return None
        elif ch == "}":
            return None
        else:
            buf.append(ch)
            i += 1
    parts.append("".join(buf))
    return tuple(p for p in parts if p != "")


def _render_template(parts: Sequence[str | None], values: Sequence[Any]) -> str:
    out: list[str] = []
    it = iter(values)
    for part in parts:
        if part is None:
            out.append(_format_value(next(it)))
        else:
            out.append(part)
    return "".join(out)


# ---- implementations (values already evaluated; never mutate them)


def _format(name: str, args: list[Any]) -> str:
    template = args[0]
    if not isinstance(template, str):
        raise _invalid(name)
    parts = _parse_template(template)
    if parts is None or sum(p is None for p in parts) != len(args) - 1:
        raise _invalid(name)
    return _render_template(parts, args[1:])


def _check_format(name: str, args: list[Any]) -> Impl | None:
    template = _literal(args[0])
    if template is None or template.raw is None:
        return None
    parts = _parse_template(template.raw)
    if parts is None:
        raise CompileError(
            f"{name}: the template {template.raw!r} has a lone '{{' or '}}'; write {{}} for a "
            "placeholder and \\{ or \\} for a literal brace"
        )
    wanted = sum(p is None for p in parts)
    given = len(args) - 1
    if wanted != given:
        raise CompileError(
            f"{name}: the template has {wanted} {{}} placeholder{'s' if wanted != 1 else ''} "
            f"but {given} value{'s' if given != 1 else ''} follow{'s' if given == 1 else ''} it"
        )

    def impl(values: list[Any]) -> str:
        return _render_template(parts, values[1:])

    return impl


def _string_to_json(name: str, args: list[Any]) -> Any:
    text = args[0]
    if not isinstance(text, str):
        raise _invalid(name)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        raise _invalid(name) from None


def _reject_constant(token: str) -> Any:
    raise ValueError(token)  # NaN and Infinity are not JSON


def _json_to_string(name: str, args: list[Any]) -> str:
    return to_json(args[0])


def _array(name: str, args: list[Any]) -> list[Any]:
    return list(args)


def _array_partition(name: str, args: list[Any]) -> list[Any]:
    array, size = args
    size = _as_int(name, size)
    if not isinstance(array, list) or size <= 0:
        raise _invalid(name)
    return [array[i : i + size] for i in range(0, len(array), size)]


def _array_contains(name: str, args: list[Any]) -> bool:
    array, wanted = args
    if not isinstance(array, list):
        raise _invalid(name)
    key = _json_key(wanted)
    return any(_json_key(item) == key for item in array)


def _array_range(name: str, args: list[Any]) -> list[int]:
    start, end, step = (_as_int(name, a) for a in args)
    if step == 0:
        raise _invalid(name)
    count = (end - start) // step + 1 if (end - start) * step >= 0 else 0
    if count > _MAX_RANGE_ITEMS:
        raise _invalid(name)
    return list(range(start, end + (1 if step > 0 else -1), step))


def _array_get_item(name: str, args: list[Any]) -> Any:
    array, index = args
    if not isinstance(array, list) or not _is_number(index):
        raise _invalid(name)
    if isinstance(index, float):
        if not index.is_integer():
            raise _invalid(name)
        index = int(index)
    if not 0 <= index < len(array):
        raise _invalid(name)
    return array[index]


def _array_length(name: str, args: list[Any]) -> int:
    if not isinstance(args[0], list):
        raise _invalid(name)
    return len(args[0])


def _array_unique(name: str, args: list[Any]) -> list[Any]:
    array = args[0]
    if not isinstance(array, list):
        raise _invalid(name)
    seen: set[Any] = set()
    out = []
    for item in array:
        key = _json_key(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _base64_encode(name: str, args: list[Any]) -> str:
    text = args[0]
    if not isinstance(text, str) or len(text) > _MAX_CODEC_CHARS:
        raise _invalid(name)
    import base64

    # Java's String.getBytes(UTF_8) writes '?' for a lone surrogate (a "\ud800" in the input's
    # JSON) rather than failing; Python's "replace" does the same.
    return base64.b64encode(text.encode("utf-8", "replace")).decode("ascii")


def _base64_decode(name: str, args: list[Any]) -> str:
    text = args[0]
    if not isinstance(text, str) or len(text) > _MAX_CODEC_CHARS:
        raise _invalid(name)
    import base64
    import binascii

    # Java's basic decoder (AWS's) does not require the closing '=' padding: "QQ" decodes like
    # "QQ==" (recorded: 9,999 characters decode). A lone last character is still invalid.
    if "=" not in text and len(text) % 4 in (2, 3):
        text += "=" * (4 - len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(name) from None
    # Java's new String(bytes, UTF_8) replaces malformed sequences rather than failing.
    return raw.decode("utf-8", errors="replace")


def _hash(name: str, args: list[Any]) -> str:
    data, algorithm = args
    # AWS hashes a non-string value by its JSON text.
    text = data if isinstance(data, str) else to_json(data)
    if not isinstance(algorithm, str) or algorithm not in _HASHES or len(text) > _MAX_CODEC_CHARS:
        raise _invalid(name)
    import hashlib

    return hashlib.new(_HASHES[algorithm], text.encode("utf-8", "replace")).hexdigest()  # as Java


def _check_hash(name: str, args: list[Any]) -> Impl | None:
    algorithm = _literal(args[1])
    if algorithm is not None and algorithm.value not in _HASHES:
        raise CompileError(
            f"{name}: unsupported algorithm {algorithm.value!r}; use one of " + ", ".join(_HASHES)
        )
    return None


def _json_merge(name: str, args: list[Any]) -> dict[str, Any]:
    left, right, deep = args
    if not isinstance(left, dict) or not isinstance(right, dict) or deep is not False:
        raise _invalid(name)
    return {**left, **right}


def _check_json_merge(name: str, args: list[Any]) -> Impl | None:
    deep = _literal(args[2])
    if deep is not None and deep.value is not False:
        raise CompileError(
            f"{name}: the third argument must be false; AWS supports only the shallow merge"
        )
    return None


_RANDOM = random.Random()


def _math_random(name: str, args: list[Any]) -> int:
    start, end = _as_int(name, args[0]), _as_int(name, args[1])
    if start >= end:
        raise _invalid(name)
    if len(args) == 3:
        # Same seed, same number: a fresh generator per call keeps evaluations independent.
        return random.Random(_as_int(name, args[2])).randrange(start, end)
    return _RANDOM.randrange(start, end)


def _math_add(name: str, args: list[Any]) -> int:
    total = 0
    for value in args:
        number = _as_int(name, value)
        if not _INT32_MIN <= number <= _INT32_MAX:
            raise _invalid(name)
        total += number
    if not _INT32_MIN <= total <= _INT32_MAX:
        raise _invalid(name)
    return total


def _string_split(name: str, args: list[Any]) -> list[str]:
    text, delimiters = args
    if not isinstance(text, str) or not isinstance(delimiters, str):
        raise _invalid(name)
    # Every character of the second argument is a delimiter and empty pieces are dropped,
    # like Java's StringTokenizer (AWS splits "a,,b" on "," into ["a", "b"]).
    if len(delimiters) > 1:
        text = text.translate({ord(c): delimiters[0] for c in delimiters[1:]})
    if not delimiters:
        return [text] if text else []
    return [piece for piece in text.split(delimiters[0]) if piece]


def _uuid(name: str, args: list[Any]) -> str:
    import uuid

    return str(uuid.uuid4())


def _literal_checks(
    *checks: tuple[int, Callable[[Any], bool], str],
) -> Callable[[str, list[Any]], None]:
    """A compile-time check that literal arguments satisfy value rules (index, predicate, rule)."""

    def check(name: str, args: list[Any]) -> None:
        for index, ok, rule in checks:
            if index < len(args):
                lit = _literal(args[index])
                if lit is not None and not ok(lit.value):
                    raise CompileError(f"{name}: argument {index + 1} {rule}")

    return check


_S, _N, _A, _O, _B = (frozenset({t}) for t in (STRING, NUMBER, ARRAY, OBJECT, BOOLEAN))
_POSITIVE_CHUNK = _literal_checks(
    (1, lambda v: _java_round(v) > 0, "(the chunk size) must be a positive integer")
)
_NONZERO_STEP = _literal_checks((2, lambda v: _java_round(v) != 0, "(the step) must not be 0"))
_INDEX = _literal_checks(
    (1, lambda v: float(v).is_integer() and v >= 0, "(the index) must be a non-negative integer")
)
_CODEC_LIMIT = _literal_checks(
    (0, lambda v: len(v) <= _MAX_CODEC_CHARS, f"must be at most {_MAX_CODEC_CHARS} characters")
)

# fmt: off
FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    #         name                    min max  arguments     result impl             check
    Function("States.Format",        1, None, (_S, ANY),    _S,  _format,          _check_format),
    Function("States.StringToJson",  1, 1,    (_S,),        ANY, _string_to_json),
    Function("States.JsonToString",  1, 1,    (ANY,),       _S,  _json_to_string,  None,
              ": only a single argument is allowed."),
    Function("States.Array",         0, None, (ANY,),       _A,  _array),
    Function("States.ArrayPartition",
              2, 2,    (_A, _N),     _A,  _array_partition, _POSITIVE_CHUNK),
    Function("States.ArrayContains", 2, 2,    (_A, ANY),    _B,  _array_contains),
    Function("States.ArrayRange",    3, 3,    (_N, _N, _N), _A,  _array_range,     _NONZERO_STEP),
    Function("States.ArrayGetItem",  2, 2,    (_A, _N),     ANY, _array_get_item,  _INDEX),
    Function("States.ArrayLength",   1, 1,    (_A,),        _N,  _array_length),
    Function("States.ArrayUnique",   1, 1,    (_A,),        _A,  _array_unique),
    Function("States.Base64Encode",  1, 1,    (_S,),        _S,  _base64_encode,   _CODEC_LIMIT),
    Function("States.Base64Decode",  1, 1,    (_S,),        _S,  _base64_decode,   _CODEC_LIMIT),
    Function("States.Hash",          2, 2,    (ANY, _S),    _S,  _hash,            _check_hash),
    Function("States.JsonMerge",     3, 3,    (_O, _O, _B), _O,  _json_merge,
              _check_json_merge),
    Function("States.MathRandom",    2, 3,    (_N, _N, _N), _N,  _math_random),
    Function("States.MathAdd",       2, 2,    (_N, _N),     _N,  _math_add),
    Function("States.StringSplit",   2, 2,    (_S, _S),     _A,  _string_split),
    Function("States.UUID",          0, 0,    (ANY,),       _S,  _uuid),
)}
# fmt: on

FUNCTION_NAMES: tuple[str, ...] = tuple(FUNCTIONS)
