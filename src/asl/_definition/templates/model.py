"""What a template holds: its state machines (`TemplateMachine`) and the local functions it
declares (`FunctionSpec`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from asl._definition.source import IO_ERROR, Source, read_text
from asl._errors import Problem


@attrs.frozen
class FunctionSpec:
    """A Lambda function the template declares with local code: what the local Lambda service
    needs to serve it. `handler` is `module.function`, importable from `code_dir`."""

    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path | None
    runtime: str | None = None
    timeout: float | None = None
    memory: int | None = None
    environment: Mapping[str, str] = attrs.field(factory=dict)
    # AutoPublishAlias, DeploymentPreference, ReservedConcurrentExecutions, ... as written.
    properties: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(eq=False)
class TemplateMachine:
    """One state machine of a template. `id` is its logical ID (a Terraform resource address);
    `source` its definition, located in `file` (the template, or the file the template points
    at); `problems` what the template itself says about it (undefined placeholders, a definition
    out of reach)."""

    id: str
    kind: str
    template: str
    file: str
    name: str
    source: Source
    problems: tuple[Problem, ...] = ()
    functions: tuple[FunctionSpec, ...] = ()

    def validate(self) -> list[Problem]:
        """The definition's Problems and the template's own, located in `file`, in order."""
        from asl._definition.validate import finish, validate_source

        problems = [*self.problems, *validate_source(self.source)]
        return finish(self.source, problems)


@attrs.frozen(eq=False)
class Template:
    path: str
    kind: str
    machines: tuple[TemplateMachine, ...]
    problems: tuple[Problem, ...] = ()
    functions: tuple[FunctionSpec, ...] = ()

    def machine(self, logical_id: str | None) -> TemplateMachine:
        """The machine `logical_id` names; without one, the template's only machine. KeyError
        saying which there are otherwise."""
        if logical_id is None:
            if len(self.machines) == 1:
                return self.machines[0]
            ids = ", ".join(m.id for m in self.machines) or "none"
            raise KeyError(f"{self.path} holds {len(self.machines)} state machines ({ids}); "
                           f"name one as {self.path}#ID")  # fmt: skip
        for machine in self.machines:
            if machine.id == logical_id:
                return machine
        ids = ", ".join(m.id for m in self.machines) or "none"
        raise KeyError(f"{self.path} has no state machine {logical_id!r} (it has: {ids})")


def template_text(path: Path, kind: str) -> str | Template:
    """The template file's text, or a Template of `kind` holding why it cannot be read."""
    try:
        return read_text(path)
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        return Template(str(path), kind, (), (Problem("", IO_ERROR, f"cannot read {path}: {reason}"),))
