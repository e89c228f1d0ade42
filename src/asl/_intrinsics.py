"""The `States.*` intrinsic functions of JSONPath states, compiled once at load.

Pipeline (as in jmespath.py): `_lex` turns the text into tokens, `_Parser` builds a tree of
`_Literal`, `_PathArg` and `_Call` nodes, and the `_FUNCTIONS` registry declares each function's
arity, argument types and result type, so arity and literal-type mistakes are reported at load
as `CompileError`s that name the function. `Intrinsic.evaluate(data, env)` then only walks the
tree: no parsing, no regex building, no copies (results may share structure with `data`, which is
never mutated).

Runtime failures follow what AWS writes (see the notes at `_RUNTIME_ERROR`): the error is
`States.Runtime` and the cause is "The function '<whole expression>' had the following error:
<detail>", where detail is "Invalid arguments in States.X" for bad argument values, or "The
JsonPath argument for the field '$.p' could not be found in the input '<json>'" for a path
argument that matches nothing.

Known divergence, by design: AWS accepts a definition whose call has the wrong arity or a literal
that can never fit (`States.MathAdd('a', 1)`, `States.Hash('x', 'SHA256')`) and fails it when the
state runs; asl rejects it at load, since it can only ever fail.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from asl import _paths
from asl._env import Env
from asl._errors import RUNTIME, CompileError, StatesError
from asl._json import to_json
from asl._memo import by_text

# AWS's documentation lists States.IntrinsicFailure, but recorded executions fail bad intrinsic
# arguments with States.Runtime ("Invalid arguments in States.MathAdd", "... StringToJson"), as
# they do a path argument that matches nothing. AWS is the oracle, so States.Runtime it is.
_RUNTIME_ERROR = RUNTIME

# Limits from the AWS intrinsic-function reference.
_MAX_RANGE_ITEMS = 1000
_MAX_CODEC_CHARS = 10_000
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
# Deep enough for any real definition; keeps a pathological one from exhausting Python's stack.
_MAX_NESTING = 64

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


def is_intrinsic(text: object) -> bool:
    """Whether a `.$` value is an intrinsic call rather than a path (AWS decides by the prefix)."""
    return isinstance(text, str) and text.startswith("States.")


@by_text
def compile_intrinsic(text: str) -> Intrinsic:
    """Compile `States.Fn(arg, ...)`; raises CompileError saying what to change."""
    if not isinstance(text, str):
        raise CompileError(f"an intrinsic function call must be a string, not {_json_type(text)}")
    tokens = _lex(text)
    root = _Parser(text, tokens).parse()
    return Intrinsic(text=text, root=root)


@attrs.frozen
class Intrinsic:
    """A compiled intrinsic call; `evaluate` is the hot path."""

    text: str
    root: _Call

    def evaluate(self, data: Any, env: Env) -> Any:
        try:
            return self.root.evaluate(data, env)
        except StatesError as e:
            # AWS names the whole expression as written, not the inner call that failed.
            raise StatesError(
                e.error, f"The function '{self.text}' had the following error: {e.cause}"
            ) from None


# --------------------------------------------------------------------------- lexer

_PUNCT = {"(": "lparen", ")": "rparen", ",": "comma"}
_ESCAPABLE = "'{}\\"
_DIGITS = frozenset("0123456789")  # str.isdigit() also accepts "²"


@attrs.frozen
class _Token:
    kind: str  # name, lparen, rparen, comma, string, number, true, false, null, path, end
    text: str  # the source text of the token (for a string: the raw body, escapes intact)
    pos: int


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _PUNCT:
            tokens.append(_Token(_PUNCT[ch], ch, i))
            i += 1
        elif ch == "'":
            j = i + 1
            while j < n and text[j] != "'":
                if text[j] == "\\":
                    if j + 1 >= n or text[j + 1] not in _ESCAPABLE:
                        raise CompileError(
                            f"unsupported escape at character {j + 1} of {text!r}: inside an "
                            "intrinsic string only \\' \\{ \\} and \\\\ are escapes; write \\\\ "
                            "for a literal backslash"
                        )
                    j += 1
                j += 1
            if j >= n:
                raise CompileError(
                    f"unterminated string starting at character {i + 1} of {text!r}: "
                    "close it with ' (write \\' for a quote inside it)"
                )
            tokens.append(_Token("string", text[i + 1 : j], i))
            i = j + 1
        elif ch == "$":
            j = _scan_path(text, i)
            tokens.append(_Token("path", text[i:j].rstrip(), i))
            i = j
        elif ch == "-" or ch in _DIGITS:
            j = _scan_number(text, i)
            if j == i:
                raise CompileError(f"expected a number at character {i + 1} of {text!r}")
            tokens.append(_Token("number", text[i:j], i))
            i = j
        elif ch.isalpha() or ch == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "._"):
                j += 1
            word = text[i:j]
            kind = word if word in ("true", "false", "null") else "name"
            tokens.append(_Token(kind, word, i))
            i = j
        else:
            raise CompileError(f"unexpected character {ch!r} at character {i + 1} of {text!r}")
    tokens.append(_Token("end", "", n))
    return tokens


def _scan_path(text: str, i: int) -> int:
    """End of a path argument: the first `,` or `)` outside brackets, parentheses and quotes
    (filters such as `$.a[?(@.b == 'x,y')]` contain all three)."""
    depth, quote, n = 0, "", len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            if depth == 0:
                return i
            depth -= 1
        elif ch == "," and depth == 0:
            return i
        i += 1
    return i


def _scan_number(text: str, i: int) -> int:
    n, j = len(text), i
    if j < n and text[j] == "-":
        j += 1
    start = j
    while j < n and text[j] in _DIGITS:
        j += 1
    if j == start:
        return i
    if j < n and text[j] == "." and j + 1 < n and text[j + 1] in _DIGITS:
        j += 1
        while j < n and text[j] in _DIGITS:
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k] in _DIGITS:
            j = k
            while j < n and text[j] in _DIGITS:
                j += 1
    return j


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            i += 1
        out.append(raw[i])
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- tree


@attrs.frozen
class _Literal:
    value: Any
    raw: str | None = None  # a string literal's body with escapes intact (States.Format needs it)

    @property
    def static_type(self) -> frozenset[str]:
        return frozenset({_json_type(self.value)})

    def evaluate(self, data: Any, env: Env) -> Any:
        return self.value


@attrs.frozen
class _PathArg:
    text: str
    path: _paths.JsonPath

    static_type = ANY

    def evaluate(self, data: Any, env: Env) -> Any:
        value = self.path.find(data, env)
        if value is _paths.MISSING:
            # AWS reports a `$$` argument rewritten against the context and names the state input.
            field = "$" + self.text[2:] if self.text.startswith("$$") else self.text
            raise StatesError(
                RUNTIME,
                f"The JsonPath argument for the field '{field}' could not be found in the input "
                f"'{to_json(data)}'",
            )
        return value


@attrs.frozen
class _Call:
    name: str
    args: tuple[Any, ...]
    impl: Callable[[list[Any]], Any]
    static_type: frozenset[str]

    def evaluate(self, data: Any, env: Env) -> Any:
        return self.impl([a.evaluate(data, env) for a in self.args])


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0

    def parse(self) -> _Call:
        tok = self.tokens[0]
        if tok.kind != "name":
            raise CompileError(
                f"{self.text!r} is not an intrinsic function call: expected States.Name(args...)"
            )
        call = self._call(0)
        end = self.tokens[self.i]
        if end.kind != "end":
            raise CompileError(
                f"unexpected {end.text!r} at character {end.pos + 1} of {self.text!r} after the "
                f"end of {call.name}(...)"
            )
        return call

    def _call(self, depth: int) -> _Call:
        name_tok = self.tokens[self.i]
        name = name_tok.text
        spec = _FUNCTIONS.get(name)
        if spec is None:
            import difflib  # rare paths import their modules lazily: `asl validate` starts fast

            close = difflib.get_close_matches(name, _FUNCTIONS, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise CompileError(f"unknown intrinsic function {name!r}{hint}")
        if depth >= _MAX_NESTING:
            raise CompileError(f"intrinsic functions are nested more than {_MAX_NESTING} deep")
        self.i += 1
        self._expect("lparen", f"expected '(' after {name}")
        args: list[Any] = []
        if self.tokens[self.i].kind == "rparen":
            self.i += 1
        else:
            while True:
                args.append(self._arg(name, len(args) + 1, depth))
                tok = self.tokens[self.i]
                self.i += 1
                if tok.kind == "rparen":
                    break
                if tok.kind != "comma":
                    where = f"at character {tok.pos + 1}" if tok.kind != "end" else "at the end"
                    raise CompileError(f"{name}: expected ',' or ')' {where} of {self.text!r}")
        return spec.compile(args)

    def _arg(self, fn: str, index: int, depth: int) -> Any:
        tok = self.tokens[self.i]
        self.i += 1
        kind = tok.kind
        if kind == "string":
            return _Literal(_unescape(tok.text), raw=tok.text)
        if kind == "number":
            number = float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text)
            return _Literal(number)
        if kind in ("true", "false", "null"):
            return _Literal({"true": True, "false": False, "null": None}[kind])
        if kind == "path":
            try:
                return _PathArg(tok.text, _paths.compile_path(tok.text))
            except CompileError as e:
                raise CompileError(f"{fn}: argument {index} {tok.text!r}: {e.message}") from None
        if kind == "name":
            self.i -= 1
            return self._call(depth + 1)
        where = f"at character {tok.pos + 1}" if kind != "end" else "at the end"
        raise CompileError(
            f"{fn}: expected argument {index} {where} of {self.text!r}: a 'string', a number, "
            "true, false, null, a path ($.x, $$.x, $var) or a States.* call"
        )

    def _expect(self, kind: str, message: str) -> None:
        tok = self.tokens[self.i]
        if tok.kind != kind:
            raise CompileError(f"{message} (at character {tok.pos + 1} of {self.text!r})")
        self.i += 1


# --------------------------------------------------------------------------- registry


Impl = Callable[[list[Any]], Any]


@attrs.frozen
class _Function:
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

    def compile(self, args: list[Any]) -> _Call:
        count = len(args)
        if count < self.min_args or (self.max_args is not None and count > self.max_args):
            raise CompileError(f"{self.name} takes {self._arity()}, but was given {count}")
        for index, arg in enumerate(args):
            allowed = self.params[min(index, len(self.params) - 1)]
            if not (arg.static_type & allowed):
                raise CompileError(
                    f"{self.name}: argument {index + 1} must be {_describe(allowed)}, but "
                    f"{_describe_arg(arg)} is {_describe(arg.static_type)}"
                )
        impl: Impl | None = self.check(self.name, args) if self.check else None
        if impl is None:
            name, fn = self.name, self.impl

            def impl(values: list[Any]) -> Any:
                return fn(name, values)

        return _Call(self.name, tuple(args), impl, self.returns)

    def _arity(self) -> str:
        if self.max_args == self.min_args:
            plural = "" if self.min_args == 1 else "s"
            return f"exactly {self.min_args} argument{plural}"
        if self.max_args is None:
            return f"at least {self.min_args} argument{'' if self.min_args == 1 else 's'}"
        return f"{self.min_args} to {self.max_args} arguments"


def _invalid(name: str) -> StatesError:
    return StatesError(_RUNTIME_ERROR, f"Invalid arguments in {name}")


def _literal(arg: Any) -> _Literal | None:
    return arg if isinstance(arg, _Literal) else None


# ---- value helpers


def _json_type(value: Any) -> str:
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


def _describe_arg(arg: Any) -> str:
    if isinstance(arg, _Literal):
        return (
            f"the literal {arg.raw!r}"
            if arg.raw is not None
            else f"the literal {to_json(arg.value)}"
        )
    if isinstance(arg, _Call):
        return f"the result of {arg.name}"
    return "it"


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
    `{` or `}` stands alone (AWS rejects such a template)."""
    parts: list[str | None] = []
    buf: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\\" and i + 1 < n and raw[i + 1] in _ESCAPABLE:
            buf.append(raw[i + 1])
            i += 2
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
_FUNCTIONS: dict[str, _Function] = {f.name: f for f in (
    #         name                    min max  arguments     result impl             check
    _Function("States.Format",        1, None, (_S, ANY),    _S,  _format,          _check_format),
    _Function("States.StringToJson",  1, 1,    (_S,),        ANY, _string_to_json),
    _Function("States.JsonToString",  1, 1,    (ANY,),       _S,  _json_to_string),
    _Function("States.Array",         0, None, (ANY,),       _A,  _array),
    _Function("States.ArrayPartition",
              2, 2,    (_A, _N),     _A,  _array_partition, _POSITIVE_CHUNK),
    _Function("States.ArrayContains", 2, 2,    (_A, ANY),    _B,  _array_contains),
    _Function("States.ArrayRange",    3, 3,    (_N, _N, _N), _A,  _array_range,     _NONZERO_STEP),
    _Function("States.ArrayGetItem",  2, 2,    (_A, _N),     ANY, _array_get_item,  _INDEX),
    _Function("States.ArrayLength",   1, 1,    (_A,),        _N,  _array_length),
    _Function("States.ArrayUnique",   1, 1,    (_A,),        _A,  _array_unique),
    _Function("States.Base64Encode",  1, 1,    (_S,),        _S,  _base64_encode,   _CODEC_LIMIT),
    _Function("States.Base64Decode",  1, 1,    (_S,),        _S,  _base64_decode,   _CODEC_LIMIT),
    _Function("States.Hash",          2, 2,    (ANY, _S),    _S,  _hash,            _check_hash),
    _Function("States.JsonMerge",     3, 3,    (_O, _O, _B), _O,  _json_merge,
              _check_json_merge),
    _Function("States.MathRandom",    2, 3,    (_N, _N, _N), _N,  _math_random),
    _Function("States.MathAdd",       2, 2,    (_N, _N),     _N,  _math_add),
    _Function("States.StringSplit",   2, 2,    (_S, _S),     _A,  _string_split),
    _Function("States.UUID",          0, 0,    (ANY,),       _S,  _uuid),
)}
# fmt: on

FUNCTION_NAMES: tuple[str, ...] = tuple(_FUNCTIONS)
