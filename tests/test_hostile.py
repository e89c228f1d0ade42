"""Hostile input and load: one test per item of issue 17, each run under a hang and runaway
guard (`bounded`: a generous wall-clock limit and a peak of traced memory). The guards catch a
hang or an explosion, they do not measure speed: `python bench/hostile.py` times every case and
measures its peak memory (docs/reliability.md has the figures).

Each case is a plain function in CASES, so the bench runs exactly what the suite checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import asl
from asl._languages import bounds
from asl._runtime import fanout

FN = "arn:aws:lambda:us-east-1:123456789012:function:work"
#: A wall-clock guard against hangs (generous: the machine is shared), and a memory guard.
GUARD_SECONDS = 60.0
GUARD_MB = 200.0


def bounded(case: Callable[[], None], seconds: float = GUARD_SECONDS,
            megabytes: float = GUARD_MB) -> tuple[float, float]:
    """Run `case` on a thread under the guards; returns (seconds, peak traced MB)."""
    outcome: list[BaseException | None] = [None]

    def go() -> None:
        try:
            case()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome[0] = error

    tracemalloc.start()
    started = time.monotonic()
    worker = threading.Thread(target=go, daemon=True)
    worker.start()
    worker.join(seconds)
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert not worker.is_alive(), f"still running after {seconds} s: a hang"
    if outcome[0] is not None:
        raise outcome[0]
    assert peak <= megabytes, f"peak traced memory {peak:.0f} MB"
    return elapsed, peak


def _pass(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, **fields}}}


def _jsonata(expression: str, **machine: Any) -> asl.StateMachine:
    return asl.load({"QueryLanguage": "JSONata", "StartAt": "A", **machine, "States": {
        "A": {"Type": "Pass", "End": True, "Output": "{% " + expression + " %}"}}})


def _task(**machine: Any) -> asl.StateMachine:
    return asl.load({**machine, "StartAt": "W", "States": {
        "W": {"Type": "Task", "Resource": FN, "End": True}}})


def _codes(definition: Any) -> list[str]:
    return [p.code for p in asl.validate(definition)]


def _failed(execution: asl.Execution, error: str, *cause_parts: str) -> None:
    assert (execution.status, execution.error) == ("FAILED", error), (
        execution.status, execution.error, execution.cause)
    for part in cause_parts:
        assert part in (execution.cause or ""), execution.cause


# --- definitions and inputs ---------------------------------------------------------------------


def yaml_alias_bomb() -> None:
    """A 9-level billion-laughs YAML file (about 550 bytes) is a Problem, built never."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(8):
        this, prev = chr(98 + level), chr(97 + level)
        lines.append(f"{this}: &{this} [" + ", ".join([f"*{prev}"] * 9) + "]")
    assert _codes("\n".join(lines) + "\n") == ["not-json"]


def yaml_recursive_anchor() -> None:
    """An anchor that contains itself is a Problem, not a RecursionError."""
    assert _codes("StartAt: A\nStates: &s {A: *s}\n") == ["not-json"]


def nesting_depth() -> None:
    """Nesting past 400 levels is a Problem, whether the parser could read it or not."""
    assert _codes("[" * 100_000 + "]" * 100_000) == ["too-deep"]
    deep = json.dumps(_pass(Result=json.loads("[" * 450 + "]" * 450)))
    assert _codes(deep) == ["too-deep"]
    assert _codes("StartAt: A\nResult: " + "[" * 450 + "]" * 450 + "\n") == ["too-deep"]


def document_size() -> None:
    """Over 1 MiB of JSON (AWS's hard quota) is a Problem; over 4 MiB of text is not even read."""
    assert _codes(_pass(Result="x" * (1024 * 1024))) == ["too-large"]
    assert _codes(" " * (5 * 1024 * 1024) + "{}") == ["too-large"]


def number_length() -> None:
    """An integer longer than Python reads is a Problem, in JSON and in YAML alike."""
    digits = "1" * 5000
    assert _codes('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Result": '
                  + digits + "}}}") == ["too-large"]
    assert _codes("StartAt: A\nStates: {A: {Type: Pass, End: true, Result: " + digits + "}}\n") \
        == ["too-large"]


def state_count() -> None:
    """10,000 states (under the size quota) validate, load and run."""
    count = 10_000
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(count)}
    states[f"S{count}"] = {"Type": "Pass", "End": True}
    definition = {"StartAt": "S0", "States": states}
    assert asl.validate(definition) == []
    execution = asl.load(definition).run({}, clock=asl.VirtualClock())
    assert (execution.status, len(execution.history)) == ("SUCCEEDED", 2 * (count + 1) + 2)


