"""asl: validate and run AWS Step Functions (Amazon States Language) state machines locally."""

from asl._errors import DefinitionError, Problem, TaskFailed

__all__ = ["DefinitionError", "Problem", "TaskFailed"]
