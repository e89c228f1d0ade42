"""`test_state`: AWS's TestState API, offline. One state runs once, through the engine's own state
handlers and data flow, and the answer is TestState's: a status (SUCCEEDED, FAILED, RETRIABLE,
CAUGHT_ERROR), the output, error, cause and next state, and at DEBUG and TRACE the inspection
data (every data-flow step, from hooks in the state's flow).

Two layers: `call(request)` takes the request as the API does (botocore's shape, JSON values as
JSON text) and answers with the API's response dict; `test_state(...)` takes Python values,
encodes them and wraps the response in a `TestStateResult`. What AWS refuses with an API error
raises `TestStateError` with AWS's code and message.

How a call maps onto the engine: a single state is wrapped in a machine as AWS wraps it (the
state is named `StateName`, its transition targets stand-in Succeed states), then loaded as any
definition is. A mocked Task is the engine's Task handler with a one-answer mock; Map and
Parallel need a mock (their result), so only their input side (InputPath, ItemsPath/Items,
ItemSelector, MaxConcurrency, tolerated failures) and their result side run. Retry and Catch are
not run but reported: the retrier that would retry (RETRIABLE, with the back-off), or the
catcher that catches (CAUGHT_ERROR, with its output and next state).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from asl import _errors as E
from asl._clock import Clock, SystemClock, VirtualClock, isoformat
from asl._definition.flow import _OWN, Flow
from asl._definition.model import Graph, MapState, ParallelState, PassState, State, TaskState
from asl._errors import DefinitionError, Failure, GraphFailed, StatesError, TestStateError
from asl._integrations import shapes as _shapes
from asl._integrations.resources import DEFAULT_ACCOUNT, DEFAULT_REGION
from asl._json import to_strict_json
from asl._languages.env import Env
from asl._runtime import itemio
from asl._runtime.core import HANDLERS, Machine, Session
from asl._runtime.execution import Execution
from asl._runtime.executor import Interpreter, error_matches, retry_delay
from asl._runtime.fanout import iteration_inputs
from asl._runtime.history import History, Lane
from asl._runtime.options import RunOptions, check_clock
from asl._runtime.parallel_map import map_items, read_limits

VALIDATION = "ValidationException"
INVALID_DEFINITION = "InvalidDefinition"
#: The name AWS gives a state tested on its own (the machine it wraps it in calls it so).
STATE_NAME = "StateName"

_LEVELS = ("INFO", "DEBUG", "TRACE")
_MODES = ("STRICT", "PRESENT", "NONE")
_REQUEST_KEYS = ("definition", "roleArn", "input", "inspectionLevel", "revealSecrets", "variables",
                 "stateName", "mock", "context", "stateConfiguration")
_MOCK_KEYS = ("result", "errorOutput", "fieldValidationMode")
_ERROR_KEYS = ("error", "cause")
_CONFIG_KEYS = ("retrierRetryCount", "errorCausedByState", "mapIterationFailureCount",
                "mapItemReaderData")
#: Fields of inspectionData that carry JSON values (as JSON text on the wire).
_JSON_FIELDS = ("input", "afterArguments", "afterInputPath", "afterParameters", "result",
                "afterResultSelector", "afterResultPath", "variables", "afterItemsPath",
                "afterItemSelector", "afterItemBatcher", "afterItemsPointer")
#: The data-flow steps TestState shows for a JSONPath state of each type, in the API's order
#: (a Pass with Result shows the Result and no InputPath/Parameters: it reads no input).
_JSONPATH_STEPS = {
    "Task": ("afterInputPath", "afterParameters", "result", "afterResultSelector",
             "afterResultPath"),
    "Pass": ("afterInputPath", "afterParameters", "afterResultSelector", "afterResultPath"),
    "Map": ("afterInputPath", "afterItemsPath", "afterItemSelector", "afterItemBatcher",
            "afterResultSelector", "afterResultPath"),
    "Parallel": ("afterResultSelector", "afterResultPath"),
}
_PASS_WITH_RESULT = ("result", "afterResultSelector", "afterResultPath")
#: Choice, Succeed, Wait and Fail show the input after InputPath (a Fail's is its input).
_INPUT_ONLY = ("afterInputPath",)
_JSONATA_STEPS = {"Task": ("afterArguments", "result"),
                  "Map": ("afterItemSelector", "afterItemBatcher")}
#: The context object's fields a caller may set, with their JSON types (None: any value).
_CONTEXT_FIELDS: dict[str, dict[str, type | tuple[type, ...] | None]] = {
    "Execution": {"Id": str, "Input": None, "Name": str, "RoleArn": str, "StartTime": str,
                  "RedriveCount": int, "RedriveTime": str},
    "State": {"EnteredTime": str, "Name": str, "RetryCount": int},
    "StateMachine": {"Id": str, "Name": str},
    "Task": {"Token": str},
}
_TYPE_WORDS = {str: "a string", int: "an integer", dict: "an object"}
#: A service integration's .sync / .sync:2 / .waitForTaskToken pattern.
_PATTERN_SUFFIX = re.compile(r"^arn:[^:]+:states:::.*\.(sync(:\d+)?|waitForTaskToken)$")


@attrs.frozen
class TestStateResult:
    """What a TestState call answers: `response` is the API's response (botocore's shape, JSON
    values as JSON text); the properties decode it."""

    __test__ = False  # not a pytest test class, despite its name

    response: Mapping[str, Any]

    @property
    def status(self) -> str:
        """SUCCEEDED, FAILED, RETRIABLE or CAUGHT_ERROR."""
        return str(self.response["status"])

    @property
    def output(self) -> Any:
        """The state's output (decoded), or None when there is none."""
        text = self.response.get("output")
        return None if text is None else json.loads(text)

    @property
    def next_state(self) -> str | None:
        value = self.response.get("nextState")
        return None if value is None else str(value)

    @property
    def error(self) -> str | None:
        value = self.response.get("error")
        return None if value is None else str(value)

    @property
    def cause(self) -> str | None:
        value = self.response.get("cause")
        return None if value is None else str(value)

    @property
    def inspection_data(self) -> dict[str, Any] | None:
        """The inspection data with its JSON texts decoded (None at INFO)."""
        data = self.response.get("inspectionData")
        if data is None:
            return None
        return {key: json.loads(value) if key in _JSON_FIELDS else value
                for key, value in data.items()}