def validation_near_linear() -> None:
    """8,000 states with 4,000 misspelt Nexts: every one reported, with its suggestion."""
    count = 8_000
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(count)}
    states[f"S{count}"] = {"Type": "Pass", "End": True}
    for i in range(1, count, 2):
        states[f"S{i}"]["Next"] = f"S{i + 1}x"
    problems = asl.validate({"StartAt": "S0", "States": states})
    unknown = [p for p in problems if p.code == "unknown-target"]
    assert len(unknown) == count // 2
    assert "did you mean 'S2'?" in unknown[0].message


def accepted_loads() -> None:
    """What validate() accepts, load() compiles: the deepest allowed Result loads and runs."""
    definition = _pass(Result=json.loads("[" * 390 + "]" * 390))
    assert asl.validate(definition) == []
    assert asl.load(definition).run({}).status == "SUCCEEDED"


def deep_input() -> None:
    """Input nested past what JSON text can hold is InvalidExecutionInput, not RecursionError."""
    value: Any = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(asl.InvalidExecutionInput, match="nested too deeply"):
        asl.load(_pass()).run(value)


# --- JSONata and intrinsic functions ------------------------------------------------------------


def jsonata_recursion() -> None:
    """Unbounded (non-tail) recursion fails the state with States.QueryEvaluationError."""
    execution = _jsonata("($f := function($x){1 + $f($x)}; $f(0))").run({})
    _failed(execution, "States.QueryEvaluationError")
    # The depth bound, or on a starved machine the time bound first: bounded either way.
    assert "Stack overflow" in execution.cause or "D1012" in execution.cause


def jsonata_timeout() -> None:
    """An endless (tail-recursive) loop stops at the evaluation budget: D1012."""
    saved = bounds.EVALUATION_SECONDS
    bounds.EVALUATION_SECONDS = 0.5
    try:
        execution = _jsonata("($f := function($x){$f($x + 1)}; $f(0))").run({})
    finally:
        bounds.EVALUATION_SECONDS = saved
    _failed(execution, "States.QueryEvaluationError", "D1012: Evaluation timeout")


def jsonata_machine_timeout() -> None:
    """The machine's TimeoutSeconds stops an endless expression first: the execution times out."""
    execution = _jsonata("($f := function($x){$f($x + 1)}; $f(0))", TimeoutSeconds=1).run({})
    assert execution.status == "TIMED_OUT"
    assert execution.history[-1]["type"] == "ExecutionTimedOut"


def jsonata_produced_size() -> None:
    """Strings doubled 28 times, and arrays nested sharing one item, stop at the size bound."""
    execution = _jsonata("$reduce([1..28], function($a, $b){$a & $a}, 'x')").run({})
    _failed(execution, "States.QueryEvaluationError", "a string of")
    execution = _jsonata("$reduce([1..40], function($a, $b){{'l': $a, 'r': $a}}, 1)").run({})
    _failed(execution, "States.QueryEvaluationError", "more than")


def jsonata_deep_result() -> None:
    """A result nested thousands of levels deep is the state's failure, not a RecursionError."""
    execution = _jsonata("$reduce([1..5000], function($a, $b){{'a': $a}}, 1)").run({})
    _failed(execution, "States.QueryEvaluationError")


def jsonata_regex() -> None:
    """Catastrophic patterns in $match, $replace and $split give up after the regex timeout."""
    saved = bounds.REGEX_SECONDS
    bounds.REGEX_SECONDS = 0.2
    try:
        subject = "'" + "a" * 60 + "!'"
        for call in (f"$match({subject}, /(a|aa)+$/)", f"$replace({subject}, /(a|aa)+$/, 'x')",
                     f"$split({subject}, /(a|aa)+$/)"):
            _failed(_jsonata(call).run({}), "States.QueryEvaluationError", "regular expression")
    finally:
        bounds.REGEX_SECONDS = saved


def jsonpath_regex() -> None:
    """A catastrophic `=~` in a JSONPath filter fails the state (States.Runtime)."""
    saved = bounds.REGEX_SECONDS
    bounds.REGEX_SECONDS = 0.2
    try:
        machine = asl.load(_pass(InputPath="$.x[?(@.a =~ '(a|aa)+$')]"))
        _failed(machine.run({"x": [{"a": "a" * 60 + "!"}]}), "States.Runtime", "regular expression")
        assert machine.run({"x": [{"a": "aa"}, {"a": "b"}]}).output == [{"a": "aa"}]
    finally:
        bounds.REGEX_SECONDS = saved


