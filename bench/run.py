"""Benchmark asl beside the floor interpreter and, when installed, beside peer engines.

    python bench/run.py [--repeat N] [--only NAME[,NAME]] [--json out.json] [--svg chart.svg]
                        [--store]

`--store` adds a row per run workload for asl checkpointing every transition in an SQLite
execution store (issue 16's target: at most 3x the in-memory run), timed interleaved with the
in-memory run and the floor.

Workloads and the floor come from `../shared/bench` (beside the repository); the two 10,000-item
distributed Map workloads, which have no shared file, are generated here in a temporary folder
(`distributed_workloads`). For each run workload
asl and the floor are timed in this process, interleaved (alternate runs, warm-up first, medians
of N), and asl's output is checked against the workload's expected output: a wrong output or a
failed execution aborts the benchmark, because a fast wrong answer is worth nothing. Peers
(aws-local-stepfunctions through node, moto in its own venv, statelint in its own venv; see
bench/peers/setup.sh) each run in their own subprocess on the same workloads. No timing here is
ever asserted: the numbers are reported, never judged by a test.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PEERS_DIR = HERE / "peers"
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"

RUN_WORKLOADS = ("pass-chain", "choice-loop", "map-5k", "parallel-fanout", "task-chain")
DIST_MAP = "dist-map-10k"  # a distributed Map, ItemsPath over the input
DIST_MAP_READER = "dist-map-10k-reader"  # the same Map reading its items via s3:getObject
GENERATED = (DIST_MAP, DIST_MAP_READER)
JSONATA_LOOP = "choice-loop-jsonata"
LAMBDA = "lambda-modes"  # asl.Functions: cold start and warm invoke, in-process vs isolated
ALL_NAMES = (*RUN_WORKLOADS, *GENERATED, JSONATA_LOOP, "validate-big", "cli-cold", LAMBDA)
MEMORY_WORKLOADS = ("map-5k", "parallel-fanout", *GENERATED)
DIST_ITEMS = 10_000
# A 10k-item run takes seconds, not milliseconds: 3 medians keep a full run under ~3 minutes.
DIST_MAX_REPEAT = 3

MOTO_VENV = Path(os.environ.get("ASL_BENCH_MOTO_VENV", "/tmp/peers-moto"))
STATELINT_VENV = Path(os.environ.get("ASL_BENCH_STATELINT_VENV", "/tmp/peers-statelint"))
NODE_PEERS = Path(os.environ.get("ASL_BENCH_NODE_PEERS", "/tmp/peers"))

# The targets of issue 7, printed as a checklist under the table (reported, never asserted).
RUN_TARGET_RATIO = 20.0
VALIDATE_TARGET_VS_STATELINT = 0.5
# Issue 16: a run checkpointed in the embedded store costs at most this much an in-memory one.
STORE_TARGET_RATIO = 3.0


class BenchFailure(Exception):
    """asl (or the floor) gave a wrong answer: the benchmark stops rather than time it."""


def identity(event: Any, context: Any) -> Any:
    """The `identity` Lambda of the task-chain workload."""
    return event


HANDLERS = {"identity": identity}


# --- data ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Workload:
    name: str
    path: Path
    definition: dict[str, Any]
    input: Any
    meta: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)  # asl run options (s3_root)
    # What the floor runs instead, when it cannot run `definition` as is (it has no ItemReader):
    floor_definition: dict[str, Any] | None = None
    floor_input: Callable[[], Any] | None = None  # called inside each timed floor run

    @property
    def transitions(self) -> int:
        return int(self.meta["transitions"])

    @property
    def expected(self) -> Any:
        return self.meta.get("expected")


@dataclass
class Row:
    """One engine on one workload; `times` are the timed runs (warm-up excluded)."""

    workload: str
    engine: str
    times: list[float] = field(default_factory=list)
    transitions: int | None = None
    baseline: float | None = None  # the floor's median, for the ratio
    note: str = ""
    peak_bytes: int | None = None
    version: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def per_second(self) -> float | None:
        m = self.median
        return self.transitions / m if m and self.transitions else None

    @property
    def ratio(self) -> float | None:
        m = self.median
        return m / self.baseline if m is not None and self.baseline else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "median": self.median, "per_second": self.per_second,
                "ratio": self.ratio}


def read_workload(shared: Path, name: str) -> Workload:
    base = shared / "workloads"
    path = base / f"{name}.asl.json"
    return Workload(
        name=name,
        path=path,
        definition=json.loads(path.read_text()),
        input=json.loads((base / f"{name}.input.json").read_text()),
        meta=json.loads((base / f"{name}.meta.json").read_text()),
    )


def distributed_map(items: int = DIST_ITEMS) -> dict[str, Any]:
    """A Map in DISTRIBUTED mode (EXPRESS child executions) over `$.items`, each child three Pass
    states (wrap, increment, pass through), then a Pass that counts the results and keeps the last."""
    return {
        "Comment": f"Distributed Map over {items} items, 3 Pass states per child execution",
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 0,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "Wrap",
                    "States": {
                        "Wrap": {"Type": "Pass", "Parameters": {"v.$": "$"}, "Next": "Inc"},
                        "Inc": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, 1)"},
                                "Next": "Keep"},
                        "Keep": {"Type": "Pass", "End": True},
                    },
                },
                "ResultPath": "$.results",
                "Next": "Final",
            },
            "Final": {
                "Type": "Pass",
                "Parameters": {"count.$": "States.ArrayLength($.results)",
                               "last.$": f"$.results[{items - 1}]"},
                "End": True,
            },
        },
    }


def with_item_reader(definition: dict[str, Any], bucket: str, key: str) -> dict[str, Any]:
    """`definition`'s Map reading its items from a JSON array object instead of ItemsPath."""
    out = json.loads(json.dumps(definition))
    state = out["States"][out["StartAt"]]
    del state["ItemsPath"]
    state["ItemReader"] = {"Resource": "arn:aws:states:::s3:getObject",
                           "ReaderConfig": {"InputType": "JSON"},
                           "Parameters": {"Bucket": bucket, "Key": key}}
    out["Comment"] += ", items read by ItemReader (s3:getObject)"
    return out


