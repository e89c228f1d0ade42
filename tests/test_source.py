"""Tests of asl._definition.source: parsing definitions from every kind of input, and locating pointers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from asl._definition.source import load_source
from asl._json import join

MACHINE = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def _codes(definition: object) -> list[str]:
    return [p.code for p in load_source(definition).problems]


def test_dict_is_used_as_is() -> None:
    """A dict is the document itself, with no problems and no positions."""
    source = load_source(MACHINE)
    assert source.document is MACHINE
    assert source.problems == ()
    assert source.locate("/States/A") is None


def test_json_text_locates_keys_and_items() -> None:
    """locate() gives the 1-based line and column of an object key or array item."""
    text = '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass", "X": [1, {"y": 2}]}\n  }\n}'
    source = load_source(text)
    assert source.problems == ()
    assert source.locate("") == (1, 1)
    assert source.locate("/StartAt") == (2, 3)
    assert source.locate("/States/A") == (4, 5)
    assert source.locate("/States/A/X/0") == (4, 33)
    assert source.locate("/States/A/X/1/y") == (4, 37)


def test_unknown_pointer_falls_back_to_nearest_ancestor() -> None:
    """A pointer below what is written is shown at its closest written ancestor."""
    source = load_source('{"States": {"A": {"Type": "Pass"}}}')
    assert source.locate("/States/A/Missing/deeper") == source.locate("/States/A")


def test_pointer_escaping() -> None:
    """Keys with '/' and '~' are escaped as RFC 6901 says, both by join() and the locator."""
    assert join("/States", "a/b~c") == "/States/a~1b~0c"
    source = load_source('{"States": {"a/b~c": 1}}')
    assert source.locate("/States/a~1b~0c") == (1, 13)


def test_escaped_key_is_decoded() -> None:
    """A key spelled with JSON escapes is located under its decoded name."""
    source = load_source('{"a\\u0062": {"c": 1}, "d": 1, "a": 2, "a": 3}')
    assert source.locate("/ab/c") == (1, 14)


def test_syntax_error_position() -> None:
    """Invalid JSON is one syntax Problem at the error's line and column."""
    (problem,) = load_source('{"a": 1,\n  "b": }').problems
    assert (problem.code, problem.line, problem.column) == ("syntax", 2, 8)


def test_duplicate_keys_are_warnings_at_the_later_key() -> None:
    """Each repeated key is a duplicate-key warning pointing at the later occurrence."""
    source = load_source('{"States": {"A": 1,\n "A": 2}, "StartAt": "A"}')
    (problem,) = source.problems
    assert (problem.code, problem.severity, problem.pointer) == ("duplicate-key", "warning", "/States/A")
    assert (problem.line, problem.column) == (2, 2)
    assert source.document["States"] == {"A": 2}


@pytest.mark.parametrize(
    ("definition", "code"),
    [
        ("", "empty"),
        ("  \n ", "empty"),
        (b"", "empty"),
        (b'{"a": "\xff"}', "encoding"),
        ("[1, 2]", "not-an-object"),
        ('"text"', "not-an-object"),
        ("42", "not-an-object"),
        (42, "not-an-object"),
        ('{"a": NaN}', "syntax"),
        ('{"a": -Infinity}', "syntax"),
        ("[" * 100_000 + "]" * 100_000, "too-deep"),
        ("a: [1\n", "syntax"),
        ("a: !!binary aGk=\n", "not-json"),
        ("? [1, 2]\n: 3\n", "syntax"),
        ("!!binary aGk=: x\n", "not-json"),
    ],
)
def test_bad_input_is_a_problem(definition: object, code: str) -> None:
    """Unusable input of every kind is reported as a Problem, never raised."""
    assert code in _codes(definition)


def test_bytes_with_bom() -> None:
    """UTF-8 bytes, with or without a byte order mark, are decoded."""
    assert load_source(b"\xef\xbb\xbf" + json.dumps(MACHINE).encode()).document == MACHINE


def test_yaml_text_and_positions() -> None:
    """YAML is parsed safely, timestamps stay strings, and keys are located."""
    text = "StartAt: W\nStates:\n  W:\n    Type: Wait\n    Timestamp: 2016-03-14T01:59:00Z\n    End: true\n"
    source = load_source(text)
    assert source.problems == ()
    assert source.document["States"]["W"]["Timestamp"] == "2016-03-14T01:59:00Z"
    assert source.locate("/States/W/Timestamp") == (5, 5)


def test_yaml_duplicate_key() -> None:
    """A repeated YAML key is a duplicate-key warning at the later key."""
    (problem,) = load_source("a: 1\nb: 2\na: 3\n").problems
    assert (problem.code, problem.pointer, problem.line) == ("duplicate-key", "/a", 3)


def test_files_by_path_and_str(tmp_path: Path) -> None:
    """A Path or a path string is read; .yaml/.yml files are YAML; the name is kept."""
    json_file = tmp_path / "m.asl.json"
    json_file.write_text(json.dumps(MACHINE))
    yaml_file = tmp_path / "m.asl.yml"
    yaml_file.write_text("StartAt: A\nStates:\n  A: {Type: Pass, End: true}\n")
    for definition in (json_file, str(json_file), yaml_file, str(yaml_file)):
        source = load_source(definition)
        assert source.document == MACHINE
        assert source.name == str(definition)


def test_missing_file_is_io_error(tmp_path: Path) -> None:
    """A file that cannot be read is an io-error Problem."""
    assert _codes(tmp_path / "nope.json") == ["io-error"]
    assert _codes(str(tmp_path / "nope.json")) == ["io-error"]


def test_locating_a_large_definition_is_fast() -> None:
    """Parsing and locating in a 2,000-state definition takes a few milliseconds."""
    states = {f"S{i}": {"Type": "Pass", "Parameters": {"a.$": "$.x", "b": [1, 2]}, "Next": f"S{i + 1}"} for i in range(2000)}
    text = json.dumps({"StartAt": "S0", "States": states}, indent=2)
    start = time.perf_counter()
    source = load_source(text)
    assert source.locate("/States/S1999/Parameters/b/1") is not None
    assert time.perf_counter() - start < 1.5  # generous: the machine is shared; ~25 ms alone


def test_yaml_keys_stay_the_strings_written() -> None:
    """`Yes:` and `No:` name states and `1:` is the key "1": YAML 1.1 would read booleans and
    numbers, which a JSON key cannot be. Values are read as YAML reads them."""
    source = load_source(
        'StartAt: "Yes"\nStates:\n  Yes:\n    Type: Pass\n    Next: "No"\n'
        "    Result: {1: on, off: 2}\n  No:\n    Type: Succeed\n"
    )
    assert source.problems == ()
    assert list(source.document["States"]) == ["Yes", "No"]
    assert source.document["States"]["Yes"]["Result"] == {"1": True, "off": 2}


def test_yaml_alias_cycles_and_alias_bombs_are_problems() -> None:
    """An alias inside the node it names, or aliases that expand past a million values, are
    Problems at once, not a RecursionError or an exponential walk; shared aliases are fine."""
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)
    )
    for text in ("a: &x [*x]\n", "a: &y {k: *y}\n", bomb):
        started = time.perf_counter()
        assert _codes(text) == ["not-json"]
        assert time.perf_counter() - started < 5
    source = load_source("StartAt: A\nStates:\n  A: &s {Type: Pass, End: true}\nx: [*s, *s]\n")
    assert "not-json" not in [p.code for p in source.problems]
