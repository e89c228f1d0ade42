"""A JSON or YAML template parsed with what the kind modules need from it: the document (YAML's
short-form tags `!Ref`, `!GetAtt`, `!Sub`, ... read as their long forms, as CloudFormation and
the Serverless Framework do), each pointer's line and column, and a string value's text mapped
character by character to the file."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from asl._definition import source as _source
from asl._definition.templates.mapped import (
    MappedText,
    Position,
    block_text,
    fixed_text,
    json_string,
)
from asl._errors import Problem
from asl._json import join

# CloudFormation's short forms: `!Name` -> {"Fn::Name": ...}, except these two.
_TAGS = ("Ref", "Condition", "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue",
         "Join", "Select", "Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or",
         "ToJsonString", "Length", "ForEach")  # fmt: skip


def long_form(tag: str) -> str:
    return tag if tag in ("Ref", "Condition") else f"Fn::{tag}"


_LOADERS: dict[bool, type] = {}


def cfn_loader(yaml12: bool = False) -> type:
    """The definitions' YAML loader (timestamps stay strings) that also reads CloudFormation's
    short-form tags. `yaml12`: YAML 1.2's booleans (only true and false; `yes`, `no`, `on`,
    `off` are strings), as the Serverless Framework's js-yaml reads them."""
    if yaml12 not in _LOADERS:
        import yaml

        base: Any = _source.yaml_loader()

        class Loader(base):  # type: ignore[misc]  # chosen at run time
            pass

        if yaml12:
            bool_tag = "tag:yaml.org,2002:bool"
            Loader.yaml_implicit_resolvers = {
                first: [(tag, regexp) for tag, regexp in resolvers if tag != bool_tag]
                for first, resolvers in base.yaml_implicit_resolvers.items()
            }
            Loader.add_implicit_resolver(
                bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
            )

        def constructor(tag: str) -> Callable[[Any, Any], Any]:
            def construct(loader: Any, node: Any) -> Any:
                if isinstance(node, yaml.ScalarNode):
                    value: Any = loader.construct_scalar(node)
                    if tag == "GetAtt" and isinstance(value, str):
                        value = value.split(".", 1)
                elif isinstance(node, yaml.SequenceNode):
                    value = loader.construct_sequence(node, deep=True)
                else:
                    value = loader.construct_mapping(node, deep=True)
                return {long_form(tag): value}

            return construct

        for tag in _TAGS:
            Loader.add_constructor(f"!{tag}", constructor(tag))
        _LOADERS[yaml12] = Loader
    return _LOADERS[yaml12]


class Parsed:
    """A template file: `document` (None when it cannot be read), `problems` (syntax), and
    `locate(pointer)` / `text_at(pointer)` into the file."""

    def __init__(self, name: str, text: str, yaml_style: bool, yaml12: bool = False) -> None:
        self.name = name
        self.yaml12 = yaml12
        self.text = text
        self.problems: tuple[Problem, ...] = ()
        self._positions: dict[str, Position] = {}
        self._nodes: dict[str, Any] = {}
        self._offsets: dict[str, int] | None = None
        self._lines = text.splitlines()
        self.document: Any = self._yaml() if yaml_style else self._json()

    # -- reading

    def _json(self) -> Any:
        loaded = _source.load_source(self.text)
        self.problems = tuple(p for p in loaded.problems if p.code != _source.NOT_AN_OBJECT)
        if loaded.document is not None:
            self._offsets, _ = _source._scan(self.text)
        self._json_source = loaded
        return loaded.document

    def _yaml(self) -> Any:
        import yaml

        loader = cfn_loader(self.yaml12)(self.text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            document = loader.construct_document(node)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            self.problems = (
                Problem("", _source.SYNTAX, f"invalid YAML: {error.problem or error.context}",
                        line=mark.line + 1 if mark else None,
                        column=mark.column + 1 if mark else None),
            )  # fmt: skip
            return None
        except (yaml.YAMLError, RecursionError) as error:
            self.problems = (Problem("", _source.SYNTAX, f"invalid YAML: {error}"),)
            return None
        finally:
            loader.dispose()
        self._walk(node, "")
        return document

    def _walk(self, node: Any, pointer: str) -> None:
        tag = node.tag[1:] if node.tag.startswith("!") and not node.tag.startswith("!!") else ""
        start = (node.start_mark.line + 1, node.start_mark.column + 1)
        self._positions.setdefault(pointer, start)
        if tag in _TAGS:
            pointer = f"{pointer}/{long_form(tag)}"
            self._positions.setdefault(pointer, start)
            if tag == "GetAtt" and node.id == "scalar":
                self._positions[f"{pointer}/0"] = start
                self._positions[f"{pointer}/1"] = start
        self._nodes[pointer] = node
        if node.id == "mapping":
            for key_node, value_node in node.value:
                key = key_node.value if key_node.id == "scalar" else None
                if not isinstance(key, str):
                    continue
                child = join(pointer, key)
                self._positions[child] = (key_node.start_mark.line + 1,
                                          key_node.start_mark.column + 1)  # fmt: skip
                self._walk(value_node, child)
        elif node.id == "sequence":
            for i, item in enumerate(node.value):
                self._walk(item, f"{pointer}/{i}")

    # -- locating

    def locate(self, pointer: str) -> Position | None:
        """Where `pointer` is written (its nearest written ancestor when it is not)."""
        while True:
            if self._offsets is not None:
                if pointer in self._offsets:
                    return self._json_source._index.position_of_offset(self._offsets[pointer])
            elif pointer in self._positions:
                return self._positions[pointer]
            if not pointer:
                return None
            pointer = pointer.rpartition("/")[0]

    def text_at(self, pointer: str, value: str) -> MappedText:
        """The string `value` written at `pointer`, each character mapped to the file."""
        if self._offsets is not None:
            offset = self._value_offset(pointer)
            if offset is not None and self.text.startswith('"', offset):
                return json_string(self.text, offset)
            return fixed_text(value, self.locate(pointer) or (1, 1))
        node = self._nodes.get(pointer)
        if node is None or node.id != "scalar":
            return fixed_text(value, self.locate(pointer) or (1, 1))
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if node.style == "|":
            indent = self._block_indent(node.start_mark.line + 1)
            return block_text(value, line + 1, indent + 1)
        if "\n" not in value and node.start_mark.line == node.end_mark.line:
            return block_text(value, line, column + (1 if node.style in ("'", '"') else 0))
        return fixed_text(value, (line, column))

    def _value_offset(self, pointer: str) -> int | None:
        assert self._offsets is not None
        offset = self._offsets.get(pointer)
        if offset is None:
            return None
        if isinstance(value_at(self.document, pointer.rpartition("/")[0]), list):
            return offset  # an array item: the offset is the value's
        match = _KEY_COLON.match(self.text, offset)
        return match.end() if match else None

    def _block_indent(self, first: int) -> int:
        for line in self._lines[first:]:
            if line.strip():
                return len(line) - len(line.lstrip(" "))
        return 0


_KEY_COLON = re.compile(r'"(?:[^"\\]|\\.)*"\s*:\s*')


def value_at(document: Any, pointer: str) -> Any:
    """The value at `pointer` in `document`, None when there is none."""
    value = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return None
    return value


def parse(name: str, text: str, yaml12: bool = False) -> Parsed:
    stripped = text.lstrip()
    return Parsed(name, text, yaml_style=not stripped.startswith(("{", "[")), yaml12=yaml12)