def test_state(
    definition: Any,
    input: Any = None,
    *,
    state_name: str | None = None,
    inspection_level: str = "INFO",
    mock: Mapping[str, Any] | None = None,
    context: Any = None,
    variables: Mapping[str, Any] | None = None,
    state_configuration: Mapping[str, Any] | None = None,
    reveal_secrets: bool = False,
    role_arn: str | None = None,
    handlers: Mapping[str, Callable[..., Any]] | None = None,
    clock: Clock | None = None,
    functions: Any = None,
) -> TestStateResult:
    """Test one state as AWS's TestState API does, offline.

    `definition` is a state (an object with `Type`) or a whole machine (then `state_name` picks
    the state, at any depth), as a dict, JSON/YAML text, a path or a loaded `StateMachine`.
    `input` (default `{}`), `context` and `variables` are JSON values. `mock` and
    `state_configuration` take the API's field names: `{"result": VALUE}` or
    `{"errorOutput": {"error": ..., "cause": ...}}` with `fieldValidationMode` (STRICT, PRESENT,
    NONE); `retrierRetryCount`, `errorCausedByState`, `mapIterationFailureCount`,
    `mapItemReaderData` (a JSON value, or the object's text as it is: CSV, JSON Lines). An
    unmocked Task runs its handler (`handlers=`, as `StateMachine.run` takes them) or its
    function in `functions=` (an `asl.Functions`; a machine loaded from a template brings its
    own); `clock`
    defaults to a virtual clock at the current time, so a Wait takes no time.

    Raises `TestStateError` (AWS's `code` and `message`) for what AWS refuses."""
    request: dict[str, Any] = {"definition": definition, "inspectionLevel": inspection_level,
                               "revealSecrets": reveal_secrets}
    if input is not None:
        request["input"] = _encode(input, "input")
    if state_name is not None:
        request["stateName"] = state_name
    if role_arn is not None:
        request["roleArn"] = role_arn
    if context is not None:
        request["context"] = _encode(context, "context")
    if variables is not None:
        request["variables"] = _encode(variables, "variables")
    if mock is not None:
        mock = _known(mock, _MOCK_KEYS, "mock")
        wire = dict(mock)
        if "result" in mock:
            try:
                wire["result"] = to_strict_json(mock["result"])
            except (TypeError, ValueError):
                raise TestStateError(VALIDATION, "Mocked result must be valid JSON") from None
        request["mock"] = wire
    if state_configuration is not None:
        config = dict(_known(state_configuration, _CONFIG_KEYS, "state_configuration"))
        reader_data = config.get("mapItemReaderData")
        if reader_data is not None and not isinstance(reader_data, str):
            # A value is the JSON an object holds; text is the object as it is (CSV, JSON Lines).
            config["mapItemReaderData"] = _encode(reader_data, "mapItemReaderData")
        request["stateConfiguration"] = config
    return TestStateResult(call(request, handlers=handlers, clock=clock, functions=functions))


