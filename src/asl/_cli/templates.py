"""What `asl validate` and `asl run` share about templates: `--substitute KEY=VALUE`,
`--substitutions FILE`, and `FILE#LogicalId` naming one machine of a template."""

from __future__ import annotations

import argparse
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asl._machine import StateMachine


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--substitute", metavar="KEY=VALUE", action="append", default=[],
                        help="fill ${KEY} placeholders with VALUE (repeatable; wins over the "
                        "template's DefinitionSubstitutions)")  # fmt: skip
    parser.add_argument("--substitutions", metavar="FILE",
                        help="a JSON or YAML object of placeholder values")  # fmt: skip


class UsageError(Exception):
    """A bad option value: the command prints it and exits 2."""


def substitutions(args: argparse.Namespace) -> dict[str, str]:
    """`--substitutions FILE` then each `--substitute KEY=VALUE` (the later wins)."""
    values: dict[str, str] = {}
    if args.substitutions:
        from asl._cli.common import read_input

        try:
            loaded: Any = read_input(args.substitutions)
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot read --substitutions {args.substitutions}: {error}") from None
        if not isinstance(loaded, dict):
            raise UsageError(f"--substitutions {args.substitutions} must hold an object of "
                             "placeholder names and values")  # fmt: skip
        for key, value in loaded.items():
            if isinstance(value, dict | list) or value is None:
                raise UsageError(f"--substitutions {args.substitutions}: the value of {key!r} must "
                                 "be a string, number or boolean")  # fmt: skip
            values[str(key)] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    for item in args.substitute:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--substitute {item!r}: write KEY=VALUE")
        values[key] = value
    return values


def split_machine(text: str) -> tuple[str, str | None]:
    """`template.yaml#LogicalId` -> (path, id); a path with no `#` names no machine."""
    import os

    if "#" in text and not os.path.exists(text):
        path, _, logical_id = text.rpartition("#")
        return path, logical_id or None
    return text, None


def open_machine(args: argparse.Namespace, command: str,
                 err: IO[str]) -> tuple[str, str | None, dict[str, str]] | None:  # fmt: skip
    """MACHINE (`FILE` or `TEMPLATE#LogicalId`), its logical ID and the substitutions; None after
    saying why when an option is bad or the file cannot be read (the command exits 2)."""
    from pathlib import Path

    from asl._cli.common import format_problem
    from asl._definition.source import IO_ERROR, load_source

    path, logical_id = split_machine(args.machine)
    try:
        values = substitutions(args)
    except UsageError as error:
        err.write(f"asl {command}: {error}\n")
        return None
    source = load_source(Path(path))
    if any(p.code == IO_ERROR for p in source.problems):
        for problem in source.problems:
            err.write(format_problem(path, problem, "text") + "\n")
        return None
    return path, logical_id, values


def load_machine(path: str, logical_id: str | None, values: dict[str, str],
                 err: IO[str]) -> StateMachine | None:  # fmt: skip
    """`asl.load` of it; None after printing its Problems at the lines of the file its
    definition is written in (the command exits 1)."""
    from pathlib import Path

    import asl
    from asl._cli.common import format_problem

    try:
        return asl.load(Path(path), logical_id=logical_id, substitutions=values or None)
    except asl.DefinitionError as error:
        shown = definition_file(path, logical_id, values)
        for problem in error.problems:
            err.write(format_problem(shown, problem, "text") + "\n")
        return None


def definition_file(path: str, logical_id: str | None, values: dict[str, str]) -> str:
    """The file a template machine's definition is written in (its DefinitionUri, its
    templatefile), where its Problems' lines and columns are."""
    from asl._definition.templates.reading import read
    from asl._integrations.resources import DEFAULT_ACCOUNT, DEFAULT_REGION

    template = read(path, values, region=DEFAULT_REGION, account=DEFAULT_ACCOUNT)
    if template is None:
        return path
    try:
        return template.machine(logical_id).file
    except KeyError:
        return path
