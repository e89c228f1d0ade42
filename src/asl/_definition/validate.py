"""`validate()`: source -> schema -> rules, as one sorted, located, de-duplicated list of Problems.

It never raises: a definition that cannot even be read is a Problem like any other.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from asl._definition.source import TOO_DEEP, Source, load_source
from asl._errors import Problem

INTERNAL = "internal"


def validate(definition: object) -> list[Problem]:
    """Every Problem in `definition` (dict, JSON/YAML text, bytes, `Path` or file path),
    ordered by where it is written; an empty list means it is valid."""
    try:
        return validate_source(load_source(definition))
    except RecursionError:
        return [Problem("", TOO_DEEP, "the definition is nested too deeply to be checked")]
    except Exception as error:  # noqa: BLE001  # the promise is "never raises"; see the tests
        return [_internal(error)]


def validate_source(source: Source) -> list[Problem]:
    """The Problems of an already loaded Source (the CLI keeps the Source for its file name)."""
    problems = list(source.problems)
    if any(p.severity == "error" for p in problems) or not isinstance(source.document, dict):
        return finish(source, problems)
    from asl._definition import schema as _schema

    structural = _schema.check(source.document)
    problems.extend(structural)
    check = _rules_check()
    if check is not None:
        try:
            # A compiler the rules call checks the types it needs, so it may find what the
            # schema found; it then uses the schema's code, and the schema's wording is kept.
            reported = {(p.pointer, p.code) for p in structural}
            problems.extend(
                p for p in check(source.document) if (p.pointer, p.code) not in reported
            )
        except RecursionError:
            raise
        except Exception as error:  # noqa: BLE001  # a rules bug must not hide the schema's findings
            # Semantic rules may assume the structure the schema checks; when that structure
            # is already reported broken, their failure adds nothing the user can act on.
            if not structural:
                problems.append(_internal(error))
    return finish(source, problems)


def _rules_check() -> Callable[[Any], Iterable[Problem]] | None:
    try:
        module = importlib.import_module("asl._definition.rules")
    except ModuleNotFoundError as error:
        # Only a missing _rules module is tolerated, not a missing import inside it.
        if error.name != "asl._definition.rules":
            raise
        return None
    check: Callable[[Any], Iterable[Problem]] = module.check
    return check


def finish(source: Source, problems: list[Problem]) -> list[Problem]:
    """`problems` without repeats, located (line and column) in `source`, in source order."""
    seen: set[tuple[str, str, str]] = set()
    located: list[Problem] = []
    for problem in problems:
        key = (problem.pointer, problem.code, problem.message)
        if key in seen:
            continue
        seen.add(key)
        if problem.line is None:
            position = source.locate(problem.pointer)
            if position is not None:
                problem = problem.evolve(line=position[0], column=position[1])
        located.append(problem)
    located.sort(key=lambda p: (p.line or 0, p.column or 0, p.pointer, p.code))
    return located


def _internal(error: Exception) -> Problem:
    return Problem(
        "",
        INTERNAL,
        f"asl failed while checking this definition ({type(error).__name__}: {error}); "
        "this is a bug in asl, please report it with the definition",
    )
