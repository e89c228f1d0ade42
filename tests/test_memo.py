"""The compile caches: equal input shares one compiled object, and nothing else changes."""

from __future__ import annotations

import pytest

from asl._errors import CompileError
from asl._languages import memo as _memo
from asl._languages.intrinsics import compile_intrinsic
from asl._languages.paths import compile_path, compile_reference_path
from asl._languages.payload import compile_template


def test_equal_path_text_compiles_once() -> None:
    """Compiling the same path text twice returns the same compiled object."""
    assert compile_path("$.memo.a") is compile_path("$.memo.a")
    assert compile_reference_path("$.memo.b") is compile_reference_path("$.memo.b")
    assert compile_intrinsic("States.Format('{}', $.memo)") is compile_intrinsic(
        "States.Format('{}', $.memo)"
    )


def test_errors_are_raised_every_time() -> None:
    """A text that does not compile raises a fresh CompileError on every call."""
    first = second = None
    for _ in range(2):
        with pytest.raises(CompileError) as caught:
            compile_path("$.a[")
        first, second = second, caught.value
    assert first is not second


def test_non_strings_bypass_the_cache() -> None:
    """Non-string input is rejected as before (no TypeError from hashing, no cached result)."""
    with pytest.raises(CompileError):
        compile_path(["$.a"])  # type: ignore[arg-type]  # the point of the test
    with pytest.raises(CompileError):
        compile_path(1)  # type: ignore[arg-type]


def test_templates_are_keyed_by_exact_json_value() -> None:
    """Templates equal as Python values but different as JSON (1, 1.0, true) stay distinct."""
    one, real, true = ({"a": v, "b.$": "$.x"} for v in (1, 1.0, True))
    rendered = [compile_template(t).render({"x": 0}, None) for t in (one, real, true)]  # type: ignore[arg-type]
    assert [type(r["a"]) for r in rendered] == [int, float, bool]
    assert compile_template({"a": 1, "b.$": "$.x"}) is compile_template(one)


def test_template_key_order_is_kept() -> None:
    """Templates differing only in key order render their own order."""
    first = compile_template({"a": 1, "b": 2, "c.$": "$"}).render({}, None)  # type: ignore[arg-type]
    second = compile_template({"b": 2, "a": 1, "c.$": "$"}).render({}, None)  # type: ignore[arg-type]
    assert list(first) == ["a", "b", "c"]
    assert list(second) == ["b", "a", "c"]


def test_a_mutated_definition_is_compiled_afresh() -> None:
    """Changing a template dict after compiling it gives the new content on the next compile."""
    template = {"v.$": "$.a"}
    assert compile_template(template).render({"a": 1, "b": 2}, None) == {"v": 1}  # type: ignore[arg-type]
    template["v.$"] = "$.b"
    assert compile_template(template).render({"a": 1, "b": 2}, None) == {"v": 2}  # type: ignore[arg-type]


def test_clear_empties_every_cache() -> None:
    """After clear(), equal text compiles to a new object."""
    before = compile_path("$.memo.clear")
    _memo.clear()
    assert compile_path("$.memo.clear") is not before