def _read_items(path: Path) -> dict[str, Any]:
    return {"items": json.loads(path.read_bytes())}


def distributed_workloads(folder: Path, items: int = DIST_ITEMS) -> list[Workload]:
    """The 10k distributed Map workloads, written to `folder` in the shared layout (so peers can
    read them) plus the bucket `folder/bucket` holding `items.json` for the reader variant.

    The floor runs the ItemsPath machine for both (it ignores ProcessorConfig, so each item is a
    plain in-process `execute` of the three Pass states: no child executions, histories or Map
    Run); for the reader variant it also reads and parses the items file in each run."""
    numbers = list(range(1, items + 1))
    meta = {"kind": "run", "transitions": 3 * items + 2,
            "expected": {"count": items, "last": {"v": items + 1}},
            "notes": f"1 distributed Map + {items} child executions of 3 Pass + 1 Pass"}
    plain = distributed_map(items)
    bucket = folder / "bucket"
    bucket.mkdir(parents=True, exist_ok=True)
    items_file = bucket / "items.json"
    items_file.write_text(json.dumps(numbers))
    reader = with_item_reader(plain, "bucket", "items.json")
    out = []
    for name, definition, given in ((DIST_MAP, plain, {"items": numbers}), (DIST_MAP_READER, reader, {})):
        path = folder / f"{name}.asl.json"
        path.write_text(json.dumps(definition, indent=1))
        (folder / f"{name}.input.json").write_text(json.dumps(given))
        (folder / f"{name}.meta.json").write_text(json.dumps(meta, indent=1))
        reads = name == DIST_MAP_READER
        out.append(Workload(name, path, definition, given, meta,
                            options={"s3_root": str(folder)} if reads else {},
                            floor_definition=plain if reads else None,
                            floor_input=functools.partial(_read_items, items_file) if reads else None))
    return out


