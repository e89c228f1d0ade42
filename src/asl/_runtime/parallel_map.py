"""The Parallel and Map states: their inputs, the fan-out (`fanout`) or, for a distributed Map,
the Map Run (`itemio`), tolerated failures, and the output of the array of results."""

from __future__ import annotations

from typing import Any

from asl import _errors as E
from asl._definition.model import MapState, ParallelState
from asl._errors import GraphFailed, StatesError
from asl._json import to_json
from asl._languages.env import Env
from asl._languages.jsonata import json_type
from asl._runtime import itemio
from asl._runtime.core import Run, StateResult
from asl._runtime.fanout import (
    Cut,
    Failed,
    Limits,
    as_output,
    fan_out,
    iteration_inputs,
    progress_for,
    state_aborted,
    threaded,
)
from asl._runtime.history import Lane, lean_json

# -- Parallel -----------------------------------------------------------------------------------


def run_parallel(run: Run, state: ParallelState, data: Any, env: Env, lane: Lane) -> StateResult:
    """Every branch gets the same input and the outer variables (its own assignments stay in
    it); the result is the branches' outputs in order, or the first failing branch's error."""
    flow = state.flow
    branch_input = flow.arguments(data, flow.effective(data, env), env, run.clock)
    started = run.event(lane, "ParallelStateStarted")
    variables = dict(env.variables)
    branches = state.branches

    def branch(unit_run: Run, unit_lane: Lane, index: int) -> Any:
        try:
            return unit_run.run_graph(branches[index], branch_input, unit_lane, variables)
        except GraphFailed as failure:
            return Failed(failure.error, failure.cause)

    results, trip = fan_out(run, lane, len(branches), branch, limit=0, anchor=started,
                            threaded=threaded(run, branches),
                            stop=lambda value: isinstance(value, Failed), on_cut=state_aborted)
    if trip is not None:
        # The branch that failed first (in time, when they run concurrently) fails the state.
        raise results[trip].failure()
    # Like MapStateSucceeded: recorded after the branches, without moving the lane.
    run.event(lane, "ParallelStateSucceeded", chain=False)
    return _finish(run, state, data, list(results), env)


# -- Map ----------------------------------------------------------------------------------------


