"""Reading a path: which kind of template it is (if any), its machines, substitutions into a plain
definition, and `asl.validate` over both. Imports nothing heavy until a template is read, so
validating a plain definition costs what it did."""


from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from asl._errors import Problem

if TYPE_CHECKING:
    from asl._definition.source import Source
    from asl._definition.templates.model import Template, TemplateMachine



_CFN_YAML = re.compile(r"(?m)^(?:Resources|AWSTemplateFormatVersion|Transform)\s*:")
_CFN_JSON = re.compile(r'"Resources"\s*:\s*\{')
_SERVERLESS = re.compile(r"(?m)^stepFunctions\s*:")


def kind_of(path: Path, text: str | None = None) -> str | None:
    """Which kind of template `path` is, or None for a plain definition."""
    if path.suffix == ".tf":
        return "terraform"
    if path.stem == "serverless" and path.suffix in (".yml", ".yaml", ".json"):
        return "serverless"
    if path.suffix not in (".json", ".yaml", ".yml", ".template"):
        return None
    if text is None:
        from asl._definition.source import read_text

        try:
            text = read_text(path)
        except (OSError, UnicodeDecodeError):
            return None  # load_source reports it (a FIFO or device, too large, not UTF-8)
    # JSON text cannot hold YAML's unquoted top-level keys: one scan, not three, of what is
    # usually a plain (and possibly large) definition.
    if text.lstrip("\ufeff \t\r\n")[:1] not in ("{", "["):
        if _SERVERLESS.search(text):
            return "serverless"
        if _CFN_YAML.search(text):
            return "cloudformation"
    if '"AWS::' in text and _CFN_JSON.search(text):
        # A definition may name a state or a parameter "Resources"; a template has it on top.
        import json

        try:
            document = json.loads(text)
        except ValueError:
            return "cloudformation" if text.lstrip().startswith("{") else None
        if isinstance(document, dict) and isinstance(document.get("Resources"), dict):
            return "cloudformation"
    return None


# Without a region and account (validation only), the pseudo parameters stay placeholders.
OPAQUE_REGION, OPAQUE_ACCOUNT = "${AWS::Region}", "${AWS::AccountId}"


def read(path: str | Path, substitutions: Mapping[str, str] | None = None, *,
         region: str = OPAQUE_REGION, account: str = OPAQUE_ACCOUNT) -> Template | None:  # fmt: skip
    """The template at `path` with its machines, or None when it is a plain definition.
    `substitutions` (the user's `--substitute`) win over the template's own; `region` and
    `account` are what the pseudo parameters and local function ARNs say."""
    path = Path(path)
    kind = kind_of(path)
    if kind is None:
        return None
    subs = dict(substitutions or {})
    if kind == "terraform":
        from asl._definition.templates.terraform import read as read_terraform

        return read_terraform(path, subs, region=region, account=account)
    if kind == "serverless":
        from asl._definition.templates.serverless import read as read_serverless

        return read_serverless(path, subs, region=region, account=account)
    from asl._definition.templates.cloudformation import read as read_cloudformation

    return read_cloudformation(path, subs, region=region, account=account)


def substituted_source(definition: object, substitutions: Mapping[str, str]) -> Source:
    """A plain definition with `substitutions` applied as AWS's tools apply them: to the text,
    before it is parsed (to a dict's strings, which is the same); each substituted value is
    located where its placeholder is written."""
    from asl._definition.source import _looks_like_path, load_source
    from asl._definition.templates.mapped import block_text, source_from_text, substitute_strings

    def value_of(name: str) -> str | None:
        return substitutions.get(name)

    if isinstance(definition, dict):
        return load_source(substitute_strings(definition, value_of))
    name: str | None = None
    if isinstance(definition, Path) or (isinstance(definition, str) and _looks_like_path(definition)):
        path = Path(definition)
        from asl._definition.source import read_text

        try:
            text = read_text(path)
        except (OSError, UnicodeDecodeError):
            return load_source(path)  # unreadable: its Problem says why
        name = str(path)
    elif isinstance(definition, str):
        text = definition
    else:
        return load_source(definition)
    mapped, _ = block_text(text, 1, 1).substitute(value_of)
    source = source_from_text(mapped, name or "")
    if name is None:
        source.name = None
    return source


def machines(
    path: str | Path, substitutions: Mapping[str, str] | None = None, *,
    region: str = OPAQUE_REGION, account: str = OPAQUE_ACCOUNT,
) -> list[TemplateMachine]:  # fmt: skip
    """Every state machine `path` holds: a template's, or the plain definition itself (id: the
    file's name)."""
    template = read(path, substitutions, region=region, account=account)
    if template is not None:
        errors = [p for p in template.problems if p.severity == "error"]
        if errors:
            from asl._errors import DefinitionError

            raise DefinitionError(errors)
        return list(template.machines)
    from asl._definition.source import load_source

    source = substituted_source(Path(path), substitutions) if substitutions else load_source(Path(path))
    name = Path(path).name.split(".")[0]
    from asl._definition.templates.model import TemplateMachine

    return [TemplateMachine(name, "definition", str(path), str(path), name, source)]


def template_problems(definition: object) -> list[Problem] | None:
    """`asl.validate` on a template: every machine's Problems (the machine's ID, and its file
    when that is not the template, before each message) and the template's own; None when
    `definition` is not a path to a template."""
    from asl._definition.source import _looks_like_path

    if not (isinstance(definition, Path) or isinstance(definition, str) and _looks_like_path(definition)):
        return None
    template = read(Path(definition))
    if template is None:
        return None
    problems = list(template.problems)
    for machine in template.machines:
        where = machine.id if machine.file == template.path else f"{machine.id} ({machine.file})"
        problems.extend(p.evolve(message=f"{where}: {p.message}") for p in machine.validate())
    return problems


def validate(definition: object) -> list[Problem]:
    """`asl.validate`: every Problem in `definition` (dict, JSON/YAML text, bytes, `Path` or file
    path), ordered by where it is written, an empty list when it is valid; a template's path
    gives the Problems of every machine in it (`asl.machines` gives each machine's own). Never
    raises."""
    from asl._definition import validate as plain

    if isinstance(definition, str | Path):
        try:
            found = template_problems(definition)
        except RecursionError:
            return [Problem("", "too-deep", "the template is nested too deeply to be checked")]
        except Exception as error:  # noqa: BLE001  # the promise is "never raises"
            return [plain._internal(error)]
        if found is not None:
            return found
    return plain.validate(definition)
