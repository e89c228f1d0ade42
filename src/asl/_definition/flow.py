"""Each state's data flow, compiled at load: one object per state that offers the steps of
AWS's pipeline, for JSONPath or for JSONata, chosen once when the definition is built.

JSONPath: input → InputPath (`effective`) → Parameters (`arguments`) → the state's work →
ResultSelector → Assign, ResultPath, OutputPath (`finish`). JSONata: `$states.input` →
Arguments → the work → `$states.result` → Assign and Output (`finish`). A Catcher's output
(`caught`) and any JSONata field of a state (`expression`: Seconds, Items, TimeoutSeconds...)
come from the same object, and `$states` is built in one place (`JsonataFlow.states`).

The state handlers call these steps and never ask which query language a state uses: the
choice is made here, at load. Every step reads its arguments and never mutates them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from asl._clock import Clock
from asl._languages.env import Env

#: What a traced flow tells its caller about the steps inside `finish`: `trace(step, value)`.
Trace = Callable[[str, Any], None]

JSONPATH = "JSONPath"
JSONATA = "JSONata"


class _Discard:
    """A path field set to null: the value is discarded (input or output becomes `{}`,
    or for ResultPath the result is dropped and the input passes through)."""

    _instance: _Discard | None = None

    def __new__(cls) -> _Discard:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DISCARD"


DISCARD = _Discard()

#: A `$states` member that is not there (JSONata's undefined, not JSON's null).
_ABSENT: Any = object()
#: "Use the state's own field" (a Choice rule may bring its own Assign or Output).
_OWN: Any = object()


def select(path: Any, value: Any, env: Env) -> Any:
    """An InputPath or OutputPath: null (`DISCARD`) selects an empty object, as AWS does."""
    return {} if path is DISCARD else path.get(value, env)


class Flow:
    """The interface both query languages' flows offer (see the module docstring)."""

    __slots__ = ()
    #: The query language, for the few messages that differ between the two.
    language: str = JSONPATH
    #: Whether the flow reads fields as JSONata expressions.
    jsonata: bool = False
    #: Whether the output is the result's `Payload` and nothing else reads the result (the
    #: common `OutputPath: $.Payload` of a Lambda task), decided at load.
    selects_payload: bool = False

    def effective(self, data: Any, env: Env) -> Any:
        """The state's effective input (InputPath applied)."""
        raise NotImplementedError

    def arguments(self, data: Any, effective: Any, env: Env, clock: Clock) -> Any:
        """Parameters (JSONPath) or Arguments (JSONata), or the effective input without them."""
        raise NotImplementedError

    def finish(self, data: Any, result: Any, env: Env, clock: Clock, *, assign: Any = _OWN,
               output: Any = _OWN, has_result: bool = True) -> tuple[Any, dict[str, Any] | None]:
        """The state's output and assigned variables from its raw input and its result.
        `assign`/`output` stand in for the state's own (a Choice rule's); with `has_result`
        False, JSONata's `$states.result` is absent (a Choice rule's Output)."""
        raise NotImplementedError

    def caught(self, catcher: Any, data: Any, error_output: Mapping[str, Any], env: Env,
               clock: Clock) -> tuple[Any, dict[str, Any] | None]:
        """A Catcher's output and assigned variables, from the state's raw input."""
        raise NotImplementedError

    def expression(self, template: Any, data: Any, env: Env, clock: Clock, field: str, *,
                   expect: str | None = None) -> Any:
        """A JSONata field of the state evaluated on `$states.input` and `$states.context`."""
        raise NotImplementedError

    def template(self, template: Any, data: Any, effective: Any, env: Env, clock: Clock,
                 field: str) -> Any:
        """A payload template of the state in its language (ItemSelector, an ItemReader's or
        ResultWriter's Parameters/Arguments, BatchInput): JSONPath renders it over the
        effective input, JSONata over `$states`."""
        raise NotImplementedError

    def traced(self, trace: Trace) -> Flow:
        """The same flow, reporting the steps inside `finish` to `trace` (TestState's
        inspection data). A run never uses one, so its flows carry no tracing at all."""
        return self


