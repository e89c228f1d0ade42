"""The immutable model of a state machine: every field compiled once, at load.

`build(document)` assumes the document passed validation (`asl.validate`); it turns each state
into a frozen attrs object whose paths, templates, intrinsic calls, Choice rules and JSONata
expressions are already compiled, so running never parses anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from asl._definition.flow import DISCARD, JSONATA, JSONPATH, Flow, JsonataFlow, JsonPathFlow
from asl._errors import CompileError
from asl._json import escape
from asl._languages import choice as _choice
from asl._languages import paths as _paths
from asl._languages import payload as _payload


@attrs.frozen(kw_only=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: Any = 1
    max_attempts: Any = 3
    backoff_rate: Any = 2.0
    max_delay_seconds: Any = None
    jitter_strategy: str = "NONE"


@attrs.frozen(kw_only=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: Any = None  # ReferencePath, DISCARD, or None for the default "$"
    assign: Any = None
    output: Any = None  # JSONata


@attrs.frozen(kw_only=True)
class State:
    """Fields every state type shares; `None` means the field is absent."""

    name: str
    type: str
    query_language: str = JSONPATH
    comment: str | None = None
    next: str | None = None
    end: bool = False
    #: The data flow (InputPath ... OutputPath, or JSONata's Arguments/Output/Assign), compiled.
    flow: Flow = attrs.field(factory=JsonPathFlow, eq=False)
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    # Derived at load for the executor's per-state loop (see __attrs_post_init__).
    entered_event: str = attrs.field(init=False, repr=False, eq=False)
    exited_event: str = attrs.field(init=False, repr=False, eq=False)
    needs_context: bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "entered_event", self.type + "StateEntered")
        set_(self, "exited_event", self.type + "StateExited")
        set_(self, "needs_context", _reads_context(self))


@attrs.frozen(kw_only=True)
class PassState(State):
    result: Any = None
    has_result: bool = False


@attrs.frozen(kw_only=True)
class SucceedState(State):
    pass


@attrs.frozen(kw_only=True)
class FailState(State):
    error: Any = None  # str constant, or a compiled path / intrinsic / expression
    cause: Any = None


@attrs.frozen(kw_only=True)
class WaitState(State):
    seconds: Any = None
    seconds_path: Any = None
    timestamp: Any = None
    timestamp_path: Any = None


@attrs.frozen(kw_only=True)
class ChoiceState(State):
    choices: tuple[Any, ...] = ()
    default: str | None = None


@attrs.frozen(kw_only=True)
class TaskState(State):
    resource: str = ""
    timeout_seconds: Any = None
    timeout_seconds_path: Any = None
    heartbeat_seconds: Any = None
    heartbeat_seconds_path: Any = None
    credentials: Any = None


@attrs.frozen(kw_only=True)
class ParallelState(State):
    branches: tuple[Graph, ...] = ()


@attrs.frozen(kw_only=True)
class ItemIO:
    """A Map's ItemReader, ItemBatcher and ResultWriter fields, compiled (None: absent)."""

    reader_parameters: Any = None
    max_items_path: Any = None
    batch_input: Any = None
    batch_paths: Mapping[str, Any] = attrs.field(factory=dict)
    writer_parameters: Any = None


@attrs.frozen(kw_only=True)
class MapState(State):
    processor: Graph | None = None
    mode: str = "INLINE"
    execution_type: str | None = None
    items_path: Any = None
    items: Any = None  # JSONata Items
    item_selector: Any = None
    max_concurrency: Any = 0
    max_concurrency_path: Any = None
    tolerated_failure_percentage: Any = None
    tolerated_failure_percentage_path: Any = None
    tolerated_failure_count: Any = None
    tolerated_failure_count_path: Any = None
    item_reader: Mapping[str, Any] | None = None
    item_batcher: Mapping[str, Any] | None = None
    result_writer: Mapping[str, Any] | None = None
    #: ItemReader, ItemBatcher and ResultWriter's templates and paths, compiled.
    item_io: ItemIO = attrs.field(factory=ItemIO)
    label: str | None = None


