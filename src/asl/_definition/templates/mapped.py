"""Definition text cut out of a template, each character remembering where it is written in the
template file, so a Problem found in the definition is reported at the template's line and
column; and the textual substitution of placeholders that keeps those origins.

A definition is assembled from pieces: a YAML block scalar, a JSON string (escapes and all), a
Terraform heredoc, the parts of an Fn::Join, a substituted value (which has no text of its own in
the template, so it is shown where its placeholder is written)."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from asl._definition.source import Source, _Index, load_source
from asl._errors import Problem
from asl._json import join
from asl._languages.scan import PLACEHOLDER

Position = tuple[int, int]


class Origin:
    """Where the characters of one piece are written: `locate(text, offset)` -> (line, column)."""

    def locate(self, text: str, offset: int) -> Position:
        raise NotImplementedError


class Fixed(Origin):
    """Every character at one place (a substituted value, a scalar we cannot map finely)."""

    def __init__(self, position: Position) -> None:
        self.position = position

    def locate(self, text: str, offset: int) -> Position:
        return self.position


class Substituted(Fixed):
    """A substituted value: shown where its placeholder is written, and final (a later pass
    does not substitute inside it, as at deploy time it holds the real value)."""


class Text(str):
    """A substitution's value that is template text again (Fn::Sub's `${!Name}` -> `${Name}`,
    which DefinitionSubstitutions then fills), not a final value."""


class Block(Origin):
    """Lines written one under another from (`line`, `column`) on: a literal block scalar's
    content (every line indented by `column - 1`), a heredoc (column 1)."""

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column

    def locate(self, text: str, offset: int) -> Position:
        lines = text.count("\n", 0, offset)
        start = text.rfind("\n", 0, offset) + 1
        return self.line + lines, offset - start + self.column


class Offsets(Origin):
    """A piece decoded from escaped text (a JSON string): each character's offset in the file."""

    def __init__(self, offsets: list[int], file_text: str) -> None:
        self.offsets = offsets
        self.index = _Index(file_text)

    def locate(self, text: str, offset: int) -> Position:
        if not self.offsets:
            return 1, 1
        return self.index.position_of_offset(self.offsets[min(offset, len(self.offsets) - 1)])


class MappedText:
    """Text whose every offset maps back to a (line, column) of the template file."""

    def __init__(self, pieces: list[tuple[str, Origin]] | None = None) -> None:
        self.pieces: list[tuple[str, Origin]] = [p for p in pieces or [] if p[0]]
        self._starts: list[int] = []
        total = 0
        for text, _ in self.pieces:
            self._starts.append(total)
            total += len(text)
        self.text = "".join(text for text, _ in self.pieces)

    def __add__(self, other: MappedText) -> MappedText:
        return MappedText(self.pieces + other.pieces)

    def position(self, offset: int) -> Position | None:
        if not self.pieces:
            return None
        i = max(0, bisect.bisect_right(self._starts, offset) - 1)
        text, origin = self.pieces[i]
        return origin.locate(text, min(offset - self._starts[i], max(len(text) - 1, 0)))

    def substitute(
        self, value_of: Callable[[str], str | None], start: int = 0
    ) -> tuple[MappedText, list[tuple[str, Position | None]]]:
        """Each `${Name}` replaced by `value_of(Name)` (kept when that is None). Returns the new
        text and the placeholders left in place, with where they are written."""
        out: list[tuple[str, Origin]] = []
        left: list[tuple[str, Position | None]] = []
        for piece_start, (text, origin) in zip(self._starts, self.pieces, strict=True):
            if isinstance(origin, Substituted):
                out.append((text, origin))
                continue
            last = 0
            for match in PLACEHOLDER.finditer(text):
                if piece_start + match.start() < start:
                    continue
                value = value_of(match.group(1))
                if value is None:
                    left.append((match.group(1), origin.locate(text, match.start())))
                    continue
                out.append((text[last : match.start()], _Slice(origin, text, last)))
                where = origin.locate(text, match.start())
                out.append((value, Fixed(where) if isinstance(value, Text) else Substituted(where)))
                last = match.end()
            out.append((text[last:], _Slice(origin, text, last)))
        return MappedText(out), left


class _Slice(Origin):
    """Part of another piece, starting `by` characters into its `text`."""

    text: str
    by: int

    def __init__(self, origin: Origin, text: str, by: int) -> None:
        if isinstance(origin, _Slice):
            text, by = origin.text, origin.by + by
            origin = origin.origin
        self.origin: Origin = origin
        self.text = text
        self.by = by

    def locate(self, text: str, offset: int) -> Position:
        return self.origin.locate(self.text, self.by + offset)