class JsonPathFlow(Flow):
    """InputPath, Parameters, ResultSelector, ResultPath, OutputPath and Assign, compiled."""

    __slots__ = ("assign", "input_path", "output_path", "parameters", "result_path",
                 "result_selector", "selects_payload")

    def __init__(self, *, input_path: Any = None, parameters: Any = None,
                 result_selector: Any = None, result_path: Any = None, output_path: Any = None,
                 assign: Any = None) -> None:
        self.input_path = input_path
        self.parameters = parameters
        self.result_selector = result_selector
        self.result_path = result_path
        self.output_path = output_path
        self.assign = assign
        self.selects_payload = (
            output_path is not None and output_path is not DISCARD
            and output_path.steps == ("Payload",) and output_path.root == "input"
            and result_path is None and result_selector is None and assign is None
        )  # fmt: skip

    def effective(self, data: Any, env: Env) -> Any:
        path = self.input_path
        return data if path is None else select(path, data, env)

    def arguments(self, data: Any, effective: Any, env: Env, clock: Clock) -> Any:
        parameters = self.parameters
        return effective if parameters is None else parameters.render(effective, env)

    def finish(self, data: Any, result: Any, env: Env, clock: Clock, *, assign: Any = _OWN,
               output: Any = _OWN, has_result: bool = True) -> tuple[Any, dict[str, Any] | None]:
        if self.result_selector is not None:
            result = self.result_selector.render(result, env)
        if assign is _OWN or assign is None:
            assign = self.assign
        # Assign sees the result (after ResultSelector) and takes effect from the next state.
        assigned = assign.render(result, env) if assign is not None else None
        result_path = self.result_path
        if result_path is None:
            value = result
        elif result_path is DISCARD:
            value = data
        else:
            value = result_path.apply(data, result)
        if self.output_path is not None:
            value = select(self.output_path, value, env)
        return value, assigned

    def caught(self, catcher: Any, data: Any, error_output: Mapping[str, Any], env: Env,
               clock: Clock) -> tuple[Any, dict[str, Any] | None]:
        assigned = catcher.assign.render(error_output, env) if catcher.assign is not None else None
        if catcher.result_path is None:
            return error_output, assigned
        if catcher.result_path is DISCARD:
            return data, assigned
        return catcher.result_path.apply(data, error_output), assigned

    def expression(self, template: Any, data: Any, env: Env, clock: Clock, field: str, *,
                   expect: str | None = None) -> Any:
        raise TypeError(f"a JSONPath state has no JSONata field ({field})")

    def template(self, template: Any, data: Any, effective: Any, env: Env, clock: Clock,
                 field: str) -> Any:
        return template.render(effective, env)

    def traced(self, trace: Trace) -> Flow:
        # The same steps, with ResultSelector and ResultPath reporting what they made.
        return JsonPathFlow(input_path=self.input_path, parameters=self.parameters,
                            result_selector=_TracedSelector(self.result_selector, trace),
                            result_path=_TracedResultPath(self.result_path, trace),
                            output_path=self.output_path, assign=self.assign)


class _TracedSelector:
    """A state's ResultSelector (or its absence) that reports the selected result."""

    __slots__ = ("inner", "trace")

    def __init__(self, inner: Any, trace: Trace) -> None:
        self.inner = inner
        self.trace = trace

    def render(self, result: Any, env: Env) -> Any:
        if self.inner is not None:
            result = self.inner.render(result, env)
        self.trace("afterResultSelector", result)
        return result


class _TracedResultPath:
    """A state's ResultPath (absent: the result; null: the input) that reports the merge."""

    __slots__ = ("inner", "trace")

    def __init__(self, inner: Any, trace: Trace) -> None:
        self.inner = inner
        self.trace = trace

    def apply(self, data: Any, result: Any) -> Any:
        inner = self.inner
        if inner is None:
            value = result
        elif inner is DISCARD:
            value = data
        else:
            value = inner.apply(data, result)
        self.trace("afterResultPath", value)
        return value


class JsonataFlow(Flow):
    """Arguments, Output and Assign as compiled JSONata templates."""

    __slots__ = ("args", "assign", "output")
    language = JSONATA
    jsonata = True

    def __init__(self, *, arguments: Any = None, output: Any = None, assign: Any = None) -> None:
        self.args = arguments
        self.output = output
        self.assign = assign

    @staticmethod
    def states(data: Any, context: Mapping[str, Any], *, result: Any = _ABSENT,
               error_output: Any = _ABSENT) -> dict[str, Any]:
        """`$states`, the one place it is built: input and context always; result after the
        work; errorOutput in a Catcher."""
        states = {"input": data, "context": context}
        if result is not _ABSENT:
            states["result"] = result
        if error_output is not _ABSENT:
            states["errorOutput"] = error_output
        return states

    def effective(self, data: Any, env: Env) -> Any:
        return data

    def arguments(self, data: Any, effective: Any, env: Env, clock: Clock) -> Any:
        if self.args is None:
            return data
        return self.args.render(self.states(data, env.context), env.variables, "Arguments",
                                now_ms=_now_ms(clock))

    def finish(self, data: Any, result: Any, env: Env, clock: Clock, *, assign: Any = _OWN,
               output: Any = _OWN, has_result: bool = True) -> tuple[Any, dict[str, Any] | None]:
        states = self.states(data, env.context, result=result if has_result else _ABSENT)
        if assign is _OWN:
            assign = self.assign
        if output is _OWN:
            output = self.output
        now_ms = _now_ms(clock)
        assigned = (assign.render(states, env.variables, "Assign", now_ms=now_ms)
                    if assign is not None else None)
        value = (output.render(states, env.variables, "Output", now_ms=now_ms)
                 if output is not None else result)
        return value, assigned

    def caught(self, catcher: Any, data: Any, error_output: Mapping[str, Any], env: Env,
               clock: Clock) -> tuple[Any, dict[str, Any] | None]:
        states = self.states(data, env.context, error_output=error_output)
        now_ms = _now_ms(clock)
        assigned = (catcher.assign.render(states, env.variables, "Assign", now_ms=now_ms)
                    if catcher.assign is not None else None)
        value = (catcher.output.render(states, env.variables, "Output", now_ms=now_ms)
                 if catcher.output is not None else error_output)
        return value, assigned

    def expression(self, template: Any, data: Any, env: Env, clock: Clock, field: str, *,
                   expect: str | None = None) -> Any:
        return template.render(self.states(data, env.context), env.variables, field,
                               expect=expect, now_ms=_now_ms(clock))

    def template(self, template: Any, data: Any, effective: Any, env: Env, clock: Clock,
                 field: str) -> Any:
        return self.expression(template, data, env, clock, field)


def _now_ms(clock: Clock) -> int:
    """The run's clock in epoch milliseconds: JSONata's `$now()`/`$millis()` read it, so a
    virtual clock makes them reproducible."""
    return int(clock.now() * 1000)
