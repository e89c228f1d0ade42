"""The `States.*` intrinsic functions of JSONPath states, compiled once at load.

Pipeline (as in jmespath.py): `_lex` turns the text into tokens, `_Parser` builds a tree of
`_Literal`, `_PathArg` and `_Call` nodes, and the registry in `asl._languages.intrinsic_functions` declares
each function's arity, argument types and result type. Only text that is not a call at all (an
unknown function, a syntax error, a bad path) is a `CompileError`: AWS accepts a call with the
wrong arity or a literal that can never fit (`States.MathAdd('a', 1)`, `States.Hash('x',
'SHA256')`) and fails it when the state runs (recorded), so such a call compiles to one that
fails, and `Intrinsic.warnings` says why for the validator. `Intrinsic.evaluate(data, env)`
only walks the tree: no parsing, no regex building, no copies (results may share structure with
`data`, which is never mutated).

Runtime failures follow what AWS writes (recorded; see `intrinsic_functions._RUNTIME_ERROR`): the
error is `States.Runtime`; bad argument values give "There was an error while evaluating the
intrinsic function: <whole expression>. Invalid arguments in States.X", a path argument that
matches nothing "The function '<whole expression>' had the following error: The JsonPath
argument for the field '$.p' could not be found in the input '<json>'".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from asl._errors import RUNTIME, CompileError, StatesError
from asl._json import to_json
from asl._languages import paths as _paths
from asl._languages.env import Env
from asl._languages.intrinsic_functions import (
    ANY,
    ESCAPABLE,
    FUNCTIONS,
    InvalidArguments,
    json_type,
)
from asl._languages.memo import by_text
from asl._languages.scan import unquoted

# Deep enough for any real definition; keeps a pathological one from exhausting Python's stack.
_MAX_NESTING = 64


def is_intrinsic(text: object) -> bool:
    """Whether a `.$` value is an intrinsic call rather than a path (AWS decides by the prefix)."""
    return isinstance(text, str) and text.startswith("States.")


@by_text
def compile_intrinsic(text: str) -> Intrinsic:
    """Compile `States.Fn(arg, ...)`; raises CompileError saying what to change."""
    if not isinstance(text, str):
        raise CompileError(f"an intrinsic function call must be a string, not {json_type(text)}")
    tokens = _lex(text)
    parser = _Parser(text, tokens)
    root = parser.parse()
    return Intrinsic(text=text, root=root, warnings=tuple(parser.warnings))


@attrs.frozen
class Intrinsic:
    """A compiled intrinsic call; `evaluate` is the hot path. `warnings` says why a call can
    never succeed (it compiles, and fails when it runs, as on AWS)."""

    text: str
    root: _Call
    warnings: tuple[str, ...] = ()

    def evaluate(self, data: Any, env: Env) -> Any:
        try:
            return self.root.evaluate(data, env)
        except InvalidArguments as e:
            # AWS names the whole expression as written, not the inner call that failed.
            raise StatesError(
                e.error,
                f"There was an error while evaluating the intrinsic function: {self.text}. "
                f"{e.cause}",
            ) from None
        except StatesError as e:
            raise StatesError(
                e.error, f"The function '{self.text}' had the following error: {e.cause}"
            ) from None


# --------------------------------------------------------------------------- lexer

_PUNCT = {"(": "lparen", ")": "rparen", ",": "comma"}
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
                    if j + 1 >= n or text[j + 1] not in ESCAPABLE:
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
    depth = 0
    for at, ch in unquoted(text, i):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            if depth == 0:
                return at
            depth -= 1
        elif ch == "," and depth == 0:
            return at
    return len(text)


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

    is_literal = True

    @property
    def static_type(self) -> frozenset[str]:
        return frozenset({json_type(self.value)})

    def describe(self) -> str:
        if self.raw is not None:
            return f"the literal {self.raw!r}"
        return f"the literal {to_json(self.value)}"

    def evaluate(self, data: Any, env: Env) -> Any:
        return self.value


@attrs.frozen
class _PathArg:
    text: str
    path: _paths.JsonPath

    static_type = ANY
    is_literal = False

    def describe(self) -> str:
        return "it"

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

    is_literal = False

    def describe(self) -> str:
        return f"the result of {self.name}"

    def evaluate(self, data: Any, env: Env) -> Any:
        return self.impl([a.evaluate(data, env) for a in self.args])


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.warnings: list[str] = []

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
        spec = FUNCTIONS.get(name)
        if spec is None:
            import difflib  # rare paths import their modules lazily: `asl validate` starts fast

            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
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
        impl, wrong = spec.compile(args)
        if wrong is not None:
            self.warnings.append(wrong)
        return _Call(name, tuple(args), impl, spec.returns)

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
