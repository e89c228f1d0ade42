"""What a compiled path, template, intrinsic or rule may read besides the state's data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Env:
    """The evaluation environment of one state: the context object (`$$`) and the variables
    in scope (`$name`). Mutable and reused by the executor; evaluators only read it."""

    __slots__ = ("context", "variables")

    def __init__(self, context: Mapping[str, Any], variables: Mapping[str, Any]) -> None:
        self.context = context
        self.variables = variables