def call(request: Mapping[str, Any], *, handlers: Mapping[str, Callable[..., Any]] | None = None,
         clock: Clock | None = None, functions: Any = None) -> dict[str, Any]:
    """One TestState call as the API takes it (JSON values as JSON text; `definition` may also
    be anything `asl.load` reads): the response dict, or `TestStateError`."""
    _known(request, _REQUEST_KEYS, "request")
    level = request.get("inspectionLevel") or "INFO"
    _enum(level, _LEVELS, "inspectionLevel")
    if "definition" not in request:
        raise TypeError("a TestState request needs a definition")
    state_name = request.get("stateName")
    if functions is None:  # a machine loaded from a template: its own functions
        functions = getattr(request["definition"], "functions", None)
    graph, state = _resolve(request["definition"], state_name)
    mock = request.get("mock")
    mocked = _check_mock(state, mock, bool(request.get("revealSecrets")))
    if isinstance(state, TaskState) and mocked is None and _needs_mock(state.resource):
        raise TestStateError(INVALID_DEFINITION, "TestState API does not support Activity tasks, "
                                                 "or the .sync and .waitForTaskToken integration "
                                                 "patterns, without a mock")
    if state.type == "Task" and mocked is None and not request.get("roleArn"):
        raise TestStateError(VALIDATION, "RoleArn must be specified when testing a Task state")
    data = _decode(request.get("input"), "input", {})
    variables = _decode(request.get("variables"), "variables", {})
    if not isinstance(variables, dict):
        raise TestStateError(VALIDATION, "Variables must be a JSON object")
    config = _check_config(request.get("stateConfiguration") or {})
    context_given = _decode(request.get("context"), "context", None)
    if context_given is not None:
        _check_context(context_given, state)
    run_clock = check_clock(clock) or VirtualClock(SystemClock().now())
    test = _Test(state, graph, level, mocked, config, run_clock, data, variables,
                 request.get("roleArn"), handlers, context_given, functions)
    return test.respond()


# -- the request ----------------------------------------------------------------------------


def _known(mapping: Any, keys: tuple[str, ...], where: str) -> Mapping[str, Any]:
    """The SDK refuses unknown fields before sending a request; so does asl (a TypeError)."""
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{where} must be a mapping, not {type(mapping).__name__}")
    for key in mapping:
        if key not in keys:
            raise TypeError(f'Unknown parameter in {where}: "{key}", must be one of: {", ".join(keys)}')
    return mapping


def _typed(value: Any, kinds: type | tuple[type, ...], where: str) -> None:
    """The SDK's own check of a parameter's type, made before a request is sent."""
    if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is int):
        names = ", ".join(str(kind) for kind in (kinds if isinstance(kinds, tuple) else (kinds,)))
        raise TypeError(f"Invalid type for parameter {where}, value: {value!r}, "
                        f"type: {type(value)}, valid types: {names}")


def _check_config(given: Any) -> dict[str, Any]:
    config: dict[str, Any] = dict(_known(given, _CONFIG_KEYS, "stateConfiguration"))
    for key in ("retrierRetryCount", "mapIterationFailureCount"):
        if key in config:
            _typed(config[key], int, f"stateConfiguration.{key}")
            if config[key] < 0:
                raise TestStateError(VALIDATION, f"1 validation error detected: Value "
                                                 f"'{config[key]}' at 'stateConfiguration.{key}' "
                                                 f"failed to satisfy constraint: Member must have "
                                                 f"value greater than or equal to 0")
    for key in ("errorCausedByState", "mapItemReaderData"):
        if key in config:
            _typed(config[key], str, f"stateConfiguration.{key}")
    return config