def import_floor(shared: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("floor_interp", shared / "floor_interp.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def canonical(value: Any) -> str:
    """JSON text with sorted keys: equality that, unlike ==, tells 1 from 1.0 and True."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def jsonata_choice_loop(definition: dict[str, Any]) -> dict[str, Any]:
    """The choice-loop workload rewritten for `QueryLanguage: JSONata` with the same semantics:
    the Pass's Parameters become an Output expression, the Choice rule a Condition."""
    states = definition["States"]
    check_name = next(n for n, s in states.items() if s["Type"] == "Choice")
    inc_name = definition["StartAt"]
    check, inc = states[check_name], states[inc_name]
    (rule,) = check["Choices"]
    counter = rule["Variable"].removeprefix("$.")
    ((key, expr),) = inc["Parameters"].items()
    if key != f"{counter}.$" or expr != f"States.MathAdd($.{counter}, 1)":
        raise BenchFailure(f"choice-loop changed shape ({key}: {expr}); update jsonata_choice_loop")
    return {
        "Comment": "choice-loop in JSONata: Output and Condition expressions",
        "QueryLanguage": "JSONata",
        "StartAt": inc_name,
        "States": {
            inc_name: {"Type": "Pass", "Output": {counter: f"{{% $states.input.{counter} + 1 %}}"},
                       "Next": inc["Next"]},
            check_name: {
                "Type": "Choice",
                "Choices": [{
                    "Condition": f"{{% $states.input.{counter} < {rule['NumericLessThan']} %}}",
                    "Next": rule["Next"],
                }],
                "Default": check["Default"],
            },
            **{n: s for n, s in states.items() if n not in (inc_name, check_name)},
        },
    }


# --- timing -------------------------------------------------------------------------------------

def interleave(runners: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Time each runner `repeat` times, alternating between them (and reversing the order every
    round) so drift on a shared machine hits all of them alike."""
    times: dict[str, list[float]] = {key: [] for key in runners}
    order = list(runners)
    for i in range(repeat):
        for key in order if i % 2 == 0 else reversed(order):
            run = runners[key]
            gc.collect()
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    return times


def peak_memory(run: Callable[[], Any]) -> int:
    """tracemalloc's peak while `run` executes, its result kept alive until measured."""
    gc.collect()
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak


def check_execution(label: str, execution: Any, expected: Any) -> None:
    if execution.status != "SUCCEEDED":
        raise BenchFailure(f"{label}: asl ended {execution.status}: {execution.error}: "
                           f"{execution.cause}")
    if canonical(execution.output) != canonical(expected):
        raise BenchFailure(f"{label}: asl's output differs from the expected output\n"
                           f"  got:  {canonical(execution.output)[:400]}\n"
                           f"  want: {canonical(expected)[:400]}")


# --- asl and the floor, in this process ---------------------------------------------------------

def bench_run(asl: ModuleType, floor: ModuleType, w: Workload, repeat: int,
              definition: dict[str, Any] | None = None, label: str | None = None,
              store: Path | None = None) -> list[Row]:
    """asl vs the floor on one run workload (or on `definition`, a variant of it); with
    `store` (a file), also asl checkpointing every transition there."""
    label = label or w.name
    before = canonical(w.input)
    machine = asl.load(definition if definition is not None else w.path)
    floor_machine = floor.compile_machine(w.floor_definition or w.definition, HANDLERS)
    floor_input = w.floor_input

    def run_asl() -> Any:
        return machine.run(w.input, handlers=HANDLERS, clock=asl.VirtualClock(), **w.options)

    def run_floor() -> Any:
        return floor.execute(floor_machine, floor_input() if floor_input else w.input)

    execution = run_asl()  # warm-up, and the correctness check
    check_execution(label, execution, w.expected)
    if canonical(run_floor()) != canonical(w.expected):
        raise BenchFailure(f"{label}: the floor's output differs from the expected output")
    if canonical(w.input) != before:
        raise BenchFailure(f"{label}: asl mutated the caller's input")
    note = history_note(execution)
    runners = {"asl": run_asl, "floor": run_floor}
    durable = None
    if store is not None:
        durable = asl.SQLiteStore(store)

        def run_stored() -> Any:
            return machine.run(w.input, handlers=HANDLERS, clock=asl.VirtualClock(),
                               store=durable, **w.options)

        check_execution(label + " --store", run_stored(), w.expected)
        runners["asl --store"] = run_stored
    times = interleave(runners, repeat)
    floor_row = Row(label, "floor", times["floor"], w.transitions)
    floor_row.baseline = floor_row.median
    asl_row = Row(label, "asl", times["asl"], w.transitions, floor_row.median, note=note)
    if durable is not None:
        durable.close()
        stored_row = Row(label, "asl --store", times["asl --store"], w.transitions,
                         floor_row.median)
        in_memory = asl_row.median
        if in_memory and stored_row.median:
            stored_row.note = f"{stored_row.median / in_memory:.2f}x the in-memory run"
        if w.name in MEMORY_WORKLOADS and label == w.name:
            floor_row.peak_bytes = peak_memory(run_floor)
            asl_row.peak_bytes = peak_memory(run_asl)
        return [floor_row, asl_row, stored_row]
    if w.name in MEMORY_WORKLOADS and label == w.name:
        floor_row.peak_bytes = peak_memory(run_floor)
        asl_row.peak_bytes = peak_memory(run_asl)
    return [floor_row, asl_row]


def history_note(execution: Any) -> str:
    """How much history asl kept: the execution's events, plus its Map Runs' child executions'."""
    note = f"{len(execution.history)} history events"
    children = [c for run in getattr(execution, "map_runs", ()) for c in run.children]
    if children:
        events = sum(len(c.history or ()) for c in children)
        note += f" + {len(children)} child executions ({events} events)"
    return note


def bench_validate(asl: ModuleType, floor: ModuleType, w: Workload, repeat: int) -> list[Row]:
    """asl.load (validate + compile) vs the floor's parse-and-check of the same text."""
    text = w.path.read_text()
    try:
        asl.load(w.path)
    except Exception as exc:  # a valid workload must load; any failure is shown
        raise BenchFailure(f"{w.name}: asl.load failed: {exc}") from exc
    if floor.load_check(text) is not True:
        raise BenchFailure(f"{w.name}: the floor's load_check rejected the definition")
    times = interleave({"asl": lambda: asl.load(w.path), "floor": lambda: floor.load_check(text)},
                       repeat)
    floor_row = Row(w.name, "floor", times["floor"], w.transitions, note="json.loads + targets")
    floor_row.baseline = floor_row.median
    return [floor_row, Row(w.name, "asl", times["asl"], w.transitions, floor_row.median,
                           note="asl.load(path)")]


def bench_jsonata(asl: ModuleType, floor: ModuleType, w: Workload, repeat: int) -> list[Row]:
    """The JSONata variant of choice-loop; "n/a" when the engine cannot load or run it yet."""
    definition = jsonata_choice_loop(w.definition)
    try:
        asl.load(definition)
    except Exception as exc:  # noqa: BLE001 -- unfinished JSONata support is reported, not fatal
        return [Row(JSONATA_LOOP, "asl", note=f"n/a (load failed: {str(exc)[:100]})")]
    probe = asl.load(definition).run(w.input, handlers=HANDLERS, clock=asl.VirtualClock())
    if probe.status != "SUCCEEDED":
        return [Row(JSONATA_LOOP, "asl",
                    note=f"n/a (run {probe.status}: {probe.error}: {str(probe.cause)[:80]})")]
    return [r for r in bench_run(asl, floor, w, repeat, definition, JSONATA_LOOP)
            if r.engine == "asl"]


# --- fresh processes ----------------------------------------------------------------------------

def asl_cli() -> list[str] | None:
    beside = Path(sys.executable).parent / "asl"
    found = str(beside) if beside.exists() else shutil.which("asl")
    return [found] if found else None


def statelint_cli() -> list[str] | None:
    exe = STATELINT_VENV / "bin" / "statelint"
    return [str(exe)] if exe.exists() else None


#: Children may write and reuse bytecode, as an installed package does (pip compiles it at install
#: time); a session's PYTHONDONTWRITEBYTECODE would otherwise recompile asl on every start.
_CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def bench_cli(w: Workload, repeat: int) -> list[Row]:
    """Fresh processes, hyperfine-style: one warm-up each, then interleaved runs, medians."""
    asl_exe, statelint_exe = asl_cli(), statelint_cli()
    commands: dict[str, list[str] | None] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "asl validate": [*asl_exe, "validate", str(w.path)] if asl_exe else None,
        "statelint": [*statelint_exe, str(w.path)] if statelint_exe else None,
    }
    rows: dict[str, Row] = {}
    runnable: dict[str, Callable[[], Any]] = {}
    with tempfile.TemporaryDirectory() as cwd:
        for engine, argv in commands.items():
            row = rows[engine] = Row(w.name, engine)
            if argv is None:
                row.note = "not installed"
                continue
            done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False,
                                  env=_CHILD_ENV)
            if done.returncode != 0:
                reason = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [""]
                row.note = f"n/a (exit {done.returncode}: {reason[0][:120]})"
                continue
            runnable[engine] = functools.partial(
                subprocess.run, argv, cwd=cwd, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, check=False, env=_CHILD_ENV)
        times = interleave(runnable, repeat)
    base = statistics.median(times["python -c pass"])
    for engine, row in rows.items():
        row.times = times.get(engine, [])
        row.baseline = base
    return list(rows.values())


LAMBDA_SOURCE = "import json\nTABLE = {str(i): i for i in range(1000)}\n\n" \
    "def handler(event, context):\n    return {'n': len(TABLE), 'event': event}\n"


def bench_lambda(asl: ModuleType, repeat: int) -> list[Row]:
    """The local Lambda service's two modes on one small function: a cold start (a new
    environment: in-process, the handler's import; isolated, a process under awslambdaric, its
    init and first call) and a warm invoke (an idle environment reused). The in-process median
    is each row's baseline, so the ratio is the isolated mode's cost."""
    rows: list[Row] = []
    isolated_ok = importlib.util.find_spec("awslambdaric") is not None
    with tempfile.TemporaryDirectory(prefix="asl-bench-fn-") as folder:
        for index in range(2 * repeat + 4):
            Path(folder, f"bench_fn_{index}.py").write_text(LAMBDA_SOURCE)
        counter = iter(range(2 * repeat + 4))

        def cold(isolated: bool) -> Callable[[], Any]:
            def once() -> Any:
                # A fresh module name each run, so an in-process import really happens.
                with asl.Functions(isolated=isolated) as fns:
                    fns.create("f", handler=f"bench_fn_{next(counter)}.handler", code=folder)
                    answer = fns.invoke("f", {"x": 1})
                    if answer.get("FunctionError"):
                        raise BenchFailure(f"lambda cold start failed: {answer['Payload']!r}")
                    return answer
            return once

        cold_runners = {"asl in-process": cold(False)}
        if isolated_ok:
            cold_runners["asl isolated"] = cold(True)
        cold_times = interleave(cold_runners, repeat)
        services = {"asl in-process": asl.Functions()}
        if isolated_ok:
            services["asl isolated"] = asl.Functions(isolated=True)
        try:
            for fns in services.values():
                fns.create("f", handler=f"bench_fn_{next(counter)}.handler", code=folder)
                fns.invoke("f", {})  # the cold start, outside the timing
            warm_times = interleave(
                {engine: functools.partial(fns.invoke, "f", {"x": 1})
                 for engine, fns in services.items()}, max(repeat, 20))
        finally:
            for fns in services.values():
                fns.close()
    for workload, times in (("lambda-cold", cold_times), ("lambda-warm", warm_times)):
        base = statistics.median(times["asl in-process"])
        for engine in ("asl in-process", "asl isolated"):
            row = Row(workload, engine, times=times.get(engine, []), baseline=base)
            if engine not in times:
                row.note = "awslambdaric not installed (pip install 'asl-engine[lambda]')"
            rows.append(row)
    return rows


# --- peers, each in its own subprocess ----------------------------------------------------------

@dataclass(frozen=True)
class Peer:
    name: str
    # (workloads dir, workload, repeat, budget seconds) -> the command; None when not installed
    argv: Callable[[Path, str, int, float], list[str]] | None
    missing: str = "not installed"
    workloads: tuple[str, ...] = RUN_WORKLOADS


def find_peers(selected: set[str]) -> list[Peer]:
    peers: list[Peer] = []
    node = shutil.which("node")
    if "aws-local-stepfunctions" in selected:
        installed = node and (NODE_PEERS / "node_modules" / "aws-local-stepfunctions").is_dir()
        peers.append(Peer(
            "aws-local-stepfunctions",
            (lambda d, n, repeat, budget: [str(node), str(PEERS_DIR / "als_peer.mjs"),
                                           str(NODE_PEERS), str(d), n, str(repeat), str(budget)])
            if installed else None,
            workloads=(*RUN_WORKLOADS, DIST_MAP, "validate-big"),
        ))
    if "moto" in selected:
        python = MOTO_VENV / "bin" / "python"
        installed = python.exists() and (MOTO_VENV / "lib").exists() and any(
            (MOTO_VENV / "lib").glob("python*/site-packages/moto/stepfunctions/parser"))
        peers.append(Peer(
            "moto",
            (lambda d, n, repeat, budget: [str(python), str(PEERS_DIR / "moto_peer.py"), str(d), n,
                                           "--repeat", str(repeat), "--budget", str(budget)])
            if installed else None,
            workloads=(*RUN_WORKLOADS, DIST_MAP),
        ))
    return peers


def bench_peer(peer: Peer, w: Workload, repeat: int, budget: float, timeout: float,
               baseline: float | None) -> Row:
    row = Row(w.name, peer.name, transitions=w.transitions, baseline=baseline)
    if peer.argv is None:
        row.note = peer.missing
        return row
    argv = peer.argv(w.path.parent, w.name, repeat, budget)
    try:
        with tempfile.TemporaryDirectory() as cwd:
            done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
    except subprocess.TimeoutExpired:
        row.note = f"> {timeout:g} s (stopped)"
        return row
    try:
        report = json.loads(done.stdout)
    except ValueError:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        # boto3's wording buries the reason after a long prefix; keep the operation and reason.
        tail = re.sub(r"^.*when calling the (\w+) operation: ", r"\1: ", tail)
        row.note = f"n/a (exit {done.returncode}: {tail[:120]})"
        return row
    row.version = str(report.get("version", ""))
    if report.get("status") != "SUCCEEDED":
        row.note = f"failed: {report.get('error')}: {str(report.get('cause'))[:100]}"
        return row
    if w.meta.get("kind") == "run" and canonical(report.get("output")) != canonical(w.expected):
        row.note = "wrong output: " + canonical(report.get("output"))[:100]
        return row
    times = report["times"]
    row.times = times[1:] if len(times) > 1 else times  # the first run is the warm-up
    if len(times) == 1:
        row.note = "one run (slow)"
    return row


def bench_statelint(w: Workload, repeat: int, baseline: float | None) -> Row:
    row = Row(w.name, "statelint", transitions=w.transitions, baseline=baseline)
    python = STATELINT_VENV / "bin" / "python"
    if not python.exists():
        row.note = "not installed"
        return row
    done = subprocess.run([str(python), str(PEERS_DIR / "statelint_peer.py"), str(w.path),
                           "--repeat", str(repeat)], capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        row.note = f"n/a (exit {done.returncode})"
        return row
    row.version = report["version"]
    row.times = report["times"][1:]
    row.note = "Linter.validate(path)" if not report["problems"] else \
        f"reported {len(report['problems'])} problems"
    return row


# --- report -------------------------------------------------------------------------------------

def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu or platform.processor(),
            "python": platform.python_version(), "platform": platform.platform()}


def versions(asl: ModuleType) -> dict[str, str]:
    from importlib import metadata

    out: dict[str, str] = {}
    for dist in ("asl-engine", "jsonpath-ng", "jsonata-python", "jsonschema", "attrs"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                         capture_output=True, text=True, check=False)
    out["asl commit"] = git.stdout.strip() or "unknown"
    node = shutil.which("node")
    if node:
        out["node"] = subprocess.run([node, "--version"], capture_output=True, text=True,
                                     check=False).stdout.strip()
    return out


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.2f} ms" if value < 1 else f"{value:.3f} s"


