"""`load` and `StateMachine`: the public face of a compiled definition."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from asl._clock import Clock
from asl._errors import DefinitionError, Problem
from asl._model import Graph, build

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


class StateMachine:
    """A validated, compiled state machine; run it as often as you like."""

    def __init__(self, graph: Graph, definition: Mapping[str, Any], *, name: str, arn: str) -> None:
        self.graph = graph
        self.definition = definition
        self.name = name
        self.arn = arn

    def run(
        self,
        input: Any = None,
        *,
        handlers: Mapping[str, Callable[..., Any]] | None = None,
        clock: Clock | None = None,
        name: str | None = None,
        **options: Any,
    ) -> Any:
        """Run one execution to its end and return the `Execution` (failures are data, not
        exceptions). `input` defaults to `{}`; `clock` to the real clock."""
        from asl._executor import execute

        return execute(self, {} if input is None else input, handlers=handlers, clock=clock,
                       name=name, options=options)

    def __repr__(self) -> str:
        return f"<StateMachine {self.name} ({len(self.graph.states)} states)>"


def load(definition: Any, *, name: str | None = None, arn: str | None = None) -> StateMachine:
    """Validate and compile a definition (dict, JSON/YAML text, bytes or a path).

    Raises `DefinitionError` listing every error-severity Problem."""
    from asl._source import load_source
    from asl._validate import validate_source

    source = load_source(definition)
    problems = validate_source(source)
    document = source.document
    errors = [p for p in problems if p.severity == "error"]
    if errors or not isinstance(document, dict):
        raise DefinitionError(errors or [Problem("", "INVALID", "the definition could not be read")])
    graph, compile_errors = build(document)
    if compile_errors:
        raise DefinitionError([Problem(ptr, "COMPILE", msg) for ptr, msg in compile_errors])
    if name is None:
        name = Path(source.name).name.split(".")[0] if source.name else "StateMachine"
    if arn is None:
        arn = f"arn:aws:states:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:stateMachine:{name}"
    return StateMachine(graph, document, name=name, arn=arn)