def _enum(value: Any, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise TestStateError(VALIDATION, f"1 validation error detected: Value '{value}' at "
                                         f"'{field}' failed to satisfy constraint: Member must "
                                         f"satisfy enum value set: [{', '.join(allowed)}]")


def _encode(value: Any, field: str) -> str:
    try:
        return to_strict_json(value)
    except (TypeError, ValueError) as error:
        raise TestStateError(VALIDATION, f"The {field} is not JSON: {error}") from None


def _decode(text: Any, field: str, default: Any) -> Any:
    if text is None:
        return default
    if not isinstance(text, str):
        raise TypeError(f"{field} must be JSON text (a str), not {type(text).__name__}")
    try:
        return json.loads(text, parse_constant=_not_json)
    except ValueError:
        message = ("Mocked result must be valid JSON" if field == "result"
                   else f"The {field} is not valid JSON")
        raise TestStateError(VALIDATION, message) from None


def _not_json(name: str) -> Any:
    raise ValueError(name)


def _resolve(definition: Any, state_name: Any) -> tuple[Graph, State]:
    """The compiled state under test and the graph it is in."""
    from asl._definition.source import load_source
    from asl._machine import StateMachine, load

    if isinstance(definition, StateMachine):  # a machine already loaded: its definition
        definition = definition.definition
    source = load_source(definition)
    document = source.document
    errors = [p for p in source.problems if p.severity == "error"]
    if errors or not isinstance(document, dict):
        raise _invalid(errors or [E.Problem("", "INVALID", "the definition is not a JSON object")])
    machine_like = "States" in document and "Type" not in document
    if state_name is None:
        if machine_like:
            raise TestStateError(VALIDATION, "The stateName is required when the definition is "
                                             "a state machine")
        document = _wrap(document)
        target = STATE_NAME
    else:
        if not isinstance(state_name, str):
            raise TypeError(f"stateName must be a str, not {type(state_name).__name__}")
        # With stateName the definition is a whole machine, validated as one (a lone state is
        # then an invalid machine).
        target = state_name
    try:
        # A whole machine loads from what was given, so Problems keep their lines and columns.
        machine = load(document if state_name is None else definition)
    except DefinitionError as error:
        if state_name is not None:
            raise _invalid(error.problems) from None
        # AWS's message points into the machine it wraps the state in; the Problems point into
        # the state as the caller wrote it, with its lines and columns.
        raise _invalid(error.problems, _unwrapped(source, error.problems)) from None
    found = _find(machine.graph, target)
    if found is None:
        raise TestStateError(VALIDATION, "State not found in definition")
    return found


def _invalid(problems: list[E.Problem], located: list[E.Problem] | None = None) -> TestStateError:
    listed = ", ".join(f"{p.code}: {p.message} at {p.pointer or '/'}" for p in problems)
    return TestStateError(INVALID_DEFINITION, f"Invalid State Machine Definition: '{listed}'",
                          problems if located is None else located)


def _unwrapped(source: Any, problems: list[E.Problem]) -> list[E.Problem]:
    from asl._definition.validate import finish

    inside = "/States/" + STATE_NAME
    return finish(source, [
        p.evolve(pointer=p.pointer[len(inside):]) if p.pointer == inside or p.pointer.startswith(inside + "/")
        else p for p in problems])


def _wrap(state: Mapping[str, Any]) -> dict[str, Any]:
    """A single state as AWS runs it: in a machine of its own, named StateName, whose other
    states are the targets it names (stand-ins: TestState never enters them)."""
    states: dict[str, Any] = {}
    targets = [state.get("Next"), state.get("Default")]
    for rule in (*_list(state.get("Choices")), *_list(state.get("Catch"))):
        if isinstance(rule, Mapping):
            targets.append(rule.get("Next"))
    for target in targets:
        if isinstance(target, str) and target != STATE_NAME:
            states[target] = {"Type": "Succeed"}
    states[STATE_NAME] = state
    return {"StartAt": STATE_NAME, "States": states}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _find(graph: Graph, name: str) -> tuple[Graph, State] | None:
    state = graph.states.get(name)
    if state is not None:
        return graph, state
    for parent in graph.states.values():
        inner = [*getattr(parent, "branches", ())]
        processor = getattr(parent, "processor", None)
        if processor is not None:
            inner.append(processor)
        for sub in inner:
            found = _find(sub, name)
            if found is not None:
                return found
    return None


def _check_mock(state: State, mock: Any, reveal_secrets: bool) -> _Mock | None:
    if mock is None:
        if state.type in ("Map", "Parallel"):
            raise TestStateError(INVALID_DEFINITION, "TestState API does not support Map or "
                                                     "Parallel states. Supported state types "
                                                     "include: [Task, Wait, Pass, Succeed, Fail, "
                                                     "Choice]")
        return None
    mock = _known(mock, _MOCK_KEYS, "mock")
    if state.type not in ("Task", "Map", "Parallel"):
        raise TestStateError(VALIDATION, f"State type '{state.type}' is not supported when a "
                                         f"mock is specified")
    if reveal_secrets:
        raise TestStateError(VALIDATION, "TestState does not support RevealSecrets when a mock is "
                                         "specified.")
    mode = mock.get("fieldValidationMode") or "STRICT"
    _enum(mode, _MODES, "mock.fieldValidationMode")
    has_result, error_output = "result" in mock, mock.get("errorOutput")
    if has_result and error_output is not None:
        raise TestStateError(VALIDATION, "A test mock should have only one of the following "
                                         "fields: [result, errorOutput].")
    if not has_result and error_output is None:
        raise TestStateError(VALIDATION, "A test mock should have one of the following fields: "
                                         "[result, errorOutput].")
    if error_output is not None:
        error_output = _known(error_output, _ERROR_KEYS, "mock.errorOutput")
        if "error" not in error_output:
            # The SDK's own check: MockErrorOutput's error is required.
            raise TypeError('Missing required parameter in mock.errorOutput: "error"')
        _typed(error_output["error"], str, "mock.errorOutput.error")
        cause = error_output.get("cause")
        if cause is not None:
            _typed(cause, str, "mock.errorOutput.cause")
        return _Mock(None, str(error_output["error"]), None if cause is None else str(cause))
    result = _decode(mock["result"], "result", None)
    if isinstance(state, ParallelState):
        if not isinstance(result, list):
            raise TestStateError(VALIDATION, "Mocked result must be an array.")
        if len(result) != len(state.branches):
            raise TestStateError(VALIDATION, "Mocked result must contain the same number of items "
                                             "as number of Parallel branches.")
    if isinstance(state, MapState):
        # A Map's result is its array of results, or with a ResultWriter the writer's summary.
        if state.raw.get("ResultWriter") is not None:
            if not isinstance(result, dict):
                raise TestStateError(VALIDATION, "Mocked result must be a JSON object.")
        elif not isinstance(result, list):
            raise TestStateError(VALIDATION, "Mocked result must be an array.")
    if isinstance(state, TaskState) and mode != "NONE":
        _check_shape(state.resource, result, strict=mode == "STRICT")
    return _Mock(result, None, None)


def _needs_mock(resource: str) -> bool:
    """TestState runs these only mocked: an activity's worker, a .sync job or a callback's
    answer is not something one call can wait for."""
    return ":activity:" in resource or _PATTERN_SUFFIX.search(resource) is not None


def _check_shape(resource: str, result: Any, *, strict: bool) -> None:
    try:
        found = _shapes.output_shape(resource)
    except _shapes.MissingBotocore as missing:
        raise E.Error(str(missing)) from None
    if found is None:
        return
    shape, sdk = found
    problem = _shapes.problem(shape, result, strict=strict, sdk=sdk)
    if problem is not None:
        raise TestStateError(VALIDATION, problem)


def _check_context(context: Any, state: State) -> None:
    refuse = "Invalid Context object provided: "
    if not isinstance(context, dict):
        raise TestStateError(VALIDATION, refuse + "The context object must be a JSON object")
    for key, value in context.items():
        if key == "Map":
            raise TestStateError(VALIDATION, refuse + "'Map' field is not supported when mocking "
                                                      "a Context object")
        fields = _CONTEXT_FIELDS.get(key)
        if fields is None:
            raise TestStateError(VALIDATION, refuse + f"Field '{key}' is not allowed")
        if key == "Task" and not (isinstance(state, TaskState)
                                  and _PATTERN_SUFFIX.search(state.resource) is not None):
            raise TestStateError(VALIDATION, refuse + "Context object contains 'Task' when state "
                                                      "is not a Task state with a '.sync' or "
                                                      "'.waitForTaskToken' service integration "
                                                      "pattern")
        if not isinstance(value, dict):
            raise TestStateError(VALIDATION, refuse + f"{key} must be an object")
        for name, item in value.items():
            if name not in fields:
                raise TestStateError(VALIDATION, refuse + f"Field '{name}' is not allowed")
            wanted = fields[name]
            if wanted is not None and item is not None and (
                    not isinstance(item, wanted) or isinstance(item, bool)):
                word = _TYPE_WORDS.get(wanted, "valid") if isinstance(wanted, type) else "valid"
                raise TestStateError(VALIDATION, refuse + f"{key}.{name} must be {word}")


class _CallersContext(dict[str, Any]):
    """The context object the caller gave, as it is: it stands in for the whole context
    object, and what the engine would set in it (a callback task's `Task.Token`) does not
    replace what the caller set."""

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self:
            super().__setitem__(key, value)


# -- running the state ------------------------------------------------------------------------


@attrs.frozen
class _Mock:
    """A mocked result or error, answering as a mock file's test case does (`session.mocks`)."""

    result: Any
    error: str | None
    cause: str | None

    def mocked(self, state_name: str) -> bool:
        return True

    def response_for(self, state_name: str, invocation_index: int) -> tuple[Any, ...]:
        if self.error is not None:
            return ("throw", self.error, self.cause)
        return ("return", self.result)


class _ReaderData:
    """`mapItemReaderData` as the one object a Map's ItemReader reads ("the data read by
    ItemReader ... as found in its original source"): the engine's ItemReader parses it by its
    ReaderConfig (JSON, JSON Lines, CSV, manifest) and applies MaxItems, as in a run."""

    def __init__(self, text: str) -> None:
        self.text = text

    def get_object(self, bucket: str, key: str) -> bytes:
        return self.text.encode("utf-8")

    def list_objects(self, bucket: str, prefix: str = "") -> list[Any]:
        listing = _decode(self.text, "mapItemReaderData", None)
        if not isinstance(listing, list):
            raise TestStateError(VALIDATION, "The mapItemReaderData of an S3 listing must be a "
                                             "JSON array of objects")
        return listing

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        raise TypeError("TestState never writes a Map's results")


class _Inspected(Flow):
    """The state's own flow, noting each step's value for the inspection data: the handlers call
    it as they call any flow; the steps inside `finish` come from the flow's traced copy
    (`Flow.traced`)."""

    def __init__(self, inner: Flow, notes: dict[str, Any]) -> None:
        self.inner = inner.traced(notes.__setitem__)
        self.notes = notes
        self.language = inner.language
        self.jsonata = inner.jsonata
        self.selects_payload = False  # the result goes through finish, where it is noted

    def effective(self, data: Any, env: Env) -> Any:
        value = self.inner.effective(data, env)
        self.notes["afterInputPath"] = value
        return value

    def arguments(self, data: Any, effective: Any, env: Env, clock: Clock) -> Any:
        value = self.inner.arguments(data, effective, env, clock)
        self.notes["afterArguments" if self.jsonata else "afterParameters"] = value
        return value

    def finish(self, data: Any, result: Any, env: Env, clock: Clock, *, assign: Any = _OWN,
               output: Any = _OWN, has_result: bool = True) -> tuple[Any, dict[str, Any] | None]:
        self.notes["result"] = result
        return self.inner.finish(data, result, env, clock, assign=assign, output=output,
                                 has_result=has_result)

    def caught(self, catcher: Any, data: Any, error_output: Mapping[str, Any], env: Env,
               clock: Clock) -> tuple[Any, dict[str, Any] | None]:
        return self.inner.caught(catcher, data, error_output, env, clock)

    def expression(self, template: Any, data: Any, env: Env, clock: Clock, field: str, *,
                   expect: str | None = None) -> Any:
        return self.inner.expression(template, data, env, clock, field, expect=expect)

    def template(self, template: Any, data: Any, effective: Any, env: Env, clock: Clock,
                 field: str) -> Any:
        return self.inner.template(template, data, effective, env, clock, field)


class _Test:
    """One TestState call, from the checked request to the response."""

    def __init__(self, state: State, graph: Graph, level: str, mock: _Mock | None,
                 config: Mapping[str, Any], clock: Clock, data: Any, variables: dict[str, Any],
                 role_arn: str | None, handlers: Mapping[str, Callable[..., Any]] | None,
                 context_given: Mapping[str, Any] | None, functions: Any = None) -> None:
        self.inspect = level != "INFO"
        self.notes: dict[str, Any] = {}
        self.state = attrs.evolve(state, flow=_Inspected(state.flow, self.notes)) if self.inspect else state
        self.original = state
        self.mock = mock
        self.config = config
        self.clock = clock
        self.data = data
        self.variables = variables
        self.details: dict[str, Any] = {}
        machine_name, exec_name = str(uuid.uuid4()), str(uuid.uuid4())
        machine_arn = f"arn:aws:states:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:stateMachine:{machine_name}"
        machine = Machine(graph, machine_name, machine_arn)
        now = clock.now()
        execution = Execution(name=exec_name, arn=machine_arn.replace(":stateMachine:", ":express:")
                              + ":" + exec_name, state_machine_arn=machine_arn, input=data,
                              start=now, history=History(25_000))
        keywords: dict[str, Any] = {"role_arn": role_arn} if role_arn else {}
        if functions is not None:
            keywords["functions"] = functions
        if config.get("mapItemReaderData") is not None:
            keywords["s3"] = _ReaderData(config["mapItemReaderData"])
        options = RunOptions.of("test_state", handlers, keywords)
        session = Session(machine, execution, clock, options, synchronous=True)
        session.mocks = mock
        self.run = Interpreter(session, execution._history)
        retry_count = int(config.get("retrierRetryCount") or 0)
        # The state is StateName in the machine AWS runs it in, even when picked by stateName.
        state_context: dict[str, Any] = {"EnteredTime": isoformat(now), "Name": STATE_NAME}
        if state.type in ("Task", "Map", "Parallel"):  # the states that can retry
            state_context["RetryCount"] = retry_count
        context: dict[str, Any] = {
            "Execution": {"Id": execution.execution_arn, "Input": data, "Name": exec_name,
                          "RoleArn": role_arn, "StartTime": isoformat(now)},
            "State": state_context,
            "StateMachine": {"Id": machine_arn, "Name": machine_name},
        }
        # A context the caller gives is the whole context object (AWS does not fill it in).
        self.env = Env(context if context_given is None else _CallersContext(context_given),
                       variables)
        self.retry_count = retry_count

    def respond(self) -> dict[str, Any]:
        response: dict[str, Any]
        variables = self.variables
        try:
            output, next_name, assigned = self.execute()
        except StatesError as failure:
            response, assigned = self.failed(failure.error, failure.cause, terminal=_terminal(failure))
        except GraphFailed as failure:  # a quota, raised as the execution's end
            response, assigned = self.failed(failure.error or E.RUNTIME, failure.cause, terminal=True)
        else:
            response = {"status": "SUCCEEDED", "output": _text(output)}
            if next_name is not None:
                response["nextState"] = next_name
        if assigned:
            variables = {**variables, **assigned}
        if self.inspect:
            response["inspectionData"] = self.inspection(variables)
        return response

    def execute(self) -> tuple[Any, str | None, dict[str, Any] | None]:
        state, run, env, data = self.state, self.run, self.env, self.data
        if isinstance(state, MapState):
            return self.map(state)
        if isinstance(state, ParallelState):
            return self.parallel(state)
        if state.type == "Fail" and not state.flow.jsonata:
            self.notes["afterInputPath"] = data  # a Fail state's effective input is its input
        return HANDLERS[type(state)](run, state, data, env, Lane())

    def map(self, state: MapState) -> tuple[Any, str | None, dict[str, Any] | None]:
        run, env, data, flow = self.run, self.env, self.data, state.flow
        effective = flow.effective(data, env)
        items: list[Any] | None
        if state.item_reader is not None:
            # The ItemReader reads mapItemReaderData as its object (see _ReaderData); without
            # it there is nothing to read, and the number of items stays unknown.
            has_data = self.config.get("mapItemReaderData") is not None
            items = itemio.read_items(run, state, data, effective, env) if has_data else None
        elif flow.jsonata:
            items = map_items(run, state, data, effective, env)
        else:
            path = state.items_path
            found = effective if path is None else path.get(effective, env)
            if not isinstance(found, list):
                # TestState words it so, showing a context path ($$...) from the context's root.
                text = "$" if path is None else path.text
                shown = text[1:] if text.startswith("$$") else text
                raise StatesError(E.RUNTIME, f'Reference path "{shown}" must point to array.')
            items = found
            self.notes["afterItemsPath"] = items
        if items is not None:
            inputs = iteration_inputs(run, state, data, effective, items, env)
            if state.item_selector is not None:
                self.notes["afterItemSelector"] = list(inputs)
            if state.item_batcher is not None:
                # With an ItemBatcher each iteration is a batch.
                items = itemio.batches(run, state, data, effective, inputs, env)
                self.notes["afterItemBatcher"] = items
        limits = read_limits(run, state, data, effective, env)
        self.details["maxConcurrency"] = limits.max_concurrency
        if state.tolerated_failure_count is not None or state.tolerated_failure_count_path is not None:
            self.details["toleratedFailureCount"] = limits.tolerated_count
        if (state.tolerated_failure_percentage is not None
                or state.tolerated_failure_percentage_path is not None):
            percentage = limits.tolerated_percentage
            self.details["toleratedFailurePercentage"] = None if percentage is None else float(percentage)
        failed = int(self.config.get("mapIterationFailureCount") or 0)
        if items is not None and failed > len(items):
            raise TestStateError(VALIDATION, "Map iteration failure count must be less than or "
                                             "equal to the number of Map iterations")
        tally = limits.tally(len(items) if items is not None else failed)
        # Only a Map that tolerates failures can exceed its threshold; with none tolerated, the
        # failure count alone fails nothing (the iterations' errors would, and they are mocked).
        if failed and tally.tolerant and tally.exceeded(failed):
            raise Failure(E.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                          "The specified tolerated failure threshold was exceeded")
        return self.mocked_result(state)

    def parallel(self, state: ParallelState) -> tuple[Any, str | None, dict[str, Any] | None]:
        return self.mocked_result(state)

    def mocked_result(self, state: MapState | ParallelState) -> tuple[Any, str | None,
                                                                      dict[str, Any] | None]:
        mock = self.mock
        assert mock is not None  # a Map or Parallel always comes with one (_check_mock)
        if mock.error is not None:
            raise Failure(mock.error, mock.cause)
        output, assigned = state.flow.finish(self.data, mock.result, self.env, self.clock)
        return output, state.next, assigned

    def failed(self, error: str, cause: str | None, *, terminal: bool
               ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A failed attempt as TestState reports it: retriable, caught, or failed."""
        state = self.original
        response: dict[str, Any] = {"status": "FAILED", "error": error}
        if cause is not None:
            response["cause"] = cause
        if terminal:
            return response, None
        for index, retrier in enumerate(state.retry):
            if error_matches(retrier.error_equals, error):
                self.details["errorDetails"] = {"retryIndex": index}
                if self.retry_count < int(retrier.max_attempts):
                    delay = retry_delay(attrs.evolve(retrier, jitter_strategy="NONE"),
                                        self.retry_count, self.run.rng)
                    self.details["errorDetails"]["retryBackoffIntervalSeconds"] = int(delay)
                    response["status"] = "RETRIABLE"
                    return response, None
                break
        for index, catcher in enumerate(state.catch):
            if error_matches(catcher.error_equals, error):
                error_output = {"Error": error, "Cause": cause} if cause is not None else {"Error": error}
                output, assigned = state.flow.caught(catcher, self.data, error_output, self.env,
                                                     self.clock)
                self.details.setdefault("errorDetails", {})["catchIndex"] = index
                response.update(status="CAUGHT_ERROR", output=_text(output), nextState=catcher.next)
                return response, assigned
        return response, None

    def inspection(self, variables: Mapping[str, Any]) -> dict[str, Any]:
        state, notes = self.original, self.notes
        data: dict[str, Any] = {"input": _text(self.data)}
        steps: tuple[str, ...]
        if state.flow.jsonata:
            steps = _JSONATA_STEPS.get(state.type, ())
        elif isinstance(state, PassState) and state.has_result:
            steps = _PASS_WITH_RESULT
        else:
            steps = _JSONPATH_STEPS.get(state.type, _INPUT_ONLY)
        for step in steps:
            if step in notes:
                data[step] = _text(notes[step])
        if variables:
            data["variables"] = _text(variables)
        data.update(self.details)
        return data


def _terminal(failure: StatesError) -> bool:
    # As in an execution: States.Runtime and DataLimitExceeded are never retried or caught.
    return failure.error in (E.RUNTIME, E.DATA_LIMIT_EXCEEDED)


def _text(value: Any) -> str:
    return to_strict_json(value)
