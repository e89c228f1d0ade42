"""Pictures of machines (`asl._graph`, `asl graph`): golden Mermaid and DOT for a machine with
Parallel and Map, every state and transition drawn once, an execution's path coloured, and the
SVG Graphviz draws naming every state."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import asl
from asl import _graph

HERE = Path(__file__).resolve().parent / "graph"
MACHINE = HERE / "fulfil.asl.json"
DEFINITION = json.loads(MACHINE.read_text())
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(Path(asl.__file__).resolve().parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
REGENERATE = "python -m asl._cli graph tests/graph/fulfil.asl.json --format {} > tests/graph/fulfil.{}"


def asl_cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "asl._cli", *argv], capture_output=True, text=True,
                          timeout=120, check=False, env=env or ENV)


def _names(definition: dict[str, Any]) -> list[str]:
    found = []
    for name, state in definition["States"].items():
        found.append(name)
        for graph in state.get("Branches", []) + [state.get("ItemProcessor") or state.get("Iterator") or {}]:
            if graph:
                found.extend(_names(graph))
    return found


@pytest.mark.parametrize(("fmt", "suffix"), [("mermaid", "mmd"), ("dot", "dot")])
def test_golden_output(fmt: str, suffix: str) -> None:
    """`asl graph` prints exactly the reviewed picture (after a deliberate change, regenerate
    it with the command in the message and review the diff)."""
    done = asl_cli("graph", str(MACHINE), "--format", fmt)
    assert done.returncode == 0, done.stderr
    expected = (HERE / f"fulfil.{suffix}").read_text()
    assert done.stdout == expected, "regenerate with: " + REGENERATE.format(fmt, suffix)


def test_each_state_is_one_node_and_each_transition_one_edge() -> None:
    picture = _graph.build(DEFINITION)
    names = [node.name for node in picture.nodes if node.name]
    assert sorted(names) == sorted(_names(DEFINITION))
    by_name = {node.name: node.id for node in picture.nodes if node.name}
    joins = {c.node: c.join for c in _graph._all_clusters(picture.top) if c.node}
    edges = {(e.source, e.target, e.kind) for e in picture.edges}
    assert len(edges) == len(picture.edges)
    route = by_name["Route"]
    assert {(e.target, e.label) for e in picture.edges if e.source == route} == {
        (by_name["Review"], "$.total > 1000"), (by_name["Fulfil"], "rule 2 (And)"),
        (by_name["Fulfil"], "Default")}
    assert (by_name["Validate"], by_name["Validate"], "retry") in edges
    assert (by_name["Validate"], by_name["Rejected"], "catch") in edges
    # A Parallel's Catch leaves the state itself; its Next leaves where its branches meet.
    assert (by_name["Fulfil"], by_name["Rejected"], "catch") in edges
    assert (joins[by_name["Fulfil"]], by_name["Notify"], "next") in edges
    assert (by_name["Fulfil"], by_name["Charge"], "branch") in edges
    assert (joins[by_name["Pack"]], joins[by_name["Fulfil"]], "join") in edges


def test_branches_and_processors_are_nested_clusters() -> None:
    picture = _graph.build(DEFINITION)
    nodes = {node.id: node.name for node in picture.nodes}

    def shape(cluster: _graph.Cluster) -> Any:
        return (cluster.label, sorted(nodes[m] for m in cluster.members if nodes[m]),
                [shape(inner) for inner in cluster.clusters])

    assert [shape(c) for c in picture.top.clusters] == [
        ("Fulfil (Parallel)", ["Fulfil"], [
            ("Branch 1", ["Charge"], []),
            ("Branch 2", [], [("Pack (Map)", ["Pack"], [("Iteration", ["Pick"], [])])]),
        ]),
        ("Notify (Map)", ["Notify"], [("Iteration", ["Channel", "Email", 'Text "SMS"'], [])]),
    ]


class OutOfStock(Exception):
    pass


def _run(handlers: dict[str, Any], data: dict[str, Any]) -> Any:
    return asl.load(DEFINITION).run(data, handlers=handlers, clock=asl.VirtualClock())


ORDER = {"total": 5, "express": False, "country": "NZ", "items": [1, 2], "contacts": [{"sms": 1}]}


def _coloured(picture: _graph.Picture) -> tuple[set[str], set[str], set[str], set[tuple[str, str]]]:
    names = {node.id: node.name or node.type for node in picture.nodes}
    mark = picture.overlay
    taken = {(names[picture.edges[i].source], names[picture.edges[i].target]) for i in mark.taken}
    return ({names[i] for i in mark.visited}, {names[i] for i in mark.failed},
            {names[i] for i in mark.aborted}, taken)


def test_a_caught_failure_colours_the_path_and_marks_the_failed_states() -> None:
    """Charge fails, Fulfil's Catch goes to Rejected (a Fail state): both failed states are
    marked, the Catch edge is taken, the states after Fulfil are not visited."""
    def charge(event: Any, context: Any) -> Any:
        raise OutOfStock("none left")

    execution = _run({"validate": lambda e, c: e, "charge": charge}, ORDER)
    assert execution.status == "FAILED"
    visited, failed, aborted, taken = _coloured(_graph.overlay(_graph.build(DEFINITION),
                                                               execution.history))
    assert failed == {"Charge", "Rejected"}
    assert aborted == set()
    # (Pack's branch may or may not have started before Charge failed: threads decide.)
    assert {"Validate", "Route", "Fulfil", "Charge", "start"} <= visited
    assert not visited & {"Notify", "Review", "Done", "Email"}
    assert ("Fulfil", "Rejected") in taken and ("Route", "Fulfil") in taken
    assert ("start", "Validate") in taken and ("Rejected", "end") not in taken


def test_a_success_colours_the_path_to_the_end() -> None:
    execution = _run({"validate": lambda e, c: e, "charge": lambda e, c: "ok"}, ORDER)
    assert execution.status == "SUCCEEDED"
    visited, failed, aborted, taken = _coloured(_graph.overlay(_graph.build(DEFINITION),
                                                               execution.history))
    assert failed == aborted == set()
    assert {"Notify", "Channel", 'Text "SMS"', "Done", "end"} <= visited
    assert "Email" not in visited and "Rejected" not in visited
    assert {("Channel", 'Text "SMS"'), ("Done", "end"), ("join", "Notify")} <= taken
    assert ("Validate", "Validate") not in taken  # no retry happened


def test_a_retry_edge_is_taken_when_a_task_was_retried() -> None:
    class Throttled(Exception):
        pass

    calls: list[int] = []

    def validate(event: Any, context: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise Throttled("slow down")
        return event

    execution = _run({"validate": validate, "charge": lambda e, c: "ok"}, ORDER)
    _, _, _, taken = _coloured(_graph.overlay(_graph.build(DEFINITION), execution.history))
    assert ("Validate", "Validate") in taken


def test_an_uncaught_branch_failure_fails_its_parallel_and_aborts_the_sibling() -> None:
    """Boom fails while its sibling waits: Boom and the Parallel around it are failed, the
    waiting state (cut, with a WaitStateAborted event) is aborted."""
    import threading
    import time

    fn = "arn:aws:lambda:us-east-1:123456789012:function:"
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Boom", "States": {"Boom": {"Type": "Task", "Resource": fn + "boom", "End": True}}},
        {"StartAt": "Ready", "States": {
            "Ready": {"Type": "Task", "Resource": fn + "ready", "Next": "Sleep"},
            "Sleep": {"Type": "Wait", "Seconds": 60, "End": True}}}]}}}
    ready = threading.Event()

    def mark_ready(event: Any, context: Any) -> Any:
        ready.set()
        return event

    def boom(event: Any, context: Any) -> Any:
        assert ready.wait(30)
        time.sleep(0.2)  # the sibling goes from Ready into its Wait meanwhile: cut, not skipped
        raise OutOfStock("none left")

    # The real clock: the Wait is cut when Boom fails, not run to its end.
    execution = asl.load(definition).run({}, handlers={"boom": boom, "ready": mark_ready})
    assert execution.status == "FAILED"
    assert "WaitStateAborted" in execution.history_types
    visited, failed, aborted, _ = _coloured(_graph.overlay(_graph.build(definition), execution.history))
    assert failed == {"Boom", "Both"}
    assert aborted == {"Sleep"}
    assert "Ready" in visited


def test_names_are_escaped_for_each_format() -> None:
    name = 'say "hi" #1 <b> \\ back'
    picture = _graph.build({"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}})
    assert '["say #quot;hi#quot; #35;1 #lt;b#gt; \\ back"]' in _graph.mermaid(picture)
    assert 'label="say \\"hi\\" #1 <b> \\\\ back"' in _graph.dot(picture)


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@needs_dot
def test_the_svg_names_every_state(tmp_path: Path) -> None:
    done = asl_cli("graph", str(MACHINE), "--format", "svg")
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE"))
    texts = {html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", done.stdout)}
    assert set(_names(DEFINITION)) <= texts


@needs_dot
def test_png_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "fulfil.png"
    done = asl_cli("graph", str(MACHINE), "--format", "png", "-o", str(target))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert target.read_bytes().startswith(b"\x89PNG")


def test_without_graphviz_svg_is_a_clear_usage_error(tmp_path: Path) -> None:
    done = asl_cli("graph", str(MACHINE), "--format", "svg", env={**ENV, "PATH": str(tmp_path)})
    assert (done.returncode, done.stdout) == (2, "")
    assert "needs Graphviz's `dot` program, which is not on PATH" in done.stderr


def test_execution_from_a_history_file(tmp_path: Path) -> None:
    """`asl run --history FILE` then `asl graph --execution FILE`: the failed state is drawn red."""
    handlers = tmp_path / "h.py"
    handlers.write_text("class OutOfStock(Exception):\n    pass\n\n"
                        "def validate(event, context):\n    return event\n\n"
                        "def charge(event, context):\n    raise OutOfStock('none left')\n")
    history = tmp_path / "history.json"
    run = asl_cli("run", str(MACHINE), json.dumps(ORDER), "--handlers", str(handlers),
                  "--virtual-clock", "--history", str(history))
    assert run.returncode == 1 and run.stderr == "OrderRejected: see the order's error\n"
    done = asl_cli("graph", str(MACHINE), "--format", "mermaid", "--execution", str(history))
    assert done.returncode == 0, done.stderr
    failed = re.search(r"^    class (\S+) failed$", done.stdout, re.M)
    assert failed is not None
    nodes = dict(re.findall(r'^\s+(s\d+)\S*?"([^"]*)"', done.stdout, re.M))
    assert sorted(nodes[i] for i in failed.group(1).split(",")) == ["Charge", "Rejected"]


@pytest.mark.parametrize(("content", "says"), [
    ("not json at all", "not JSON, nor JSON lines"),
    ('{"events": 3}', 'expected {"events": [...]}'),
    ('[{"id": 1}]', 'each event an object with a "type"'),
])
def test_a_bad_history_is_a_usage_error(tmp_path: Path, content: str, says: str) -> None:
    history = tmp_path / "history.json"
    history.write_text(content)
    done = asl_cli("graph", str(MACHINE), "--execution", str(history))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"asl graph: cannot read the execution history {history}: ")
    assert says in done.stderr and "Traceback" not in done.stderr


def test_a_history_of_another_machine_is_warned_about(tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"id": 1, "previousEventId": 0, "type": "PassStateEntered",
                                    "stateEnteredEventDetails": {"name": "Elsewhere"}}]))
    done = asl_cli("graph", str(MACHINE), "--execution", str(history))
    assert done.returncode == 0
    assert "does not have: Elsewhere" in done.stderr


def test_an_invalid_machine_exits_1_with_its_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.asl.json"
    bad.write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass"}}}')
    done = asl_cli("graph", str(bad))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"{bad}:")


def test_a_template_machine(tmp_path: Path) -> None:
    """TEMPLATE#LogicalId (or a template with one machine) draws that machine."""
    template = tmp_path / "template.yaml"
    template.write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Flow:\n'
                        "    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
                        "      Definition:\n        StartAt: A\n        States:\n"
                        "          A: {Type: Pass, Next: B}\n          B: {Type: Succeed}\n")
    for target in (str(template), f"{template}#Flow"):
        done = asl_cli("graph", target, "--format", "dot")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith('digraph "') and 'label="A"' in done.stdout
    assert asl_cli("graph", f"{template}#Flow", "--format", "dot").stdout.startswith('digraph "Flow"')
    done = asl_cli("graph", f"{template}#Missing")
    assert done.returncode == 1 and "Missing" in done.stderr and "Traceback" not in done.stderr
