"""Tests for bench/run.py: its correctness checks, arithmetic and reports (never its timings)."""

from __future__ import annotations

import importlib.util
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

import asl

RUN_PY = Path(__file__).resolve().parents[1] / "bench" / "run.py"


def _import_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", RUN_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


bench = _import_bench()
SHARED = bench.DEFAULT_SHARED
needs_shared = pytest.mark.skipif(not (SHARED / "floor_interp.py").is_file(),
                                  reason="../shared/bench is not beside the repository")

TINY = {
    "StartAt": "A",
    "States": {"A": {"Type": "Pass", "Parameters": {"v.$": "$.x"}, "End": True}},
}


def _workload(tmp_path: Path, expected: Any) -> Any:
    path = tmp_path / "tiny.asl.json"
    path.write_text(json.dumps(TINY))
    return bench.Workload("tiny", path, TINY, {"x": 1},
                          {"kind": "run", "transitions": 1, "expected": expected})


# A floor stand-in with floor_interp's interface, so these tests need no shared folder.
FAKE_FLOOR = SimpleNamespace(compile_machine=lambda d, h=None: d,
                             execute=lambda m, data: {"v": data["x"]},
                             load_check=lambda text: True)


def test_canonical_tells_numbers_and_booleans_apart() -> None:
    """Output equality is JSON-exact: 1, 1.0 and true are three different answers."""
    assert bench.canonical({"a": 1}) != bench.canonical({"a": 1.0})
    assert bench.canonical([1]) != bench.canonical([True])
    assert bench.canonical({"b": 1, "a": 2}) == bench.canonical({"a": 2, "b": 1})


def test_row_arithmetic() -> None:
    """A row's median, transitions per second and ratio come from its runs and the floor's median."""
    row = bench.Row("w", "asl", times=[0.3, 0.1, 0.2], transitions=100, baseline=0.01)
    assert row.median == 0.2
    assert row.per_second == pytest.approx(500)
    assert row.ratio == pytest.approx(20)
    assert bench.Row("w", "asl").median is None and bench.Row("w", "asl").ratio is None