def fmt_rate(value: float | None) -> str:
    return f"{value:,.0f}" if value else "-"


def fmt_ratio(value: float | None) -> str:
    return f"{value:.1f}x" if value is not None else "-"


def fmt_bytes(value: int | None) -> str:
    if not value:
        return "-"
    return f"{value / 2**20:.1f} MiB" if value >= 2**20 else f"{value / 2**10:.0f} KiB"


def table(rows: Iterable[Row]) -> str:
    head = ("workload", "engine", "median", "runs", "transitions/s", "vs floor", "peak memory",
            "note")
    lines = [head]
    for r in rows:
        rate = fmt_rate(r.per_second) if r.workload not in ("validate-big", "cli-cold") else "-"
        lines.append((r.workload, r.engine + (f" {r.version}" if r.version else ""),
                      fmt_seconds(r.median), str(len(r.times)) if r.times else "-", rate,
                      fmt_ratio(r.ratio) if r.engine != "floor" else "1.0x",
                      fmt_bytes(r.peak_bytes), r.note))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(c.ljust(widths[i]) if i in (0, 1, 7) else c.rjust(widths[i])
                     for i, c in enumerate(line)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def markdown(rows: Iterable[Row]) -> str:
    """The table as Markdown, for docs/performance.md."""
    out = ["| workload | engine | median | runs | transitions/s | vs floor | peak memory | note |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        rate = fmt_rate(r.per_second) if r.workload not in ("validate-big", "cli-cold") else "-"
        ratio = fmt_ratio(r.ratio) if r.engine != "floor" else "1.0x"
        engine = r.engine + (f" {r.version}" if r.version else "")
        runs = str(len(r.times)) if r.times else "-"
        out.append(f"| {r.workload} | {engine} | {fmt_seconds(r.median)} | {runs} | {rate} | "
                   f"{ratio} | {fmt_bytes(r.peak_bytes)} | {r.note} |")
    return "\n".join(out) + "\n"


def find(rows: Sequence[Row], workload: str, engine: str) -> Row | None:
    return next((r for r in rows if r.workload == workload and r.engine == engine), None)


def summary(rows: Sequence[Row]) -> list[str]:
    """Issue 7's targets, each as met / missed / not measured."""
    out: list[str] = []
    for name in RUN_WORKLOADS:
        r = find(rows, name, "asl")
        if r and r.ratio is not None:
            verdict = "met" if r.ratio <= RUN_TARGET_RATIO else "missed"
            out.append(f"{name}: asl {r.ratio:.1f}x the floor (target <= {RUN_TARGET_RATIO:.0f}x): "
                       f"{verdict}")
    a, s = find(rows, "validate-big", "asl"), find(rows, "validate-big", "statelint")
    if a and s and a.median and s.median:
        share = a.median / s.median
        verdict = "met" if share <= VALIDATE_TARGET_VS_STATELINT else "missed"
        out.append(f"validate-big: asl.load {share:.2f}x statelint's time (target <= 0.5x): "
                   f"{verdict}")
    a, s = find(rows, "cli-cold", "asl validate"), find(rows, "cli-cold", "statelint")
    if a and s and a.median and s.median:
        verdict = "met" if a.median <= s.median else "missed"
        out.append(f"cli-cold: asl validate {fmt_seconds(a.median)} vs statelint "
                   f"{fmt_seconds(s.median)} (target: no slower): {verdict}")
    for name in RUN_WORKLOADS:
        a, d = find(rows, name, "asl"), find(rows, name, "asl --store")
        if a and d and a.median and d.median:
            share = d.median / a.median
            verdict = "met" if share <= STORE_TARGET_RATIO else "missed"
            out.append(f"{name}: checkpointing in an SQLite store {share:.2f}x the in-memory run "
                       f"(target <= {STORE_TARGET_RATIO:.0f}x, issue 16): {verdict}")
    for name in MEMORY_WORKLOADS:
        a, f = find(rows, name, "asl"), find(rows, name, "floor")
        if a and f and a.peak_bytes and f.peak_bytes:
            rate = f"{a.per_second:,.0f} transitions/s, " if a.per_second else ""
            out.append(f"{name}: asl {rate}peak memory {fmt_bytes(a.peak_bytes)} vs floor "
                       f"{fmt_bytes(f.peak_bytes)} ({a.peak_bytes / f.peak_bytes:.1f}x; "
                       f"asl also keeps the history)")
    return out


def svg_chart(rows: Sequence[Row]) -> str:
    """Horizontal bars of each engine's time relative to the floor, log scale."""
    bars = [r for r in rows if r.engine != "floor" and r.ratio and r.workload != "cli-cold"]
    colours = {"asl": "#2b7bb9", "aws-local-stepfunctions": "#e3a21a", "moto": "#c0392b",
               "statelint": "#7f8c8d"}
    left, bar_h, gap, width = 300, 16, 4, 460
    top = 40
    top_ratio = max([r.ratio or 1 for r in bars] + [RUN_TARGET_RATIO * 2])
    scale = width / math.log10(top_ratio * 1.2)

    def x(ratio: float) -> float:
        return left + max(0.0, math.log10(ratio)) * scale

    height = top + len(bars) * (bar_h + gap) + 50
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" '
              f'height="{height}" font-family="sans-serif" font-size="12">'),
             '<rect width="100%" height="100%" fill="white"/>',
             ('<text x="10" y="20" font-size="14" font-weight="bold">Time relative to the floor '
              'interpreter (log scale, lower is better)</text>')]
    for decade in range(int(math.log10(top_ratio * 1.2)) + 1):
        gx = x(10 ** decade)
        parts.append(f'<line x1="{gx:.1f}" y1="{top - 5}" x2="{gx:.1f}" y2="{height - 35}" '
                     f'stroke="#ddd"/><text x="{gx:.1f}" y="{height - 20}" '
                     f'text-anchor="middle">{10 ** decade}x</text>')
    tx = x(RUN_TARGET_RATIO)
    parts.append(f'<line x1="{tx:.1f}" y1="{top - 5}" x2="{tx:.1f}" y2="{height - 35}" '
                 f'stroke="#2b7bb9" stroke-dasharray="4 3"/><text x="{tx + 3:.1f}" '
                 f'y="{top - 8}" fill="#2b7bb9">target {RUN_TARGET_RATIO:.0f}x</text>')
    for i, r in enumerate(bars):
        y = top + i * (bar_h + gap)
        colour = colours.get(r.engine, "#555")
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{r.workload} · '
                     f'{r.engine}</text><rect x="{left}" y="{y}" width="{x(r.ratio or 1) - left:.1f}"'
                     f' height="{bar_h}" fill="{colour}"/><text x="{x(r.ratio or 1) + 4:.1f}" '
                     f'y="{y + 12}">{r.ratio:.1f}x</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# --- main ---------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5, help="timed runs per engine (default 5)")
    p.add_argument("--only", action="append", default=[],
                   help=f"run only these workloads (comma-separated or repeated): {', '.join(ALL_NAMES)}")
    p.add_argument("--json", type=Path, help="write the raw figures here")
    p.add_argument("--svg", type=Path, help="write a chart of ratios to the floor here")
    p.add_argument("--markdown", type=Path, help="write the table as Markdown here")
    p.add_argument("--shared", type=Path, default=Path(os.environ.get("ASL_BENCH_SHARED",
                                                                      DEFAULT_SHARED)),
                   help="the shared bench folder (workloads/ and floor_interp.py)")
    p.add_argument("--peers", default="aws-local-stepfunctions,moto",
                   help="peer engines to include, comma-separated, or 'none'")
    p.add_argument("--peer-budget", type=float, default=5.0,
                   help="seconds of runs a peer may spend per workload before it stops repeating")
    p.add_argument("--peer-timeout", type=float, default=30.0,
                   help="seconds after which a peer's workload process is stopped")
    p.add_argument("--store", action="store_true",
                   help="also time asl checkpointing every transition in an SQLite store")
    p.add_argument("--keep-going", action="store_true",
                   help="record a wrong asl result as FAILED and go on (exit status stays 1)")
    args = p.parse_args(argv)
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_NAMES]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(ALL_NAMES)}")
    args.names = [n for n in ALL_NAMES if not names or n in names]
    args.peer_names = set() if args.peers == "none" else {n.strip() for n in args.peers.split(",")}
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    shared: Path = args.shared
    if not (shared / "floor_interp.py").is_file() or not (shared / "workloads").is_dir():
        print(f"bench: no shared benchmark folder at {shared} (expected floor_interp.py and "
              f"workloads/ there, beside the repository); pass --shared DIR", file=sys.stderr)
        return 2
    try:
        import asl
    except ImportError:  # a checkout without install: use its own source, not an installed copy
        sys.path.insert(0, str(REPO / "src"))
        import asl

    floor = import_floor(shared)
    peers = find_peers(args.peer_names)
    rows: list[Row] = []
    failures: list[str] = []

    def guarded(label: str, produce: Callable[[], list[Row]]) -> None:
        try:
            rows.extend(produce())
        except Exception as exc:  # a wrong answer or an engine crash: loud either way
            if not args.keep_going:
                raise
            text = str(exc) if isinstance(exc, BenchFailure) else f"{label}: asl raised " \
                f"{type(exc).__name__}: {exc}"
            failures.append(text)
            rows.append(Row(label, "asl", note="FAILED: " + text.splitlines()[0][:100]))

    # The generated workloads (and the bucket folder they read) live only as long as the run.
    with tempfile.TemporaryDirectory(prefix="asl-bench-") as folder:
        generated = {w.name: w for w in distributed_workloads(Path(folder))} \
            if any(n in GENERATED for n in args.names) else {}
        started = time.perf_counter()
        for name in args.names:
            print(f"... {name}", file=sys.stderr, flush=True)
            if name in RUN_WORKLOADS or name in GENERATED:
                w = generated[name] if name in GENERATED else read_workload(shared, name)
                repeat = min(args.repeat, DIST_MAX_REPEAT) if name in GENERATED else args.repeat
                store = Path(folder) / f"{name}.db" if args.store else None
                guarded(name, functools.partial(bench_run, asl, floor, w, repeat, store=store))
                floor_row = find(rows, name, "floor")
                baseline = floor_row.median if floor_row else None
                for peer in peers:
                    if name in peer.workloads:
                        rows.append(bench_peer(peer, w, repeat, args.peer_budget, args.peer_timeout,
                                               baseline))
            elif name == JSONATA_LOOP:
                loop = read_workload(shared, "choice-loop")
                guarded(name, functools.partial(bench_jsonata, asl, floor, loop, args.repeat))
            elif name == "validate-big":
                w = read_workload(shared, name)
                guarded(name, functools.partial(bench_validate, asl, floor, w, args.repeat))
                baseline = (find(rows, name, "floor") or Row(name, "floor")).median
                rows.append(bench_statelint(w, args.repeat, baseline))
                for peer in peers:
                    if name in peer.workloads:
                        rows.append(bench_peer(peer, w, args.repeat, args.peer_budget,
                                               args.peer_timeout, baseline))
            elif name == "cli-cold":
                rows.extend(bench_cli(read_workload(shared, name), max(10, 2 * args.repeat)))
            elif name == LAMBDA:
                guarded(name, functools.partial(bench_lambda, asl, args.repeat))
        elapsed = time.perf_counter() - started

    info, vers = machine_info(), versions(asl)
    print(f"\nmachine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"repeat: {args.repeat} (medians; warm-up excluded), total {elapsed:.0f} s\n")
    print(table(rows))
    lines = summary(rows)
    if lines:
        print("\ntargets (issue 7):")
        print("\n".join(f"  {line}" for line in lines))
    if args.json:
        args.json.write_text(json.dumps({
            "command": " ".join(["python", "bench/run.py", *(argv or sys.argv[1:])]),
            "machine": info, "versions": vers, "repeat": args.repeat, "seconds": elapsed,
            "rows": [r.to_dict() for r in rows], "targets": lines, "failures": failures,
        }, indent=1) + "\n")
    if args.svg:
        args.svg.write_text(svg_chart(rows))
    if args.markdown:
        args.markdown.write_text(markdown(rows))
    if failures:
        print("\nFAILED:\n" + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


def _entry() -> int:
    try:
        return main()
    except BenchFailure as exc:
        print(f"\nBENCHMARK ABORTED: {exc}\n(asl's answer is wrong, so its time is meaningless; "
              f"--keep-going records it and continues)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(_entry())