@attrs.frozen(kw_only=True)
class Graph:
    """A set of states with a start: the machine itself, a Parallel branch or a Map processor."""

    start_at: str
    states: Mapping[str, State]
    query_language: str = JSONPATH
    timeout_seconds: int | None = None
    comment: str | None = None
    # Derived at load for the fan-out (`_runtime.fanout.threaded`): whether running the graph may wait,
    # on a Task's handler or a Wait (`blocks`), or on a Task's handler only (`blocks_virtual`:
    # a Wait takes no time on a virtual clock). A distributed Map's children run elsewhere.
    blocks: bool = attrs.field(init=False, repr=False, eq=False)
    blocks_virtual: bool = attrs.field(init=False, repr=False, eq=False)
    # Whether any of its own states reads the context (a Map builds `$$.Map.Item` only then).
    reads_context: bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "blocks", _blocks(self, virtual=False))
        set_(self, "blocks_virtual", _blocks(self, virtual=True))
        set_(self, "reads_context", any(state.needs_context for state in self.states.values()))


def _blocks(graph: Graph, *, virtual: bool) -> bool:
    for state in graph.states.values():
        if state.type == "Task" or (state.type == "Wait" and not virtual):
            return True
        inner: tuple[Graph, ...] = ()
        if isinstance(state, ParallelState):
            inner = state.branches
        elif isinstance(state, MapState) and state.processor is not None and state.mode != "DISTRIBUTED":
            inner = (state.processor,)
        if any(g.blocks_virtual if virtual else g.blocks for g in inner):
            return True
    return False


