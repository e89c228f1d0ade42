"""The shape of the package: every import in src/asl (function-level and type-checking ones
included) points down the layer order, and no modules import each other in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

#: Bottom to top: a module may import its own layer or a lower one.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("asl._errors", "asl._json", "asl._clock", "asl.schemas"),  # the foundation
    ("asl._languages",),  # JSONPath, payload templates, intrinsics, Choice rules, JSONata
    ("asl._definition",),  # source, schema, rules, validate, the model and its data flows
    ("asl._integrations",),  # what a Task reaches: handlers, Lambda's shapes, mock files
    ("asl._lambda",),  # the local Lambda service: functions, versions, environments, async
    ("asl._runtime",),  # core, history, the state handlers, the executor
    # load() and StateMachine; TestState, offline; pictures of a definition
    ("asl._machine", "asl._test_state", "asl._graph"),
    ("asl",),  # the public face
    ("asl._cli",),  # a front end on the public face
    ("asl.pytest_plugin",),  # the pytest plugin: fixtures on the public face
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / "asl").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()
#: Packages of the distribution that live outside src/asl (schemas/ ships as asl.schemas).
ELSEWHERE = frozenset({"asl.schemas"})


def _imports(name: str, path: Path) -> set[str]:
    """The asl modules `name` imports anywhere in its text (any depth, any branch)."""
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                known = submodule in MODULES or submodule in ELSEWHERE
                targets.add(submodule if known else node.module)
    return {target for target in targets if target == "asl" or target.startswith("asl.")}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    best, index = -1, -1
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, index = len(prefix), number
    assert index >= 0, f"{module} belongs to no layer: add it to LAYERS"
    return index


def test_every_module_belongs_to_a_layer() -> None:
    """A new module must be placed in the layer order before it can be imported."""
    for module in MODULES:
        _layer(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layer_order(module: str) -> None:
    """A module imports only its own layer and the layers below it."""
    upward = sorted(target for target in GRAPH[module]
                    if target in MODULES and _layer(target) > _layer(module))
    assert upward == [], f"{module} (layer {_layer(module)}) imports a higher layer: {upward}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A path of imports from a module back to itself, or None when the graph is a DAG."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)) is not None:
            return cycle
    return None


def test_no_import_cycles() -> None:
    """No module reaches itself through imports, however deferred (function-level imports
    included): the dependency graph is a DAG."""
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_the_cycle_check_reports_a_cycle() -> None:
    """The check can fail: a circle of three modules is found, and a chain is not a circle."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_state_handlers_never_import_the_executor() -> None:
    """Tasks, fan-out and distributed Map are written against `core.Run`; only the machine
    layer (`load`/`StateMachine`, and `test_state`, which runs one state through the
    executor's Run) and `durable` (whose Interpreter checkpoints and journals, and which only
    the machine layer imports) reach the executor, which registers them."""
    importers = sorted(module for module, targets in GRAPH.items()
                       if "asl._runtime.executor" in targets)
    assert importers == ["asl._machine", "asl._runtime.durable", "asl._test_state"]
    durable_importers = sorted(module for module, targets in GRAPH.items()
                               if "asl._runtime.durable" in targets)
    assert set(durable_importers) <= {"asl._machine", "asl._cli.executions", "asl._cli.stop"}
