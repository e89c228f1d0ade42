"""Fuzz targets: each a hypothesis strategy and a check that must hold for every value it draws.

The suite runs every target at CI size (tests/test_fuzz.py); `PYTHONPATH=src:tests python -m fuzz.long` runs
each for as many cases as asked (docs/reliability.md records a 100,000-case run). A target holds
when asl answers bad input as data (Problems, DefinitionError, a failed execution) and never
with another exception, a hang or a crash.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

import asl
from asl._definition.source import load_source
from strategies import JSON, definitions, garbled_definitions, mutated_definitions

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
FN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def _tokens(*alphabet: str, max_size: int = 12) -> st.SearchStrategy[str]:
    """Text made of the language's own tokens: far more of it parses than of random text."""
    return st.lists(st.sampled_from(alphabet), max_size=max_size).map("".join)


def _run(machine: asl.StateMachine, data: Any, **options: Any) -> asl.Execution:
    execution = machine.run(data, clock=asl.VirtualClock(), **options)
    assert execution.status in TERMINAL, execution.status
    if execution.status == "FAILED":
        assert isinstance(execution.error, str) and isinstance(execution.cause, str | None)
    json.dumps(execution.history, default=str)  # the history is always renderable
    return execution


def _load_if_valid(definition: Any) -> asl.StateMachine | None:
    problems = asl.validate(definition)
    assert all(isinstance(p, asl.Problem) for p in problems)
    assert not any(p.code == "internal" for p in problems), problems
    errors = [p for p in problems if p.severity == "error"]
    try:
        machine = asl.load(definition)
    except asl.DefinitionError as error:
        assert errors, f"load() refused what validate() accepted: {error}"
        assert "bug in asl" not in str(error)
        return None
    assert not errors, "load() accepted what validate() refused"
    return machine


# --- validator -------------------------------------------------------------------------------

YAMLISH = _tokens(
    "StartAt: A\n", "States:\n", "  A: {Type: Pass, End: true}\n", "&a ", "*a", "[", "]", "{",
    "}", ", ", "- ", "a: ", "!!binary ", "!!set ", "? ", "1e999", "0x", "'", '"', "\t", "\n",
    "    ", "~", "<<: *a\n", "--- ", "%YAML 1.1\n", "9" * 40, max_size=20,
)
VALIDATOR_INPUT = st.one_of(
    mutated_definitions(), garbled_definitions(), definitions(), YAMLISH, st.text(max_size=60),
    st.binary(max_size=60), JSON,
)


def check_validator(definition: Any) -> None:
    """validate() never raises and never reports 'internal'; load() agrees with it."""
    _load_if_valid(definition)


# --- loaders ---------------------------------------------------------------------------------

LOADER_INPUT = st.one_of(
    YAMLISH, YAMLISH.map(lambda t: t.encode()), st.binary(max_size=80),
    st.text(max_size=80), JSON.map(json.dumps), _tokens("[", "]", "{", "}", '"a":', "1", ",",
                                                        "-", "e9", ".5", '"\\ud800"', max_size=40),
)


def check_loader(text: Any) -> None:
    """load_source() returns a Source (document or Problems) for any text or bytes."""
    source = load_source(text)
    assert source.document is not None or source.problems
    for problem in source.problems:
        assert isinstance(problem.message, str)


# --- JSONPath --------------------------------------------------------------------------------

PATH_TEXT = _tokens(
    "$", ".", "..", "a", "b", "[", "]", "*", "0", "-1", ":", ",", "'x'", "?(", ")", "@", "@.a",
    " == ", " =~ ", "'(a|aa)+$'", " > 1", " && ", "length()", "$$", "$$.Execution.Id", "$.a",
).map(lambda t: t if t.startswith("$") else "$" + t)