def run_map(run: Run, state: MapState, data: Any, env: Env, lane: Lane) -> StateResult:
    """Inline and distributed Map: items, ItemSelector, the iterations, tolerated failures, and
    ResultSelector/ResultPath/OutputPath (or JSONata Output) on the array of results."""
    effective = state.flow.effective(data, env)
    items = map_items(run, state, data, effective, env)
    run.event(lane, "MapStateStarted", {"length": len(items)})
    limits = read_limits(run, state, data, effective, env)
    if state.mode == "DISTRIBUTED":
        result = itemio.run_distributed(run, state, data, effective, items, limits, env, lane)
        return _finish(run, state, data, result, env)
    inputs = iteration_inputs(run, state, data, effective, items, env)
    processor = state.processor
    assert processor is not None
    variables = dict(env.variables)
    name = state.name
    # `$$.Map.Item` only for iterations whose states read the context (decided at load): most
    # never do, and a context per item is memory a large Map holds until its iterations end.
    reads_context = processor.reads_context

    def iteration(unit_run: Run, unit_lane: Lane, index: int) -> Any:
        details = {"index": index, "name": name}
        unit_run.event(unit_lane, "MapIterationStarted", details)
        extra = ({"Map": {"Item": {"Index": index, "Value": items[index]}}} if reads_context
                 else None)
        try:
            output = unit_run.run_graph(processor, inputs[index], unit_lane, variables, extra)
        except GraphFailed as failure:
            return Failed(failure.error, failure.cause)  # MapIterationFailed: see on_failed
        # AWS records it after the iteration's events but the next iteration chains to those.
        unit_run.event(unit_lane, "MapIterationSucceeded", details, chain=False)
        return output

    def on_failed(unit_run: Run, unit_lane: Lane, index: int) -> None:
        unit_run.event(unit_lane, "MapIterationFailed", {"index": index, "name": name}, chain=False)

    def on_cut(unit_run: Run, unit_lane: Lane, index: int, cut: Cut) -> None:
        unit_run.event(unit_lane, "MapIterationAborted", {"index": index, "name": name}, chain=False)
        state_aborted(unit_run, unit_lane, index, cut)

    tally = limits.tally(len(items))
    progress = progress_for(run, name, len(items))
    try:
        results, trip = fan_out(run, lane, len(items), iteration, limit=limits.max_concurrency,
                                anchor=None, threaded=threaded(run, (processor,)), stop=tally.stop,
                                on_failed=on_failed, on_cut=on_cut, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    failure = tally.verdict(results, distributed=False, trip=trip)
    if failure is not None:
        raise failure
    if items:
        # The state's closing events follow the last MapIterationSucceeded (the latest event).
        lane.last = run.history.last_id()
    run.event(lane, "MapStateSucceeded", chain=False)
    return _finish(run, state, data, [as_output(value) for value in results], env)


def map_items(run: Run, state: MapState, data: Any, effective: Any, env: Env) -> list[Any]:
    """The array to iterate: ItemReader, JSONata Items, ItemsPath, or the (effective) input."""
    if state.item_reader is not None:
        return itemio.read_items(run, state, data, effective, env)
    flow = state.flow
    if flow.jsonata:
        if state.items is not None:
            items: list[Any] = flow.expression(state.items, data, env, run.clock, "Items",
                                               expect="array")
            return items
        if not isinstance(data, list):
            raise StatesError(E.QUERY_EVALUATION_ERROR,
                              f"Map state input must be an array but was: {json_type(data)}")
        return data
    found = state.items_path.get(effective, env) if state.items_path is not None else effective
    if not isinstance(found, list):
        raise StatesError(E.RUNTIME, f"Map state input must be an array but was: {json_type(found)}")
    return found


def read_limits(run: Run, state: MapState, data: Any, effective: Any, env: Env) -> Limits:
    """The Map's MaxConcurrency and tolerated failures, resolved for this run of the state."""
    concurrency = _field(run, state, state.max_concurrency, state.max_concurrency_path,
                         "MaxConcurrency", data, effective, env, integer=True)
    count = _field(run, state, state.tolerated_failure_count, state.tolerated_failure_count_path,
                   "ToleratedFailureCount", data, effective, env, integer=True)
    percentage = _field(run, state, state.tolerated_failure_percentage,
                        state.tolerated_failure_percentage_path, "ToleratedFailurePercentage",
                        data, effective, env, integer=False)
    if concurrency is not None and concurrency < 0:
        raise StatesError(E.RUNTIME, "MaxConcurrency cannot be negative.")
    if count is not None and count < 0:
        raise StatesError(E.RUNTIME, "ToleratedFailureCount cannot be negative.")
    if percentage is not None and not 0 <= percentage <= 100:
        raise StatesError(E.RUNTIME, "ToleratedFailurePercentage must be between 0 and 100.")
    return Limits(int(concurrency or 0), None if count is None else int(count), percentage)


def _field(run: Run, state: MapState, value: Any, path: Any, name: str, data: Any,
           effective: Any, env: Env, *, integer: bool) -> float | int | None:
    if path is not None:
        raw = path.get(effective, env)
        number = _number(raw, integer)
        if number is None:
            shown = raw if isinstance(raw, str) else to_json(raw)
            kind = "integer" if integer else "float"
            raise StatesError(E.RUNTIME, f'The {name}Path field refers to value "{shown}" which is '
                                         f"not a valid {kind}: {path.text}")
        return number
    if value is None or isinstance(value, (int, float)):
        return value
    raw = state.flow.expression(value, data, env, run.clock, name)
    number = _number(raw, integer)
    if number is None or isinstance(raw, str):
        raise StatesError(E.QUERY_EVALUATION_ERROR,
                          f"The {name} field must evaluate to a non-negative "
                          f"{'integer' if integer else 'number'}, but was: {to_json(raw)}")
    return number


def _number(raw: Any, integer: bool) -> float | int | None:
    """AWS accepts numbers and numeric strings (a variable assigned "1") here."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if integer:
            return int(raw) if raw.is_integer() else None
        return raw
    if isinstance(raw, str):
        try:
            return int(raw) if integer else float(raw)
        except ValueError:
            return None
    return None


def _finish(run: Run, state: ParallelState | MapState, data: Any, result: Any, env: Env) -> StateResult:
    output, assigned = state.flow.finish(data, result, env, run.clock)
    if (type(output) is dict or type(output) is list) and not assigned:
        # Checked here, where results of many items are common, with the encoder that holds
        # less memory on them; the executor then reuses the text (`Run.checked`). (With
        # Assign, the executor checks the variables first, then the output, as before.)
        run.checked_text(output, state, lean_json)
    return output, state.next, assigned

