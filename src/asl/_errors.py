"""asl's one error vocabulary: definition Problems (data), the public exceptions under one root
(`Error`), the AWS-named runtime error that crosses states (`StatesError`, with `Failure` for
the ones whose cause is final), and the control-flow outcomes a graph ends with (`Outcome`).

Everything here is at the bottom of the dependency graph: no other asl module is imported.
"""

from __future__ import annotations

from typing import Any, Literal

Severity = Literal["error", "warning"]


class Problem:
    """One thing wrong (or dubious) in a definition, located by JSON pointer and, when known,
    by the 1-based line and column in the source text.

    A frozen value class. Written by hand rather than with attrs: `asl validate` imports this
    module first, and attrs costs more to import than the whole validation of a small file."""

    __slots__ = ("code", "column", "line", "message", "pointer", "severity")
    _FIELDS = ("pointer", "code", "message", "severity", "line", "column")  # in order
    __match_args__ = ("pointer", "code", "message", "severity", "line", "column")

    pointer: str
    code: str
    message: str
    severity: Severity
    line: int | None
    column: int | None

    def __init__(
        self,
        pointer: str,
        code: str,
        message: str,
        severity: Severity = "error",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "pointer", pointer)
        set_(self, "code", code)
        set_(self, "message", message)
        set_(self, "severity", severity)
        set_(self, "line", line)
        set_(self, "column", column)

    def _astuple(self) -> tuple[Any, ...]:
        return (self.pointer, self.code, self.message, self.severity, self.line, self.column)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Problem is frozen; use evolve() to change {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Problem is frozen; cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not Problem:
            return NotImplemented
        return self._astuple() == other._astuple()

    def __hash__(self) -> int:
        return hash((Problem, *self._astuple()))

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._FIELDS, self._astuple(), strict=True)
        )
        return f"Problem({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Problem, self._astuple())

    def evolve(self, **changes: Any) -> Problem:
        """A copy with some fields replaced (like `attrs.evolve`)."""
        fields = dict(zip(self._FIELDS, self._astuple(), strict=True))
        fields.update(changes)
        return Problem(**fields)

    def to_dict(self) -> dict[str, object]:
        return dict(zip(self._FIELDS, self._astuple(), strict=True))


class Error(Exception):
    """The root of everything asl raises at its caller (`except asl.Error` catches them all)."""


class DefinitionError(Error, ValueError):
    """Raised by `asl.load` when the definition has at least one error-severity Problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0] if problems else None
        summary = f"{first.pointer or '/'}: {first.code} {first.message}" if first else "invalid"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"invalid state machine definition: {summary}{more}")


class InvalidExecutionInput(Error, ValueError):
    """Raised by `run`/`start` when the input is not JSON (a set, NaN, an object): AWS's
    StartExecution refuses such input (InvalidExecutionInput) before any execution exists."""


class MockConfigError(Error, ValueError):
    """A mock configuration that cannot be used, or a lookup it cannot answer; the message says
    where and what to change."""


class TaskTokenError(Error, LookupError):
    """SendTaskSuccess/Failure/Heartbeat with a token that no task is waiting for. `code` is
    the AWS API error: `TaskDoesNotExist` (unknown token) or `TaskTimedOut` (its task ended)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class ExecutionStoreError(Error, LookupError):
    """An execution store refused a request, with AWS's API error as `code`:
    `ExecutionDoesNotExist`, `ExecutionAlreadyExists`, `ExecutionNotRedrivable` (the message
    is DescribeExecution's `redriveStatusReason`), or asl's own `ExecutionNotResumable`
    (resume needs a RUNNING execution no live process runs)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class TestStateError(Error, ValueError):
    """A TestState call AWS refuses with an API error, before or instead of running the state:
    `code` is AWS's error code (`ValidationException`, `InvalidDefinition`, ...) and `message`
    its message word for word. For an `InvalidDefinition`, `problems` lists what is wrong in
    the definition, located as `asl.validate` locates it."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, code: str, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.problems = problems or []


class LambdaError(Error):
    """An error answer of the local Lambda service (`asl.Functions`), named and worded as
    Lambda's API answers it: `code` (e.g. `ResourceNotFoundException`), `message`, the HTTP
    `status_code`, and for throttles the `reason` (e.g.
    `ReservedFunctionConcurrentInvocationLimitExceeded`)."""

    def __init__(self, code: str, message: str, status_code: int = 400,
                 reason: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status_code = status_code
        self.reason = reason


class CompileError(Error, ValueError):
    """A path, template, intrinsic call, Choice rule or expression that cannot be compiled.

    Raised by the compile functions; the validator turns it into a Problem whose pointer is the
    field's pointer plus `subpointer` (e.g. a key inside a Parameters template), so it reaches
    a user only as a Problem."""

    def __init__(self, message: str, subpointer: str = "", code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.subpointer = subpointer
        self.code = code


class StatesError(Error):
    """A state's runtime failure with an AWS error name (`States.Runtime`, ...), raised where it
    arises: by paths, templates, intrinsics, Choice rules and the state handlers, with the detail
    of what went wrong.

    The executor catches it in one place, prefixes the cause with where it arose as AWS does
    ("An error occurred while executing the state 'X' (entered at the event id #N). "), and
    hands it to Retry/Catch. A user sees it only as an execution's `error` and `cause`."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause

    def __str__(self) -> str:
        return f"{self.error}: {self.cause}" if self.cause else self.error


class Failure(StatesError):
    """A failure whose cause is final, as AWS reports it: a task's own error (a Lambda error
    payload, a handler's `TaskFailed`, a timeout, a callback's failure), a failed branch or
    iteration, a Fail state, no matching Choice rule. The executor does not prefix it.

    `at`: when it happened, if not now (a deadline on a virtual clock, noticed a moment later,
    when the clock may have moved on)."""

    at: float | None = None


class TaskFailed(Error):
    """Raise from a handler to fail its Task with an exact error name and cause."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause


class Outcome(Exception):
    """How a graph (the machine, a branch, an iteration) ends other than by reaching its end:
    control flow inside the runtime, raised where it arises and never seen by a caller (the
    execution's status and history record it). Not a state's error: no Retry or Catch sees it."""


class GraphFailed(Outcome):
    """The graph failed with this error and cause (already worded): an uncaught state error, the
    history or payload quota."""

    def __init__(self, error: str | None, cause: str | None) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause


class ExecutionTimedOut(Outcome):
    """The machine's TimeoutSeconds passed."""


class Aborted(Outcome):
    """A branch, iteration or child execution cut because a sibling failed; `state_type` is the
    type of the state it was cut in, once known."""

    def __init__(self, state_type: str | None = None) -> None:
        super().__init__(state_type)
        self.state_type = state_type


# AWS's predefined error names (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)
STATES_ALL = "States.ALL"
RUNTIME = "States.Runtime"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
PERMISSIONS = "States.Permissions"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
BRANCH_FAILED = "States.BranchFailed"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