def intrinsic_bounds() -> None:
    """An intrinsic asked for a huge array fails the state; bad arguments too (never raise)."""
    machine = asl.load(_pass(Parameters={"x.$": "States.ArrayRange(0, 100000000, 1)"}))
    _failed(machine.run({}), "States.Runtime")
    machine = asl.load(_pass(Parameters={"x.$": "States.StringToJson($.s)"}))
    assert machine.run({"s": "[" * 5000}).status == "FAILED"


def recursion_limit_kept() -> None:
    """Importing the JSONata engine leaves the process's recursion limit as it was."""
    code = ("import sys; sys.setrecursionlimit(1234); import asl._languages.jsonata; "
            "import asl; asl.load({'QueryLanguage': 'JSONata', 'StartAt': 'A', 'States': {'A': "
            "{'Type': 'Pass', 'End': True, 'Output': '{% 1 + 1 %}'}}}).run({}); "
            "print(sys.getrecursionlimit())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "1234"


# --- limits as AWS enforces them ----------------------------------------------------------------

_LOOP = {"StartAt": "W", "States": {
    "W": {"Type": "Task", "Resource": FN, "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "E"}],
          "Default": "W"},
    "E": {"Type": "Succeed"}}}


def history_limit_concurrent() -> None:
    """400 concurrent looping iterations stop together at 25,000 events (not each at 25,000)."""
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 0, "ItemsPath": "$.i", "ItemProcessor": _LOOP,
        "End": True}}})
    execution = machine.run({"i": list(range(400))}, handlers={FN: lambda e, c: {}},
                            clock=asl.VirtualClock())
    _failed(execution, "States.Runtime", "maximum number of history events (25000)")
    assert len(execution.history) == 25_000
    assert execution.history[-1]["previousEventId"] < 25_000


def payload_limit_fan_out() -> None:
    """Map and Parallel outputs over 256 KiB fail with States.DataLimitExceeded, concurrent too."""
    mapped = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.i", "End": True, "ItemProcessor": {
            "StartAt": "W", "States": {"W": {"Type": "Task", "Resource": FN, "End": True}}}}}})
    execution = mapped.run({"i": list(range(8))}, handlers={FN: lambda e, c: "x" * 50_000})
    _failed(execution, "States.DataLimitExceeded", "'M'")
    branches = [{"StartAt": f"W{i}", "States": {f"W{i}": {"Type": "Task", "Resource": FN,
                                                           "End": True}}} for i in range(3)]
    parallel = asl.load({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True,
                                                          "Branches": branches}}})
    _failed(parallel.run({}, handlers={FN: lambda e, c: "x" * 100_000}),
            "States.DataLimitExceeded", "'P'")
    _failed(parallel.run({}, handlers={FN: lambda e, c: "x" * 300_000}),
            "States.DataLimitExceeded")


def one_year_limit() -> None:
    """Waits that add up past AWS's one-year maximum time the execution out at a year."""
    machine = asl.load({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 99_999_999, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True,
                                              "Next": "E"}], "Default": "W"},
        "E": {"Type": "Succeed"}}})
    clock = asl.VirtualClock()
    start = clock.now()
    execution = machine.run({}, clock=clock)
    assert execution.status == "TIMED_OUT"
    assert clock.now() - start == 365 * 24 * 3600


def retry_backoff_overflow() -> None:
    """Back-off whose BackoffRate ** attempt overflows a float ends at the year, no ValueError."""
    machine = asl.load({"StartAt": "W", "States": {"W": {
        "Type": "Task", "Resource": FN, "End": True, "Retry": [{
            "ErrorEquals": ["States.ALL"], "MaxAttempts": 99_999_999, "BackoffRate": 10.0,
            "IntervalSeconds": 99_999_999}]}}})
    execution = machine.run({}, handlers={FN: lambda e, c: 1 / 0}, clock=asl.VirtualClock())
    assert execution.status == "TIMED_OUT"


def clock_past_9999() -> None:
    """A clock reading that leaves no year before 9999-12-31 is refused at start."""
    for start in (253402300790.0, 1e18, float("nan"), -1.0):
        with pytest.raises(ValueError, match="the clock reads"):
            asl.load(_pass()).run({}, clock=asl.VirtualClock(start=start))


# --- threads ------------------------------------------------------------------------------------


def _peak_threads(machine: asl.StateMachine, data: Any) -> tuple[asl.Execution, int]:
    peak = [0]

    def handler(event: Any, context: Any) -> Any:
        peak[0] = max(peak[0], threading.active_count())
        time.sleep(0.002)
        return 1

    return machine.run(data, handlers={FN: handler}), peak[0]


