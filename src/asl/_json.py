"""JSON as AWS shows it: compact text (and text made once, `JsonText`, or on demand, `Deferred`),
a value's JSON type in words for messages, and JSON pointer tokens (RFC 6901)."""

from __future__ import annotations

import json
import json.encoder
from typing import Any


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The C encoder json.dumps itself uses (None without CPython's accelerator).
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_encode_string: Any = json.encoder.encode_basestring

if _make_encoder is not None:
    # Built once: json.dumps with non-default arguments builds an encoder per call, which costs
    # more than encoding a small payload. Same output: compact, non-ASCII kept, NaN allowed.
    # Thread-safe for JSON data: the C encoder never releases the GIL mid-value.
    _ENCODE = _make_encoder({}, _not_json, _encode_string, None, ":", ",", False, False, True)
    # For values from outside (an execution's input): NaN and Infinity are not JSON.
    _ENCODE_STRICT = _make_encoder({}, _not_json, _encode_string, None, ":", ",", False, False, False)

    def to_json(value: Any) -> str:
        """AWS's compact JSON text (no spaces, non-ASCII kept)."""
        if type(value) is str:
            return _encode_string(value)  # type: ignore[no-any-return]  # the C function
        return "".join(_ENCODE(value, 0))

    def to_strict_json(value: Any) -> str:
        """`to_json`, refusing NaN and Infinity (ValueError) and non-JSON types (TypeError)."""
        if type(value) is str:
            return _encode_string(value)  # type: ignore[no-any-return]  # the C function
        return "".join(_ENCODE_STRICT(value, 0))

else:  # pragma: no cover

    def to_json(value: Any) -> str:
        """AWS's compact JSON text (no spaces, non-ASCII kept)."""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def to_strict_json(value: Any) -> str:
        """`to_json`, refusing NaN and Infinity (ValueError) and non-JSON types (TypeError)."""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def type_phrase(value: Any) -> str:
    """'null', 'a boolean', 'a number', 'a string', 'an array' or 'an object', for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, (list, tuple)) else "an object"


class JsonText(str):
    """A payload's JSON text, made while checking its size, recorded in place of the value so
    that reading the history does not serialise it again."""

    __slots__ = ()


class Deferred:
    """A detail value whose JSON text is made only when someone reads the history (a Lambda
    response whose dict the execution may never need: `_integrations.lambda_.LambdaResponse`)."""

    __slots__ = ()

    def json_text(self) -> str:
        raise NotImplementedError


def escape(key: str) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1") if ("~" in key or "/" in key) else key


def join(pointer: str, key: str | int) -> str:
    """`pointer` extended by one object key or array index."""
    return f"{pointer}/{escape(key) if isinstance(key, str) else key}"
