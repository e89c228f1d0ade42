"""A picture of a state machine: its states as nodes, transitions as edges (Choice rules, Catch
and Retry marked), Parallel branches and Map processors as nested clusters; optionally
coloured by one execution's history (the path taken, the failed state). Rendered as Mermaid or
Graphviz DOT text; `asl graph` turns DOT into SVG or PNG with Graphviz's `dot`.

It reads the definition document (a validated one: `StateMachine.definition`), not the compiled
model, since a picture needs the fields as written (rule texts, error names)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

#: Kinds of edge: a state's Next, a Choice rule, a Choice's Default, a Catch, a Retry (a loop
#: back to the state), into a branch or iteration, out of one (to its Parallel's or Map's end),
#: and the machine's start and end.
NEXT, RULE, DEFAULT, CATCH, RETRY, BRANCH, JOIN, START, END = (
    "next", "rule", "default", "catch", "retry", "branch", "join", "start", "end")

#: Node shapes by state type (Mermaid / DOT names are picked by the renderers).
_TERMINAL = frozenset({"Succeed", "Fail"})
_FANOUT = frozenset({"Parallel", "Map"})
_LABEL = 48  # the longest edge label; a Choice rule longer than this is cut


@attrs.frozen
class Node:
    id: str
    name: str  # the state's name ("" for the start, end and join points)
    type: str  # a state type, or "start", "end", "join"


@attrs.frozen
class Edge:
    source: str
    target: str
    kind: str
    label: str = ""


@attrs.frozen
class Cluster:
    """A Parallel or Map state (`node`: its own node, `join`: where its branches meet) or one
    of its branches / its processor (`node` and `join` empty)."""

    id: str
    label: str
    members: tuple[str, ...]
    clusters: tuple[Cluster, ...]
    node: str = ""
    join: str = ""


@attrs.frozen
class Overlay:
    """What one execution did, by node id: the states it entered, those that failed, those cut
    short (aborted), the edges it took (by index into `Picture.edges`)."""

    visited: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    aborted: frozenset[str] = frozenset()
    taken: frozenset[int] = frozenset()
    unknown: tuple[str, ...] = ()  # state names the history has and the machine lacks


@attrs.frozen
class Picture:
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    top: Cluster  # the machine itself: its members and its Parallel/Map clusters
    overlay: Overlay = Overlay()

    def by_name(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for node in self.nodes:
            if node.name:
                found.setdefault(node.name, []).append(node.id)
        return found


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self._count = 0
        self._clusters = 0

    def node(self, name: str, kind: str) -> str:
        self._count += 1
        node_id = f"s{self._count}"
        self.nodes.append(Node(node_id, name, kind))
        return node_id

    def cluster_id(self) -> str:
        self._clusters += 1
        return f"c{self._clusters}"

    def graph(self, definition: Mapping[str, Any], entry: str, exit: str, exit_kind: str
              ) -> tuple[list[str], list[Cluster]]:
        """The nodes and clusters of one `{StartAt, States}` graph, its edges recorded: `entry`
        leads to StartAt, and each state that ends the graph leads to `exit`."""
        states: Mapping[str, Any] = definition.get("States") or {}
        ids: dict[str, str] = {}
        members: list[str] = []
        clusters: list[Cluster] = []
        inner: dict[str, tuple[str, str]] = {}  # state name -> (its node, where its Next leaves)
        for name, state in states.items():
            kind = state.get("Type", "?") if isinstance(state, Mapping) else "?"
            ids[name] = node = self.node(name, kind)
            if kind in _FANOUT and isinstance(state, Mapping):
                cluster = self._fanout(name, kind, state, node)
                clusters.append(cluster)
                inner[name] = (node, cluster.join)
            else:
                members.append(node)
                inner[name] = (node, node)
        start = definition.get("StartAt")
        if isinstance(start, str) and start in ids:
            self.edges.append(Edge(entry, ids[start], BRANCH if exit_kind == JOIN else START))
        for name, state in states.items():
            if not isinstance(state, Mapping):
                continue
            node, leaves = inner[name]
            for rule in state.get("Retry") or ():
                if isinstance(rule, Mapping):
                    self.edges.append(Edge(node, node, RETRY, _retry_label(rule)))
            for target, kind, label in _transitions(state):
                if target in ids:
                    self.edges.append(Edge(node if kind == CATCH else leaves, ids[target], kind, label))
            if state.get("End") is True or state.get("Type") in _TERMINAL:
                self.edges.append(Edge(leaves, exit, exit_kind))
        return members, clusters

    def _fanout(self, name: str, kind: str, state: Mapping[str, Any], node: str) -> Cluster:
        join = self.node("", "join")
        if kind == "Parallel":
            graphs = [(f"Branch {i}", branch) for i, branch in enumerate(state.get("Branches") or (), 1)]
            label = f"{name} (Parallel)"
        else:
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            mode = (processor.get("ProcessorConfig") or {}).get("Mode", "INLINE") \
                if isinstance(processor, Mapping) else "INLINE"
            graphs = [("Iteration" if mode != "DISTRIBUTED" else "Child execution", processor)]
            label = f"{name} (Map)" if mode != "DISTRIBUTED" else f"{name} (Map, distributed)"
        own = self.cluster_id()
        inner: list[Cluster] = []
        for title, graph in graphs:
            if not isinstance(graph, Mapping):
                continue
            cluster = self.cluster_id()
            members, clusters = self.graph(graph, node, join, JOIN)
            inner.append(Cluster(cluster, title, tuple(members), tuple(clusters)))
        return Cluster(own, label, (node, join), tuple(inner), node=node, join=join)


def _transitions(state: Mapping[str, Any]) -> Iterable[tuple[Any, str, str]]:
    if "Next" in state:
        yield state["Next"], NEXT, ""
    for index, rule in enumerate(state.get("Choices") or (), 1):
        if isinstance(rule, Mapping):
            yield rule.get("Next"), RULE, _rule_label(rule, index)
    if "Default" in state:
        yield state["Default"], DEFAULT, "Default"
    for catcher in state.get("Catch") or ():
        if isinstance(catcher, Mapping):
            yield catcher.get("Next"), CATCH, "Catch: " + _errors(catcher)


def _errors(rule: Mapping[str, Any]) -> str:
    names = rule.get("ErrorEquals") or ()
    return ", ".join(str(name) for name in names) if isinstance(names, list) else str(names)


def _retry_label(rule: Mapping[str, Any]) -> str:
    attempts = rule.get("MaxAttempts", 3)
    return f"Retry: {_errors(rule)} (max {attempts})"


#: Short forms of Choice comparison operators (the ...Path forms compare to another path).
_OPERATORS = {
    "Equals": "==", "GreaterThan": ">", "GreaterThanEquals": ">=", "LessThan": "<",
    "LessThanEquals": "<=", "Matches": "matches",
}


def _rule_label(rule: Mapping[str, Any], index: int) -> str:
    condition = rule.get("Condition")
    if isinstance(condition, str):  # JSONata
        text = condition.removeprefix("{%").removesuffix("%}").strip()
    elif "Variable" in rule:
        text = str(rule["Variable"])
        for key, value in rule.items():
            if key in ("Variable", "Next", "Comment", "Assign", "Output"):
                continue
            op = key.removesuffix("Path")
            for word in ("String", "Numeric", "Boolean", "Timestamp"):
                op = op.removeprefix(word)
            if op.startswith("Is"):
                text += f" {key}" if value is True else f" not {key}"
            else:
                shown = value if key.endswith("Path") else json.dumps(value, ensure_ascii=False)
                text += f" {_OPERATORS.get(op, key)} {shown}"
            break
    else:
        operator = next((key for key in ("And", "Or", "Not") if key in rule), "")
        text = f"rule {index}" + (f" ({operator})" if operator else "")
    return text if len(text) <= _LABEL else text[: _LABEL - 3] + "..."


def build(definition: Mapping[str, Any], title: str = "StateMachine") -> Picture:
    """The picture of a definition (a dict as `asl.load` accepted it)."""
    builder = _Builder()
    start = builder.node("", "start")
    end = builder.node("", "end")
    members, clusters = builder.graph(definition, start, end, END)
    top = Cluster("top", title, (start, *members, end), tuple(clusters))
    return Picture(title, tuple(builder.nodes), tuple(builder.edges), top)


# --- An execution laid over the picture --------------------------------------------------------

_SCHEDULED = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})


def overlay(picture: Picture, events: Sequence[Mapping[str, Any]]) -> Picture:
    """`picture` coloured by a history (GetExecutionHistory's events): the states entered, the
    failed ones (entered, never exited, not aborted), the aborted ones, the edges taken."""
    by_name = picture.by_name()
    nodes = {node.id: node for node in picture.nodes}
    fanout_join = {cluster.node: cluster.join for cluster in _all_clusters(picture.top) if cluster.node}
    entered: dict[int, str] = {}  # entry event id -> state name
    owner: dict[int, int | None] = {}  # event id -> entry id of the state it belongs to
    parent: dict[int, int | None] = {}
    exited_of: dict[int, int] = {}  # exit event id -> entry id
    open_entries: set[int] = set()
    failing: set[int] = set()  # entries with a failure of their own (or the execution's end)
    attempts: dict[int, int] = {}
    transitions: set[tuple[str, str]] = set()  # (from name or "", to name)
    unknown: list[str] = []
    succeeded = False
    for event in events:
        kind = str(event.get("type", ""))
        event_id = event.get("id")
        previous = event.get("previousEventId", 0)
        if not isinstance(event_id, int):
            continue
        context = parent.get(exited_of[previous]) if previous in exited_of else owner.get(previous)
        details = next((value for key, value in event.items()
                        if key.endswith("EventDetails") and isinstance(value, dict)), {})
        if kind.endswith("StateEntered"):
            name = str(details.get("name", ""))
            entered[event_id] = name
            owner[event_id] = event_id
            parent[event_id] = context
            open_entries.add(event_id)
            if kind == "FailStateEntered":
                failing.add(event_id)
            if name not in by_name and name not in unknown:
                unknown.append(name)
            before = exited_of.get(previous)
            if before is not None:
                transitions.add((entered[before], name))
            elif context is not None and owner.get(previous) == context:
                transitions.add((entered[context], name))  # the first state of a branch
            elif context is None:
                transitions.add(("", name))
        elif kind.endswith("StateExited") and context is not None:
            # After a failure the chain can run through the failed state: the exit is of the
            # innermost open state of its name.
            exit_name = details.get("name")
            entry: int | None = context
            while entry is not None and entered.get(entry) != exit_name:
                entry = parent.get(entry)
            entry = context if entry is None else entry
            exited_of[event_id] = entry
            open_entries.discard(entry)
        else:
            owner[event_id] = context
            if context is not None:
                if kind.endswith(("Failed", "TimedOut")) or kind in ("ExecutionFailed",
                                                                      "ExecutionTimedOut"):
                    failing.add(context)
                elif kind in _SCHEDULED:
                    attempts[context] = attempts.get(context, 0) + 1
            if kind == "ExecutionSucceeded":
                succeeded = True
    # A failure fails the Parallels and Maps around it too; the other states left open were
    # cut short (aborted) by it, or by the execution's stop.
    failed_entries: set[int] = set()
    for entry in failing:
        step: int | None = entry
        while step is not None and step in open_entries and step not in failed_entries:
            failed_entries.add(step)
            step = parent.get(step)
    visited_names = set(entered.values())
    failed_names = {entered[e] for e in failed_entries}
    aborted_names = {entered[e] for e in open_entries - failed_entries}
    retried = {entered[e] for e, count in attempts.items() if count > 1}
    exited_names = {entered[e] for e in exited_of.values()}

    def ids(names: Iterable[str]) -> frozenset[str]:
        return frozenset(node_id for name in names for node_id in by_name.get(name, ()))

    visited = ids(visited_names)
    taken: set[int] = set()
    for index, edge in enumerate(picture.edges):
        source, target = nodes[edge.source], nodes[edge.target]
        if edge.kind == START:
            hit = target.id in visited
        elif edge.kind == END:
            hit = succeeded and _state_of(source, nodes, fanout_join) in exited_names
        elif edge.kind == RETRY:
            hit = source.name in retried
        elif edge.kind == BRANCH:
            hit = (source.name, target.name) in transitions
        elif edge.kind == JOIN:
            hit = _state_of(source, nodes, fanout_join) in exited_names
        else:
            hit = (_state_of(source, nodes, fanout_join), target.name) in transitions
        if hit:
            taken.add(index)
    for index, edge in enumerate(picture.edges):  # a fan-out's end point, once it was left
        if edge.kind != JOIN and nodes[edge.source].type == "join" and index in taken:
            visited |= {edge.source}
    joins = {join for node_id, join in fanout_join.items() if node_id in visited
             and nodes[node_id].name in exited_names}
    start_end = {edge.source for i, edge in enumerate(picture.edges) if edge.kind == START and i in taken}
    start_end |= {edge.target for i, edge in enumerate(picture.edges) if edge.kind == END and i in taken}
    return attrs.evolve(picture, overlay=Overlay(
        visited=frozenset(visited | joins | start_end), failed=ids(failed_names),
        aborted=ids(aborted_names - failed_names), taken=frozenset(taken), unknown=tuple(unknown)))


def _state_of(node: Node, nodes: Mapping[str, Node], fanout_join: Mapping[str, str]) -> str:
    """The state a node stands for (a join point stands for its Parallel or Map)."""
    if node.type == "join":
        for fork, join in fanout_join.items():
            if join == node.id:
                return nodes[fork].name
    return node.name


def _all_clusters(cluster: Cluster) -> Iterable[Cluster]:
    for inner in cluster.clusters:
        yield inner
        yield from _all_clusters(inner)


# --- Mermaid -----------------------------------------------------------------------------------

_VISITED = ("#e6f4ea", "#1e8e3e")
_FAILED = ("#fce8e6", "#d93025")
_ABORTED = ("#f1f3f4", "#9aa0a6")


def _mermaid_text(text: str) -> str:
    # Inside a quoted label: Mermaid's entity codes for what would end or mark up the text.
    return (text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;"))


def _mermaid_node(node: Node) -> str:
    label = _mermaid_text(node.name)
    if node.type == "start":
        return f'{node.id}(("Start"))'
    if node.type == "end":
        return f'{node.id}(("End"))'
    if node.type == "join":
        return f'{node.id}((" "))'
    if node.type == "Choice":
        return f'{node.id}{{"{label}"}}'
    if node.type in _TERMINAL:
        return f'{node.id}(["{label}"])'
    if node.type in _FANOUT:
        return f'{node.id}[["{label}"]]'
    if node.type == "Wait":
        return f'{node.id}[/"{label}"/]'
    return f'{node.id}["{label}"]'


def mermaid(picture: Picture) -> str:
    """Mermaid flowchart text."""
    nodes = {node.id: node for node in picture.nodes}
    lines = ["flowchart TD"]

    def emit(cluster: Cluster, depth: int) -> None:
        pad = "    " * depth
        for member in cluster.members:
            lines.append(pad + _mermaid_node(nodes[member]))
        for inner in cluster.clusters:
            lines.append(f'{pad}subgraph {inner.id} ["{_mermaid_text(inner.label)}"]')
            emit(inner, depth + 1)
            lines.append(pad + "end")

    emit(picture.top, 1)
    for edge in picture.edges:
        arrow = "-.->" if edge.kind in (CATCH, RETRY) else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"    {edge.source} {arrow}{label} {edge.target}")
    lines.extend(_mermaid_overlay(picture))
    return "\n".join(lines) + "\n"


def _mermaid_overlay(picture: Picture) -> list[str]:
    mark = picture.overlay
    if not (mark.visited or mark.taken):
        return []
    lines = [
        f"    classDef visited fill:{_VISITED[0]},stroke:{_VISITED[1]},stroke-width:2px",
        f"    classDef failed fill:{_FAILED[0]},stroke:{_FAILED[1]},stroke-width:3px",
        f"    classDef aborted fill:{_ABORTED[0]},stroke:{_ABORTED[1]},stroke-dasharray:4",
    ]
    for name, chosen in (("visited", mark.visited - mark.failed - mark.aborted),
                         ("failed", mark.failed), ("aborted", mark.aborted)):
        ordered = [node.id for node in picture.nodes if node.id in chosen]
        if ordered:
            lines.append(f"    class {','.join(ordered)} {name}")
    if mark.taken:
        lines.append(f"    linkStyle {','.join(str(i) for i in sorted(mark.taken))} "
                     f"stroke:{_VISITED[1]},stroke-width:3px")
    return lines


# --- Graphviz DOT ------------------------------------------------------------------------------

def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_DOT_SHAPES = {"Choice": "diamond", "Succeed": "box", "Fail": "box", "Parallel": "box3d",
               "Map": "box3d", "Wait": "parallelogram"}


def _dot_node(node: Node, mark: Overlay) -> str:
    if node.type == "start":
        attrs_ = {"shape": "circle", "label": "Start", "width": "0.6", "fixedsize": "true"}
    elif node.type == "end":
        attrs_ = {"shape": "doublecircle", "label": "End", "width": "0.6", "fixedsize": "true"}
    elif node.type == "join":
        attrs_ = {"shape": "point", "width": "0.12", "label": ""}
    else:
        attrs_ = {"shape": _DOT_SHAPES.get(node.type, "box"), "label": node.name,
                  "style": "rounded" if node.type not in _DOT_SHAPES or node.type in _TERMINAL else ""}
        if node.type == "Fail":
            attrs_["peripheries"] = "2"
    colours = (_FAILED if node.id in mark.failed else _ABORTED if node.id in mark.aborted
               else _VISITED if node.id in mark.visited else None)
    if colours is not None:
        style = [s for s in (attrs_.get("style", ""), "filled") if s]
        if node.id in mark.failed:
            style.append("bold")
        if node.id in mark.aborted:
            style.append("dashed")
        attrs_.update(style=",".join(style), fillcolor=colours[0], color=colours[1])
    shown = ", ".join(f"{key}={_dot_text(value)}" for key, value in attrs_.items() if value != "")
    if node.type == "join" and "label" not in shown:
        shown += ', label=""'
    return f"{node.id} [{shown}];"


def dot(picture: Picture) -> str:
    """Graphviz DOT text."""
    nodes = {node.id: node for node in picture.nodes}
    mark = picture.overlay
    lines = [f"digraph {_dot_text(picture.title)} {{",
             "    rankdir=TB;",
             '    node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];',
             '    edge [fontname="Helvetica", fontsize=9];',
             '    graph [fontname="Helvetica", fontsize=11];']

    def emit(cluster: Cluster, depth: int) -> None:
        pad = "    " * depth
        for member in cluster.members:
            lines.append(pad + _dot_node(nodes[member], mark))
        for inner in cluster.clusters:
            style = "dashed" if inner.node else "rounded"
            lines.append(f"{pad}subgraph cluster_{inner.id} {{")
            lines.append(f"{pad}    label={_dot_text(inner.label)}; style={style};")
            emit(inner, depth + 1)
            lines.append(pad + "}")

    emit(picture.top, 1)
    for index, edge in enumerate(picture.edges):
        attributes: dict[str, str] = {}
        if edge.label:
            attributes["label"] = edge.label
        if edge.kind == CATCH:
            attributes.update(style="dashed", color="#d93025", fontcolor="#d93025")
        elif edge.kind == RETRY:
            attributes.update(style="dotted", color="#e37400", fontcolor="#e37400")
        if index in mark.taken:
            attributes.update(color=_VISITED[1], penwidth="2.5")
        shown = ", ".join(f"{key}={_dot_text(value)}" for key, value in attributes.items())
        lines.append(f"    {edge.source} -> {edge.target}" + (f" [{shown}];" if shown else ";"))
    lines.append("}")
    return "\n".join(lines) + "\n"