@st.composite
def path_machines(draw: st.DrawFn) -> tuple[dict[str, Any], Any]:
    field = draw(st.sampled_from(["InputPath", "OutputPath", "ResultPath", "Parameters", "Items"]))
    text = draw(PATH_TEXT)
    state: dict[str, Any] = {"Type": "Pass", "End": True}
    if field == "Parameters":
        state["Parameters"] = {"x.$": text}
    elif field == "Items":
        state = {"Type": "Map", "End": True, "ItemsPath": text,
                 "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}
    else:
        state[field] = text
    return {"StartAt": "S", "States": {"S": state}}, draw(JSON)


def check_path(case: tuple[dict[str, Any], Any]) -> None:
    """A path either is refused at validation or evaluates to a result or an AWS failure."""
    definition, data = case
    machine = _load_if_valid(definition)
    if machine is not None:
        _run(machine, data)


# --- intrinsic functions ---------------------------------------------------------------------

INTRINSIC_TEXT = _tokens(
    "States.Format(", "States.StringToJson(", "States.JsonToString(", "States.Array(",
    "States.ArrayPartition(", "States.ArrayContains(", "States.ArrayRange(", "States.ArrayGetItem(",
    "States.ArrayLength(", "States.ArrayUnique(", "States.Base64Encode(", "States.Base64Decode(",
    "States.Hash(", "States.JsonMerge(", "States.MathRandom(", "States.MathAdd(", "States.StringSplit(",
    "States.UUID(", "'{}'", "'a,b'", "','", "'MD5'", "$", "$.a", "1", "-1", "0", "1000000000",
    "2.5", "true", "null", ", ", ")", "'\\''", "'\\{'", "$$.Execution.Input",
)


def check_intrinsic(case: tuple[str, Any]) -> None:
    """An intrinsic call either is refused at validation or evaluates to a result or failure."""
    text, data = case
    machine = _load_if_valid({"StartAt": "S", "States": {
        "S": {"Type": "Pass", "End": True, "Parameters": {"x.$": text}}}})
    if machine is not None:
        _run(machine, data)


INTRINSIC_INPUT = st.tuples(INTRINSIC_TEXT, JSON)

# --- JSONata ---------------------------------------------------------------------------------

JSONATA_TEXT = _tokens(
    "$states.input", "$x", " := ", "; ", "(", ")", "[", "]", "{", "}", "'a'", ": ", ", ", "1",
    "1..100000", " & ", " + ", " / ", " * ", " ? ", " : ", " = ", ".", "*", "**", "$match(",
    "$replace(", "$split(", "/(a|aa)+$/", "/a/i", "$string(", "$number(", "$reduce(",
    "function($a, $b){", "$f", "$f := function($n){$f($n+1)}", "$parse(", "$hash(", "$partition(",
    "$range(", "$random()", "$uuid()", "$eval(", "$pad('x', 100000000)", "$lookup(", "$keys(",
    "$sort(", "$each(", "$sift(", "$now()", "$toMillis(", "$fromMillis(", "'2024'", "%", "@",
    "#", "~>", "$$", "'\\ud800'", max_size=14,
)


def check_jsonata(case: tuple[str, Any]) -> None:
    """A JSONata expression either is refused at validation or evaluates to a result or failure."""
    text, data = case
    machine = _load_if_valid({"QueryLanguage": "JSONata", "StartAt": "S", "States": {
        "S": {"Type": "Pass", "End": True, "Output": "{% " + text + " %}"}}})
    if machine is not None:
        _run(machine, data)


JSONATA_INPUT = st.tuples(JSONATA_TEXT, JSON)

# --- the executor with hostile handlers --------------------------------------------------------


class _StrRaises(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str for you")


def _raiser(exc: BaseException) -> Callable[[Any, Any], Any]:
    def handler(event: Any, context: Any) -> Any:
        raise exc

    return handler


def _returner(value: Any) -> Callable[[Any, Any], Any]:
    return lambda event, context: value


def _blocker(seconds: float) -> Callable[[Any, Any], Any]:
    def handler(event: Any, context: Any) -> Any:
        time.sleep(seconds)
        return event

    return handler


_cyclic: list[Any] = []
_cyclic.append(_cyclic)

HOSTILE_HANDLERS = st.sampled_from([
    _raiser(ValueError("v")), _raiser(BaseException("b")), _raiser(SystemExit(3)),
    _raiser(_StrRaises()), _raiser(asl.TaskFailed(3, {"a": 1})),  # type: ignore[arg-type]
    _raiser(asl.TaskFailed("E", None)), _raiser(RecursionError()), _raiser(MemoryError()),
    _returner(object()), _returner(float("nan")), _returner({1, 2}), _returner(_cyclic),
    _returner("\ud800"), _returner({"k": b"bytes"}), _returner(2**70),
    _returner("x" * 300_000), _blocker(0.005), _returner(None),
]) | JSON.map(_returner)


def check_executor(case: tuple[dict[str, Any], Any, Any]) -> None:
    """Whatever a handler does, run() returns an ended execution and leaves no thread behind
    beyond a blocked handler's own."""
    definition, data, handler = case
    machine = _load_if_valid(definition)
    if machine is None:
        return
    before = threading.active_count()
    _run(machine, data, handlers={"*": handler, FN: handler, "f": handler})
    assert threading.active_count() <= before + 2


EXECUTOR_INPUT = st.tuples(definitions(), JSON, HOSTILE_HANDLERS)

#: name -> (strategy, check)
TARGETS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None]]] = {
    "validator": (VALIDATOR_INPUT, check_validator),
    "loaders": (LOADER_INPUT, check_loader),
    "jsonpath": (path_machines(), check_path),
    "intrinsics": (INTRINSIC_INPUT, check_intrinsic),
    "jsonata": (JSONATA_INPUT, check_jsonata),
    "executor": (EXECUTOR_INPUT, check_executor),
}
