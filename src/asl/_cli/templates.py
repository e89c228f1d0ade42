"""What `asl validate` and `asl run` share about templates: `--substitute KEY=VALUE`,
`--substitutions FILE`, and `FILE#LogicalId` naming one machine of a template."""

from __future__ import annotations

import argparse
from typing import Any


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