def test_interleave_alternates_and_reverses_order() -> None:
    """Runners take turns, and each round reverses the order so drift hits all alike."""
    calls: list[str] = []
    times = bench.interleave({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert [len(t) for t in times.values()] == [3, 3]


def test_check_execution_rejects_failure_and_wrong_output() -> None:
    """A failed execution or a wrong output aborts with a message naming the workload."""
    ok = SimpleNamespace(status="SUCCEEDED", output={"v": 1}, error=None, cause=None)
    bench.check_execution("w", ok, {"v": 1})
    with pytest.raises(bench.BenchFailure, match="w: asl's output differs"):
        bench.check_execution("w", ok, {"v": 1.0})
    failed = SimpleNamespace(status="FAILED", output=None, error="States.Runtime", cause="boom")
    with pytest.raises(bench.BenchFailure, match="FAILED: States.Runtime: boom"):
        bench.check_execution("w", failed, {"v": 1})


def test_bench_run_checks_asl_against_expected(tmp_path: Path) -> None:
    """bench_run times asl beside the floor when asl's output is right, and aborts when not."""
    rows = bench.bench_run(asl, FAKE_FLOOR, _workload(tmp_path, {"v": 1}), repeat=1)
    assert [(r.engine, len(r.times)) for r in rows] == [("floor", 1), ("asl", 1)]
    assert rows[1].baseline == rows[0].median
    with pytest.raises(bench.BenchFailure, match="differs"):
        bench.bench_run(asl, FAKE_FLOOR, _workload(tmp_path, {"v": 2}), repeat=1)


def test_jsonata_variant_keeps_the_loop_shape() -> None:
    """The JSONata choice-loop has the same states, with an Output expression and a Condition."""
    loop = {
        "StartAt": "Inc",
        "States": {
            "Inc": {"Type": "Pass", "Parameters": {"count.$": "States.MathAdd($.count, 1)"},
                    "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$.count", "NumericLessThan": 3, "Next": "Inc"}], "Default": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    variant = bench.jsonata_choice_loop(loop)
    assert variant["QueryLanguage"] == "JSONata"
    assert set(variant["States"]) == {"Inc", "Check", "Done"}
    assert variant["States"]["Inc"]["Output"] == {"count": "{% $states.input.count + 1 %}"}
    assert variant["States"]["Check"]["Choices"][0]["Condition"] == \
        "{% $states.input.count < 3 %}"


def test_jsonata_variant_refuses_a_changed_workload() -> None:
    """If choice-loop stops being a MathAdd counter, the generator says so instead of guessing."""
    loop = {"StartAt": "Inc", "States": {
        "Inc": {"Type": "Pass", "Parameters": {"count.$": "$.other"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.count", "NumericLessThan": 3, "Next": "Inc"}], "Default": "Done"},
        "Done": {"Type": "Succeed"}}}
    with pytest.raises(bench.BenchFailure, match="changed shape"):
        bench.jsonata_choice_loop(loop)


def _python_peer(code: str) -> Any:
    return bench.Peer("fake", lambda d, n, repeat, budget: [sys.executable, "-c", code])


def test_peer_results_are_checked(tmp_path: Path) -> None:
    """A peer's wrong output is reported, its first run dropped as warm-up, a missing peer named."""
    w = _workload(tmp_path, {"v": 1})
    good = json.dumps({"status": "SUCCEEDED", "output": {"v": 1}, "times": [9.0, 0.2, 0.4],
                       "version": "1"})
    row = bench.bench_peer(_python_peer(f"print({good!r})"), w, 2, 1.0, 30.0, 0.1)
    assert row.times == [0.2, 0.4] and row.ratio == pytest.approx(3) and row.version == "1"
    wrong = json.dumps({"status": "SUCCEEDED", "output": {"v": 2}, "times": [0.1]})
    row = bench.bench_peer(_python_peer(f"print({wrong!r})"), w, 2, 1.0, 30.0, 0.1)
    assert row.note.startswith("wrong output") and row.times == []
    row = bench.bench_peer(bench.Peer("gone", None), w, 2, 1.0, 30.0, 0.1)
    assert row.note == "not installed"


def test_peer_timeout_is_a_note(tmp_path: Path) -> None:
    """A peer slower than the timeout is stopped and reported as such."""
    row = bench.bench_peer(_python_peer("import time; time.sleep(5)"),
                           _workload(tmp_path, {"v": 1}), 1, 1.0, 0.5, 0.1)
    assert row.note == "> 0.5 s (stopped)" and row.times == []


def test_table_and_chart_render() -> None:
    """The table (text and Markdown) lists every row; the SVG chart is well-formed with one bar per non-floor row."""
    rows = [bench.Row("pass-chain", "floor", [0.001], 1000, 0.001),
            bench.Row("pass-chain", "asl", [0.01], 1000, 0.001, note="2002 history events"),
            bench.Row("pass-chain", "moto", note="not installed")]
    text = bench.table(rows)
    assert "transitions/s" in text and "10.0x" in text and "not installed" in text
    md = bench.markdown(rows).splitlines()
    assert len(md) == 2 + len(rows) and md[3].startswith("| pass-chain | asl | 10.00 ms |")
    svg = ET.fromstring(bench.svg_chart(rows))
    bars = [e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if e.get("height") != "100%"]
    assert len(bars) == 1


def test_unknown_workload_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--only with a name that is not a workload exits with the list of names."""
    with pytest.raises(SystemExit):
        bench.parse_args(["--only", "nope"])
    assert "choose from" in capsys.readouterr().err


def test_missing_shared_folder_is_a_clear_message(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Without ../shared/bench the script says where it looked and exits 2, no traceback."""
    assert bench.main(["--shared", str(tmp_path), "--peers", "none"]) == 2
    assert "no shared benchmark folder" in capsys.readouterr().err


@needs_shared
def test_end_to_end_on_pass_chain(tmp_path: Path) -> None:
    """One real workload end to end: asl's output checked, JSON figures written."""
    out = tmp_path / "figures.json"
    assert bench.main(["--only", "pass-chain", "--repeat", "1", "--peers", "none",
                       "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    engines = {r["engine"] for r in figures["rows"]}
    assert engines == {"floor", "asl"} and figures["machine"]["nproc"]


# --- the generated distributed Map workloads ------------------------------------------------------

def test_distributed_map_shape() -> None:
    """The generated Map is DISTRIBUTED with EXPRESS children of three Pass states, over $.items."""
    definition = bench.distributed_map(10)
    state = definition["States"]["M"]
    assert state["ItemsPath"] == "$.items"
    assert state["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED",
                                                         "ExecutionType": "EXPRESS"}
    assert [s["Type"] for s in state["ItemProcessor"]["States"].values()] == ["Pass"] * 3
    assert definition["States"]["Final"]["Parameters"]["last.$"] == "$.results[9]"


def test_item_reader_variant_leaves_the_original_alone() -> None:
    """The reader variant swaps ItemsPath for an s3:getObject ItemReader on a copy."""
    plain = bench.distributed_map(5)
    reader = bench.with_item_reader(plain, "b", "k.json")
    state = reader["States"]["M"]
    assert "ItemsPath" not in state
    assert state["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert state["ItemReader"]["Parameters"] == {"Bucket": "b", "Key": "k.json"}
    assert plain["States"]["M"]["ItemsPath"] == "$.items" and "ItemReader" not in plain["States"]["M"]


def test_distributed_workloads_are_written_for_peers(tmp_path: Path) -> None:
    """Both workloads are written in the shared layout, with the items file in the bucket folder."""
    plain, reader = bench.distributed_workloads(tmp_path, items=7)
    assert (plain.name, reader.name) == (bench.DIST_MAP, bench.DIST_MAP_READER)
    for w in (plain, reader):
        assert json.loads(w.path.read_text()) == w.definition
        assert json.loads((tmp_path / f"{w.name}.input.json").read_text()) == w.input
        assert json.loads((tmp_path / f"{w.name}.meta.json").read_text()) == w.meta
    assert plain.transitions == 3 * 7 + 2
    assert plain.expected == {"count": 7, "last": {"v": 8}}
    assert json.loads((tmp_path / "bucket" / "items.json").read_text()) == list(range(1, 8))
    assert reader.options == {"s3_root": str(tmp_path)} and reader.input == {}
    assert reader.floor_definition == plain.definition and reader.floor_input is not None
    assert reader.floor_input() == {"items": list(range(1, 8))}


@pytest.mark.parametrize("which", [0, 1], ids=["items-path", "item-reader"])
def test_distributed_workloads_run_on_asl(tmp_path: Path, which: int) -> None:
    """asl loads each generated workload and produces its expected output, child histories kept."""
    w = bench.distributed_workloads(tmp_path, items=12)[which]
    execution = asl.load(w.definition).run(w.input, clock=asl.VirtualClock(), **w.options)
    bench.check_execution(w.name, execution, w.expected)
    assert bench.history_note(execution).endswith("+ 12 child executions (96 events)")


@needs_shared
@pytest.mark.parametrize("which", [0, 1], ids=["items-path", "item-reader"])
def test_bench_run_on_distributed_workloads(tmp_path: Path, which: int) -> None:
    """bench_run checks asl and the floor equivalent on both variants and measures peak memory."""
    w = bench.distributed_workloads(tmp_path, items=20)[which]
    floor_row, asl_row = bench.bench_run(asl, bench.import_floor(SHARED), w, repeat=1)
    assert (floor_row.engine, asl_row.engine) == ("floor", "asl")
    assert floor_row.peak_bytes and asl_row.peak_bytes
    assert "20 child executions" in asl_row.note


def test_history_note_without_map_runs() -> None:
    """An execution with no distributed Map is described by its own events only."""
    execution = SimpleNamespace(history=[{}] * 4, map_runs=[])
    assert bench.history_note(execution) == "4 history events"


def test_fmt_bytes_units() -> None:
    """Peak memory prints in MiB, or KiB below one MiB, and '-' when not measured."""
    assert bench.fmt_bytes(None) == "-"
    assert bench.fmt_bytes(3 * 2**20) == "3.0 MiB"
    assert bench.fmt_bytes(512 * 2**10) == "512 KiB"


def test_peak_memory_is_reported_in_tables_and_targets() -> None:
    """A measured peak shows in the text and Markdown tables and as a targets line with the rate."""
    rows = [bench.Row("map-5k", "floor", [0.001], 5002, 0.001, peak_bytes=2**20),
            bench.Row("map-5k", "asl", [0.01], 5002, 0.001, peak_bytes=8 * 2**20)]
    assert "peak memory" in bench.table(rows) and "8.0 MiB" in bench.table(rows)
    assert "| 8.0 MiB |" in bench.markdown(rows)
    (line,) = [s for s in bench.summary(rows) if "peak memory" in s]
    assert line.startswith("map-5k: asl 500,200 transitions/s, peak memory 8.0 MiB vs floor 1.0 MiB")


def test_peer_error_keeps_the_reason(tmp_path: Path) -> None:
    """A peer that refuses the definition is n/a with boto3's reason, not its long prefix."""
    code = ("import sys; sys.stderr.write('botocore.exceptions.ClientError: An error occurred () "
            "when calling the CreateStateMachine operation: ASLParserException bad'); sys.exit(1)")
    row = bench.bench_peer(_python_peer(code), _workload(tmp_path, {"v": 1}), 1, 1.0, 30.0, 0.1)
    assert row.note == "n/a (exit 1: CreateStateMachine: ASLParserException bad)"


def test_peers_run_only_the_workloads_they_can_read() -> None:
    """Peers get the ItemsPath distributed Map, never the reader variant (they have no bucket)."""
    for peer in bench.find_peers({"aws-local-stepfunctions", "moto"}):
        assert bench.DIST_MAP in peer.workloads and bench.DIST_MAP_READER not in peer.workloads
