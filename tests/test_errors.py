"""Problem is a frozen value class with the public contract of the attrs class it replaced."""

from __future__ import annotations

import pickle

import pytest

from asl import Problem


def test_fields_and_defaults() -> None:
    """Problem(pointer, code, message) defaults to an error with no line or column."""
    problem = Problem("/States/A", "unknown-target", "no such state")
    assert (problem.severity, problem.line, problem.column) == ("error", None, None)


def test_equality_hash_and_repr() -> None:
    """Equal fields make equal, equally hashed Problems, shown field by field."""
    a = Problem("/a", "c", "m", "warning", 1, 2)
    assert a == Problem("/a", "c", "m", "warning", 1, 2)
    assert a != Problem("/a", "c", "m", "warning", 1, 3)
    assert hash(a) == hash(Problem("/a", "c", "m", "warning", 1, 2))
    assert repr(a) == (
        "Problem(pointer='/a', code='c', message='m', severity='warning', line=1, column=2)"
    )


def test_frozen() -> None:
    """Assigning a field raises AttributeError."""
    with pytest.raises(AttributeError):
        Problem("", "c", "m").code = "other"  # type: ignore[misc]  # the point of the test


def test_evolve_and_to_dict() -> None:
    """evolve() replaces fields in a copy; to_dict() lists every field."""
    problem = Problem("/a", "c", "m")
    moved = problem.evolve(line=3, column=4)
    assert (moved.line, moved.column, problem.line) == (3, 4, None)
    assert moved.to_dict() == {
        "pointer": "/a", "code": "c", "message": "m", "severity": "error", "line": 3, "column": 4,
    }  # fmt: skip


def test_pickle_and_match() -> None:
    """Problems pickle, and match positionally like the attrs class did."""
    problem = Problem("/a", "c", "m")
    assert pickle.loads(pickle.dumps(problem)) == problem
    match problem:
        case Problem(pointer, code):
            assert (pointer, code) == ("/a", "c")
        case _:
            pytest.fail("no match")
