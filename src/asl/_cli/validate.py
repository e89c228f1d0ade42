"""`asl validate FILE...`: every problem of every definition, one line each (or JSON, or GitHub
annotations); exit 1 when any has an error, 2 when a file cannot be read."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from asl._cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, format_problem

if TYPE_CHECKING:
    from asl._errors import Problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument(
        "--format", choices=("text", "json", "github"), default="text",
        help="text (FILE:LINE:COL: CODE message), json, or GitHub workflow annotations",
    )  # fmt: skip


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    return validate_files(args.files, args.format, out)


def validate_files(files: Sequence[str], fmt: str, out: IO[str]) -> int:
    from pathlib import Path

    from asl._definition.source import IO_ERROR, load_source
    from asl._definition.validate import validate_source

    status = EXIT_OK
    report: list[dict[str, Any]] = []
    for name in files:
        source = load_source(Path(name))
        problems = validate_source(source)
        if any(p.code == IO_ERROR for p in problems):
            status = EXIT_USAGE
        elif status == EXIT_OK and any(p.severity == "error" for p in problems):
            status = EXIT_INVALID
        if fmt == "json":
            report.append({
                "file": name,
                "valid": not _errors(problems),
                "problems": [p.to_dict() for p in problems],
            })
        else:
            for problem in problems:
                out.write(format_problem(name, problem, fmt) + "\n")
    if fmt == "json":
        import json

        out.write(json.dumps(report, indent=2) + "\n")
    return status


def _errors(problems: Sequence[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