def max_concurrency_bounded() -> None:
    """MaxConcurrency 100,000 over 2,000 items runs on at most MAX_POOL threads."""
    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 100_000, "ItemsPath": "$.i", "End": True,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": FN,
                                                           "End": True}}}}}})
    before = threading.active_count()
    execution, peak = _peak_threads(machine, {"i": list(range(2000))})
    assert execution.status == "SUCCEEDED"
    assert peak <= before + fanout.MAX_POOL + 2


def nested_maps_bounded() -> None:
    """Maps nested three deep, each wanting 1,000 threads, stay under MAX_THREADS."""
    task = {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": FN, "End": True}}}
    level: dict[str, Any] = task
    for depth in range(3):
        level = {"StartAt": f"M{depth}", "States": {f"M{depth}": {
            "Type": "Map", "MaxConcurrency": 1000, "ItemsPath": "$.i", "End": True,
            "ItemSelector": {"i.$": "$.i"} if depth else {}, "ItemProcessor": level}}}
    level["States"]["M2"]["ItemSelector"] = {"i.$": "$.i"}
    level["States"]["M2"]["ItemsPath"] = "$.i"
    machine = asl.load(level)
    execution, peak = _peak_threads(machine, {"i": list(range(12))})
    assert execution.status == "SUCCEEDED", execution.cause
    assert peak <= fanout.MAX_THREADS + fanout.MAX_POOL


def threads_exhausted() -> None:
    """When the system refuses a thread, the Map fails with States.Runtime; run() returns."""
    import concurrent.futures as cf

    original = cf.ThreadPoolExecutor.submit

    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("can't start new thread")

    machine = asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.i", "End": True, "ItemProcessor": {
            "StartAt": "W", "States": {"W": {"Type": "Task", "Resource": FN, "End": True}}}}}})
    cf.ThreadPoolExecutor.submit = refuse  # type: ignore[method-assign]
    try:
        execution = machine.run({"i": [1, 2]}, handlers={FN: lambda e, c: 1})
    finally:
        cf.ThreadPoolExecutor.submit = original  # type: ignore[method-assign]
    _failed(execution, "States.Runtime", "Could not start a thread")


# --- handlers -----------------------------------------------------------------------------------


class _NoStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


def _raising(exc: BaseException) -> Callable[[Any, Any], Any]:
    def handler(event: Any, context: Any) -> Any:
        raise exc

    return handler


def handlers_raising_anything() -> None:
    """BaseException, SystemExit, an exception whose str() raises, a TaskFailed with non-string
    fields: each fails the task with a named error; run() never raises."""
    cases = [
        (BaseException("b"), "BaseException", "b"),
        (SystemExit(3), "SystemExit", "3"),
        (_NoStr(), "_NoStr", "str() of the _NoStr raised RuntimeError"),
        (asl.TaskFailed(3, {"a": 1}), "3", '{"a":1}'),  # type: ignore[arg-type]
    ]
    for exc, error, cause in cases:
        execution = _task().run({}, handlers={FN: _raising(exc)})
        _failed(execution, error, cause)


def handlers_returning_junk() -> None:
    """A handler's result that is not JSON fails the task with Lambda's Runtime.MarshalError."""
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    for value in (object(), float("nan"), {1, 2}, cyclic, {"k": b"x"}):
        execution = _task().run({}, handlers={FN: lambda e, c, v=value: v})
        _failed(execution, "Runtime.MarshalError", "Unable to marshal response")


def handler_blocking() -> None:
    """A blocked handler ends at the state's TimeoutSeconds; start() reaches an end."""
    machine = asl.load({"StartAt": "W", "States": {"W": {
        "Type": "Task", "Resource": FN, "End": True, "TimeoutSeconds": 1}}})
    execution = machine.start({}, handlers={FN: lambda e, c: time.sleep(30)})
    assert execution.wait(20) is not None or execution.status != "RUNNING"
    _failed(execution, "States.Timeout")


def internal_error_ends_execution() -> None:
    """Even asl's own bug ends the execution (FAILED, saying so): start() never stays RUNNING."""
    from asl._definition.model import PassState
    from asl._runtime import core

    original = core.HANDLERS[PassState]

    def broken(*args: Any) -> Any:
        raise KeyError("boom")

    core.HANDLERS[PassState] = broken
    try:
        ran = asl.load(_pass()).run({})
        started = asl.load(_pass()).start({})
        started.wait(10)
    finally:
        core.HANDLERS[PassState] = original
    for execution in (ran, started):
        _failed(execution, "States.Runtime", "bug in asl")


