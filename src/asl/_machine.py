"""`load` and `StateMachine`: the public face of a compiled definition."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

import attrs

from asl._clock import Clock
from asl._definition.model import Graph, build
from asl._errors import DefinitionError, MockConfigError, Problem
from asl._integrations.resources import DEFAULT_ACCOUNT, DEFAULT_REGION
from asl._runtime.options import RunKeywords, RunOptions, check_clock

if TYPE_CHECKING:
    from asl._definition.templates.model import TemplateMachine
    from asl._lambda.service import Functions
    from asl._runtime.core import Machine
    from asl._runtime.execution import Execution



class StateMachine:
    """A validated, compiled state machine; run it as often as you like."""

    def __init__(self, graph: Graph, definition: Mapping[str, Any], *, name: str, arn: str,
                 functions: Functions | None = None,
                 template_handlers: Mapping[str, Callable[..., Any]] | None = None,
                 ) -> None:  # fmt: skip
        self.graph = graph
        self.definition = definition
        self.name = name
        self.arn = arn
        #: The local Lambda service holding the template's own functions (None without any):
        #: a run without functions= of its own invokes them through it.
        self.functions = functions
        # The same functions as plain handlers (by ARN), for a run that brings its own
        # functions= service without them.
        self._template_handlers: Mapping[str, Callable[..., Any]] = dict(template_handlers or {})

    def run(
        self,
        input: Any = None,
        *,
        handlers: Mapping[str, Callable[..., Any]] | None = None,
        clock: Clock | None = None,
        name: str | None = None,
        **options: Unpack[RunKeywords],
    ) -> Execution:
        """Run one execution to its end and return the `Execution` (failures are data, not
        exceptions). `input` defaults to `{}`; `clock` to the real clock.

        Options: `mocks` (Task responses by state name: `{"Charge": {"Return": {...}}}`, a
        list of them for successive invocations, `[{"Throw": {"Error": ..., "Cause": ...}},
        {"Return": ...}]`, or invocation ranges as a mock file writes them); `mock_config` (a
        Step Functions Local mock file, path or dict) with `test_case` (its name); `seed`
        (makes generated names, tokens and jitter reproducible);
        `executor` (a concurrent.futures.Executor for Map iterations and Parallel branches);
        `on_progress(state_name, done, total, failed)` (called as Map items finish);
        `on_event(event)` (called with each history event, AWS-shaped, as it enters the history;
        a concurrent branch's or iteration's events come when its Parallel or Map has spliced them);
        `s3` (an object with get_object/list_objects/put_object) or `s3_root` (a folder whose
        subfolders are buckets) for distributed Map's ItemReader and ResultWriter;
        `child_history` (keep each distributed Map child execution's history); `role_arn`
        (`$$.Execution.RoleArn`). An unknown option is a TypeError."""
        execution, drive = self._prepare("run", input, handlers, clock, name, options,
                                         synchronous=True)
        drive()
        return execution

    def start(
        self,
        input: Any = None,
        *,
        handlers: Mapping[str, Callable[..., Any]] | None = None,
        clock: Clock | None = None,
        name: str | None = None,
        **options: Unpack[RunKeywords],
    ) -> Execution:
        """Start an execution in the background and return its `Execution` at once (status
        RUNNING); `execution.wait()` blocks until it ends. Use it for the callback pattern:
        `execution.send_task_success(token, output)` (or `send_task_failure`,
        `send_task_heartbeat`) from any thread; a handler can also answer its own token with
        `context.send_task_success(output)` / `context.send_task_failure(error, cause)`.
        Takes the same options as `run`."""
        import threading

        execution, drive = self._prepare("start", input, handlers, clock, name, options,
                                         synchronous=False)
        threading.Thread(target=drive, name=f"asl-{execution.name}", daemon=True).start()
        return execution

    def resume(
        self,
        execution_id: str,
        *,
        handlers: Mapping[str, Callable[..., Any]] | None = None,
        clock: Clock | None = None,
        **options: Unpack[RunKeywords],
    ) -> Execution:
        """Continue a durable execution whose process died, from its last checkpoint in `store`
        (a path or an `ExecutionStore`), to its end. Completed states never run again; a Task
        attempt that was in flight failed (States.TaskFailed), so the state's Retry policy
        decides whether it runs again. `execution_id` is its ARN or name; `store=` is required;
        the other options are `run`'s."""
        return self._continue("resume", execution_id, handlers, clock, options, False)

    def redrive(
        self,
        execution_id: str,
        *,
        handlers: Mapping[str, Callable[..., Any]] | None = None,
        clock: Clock | None = None,
        **options: Unpack[RunKeywords],
    ) -> Execution:
        """AWS's RedriveExecution: restart a FAILED, TIMED_OUT or ABORTED durable execution from
        the state that did not succeed, keeping its successful steps (Task results, also of
        finished Map iterations and Parallel branches), within 14 days of its stop; records
        ExecutionRedriven and counts `$$.Execution.RedriveCount`. Runs it to its end."""
        return self._continue("redrive", execution_id, handlers, clock, options, True)

    def _continue(self, where: str, execution_id: str,
                  handlers: Mapping[str, Callable[..., Any]] | None, clock: Clock | None,
                  keywords: Mapping[str, Any], redrive: bool) -> Execution:
        from asl._runtime import durable
        from asl._runtime.store import open_store

        options = self._options(where, handlers, keywords)
        if options.store is None:
            raise TypeError(f"{where}() needs store=<path or ExecutionStore>")
        store = open_store(options.store)
        record = durable.find(store, execution_id)
        options = attrs.evolve(options, store=store)
        clock = check_clock(clock)
        now = (clock or _system_clock()).now()
        if redrive:
            durable.check_redrivable(store, record, now)
        else:
            durable.check_resumable(record)
        execution, drive = durable.resume(self._machine(), record, clock=clock, options=options,
                                          store=store, synchronous=True, redrive=redrive)
        drive()
        return execution

    def _prepare(self, where: str, input: Any, handlers: Mapping[str, Callable[..., Any]] | None,
                 clock: Clock | None, name: str | None, keywords: Mapping[str, Any], *,
                 synchronous: bool) -> tuple[Execution, Callable[[], None]]:
        """The execution, checked and ready, and the function that drives it to its end (the
        CLI drives it on a thread of its own, so that Ctrl-C can stop it). With a `store`, a
        durable execution checkpointed there."""
        options = self._options(where, handlers, keywords)
        input = {} if input is None else input
        if options.store is None:
            from asl._runtime.executor import prepare

            return prepare(self._machine(), input, clock=check_clock(clock), name=name,
                           options=options, synchronous=synchronous)
        from asl._runtime import durable
        from asl._runtime.store import open_store

        store = open_store(options.store)
        return durable.start(self._machine(), self.definition, input, clock=check_clock(clock),
                             name=name, options=attrs.evolve(options, store=store), store=store,
                             synchronous=synchronous)

    def _machine(self) -> Machine:
        from asl._runtime.core import Machine

        return Machine(self.graph, self.name, self.arn)

    def _options(self, where: str, handlers: Mapping[str, Callable[..., Any]] | None,
                 keywords: Mapping[str, Any]) -> RunOptions:
        if self.functions is not None:
            service = keywords.get("functions")
            if service is None:
                keywords = {**keywords, "functions": self.functions}
            else:
                # A run's own service serves the functions it has; the template's others run as
                # plain handlers. A run's handlers= win over both.
                defaults = {arn: handler for arn, handler in self._template_handlers.items()
                            if not hasattr(service, "has") or not service.has(arn)}
                handlers = {**defaults, **(handlers or {})}
        options = RunOptions.of(where, handlers, keywords)
        inline = options.mocks
        if options.test_case is None:
            if options.mock_config is not None:
                raise MockConfigError("mock_config=... needs test_case=<name of a test case>.")
            if inline is None:
                return options
        from asl._integrations.mocks import MockConfig, TestCase, inline_mocks

        case = None
        config = options.mock_config
        if options.test_case is not None:
            if config is None:
                raise MockConfigError(
                    f"test_case={options.test_case!r} needs mock_config=<file or dict>.")
            if not isinstance(config, MockConfig):
                config = MockConfig.load(config)
            owner = self.name if self.name in config.state_machines else None
            case = config.test_case(owner, options.test_case, _state_names(self.graph))
        if inline is not None and not isinstance(inline, TestCase):
            given = inline_mocks(inline, _state_types(self.graph))
            # With a test case as well, the states named in mocks= take their responses from it.
            case = given if case is None else attrs.evolve(
                case, mocks={**case.mocks, **given.mocks}, inline=False)
        return attrs.evolve(options, mock_config=config, mocks=case)

    def __repr__(self) -> str:
        return f"<StateMachine {self.name} ({len(self.graph.states)} states)>"


def _system_clock() -> Clock:
    from asl._clock import SystemClock

    return SystemClock()


def from_store(store: Any, execution_id: str) -> StateMachine:
    """The state machine a stored execution runs, compiled from the definition it was
    started with (for `asl resume ID`, which has nothing but the store)."""
    import json

    from asl._runtime import durable
    from asl._runtime.store import open_store

    record = durable.find(open_store(store), execution_id)
    return load(json.loads(record.definition), name=record.state_machine_name,
                arn=record.state_machine_arn)


def _state_names(graph: Graph) -> list[str]:
    names = []
    for state in graph.states.values():
        names.append(state.name)
        for branch in getattr(state, "branches", ()):
            names.extend(_state_names(branch))
        processor = getattr(state, "processor", None)
        if processor is not None:
            names.extend(_state_names(processor))
    return names


def _state_types(graph: Graph) -> dict[str, str]:
    """Every state's name and type, at all levels (Parallel branches and Map processors too)."""
    types: dict[str, str] = {}
    for state in graph.states.values():
        types[state.name] = state.type
        for branch in getattr(state, "branches", ()):
            types.update(_state_types(branch))
        processor = getattr(state, "processor", None)
        if processor is not None:
            types.update(_state_types(processor))
    return types


def load(definition: Any, *, name: str | None = None, arn: str | None = None,
         logical_id: str | None = None, substitutions: Mapping[str, str] | None = None,
         ) -> StateMachine:  # fmt: skip
    """Validate and compile a definition (dict, JSON/YAML text, bytes or a path).

    A path may be a template (CloudFormation or SAM, `cdk.out` JSON, `serverless.yml`,
    Terraform): `logical_id` picks its machine (needed when it holds several), and the
    template's local functions become the machine's default handlers. `substitutions` fill
    `${Name}` placeholders in the text before it is parsed, over the template's own.

    Raises `DefinitionError` listing every error-severity Problem."""
    from asl._definition.source import load_source
    from asl._definition.validate import INTERNAL, finish, validate_source

    functions: Functions | None = None
    template_handlers: dict[str, Callable[..., Any]] = {}
    template = _template_machine(definition, logical_id, substitutions)
    if template is not None:
        source = template.source
        # Which machine of the template, as `asl validate` says it.
        problems = [p.evolve(message=f"{template.id}: {p.message}") for p in template.validate()]
        if name is None:
            name = template.name
        from asl._integrations.template_functions import handlers
        from asl._lambda.template import service_of

        template_handlers = handlers(template.functions)
        functions, function_problems = service_of(template.functions)
        problems += function_problems
    else:
        if logical_id is not None:
            raise DefinitionError([Problem("", "template", f"logical_id={logical_id!r} needs a "
                                           "template (CloudFormation, SAM, serverless.yml or "
                                           "Terraform)")])  # fmt: skip
        if substitutions:
            from asl._definition.templates.reading import substituted_source

            source = substituted_source(definition, substitutions)
        else:
            source = load_source(definition)
        problems = validate_source(source)
    document = source.document
    errors = [p for p in problems if p.severity == "error"]
    if errors or not isinstance(document, dict):
        raise DefinitionError(errors or [Problem("", "INVALID", "the definition could not be read")])
    graph, compile_errors = build(document)
    if compile_errors:
        # Validation compiles everything build() does, so this is asl's bug; still say where.
        raise DefinitionError(finish(source, [
            Problem(ptr, INTERNAL, f"{msg} (asl.validate missed this, which is a bug in asl; "
                    "please report it with the definition)")
            for ptr, msg in compile_errors
        ]))  # fmt: skip
    if name is None:
        name = Path(source.name).name.split(".")[0] if source.name else "StateMachine"
    if arn is None:
        arn = f"arn:aws:states:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:stateMachine:{name}"
    return StateMachine(graph, document, name=name, arn=arn, functions=functions,
                        template_handlers=template_handlers)


def _template_machine(definition: Any, logical_id: str | None,
                      substitutions: Mapping[str, str] | None) -> TemplateMachine | None:  # fmt: skip
    """The template machine `definition` names (a path to a template), else None."""
    from asl._definition.source import _looks_like_path

    if not (isinstance(definition, Path) or isinstance(definition, str) and _looks_like_path(definition)):
        return None
    from asl._definition.templates.reading import read

    template = read(definition, substitutions, region=DEFAULT_REGION, account=DEFAULT_ACCOUNT)
    if template is None:
        return None
    errors = [p for p in template.problems if p.severity == "error"]
    if errors:
        raise DefinitionError(errors)
    try:
        return template.machine(logical_id)
    except KeyError as error:
        raise DefinitionError([Problem("", "template", str(error.args[0]))]) from None


def machines(path: str | Path, *,
             substitutions: Mapping[str, str] | None = None) -> list[TemplateMachine]:  # fmt: skip
    """The state machines `path` holds: each of a template's (`id` its logical ID or Terraform
    address, `file` where its definition is written, `validate()` its Problems located there,
    `functions` the template's local functions), or the plain definition itself."""
    from asl._definition.templates.reading import machines as _machines

    return _machines(path, substitutions, region=DEFAULT_REGION, account=DEFAULT_ACCOUNT)