class _Builder:
    """Compiles one definition; collects CompileErrors as (pointer, message) instead of raising
    at the first, so `load` can report them all."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def compile(self, pointer: str, fn: Any, value: Any) -> Any:
        try:
            return fn(value)
        except CompileError as error:
            self.errors.append((pointer + error.subpointer, error.message))
            return None

    def graph(self, doc: Mapping[str, Any], pointer: str, inherited: str) -> Graph:
        language = doc.get("QueryLanguage", inherited)
        states = {
            name: self.state(name, body, f"{pointer}/States/{escape(name)}", language)
            for name, body in doc["States"].items()
        }
        return Graph(
            start_at=doc["StartAt"],
            states=states,
            query_language=language,
            timeout_seconds=doc.get("TimeoutSeconds"),
            comment=doc.get("Comment"),
        )

    def state(self, name: str, body: Mapping[str, Any], ptr: str, inherited: str) -> State:
        language = body.get("QueryLanguage", inherited)
        kind = body["Type"]
        common: dict[str, Any] = {
            "name": name,
            "type": kind,
            "query_language": language,
            "comment": body.get("Comment"),
            "next": body.get("Next"),
            "end": bool(body.get("End", False)),
            "raw": body,
        }
        common["flow"] = (JsonataFlow(**self.jsonata_io(body, ptr)) if language == JSONATA
                          else JsonPathFlow(**self.jsonpath_io(body, ptr)))
        common["retry"] = tuple(self.retrier(r) for r in body.get("Retry", ()))
        common["catch"] = tuple(
            self.catcher(c, f"{ptr}/Catch/{i}", language) for i, c in enumerate(body.get("Catch", ()))
        )
        fields = self.specific(kind, body, ptr, language)
        return _STATE_CLASSES[kind](**common, **fields)

    def jsonpath_io(self, body: Mapping[str, Any], ptr: str) -> dict[str, Any]:
        io: dict[str, Any] = {}
        for field, key in (("InputPath", "input_path"), ("OutputPath", "output_path")):
            if field in body:
                value = body[field]
                io[key] = DISCARD if value is None else self.compile(
                    f"{ptr}/{field}", _paths.compile_path, value
                )
        if "ResultPath" in body:
            value = body["ResultPath"]
            io["result_path"] = DISCARD if value is None else self.compile(
                f"{ptr}/ResultPath", _paths.compile_result_path, value
            )
        for field, key in (("Parameters", "parameters"), ("ResultSelector", "result_selector")):
            if field in body:
                io[key] = self.compile(f"{ptr}/{field}", _payload.compile_template, body[field])
        if "Assign" in body:
            io["assign"] = self.compile(f"{ptr}/Assign", _payload.compile_template, body["Assign"])
        return io

    def jsonata_io(self, body: Mapping[str, Any], ptr: str) -> dict[str, Any]:
        from asl._languages import jsonata as _jsonata

        io: dict[str, Any] = {}
        for field, key in (("Arguments", "arguments"), ("Output", "output"), ("Assign", "assign")):
            if field in body:
                io[key] = self.compile(f"{ptr}/{field}", _jsonata.compile_template, body[field])
        return io

    def retrier(self, body: Mapping[str, Any]) -> Retrier:
        return Retrier(
            error_equals=tuple(body.get("ErrorEquals", ())),
            interval_seconds=body.get("IntervalSeconds", 1),
            max_attempts=body.get("MaxAttempts", 3),
            backoff_rate=body.get("BackoffRate", 2.0),
            max_delay_seconds=body.get("MaxDelaySeconds"),
            jitter_strategy=body.get("JitterStrategy", "NONE"),
        )

    def catcher(self, body: Mapping[str, Any], ptr: str, language: str) -> Catcher:
        fields: dict[str, Any] = {
            "error_equals": tuple(body.get("ErrorEquals", ())),
            "next": body.get("Next", ""),
        }
        if language == JSONATA:
            from asl._languages import jsonata as _jsonata

            if "Output" in body:
                fields["output"] = self.compile(f"{ptr}/Output", _jsonata.compile_template, body["Output"])
            if "Assign" in body:
                fields["assign"] = self.compile(f"{ptr}/Assign", _jsonata.compile_template, body["Assign"])
        else:
            if "ResultPath" in body:
                value = body["ResultPath"]
                fields["result_path"] = DISCARD if value is None else self.compile(
                    f"{ptr}/ResultPath", _paths.compile_result_path, value
                )
            if "Assign" in body:
                fields["assign"] = self.compile(f"{ptr}/Assign", _payload.compile_template, body["Assign"])
        return Catcher(**fields)

    def value(self, body: Mapping[str, Any], field: str, ptr: str, language: str) -> Any:
        """A plain field that a JSONata state may give as a `{% %}` expression."""
        value = body.get(field)
        if language == JSONATA and _is_expression(value):
            from asl._languages import jsonata as _jsonata

            return self.compile(f"{ptr}/{field}", _jsonata.compile_template, value)
        return value

    def path(self, body: Mapping[str, Any], field: str, ptr: str) -> Any:
        if field not in body:
            return None
        return self.compile(f"{ptr}/{field}", _paths.compile_path, body[field])

    def specific(self, kind: str, body: Mapping[str, Any], ptr: str, language: str) -> dict[str, Any]:
        def v(field: str) -> Any:
            return self.value(body, field, ptr, language)

        if kind == "Pass":
            if language == JSONATA:
                return {}
            return {"result": body.get("Result"), "has_result": "Result" in body}
        if kind == "Fail":
            fields = {"error": v("Error"), "cause": v("Cause")}
            for field, key in (("ErrorPath", "error"), ("CausePath", "cause")):
                if field in body:
                    fields[key] = self.compile(f"{ptr}/{field}", _compile_path_or_intrinsic, body[field])
            return fields
        if kind == "Wait":
            return {
                "seconds": v("Seconds"),
                "timestamp": v("Timestamp"),
                "seconds_path": self.path(body, "SecondsPath", ptr),
                "timestamp_path": self.path(body, "TimestampPath", ptr),
            }
        if kind == "Choice":
            return {
                "choices": tuple(self.choice(rule, f"{ptr}/Choices/{i}", language)
                                 for i, rule in enumerate(body.get("Choices", ()))),
                "default": body.get("Default"),
            }
        if kind == "Task":
            return {
                "resource": body.get("Resource", ""),
                "timeout_seconds": v("TimeoutSeconds"),
                "heartbeat_seconds": v("HeartbeatSeconds"),
                "timeout_seconds_path": self.path(body, "TimeoutSecondsPath", ptr),
                "heartbeat_seconds_path": self.path(body, "HeartbeatSecondsPath", ptr),
                "credentials": body.get("Credentials"),
            }
        if kind == "Parallel":
            return {
                "branches": tuple(self.graph(b, f"{ptr}/Branches/{i}", language)
                                  for i, b in enumerate(body.get("Branches", ())))
            }
        if kind == "Map":
            return self.map(body, ptr, language)
        return {}

    def choice(self, rule: Mapping[str, Any], ptr: str, language: str) -> Any:
        if language == JSONATA:
            from asl._languages import jsonata as _jsonata

            return _jsonata_choice(self, rule, ptr, _jsonata)
        return self.compile(ptr, _choice.compile_rule, rule)

    def map(self, body: Mapping[str, Any], ptr: str, language: str) -> dict[str, Any]:
        processor_key = "ItemProcessor" if "ItemProcessor" in body else "Iterator"
        processor_doc = body.get(processor_key, {})
        config = processor_doc.get("ProcessorConfig", {})
        def v(field: str) -> Any:
            return self.value(body, field, ptr, language)

        fields: dict[str, Any] = {
            "processor": self.graph(processor_doc, f"{ptr}/{processor_key}", language),
            "mode": config.get("Mode", "INLINE"),
            "execution_type": config.get("ExecutionType"),
            "max_concurrency": v("MaxConcurrency") if "MaxConcurrency" in body else 0,
            "tolerated_failure_percentage": v("ToleratedFailurePercentage"),
            "tolerated_failure_count": v("ToleratedFailureCount"),
            "item_reader": body.get("ItemReader"),
            "item_batcher": body.get("ItemBatcher"),
            "result_writer": body.get("ResultWriter"),
            "label": body.get("Label"),
        }
        for field, key in (
            ("MaxConcurrencyPath", "max_concurrency_path"),
            ("ToleratedFailurePercentagePath", "tolerated_failure_percentage_path"),
            ("ToleratedFailureCountPath", "tolerated_failure_count_path"),
        ):
            fields[key] = self.path(body, field, ptr)
        fields["item_io"] = self.item_io(body, ptr, language)
        if language == JSONATA:
            from asl._languages import jsonata as _jsonata

            if "Items" in body:
                fields["items"] = self.compile(f"{ptr}/Items", _jsonata.compile_template, body["Items"])
            if "ItemSelector" in body:
                fields["item_selector"] = self.compile(
                    f"{ptr}/ItemSelector", _jsonata.compile_template, body["ItemSelector"]
                )
        else:
            fields["items_path"] = self.path(body, "ItemsPath", ptr)
            selector = "ItemSelector" if "ItemSelector" in body else "Parameters"
            if selector in body:
                fields["item_selector"] = self.compile(
                    f"{ptr}/{selector}", _payload.compile_template, body[selector]
                )
        return fields


    def item_io(self, body: Mapping[str, Any], ptr: str, language: str) -> ItemIO:
        if language == JSONATA:
            from asl._languages import jsonata as _jsonata

            template: Any = _jsonata.compile_template
            key = "Arguments"
        else:
            template, key = _payload.compile_template, "Parameters"
        fields: dict[str, Any] = {}
        reader = body.get("ItemReader") or {}
        if key in reader:
            fields["reader_parameters"] = self.compile(f"{ptr}/ItemReader/{key}", template, reader[key])
        config = reader.get("ReaderConfig") or {}
        if "MaxItemsPath" in config:
            fields["max_items_path"] = self.compile(f"{ptr}/ItemReader/ReaderConfig/MaxItemsPath",
                                                    _paths.compile_path, config["MaxItemsPath"])
        batcher = body.get("ItemBatcher") or {}
        if "BatchInput" in batcher:
            fields["batch_input"] = self.compile(f"{ptr}/ItemBatcher/BatchInput", template,
                                                 batcher["BatchInput"])
        fields["batch_paths"] = {
            field: self.compile(f"{ptr}/ItemBatcher/{field}Path", _paths.compile_path,
                                batcher[f"{field}Path"])
            for field in ("MaxItemsPerBatch", "MaxInputBytesPerBatch") if f"{field}Path" in batcher
        }
        writer = body.get("ResultWriter") or {}
        if key in writer:
            fields["writer_parameters"] = self.compile(f"{ptr}/ResultWriter/{key}", template,
                                                       writer[key])
        return ItemIO(**fields)


@attrs.frozen(kw_only=True)
class JsonataChoice:
    """A JSONata Choice rule: a Condition expression, its target and its own Assign/Output."""

    condition: Any
    next: str
    assign: Any = None
    output: Any = None


def _jsonata_choice(builder: _Builder, rule: Mapping[str, Any], ptr: str, jsonata: Any) -> Any:
    return JsonataChoice(
        condition=builder.compile(f"{ptr}/Condition", jsonata.compile_template, rule.get("Condition")),
        next=rule.get("Next", ""),
        assign=builder.compile(f"{ptr}/Assign", jsonata.compile_template, rule["Assign"])
        if "Assign" in rule else None,
        output=builder.compile(f"{ptr}/Output", jsonata.compile_template, rule["Output"])
        if "Output" in rule else None,
    )


def _compile_path_or_intrinsic(text: Any) -> Any:
    from asl._languages import intrinsics as _intrinsics

    if isinstance(text, str) and _intrinsics.is_intrinsic(text):
        return _intrinsics.compile_intrinsic(text)
    return _paths.compile_path(text)


# JSONata reaches the context object only through `$states`; these members are not it.
_STATES_NOT_CONTEXT = re.compile(r"\$states\s*\.\s*(?:input|result|errorOutput)\b")
# Fields holding other states, which decide for themselves.
_NESTED = ("Branches", "ItemProcessor", "Iterator")


def _reads_context(state: State) -> bool:
    """Whether the state may read the context object (`$$` in JSONPath, `$states.context` in
    JSONata), so that the executor builds it; building it costs more than a whole Pass state.

    Decided on the definition's text, erring towards True: any `$$`, and any `$states` that is
    not `.input`, `.result` or `.errorOutput` (`$states` passed whole, `$eval`, ...)."""
    if state.type == "Map":
        return True  # ItemSelector's $$.Map.Item; one context per Map state is cheap
    if state.type == "Task" and getattr(state, "resource", "").endswith(".waitForTaskToken"):
        return True  # the token is handed over as $$.Task.Token
    raw = state.raw
    if any(key in raw for key in _NESTED):
        raw = {key: value for key, value in raw.items() if key not in _NESTED}
    # repr, not json.dumps: three times faster, and spells `$`, `.` and names the same way.
    text = repr(raw)
    if "$" not in text:
        return False
    if "$$" in text or "$eval" in text:
        return True
    if state.query_language == JSONATA:
        return "$states" in _STATES_NOT_CONTEXT.sub("", text)
    return False


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


_STATE_CLASSES: dict[str, type[State]] = {
    "Pass": PassState,
    "Succeed": SucceedState,
    "Fail": FailState,
    "Wait": WaitState,
    "Choice": ChoiceState,
    "Task": TaskState,
    "Parallel": ParallelState,
    "Map": MapState,
}


def build(document: Mapping[str, Any]) -> tuple[Graph, list[tuple[str, str]]]:
    """Compile a validated definition; also returns any (pointer, message) compile errors."""
    builder = _Builder()
    graph = builder.graph(document, "", JSONPATH)
    return graph, builder.errors