def machine_timeout_blocked_task() -> None:
    """The machine's TimeoutSeconds stops an execution whose only task blocks past it."""
    execution = _task(TimeoutSeconds=1).run({}, handlers={FN: lambda e, c: time.sleep(30)})
    assert execution.status == "TIMED_OUT"
    assert [e["type"] for e in execution.history][-1] == "ExecutionTimedOut"


# --- files --------------------------------------------------------------------------------------


def distributed_map_confined(root: Path) -> None:
    """The folder that stands for a bucket confines every read and write: no '..', absolute
    key, symlink out, or FIFO (which would block)."""
    bucket = root / "data"
    bucket.mkdir()
    (root / "secret.json").write_text("[1]")
    (bucket / "ok.json").write_text("[1, 2]")
    os.symlink(root / "secret.json", bucket / "link.json")
    os.mkfifo(bucket / "fifo.json")
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}},
                 "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}

    def read(key: str) -> asl.Execution:
        return asl.load({"StartAt": "M", "States": {"M": {
            "Type": "Map", "End": True, "ItemProcessor": processor, "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": "data", "Key": key}}}}}).run(
            {}, clock=asl.VirtualClock(), s3_root=str(root))

    assert read("ok.json").output == [1, 2]
    for key in ("../secret.json", str(root / "secret.json"), "link.json", "fifo.json"):
        assert read(key).error == "States.ItemReaderFailed", key


def _cli(*args: str, stdin: Any = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "asl._cli", *args], capture_output=True,
                          text=True, stdin=stdin, timeout=60)


def cli_special_files(root: Path) -> None:
    """The CLI refuses a FIFO or /dev/zero as definition or input, and bounds stdin."""
    fifo = root / "fifo.json"
    os.mkfifo(fifo)
    machine = root / "m.json"
    machine.write_text(json.dumps(_pass()))
    for args in (("validate", str(fifo)), ("validate", "/dev/zero"),
                 ("run", str(machine), str(fifo)), ("run", str(machine), "/dev/zero")):
        result = _cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "not a regular file" in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
    with open("/dev/zero", "rb") as zero:
        result = _cli("run", str(machine), "-", stdin=zero)
    assert result.returncode == 2 and "longer than" in result.stderr


def cli_broken_pipe_and_surrogates(root: Path) -> None:
    """`asl run ... | true` ends without a traceback; a lone surrogate prints as its escape."""
    machine = root / "m.json"
    machine.write_text(json.dumps(_pass(Result=list(range(30_000)))))
    command = [sys.executable, "-m", "asl._cli", "run", str(machine)]
    producer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert producer.stdout is not None and producer.stderr is not None
    producer.stdout.close()  # the reader goes away at once
    error = producer.stderr.read().decode()
    assert producer.wait(60) == 141 and "Traceback" not in error
    lone = root / "lone.json"
    lone.write_text('{"s": "a\\ud800"}')
    (root / "p.json").write_text(json.dumps(_pass()))
    result = _cli("run", str(root / "p.json"), str(lone))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"s": "a\ud800"}


#: name -> case; cases taking a folder get a fresh one.
CASES: dict[str, Callable[..., None]] = {
    case.__name__: case for case in (
        yaml_alias_bomb, yaml_recursive_anchor, nesting_depth, document_size, number_length,
        state_count, validation_near_linear, accepted_loads, deep_input,
        jsonata_recursion, jsonata_timeout, jsonata_machine_timeout, jsonata_produced_size,
        jsonata_deep_result, jsonata_regex, jsonpath_regex, intrinsic_bounds,
        recursion_limit_kept,
        history_limit_concurrent, payload_limit_fan_out, one_year_limit, retry_backoff_overflow,
        clock_past_9999,
        max_concurrency_bounded, nested_maps_bounded, threads_exhausted,
        handlers_raising_anything, handlers_returning_junk, handler_blocking,
        internal_error_ends_execution, machine_timeout_blocked_task,
        distributed_map_confined, cli_special_files, cli_broken_pipe_and_surrogates,
    )
}
_NEEDS_FOLDER = {"distributed_map_confined", "cli_special_files", "cli_broken_pipe_and_surrogates"}


def run_case(name: str, folder: Path) -> tuple[float, float]:
    case = CASES[name]
    return bounded((lambda: case(folder)) if name in _NEEDS_FOLDER else case)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile(name: str, tmp_path: Path) -> None:
    run_case(name, tmp_path)