def block_text(text: str, line: int, column: int) -> MappedText:
    return MappedText([(text, Block(line, column))])


def fixed_text(text: str, position: Position) -> MappedText:
    return MappedText([(text, Fixed(position))])


def json_string(file_text: str, start: int) -> MappedText:
    """The JSON string token opening at `start` in `file_text`, decoded, each character mapped to
    its offset in the file (an escape to where it starts)."""
    offsets: list[int] = []
    chars: list[str] = []
    i = start + 1
    n = len(file_text)
    while i < n and file_text[i] != '"':
        if file_text[i] == "\\":
            width = 6 if file_text[i + 1 : i + 2] == "u" else 2
            chars.append(json.loads(f'"{file_text[i : i + width]}"'))
            offsets.append(i)
            i += width
        else:
            chars.append(file_text[i])
            offsets.append(i)
            i += 1
    return MappedText([("".join(chars), Offsets(offsets, file_text))])


class _MappedIndex(_Index):
    """Locates a definition parsed from mapped text in the template file."""

    def __init__(self, inner: Source, mapped: MappedText) -> None:
        super().__init__(None)
        self.inner = inner
        self.mapped = mapped
        self._starts = [0, *(m.end() for m in re.finditer("\n", mapped.text))]

    def offset(self, line: int, column: int) -> int:
        return self._starts[min(line, len(self._starts)) - 1] + column - 1

    def to_template(self, position: tuple[int, int] | None) -> Position | None:
        if position is None:
            return None
        return self.mapped.position(self.offset(*position))

    def locate(self, pointer: str) -> tuple[int, int] | None:
        return self.to_template(self.inner.locate(pointer))


def source_from_text(mapped: MappedText, name: str) -> Source:
    """The definition in `mapped` parsed (placeholders left unquoted made parseable), located in
    the template file `name`."""
    inner = load_source(mapped.text)
    index = _MappedIndex(inner, mapped)
    problems = []
    for problem in inner.problems:
        if problem.line is not None:
            line, column = index.to_template((problem.line, problem.column or 1)) or (None, None)
            problem = problem.evolve(line=line, column=column)
        problems.append(problem)
    return Source(inner.document, tuple(problems), name, index)


class _PrefixIndex(_Index):
    """Locates a definition written as an object inside the template, at `prefix` there."""

    def __init__(self, locate: Callable[[str], Position | None], prefix: str) -> None:
        super().__init__(None)
        self._locate = locate
        self.prefix = prefix

    def locate(self, pointer: str) -> tuple[int, int] | None:
        return self._locate(self.prefix + pointer)


def source_from_object(
    document: Any, locate: Callable[[str], Position | None], prefix: str, name: str
) -> Source:
    """A definition written as a mapping inside the template (`Definition:`), located there."""
    from asl._definition.source import _non_json, _top_level

    index = _PrefixIndex(locate, prefix)
    problems = [*_non_json(document, ""), *_top_level(document)]
    located = []
    for problem in problems:
        position = index.locate(problem.pointer) or (None, None)
        located.append(problem.evolve(line=position[0], column=position[1]))
    return Source(document, tuple(located), name, index)


def strings(value: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every string value in a JSON value (keys not included), with its pointer."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from strings(child, join(pointer, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from strings(child, f"{pointer}/{i}")


def substitute_strings(value: Any, value_of: Callable[[str], str | None]) -> Any:
    """`value` with placeholders in its strings substituted (an object definition: the same as
    substituting its JSON text, since a placeholder cannot reach outside its string)."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: _or_keep(value_of(m.group(1)), m.group()), value)
    if isinstance(value, dict):
        return {key: substitute_strings(child, value_of) for key, child in value.items()}
    if isinstance(value, list):
        return [substitute_strings(child, value_of) for child in value]
    return value


def _or_keep(value: str | None, original: str) -> str:
    return original if value is None else value


def undefined_warning(name: str, where: str, pointer: str, position: Position | None) -> Problem:
    line, column = position or (None, None)
    return Problem(
        pointer,
        UNDEFINED_PLACEHOLDER,
        f"placeholder ${{{name}}} is not defined by {where}; it fails at deploy or run time "
        f"(define it, or pass --substitute {name}=VALUE)",
        "warning",
        line,
        column,
    )


# Problem codes of templates (documented in docs/problems.md).
UNDEFINED_PLACEHOLDER = "undefined-placeholder"
TEMPLATE = "template"
