"""`asl validate FILE...`: every problem of every definition, one line each (or JSON, or GitHub
annotations); exit 1 when any has an error, 2 when a file cannot be read."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from asl._cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, format_problem

if TYPE_CHECKING:
    from collections.abc import Iterator

    from asl._errors import Problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="PATH",
                        help="a definition or template file, or a directory to search: every "
                             "*.asl.json/.yaml/.yml, the other .json/.yaml/.yml files that hold "
                             "an object with StartAt and States, and CloudFormation, SAM and "
                             "serverless.yml templates")
    parser.add_argument(
        "--format", choices=("text", "json", "github"), default="text",
        help="text (FILE:LINE:COL: CODE message), json, or GitHub workflow annotations",
    )  # fmt: skip
    # Templates (SAM, CloudFormation, cdk.out, serverless.yml, Terraform): every machine checked.
    from asl._cli import templates

    templates.add_arguments(parser)


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import os

    from asl._cli import templates

    try:
        substitutions = templates.substitutions(args)
    except templates.UsageError as error:
        err.write(f"asl validate: {error}\n")
        return EXIT_USAGE
    files: list[str] = []
    for name in args.files:
        if not os.path.isdir(name):
            files.append(name)
            continue
        found = definitions_under(name)
        if not found:
            err.write(f"asl validate: no state machine definitions under {name}\n")
            return EXIT_USAGE
        files.extend(found)
    return validate_files(files, args.format, out, substitutions)


#: Directories a search never enters: version control, environments, caches, dependencies.
_SKIPPED = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "cdk.out"})
_ASL = (".asl.json", ".asl.yaml", ".asl.yml")
_DATA = (".json", ".yaml", ".yml")


def definitions_under(folder: str) -> list[str]:
    """The definitions in a directory tree, sorted: every `*.asl.json`, `*.asl.yaml` and
    `*.asl.yml`; each other `.json`/`.yaml`/`.yml` file whose top level is an object with
    `StartAt` and `States` (not package.json); and the CloudFormation/SAM and serverless.yml
    templates among them (their machines are checked; one without machines says nothing).
    Terraform files are left to be named one by one (reading them needs python-hcl2)."""
    import os

    found: list[str] = []
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in _SKIPPED)
        for name in sorted(names):
            path = os.path.join(root, name)
            lower = name.lower()
            if lower.endswith(_ASL) or (lower.endswith(_DATA) and _looks_like_definition(path)):
                found.append(path)
    return found


def _looks_like_definition(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError):
        return False
    from pathlib import Path

    from asl._definition.templates.reading import kind_of

    if kind_of(Path(path), text) is not None:  # a template: validate_files reads its machines
        return True
    if "StartAt" not in text or "States" not in text:  # most files: no parse at all
        return False
    try:
        if path.lower().endswith(".json"):
            import json

            document = json.loads(text)
        else:
            import yaml

            document = yaml.safe_load(text)
    # Not readable as data: not recognisably a definition (a .asl.* file would be reported).
    except Exception:  # noqa: BLE001
        return False
    return isinstance(document, dict) and "StartAt" in document and "States" in document


def validate_files(
    files: Sequence[str], fmt: str, out: IO[str], substitutions: dict[str, str] | None = None
) -> int:
    from asl._definition.source import IO_ERROR

    status = EXIT_OK
    report: list[dict[str, Any]] = []
    for name, machine, problems in _checked(files, substitutions or {}):
        if any(p.code == IO_ERROR for p in problems):
            status = EXIT_USAGE
        elif status == EXIT_OK and any(p.severity == "error" for p in problems):
            status = EXIT_INVALID
        if fmt == "json":
            report.append({
                "file": name,
                **({"machine": machine} if machine is not None else {}),
                "valid": not _errors(problems),
                "problems": [p.to_dict() for p in problems],
            })
        else:
            for problem in problems:
                if machine is not None:  # which machine of the template it is about
                    problem = problem.evolve(message=f"{machine}: {problem.message}")
                out.write(format_problem(name, problem, fmt) + "\n")
    if fmt == "json":
        import json

        out.write(json.dumps(report, indent=2) + "\n")
    return status


def _errors(problems: Sequence[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def _checked(
    files: Sequence[str], substitutions: dict[str, str]
) -> Iterator[tuple[str, str | None, list[Problem]]]:
    """(file, machine id or None, problems) for each definition: a plain file's, or each
    machine's of a template (in the file its definition is written in) and the template's own."""
    from pathlib import Path

    from asl._definition.source import load_source
    from asl._definition.validate import validate_source

    for name in files:
        template = None
        if not name.endswith(".asl.json"):  # the common case skips the sniffing
            from asl._definition.templates.reading import read
            from asl._integrations.resources import DEFAULT_ACCOUNT, DEFAULT_REGION

            template = read(name, substitutions, region=DEFAULT_REGION, account=DEFAULT_ACCOUNT)
        if template is None:
            if substitutions:
                from asl._definition.templates.reading import substituted_source

                source = substituted_source(Path(name), substitutions)
            else:
                source = load_source(Path(name))
            yield name, None, validate_source(source)
            continue
        if template.problems:
            yield name, None, list(template.problems)
        for machine in template.machines:
            yield machine.file, machine.id, machine.validate()
