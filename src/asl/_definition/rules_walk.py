"""The definition walked once for the semantic rules: its scopes (the machine, each Parallel
branch, each Map processor) and its states, with JSON pointers and the effective query language.

Plain slotted classes, not attrs: they are built per state on every validation, and this module
is on the start-up path of `asl validate`. Rules only ever see JSON values (the source pass
rejects anything else), so "an object" is a `dict` and "an array" a `list`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, TypeGuard

from asl._json import escape

JSONPATH, JSONATA = "JSONPath", "JSONata"


class Scope:
    """An object holding StartAt and States: the machine, a Parallel branch or a Map processor.

    `members` are its (object-valued) states, by name, in document order."""

    __slots__ = ("members", "node", "pointer", "states")

    def __init__(self, pointer: str, node: dict[str, Any], states: dict[str, Any]) -> None:
        self.pointer = pointer
        self.node = node
        self.states = states
        self.members: dict[str, State] = {}


class State:
    """One state object with its location and effective query language."""

    __slots__ = ("_targets", "jsonata", "name", "node", "pointer", "scope", "type")

    def __init__(
        self,
        pointer: str,
        name: str,
        node: dict[str, Any],
        type_: str | None,
        jsonata: bool,
        scope: Scope,
    ) -> None:
        self.pointer = pointer
        self.name = name
        self.node = node
        self.type = type_
        self.jsonata = jsonata
        self.scope = scope
        self._targets: list[tuple[tuple[object, ...], Any]] | None = None

    def targets(self) -> list[tuple[tuple[object, ...], Any]]:
        """(pointer parts below the state, target name) of every transition out of it:
        Next, Default, Choices[].Next and Catch[].Next (worked out once, for two rules)."""
        if self._targets is None:
            node = self.node
            found: list[tuple[tuple[object, ...], Any]] = []
            if "Next" in node:
                found.append((("Next",), node["Next"]))
            if "Default" in node:
                found.append((("Default",), node["Default"]))
            for field in ("Choices", "Catch"):
                items = node.get(field)
                if isinstance(items, list):
                    for i, item in enumerate(items):
                        if isinstance(item, dict) and "Next" in item:
                            found.append(((field, i, "Next"), item["Next"]))
            self._targets = found
            return found
        return self._targets


class Machine:
    """The definition walked once: every scope and every (object-valued) state in it."""

    __slots__ = ("jsonata", "root", "scopes", "states")

    def __init__(
        self,
        root: dict[str, Any],
        jsonata: bool,
        scopes: tuple[Scope, ...],
        states: tuple[State, ...],
    ) -> None:
        self.root = root
        self.jsonata = jsonata
        self.scopes = scopes
        self.states = states


def walk(document: dict[str, Any]) -> Machine:
    """Collect the scopes and states of a definition, depth first, in document order."""
    root_jsonata = document.get("QueryLanguage") == JSONATA
    scopes: list[Scope] = []
    states: list[State] = []

    def visit(pointer: str, node: dict[str, Any]) -> None:
        raw = node.get("States")
        scope = Scope(pointer, node, raw if isinstance(raw, dict) else {})
        scopes.append(scope)
        members = scope.members
        base = pointer + "/States/"
        for name, body in scope.states.items():
            if not isinstance(body, dict):
                continue
            here = base + escape(str(name))
            language = body.get("QueryLanguage")
            jsonata = language == JSONATA if language in (JSONPATH, JSONATA) else root_jsonata
            kind = body.get("Type")
            state = State(
                here, str(name), body, kind if isinstance(kind, str) else None, jsonata, scope
            )
            states.append(state)
            members[state.name] = state
            if kind == "Parallel":
                branches = body.get("Branches")
                if isinstance(branches, list):
                    for i, branch in enumerate(branches):
                        if isinstance(branch, dict):
                            visit(f"{here}/Branches/{i}", branch)
            elif kind == "Map":
                for key in ("ItemProcessor", "Iterator"):
                    processor = body.get(key)
                    if isinstance(processor, dict):
                        visit(f"{here}/{key}", processor)

    visit("", document)
    return Machine(document, root_jsonata, tuple(scopes), tuple(states))


def ptr(base: str, *parts: object) -> str:
    """Extend a JSON pointer, escaping `~` and `/` in each part (RFC 6901)."""
    return "/".join((base, *(escape(str(p)) for p in parts)))


#: Up to this many choices, `suggest` compares the name with each of them (difflib); above it,
#: only with the choices one edit away, found through an index, so that a definition with
#: thousands of misspelt names stays near-linear to validate.
_SCAN_ALL = 64
_INDEX: list[Any] = [None, 0, {}]  # the choices last indexed, their count, their deletion index


def suggest(name: str, choices: Iterable[str]) -> str:
    """A " (did you mean ...?)" hint naming the closest of `choices`, or ""; for unknown names only."""
    import difflib  # only a misspelt name pays for it

    pool = choices if isinstance(choices, dict | set | frozenset | list | tuple) else list(choices)
    if len(pool) > _SCAN_ALL:
        pool = _one_edit_away(name, pool)
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _one_edit_away(name: str, choices: Collection[str]) -> list[str]:
    """The choices within one insertion, deletion or substitution of `name` (a deletion index,
    built once per choices object: callers pass one scope's names for each of its states)."""
    if _INDEX[0] is not choices or _INDEX[1] != len(choices):
        index: dict[str, list[str]] = {}
        for choice in choices:
            if isinstance(choice, str) and len(choice) <= 200:
                for key in _deletions(choice):
                    index.setdefault(key, []).append(choice)
        _INDEX[:] = [choices, len(choices), index]
    index = _INDEX[2]
    found: dict[str, None] = {}
    if len(name) <= 200:
        for key in _deletions(name):
            for choice in index.get(key, ()):
                if choice in choices:  # still there (the index may predate a change)
                    found[choice] = None
    return list(found)


def dig(node: Any, keys: Iterable[str]) -> Any:
    """`node[k1][k2]...`, or None when a step is not an object."""
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def number(value: Any) -> TypeGuard[int | float]:
    """A JSON number (booleans are Python ints, but not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
