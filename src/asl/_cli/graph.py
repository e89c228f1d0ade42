"""`asl graph MACHINE`: a picture of the machine as Mermaid or Graphviz DOT text, or as SVG or
PNG through Graphviz's `dot`; with `--execution HISTORY`, coloured by the path a run took."""

from __future__ import annotations

import argparse
from typing import IO, Any

from asl._cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE

FORMATS = ("mermaid", "dot", "svg", "png")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("machine", metavar="MACHINE",
                        help="the definition file, or TEMPLATE#LogicalId for a template's machine")
    parser.add_argument("--format", choices=FORMATS, default="mermaid",
                        help="mermaid (default) or dot text; svg or png drawn by Graphviz's dot")
    parser.add_argument("--execution", metavar="HISTORY",
                        help="colour the path one execution took and mark its failed state: a "
                             "history as GetExecutionHistory returns it or `asl run --history FILE` "
                             "writes it ({\"events\": [...]}, a list of events, or JSON lines)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    from asl._cli import templates

    templates.add_arguments(parser)


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from pathlib import Path

    from asl import _graph
    from asl._cli import templates

    opened = templates.open_machine(args, "graph", err)
    if opened is None:
        return EXIT_USAGE
    machine_arg, logical_id, substitutions = opened
    machine = templates.load_machine(machine_arg, logical_id, substitutions, err)
    if machine is None:
        return EXIT_INVALID
    title = logical_id or Path(machine_arg).name.split(".")[0] or "StateMachine"
    picture = _graph.build(machine.definition, title)
    if args.execution:
        try:
            events = read_history(args.execution)
        except (OSError, ValueError) as error:
            err.write(f"asl graph: cannot read the execution history {args.execution}: {error}\n")
            return EXIT_USAGE
        picture = _graph.overlay(picture, events)
        if picture.overlay.unknown:
            err.write(f"asl graph: warning: the history names states {args.machine} does not have: "
                      f"{', '.join(picture.overlay.unknown)}\n")
    text = _graph.mermaid(picture) if args.format == "mermaid" else _graph.dot(picture)
    if args.format in ("mermaid", "dot"):
        return _write_text(text, args.output, out, err)
    return _draw(text, args.format, args.output, out, err)


def read_history(name: str) -> list[dict[str, Any]]:
    """Events from `{"events": [...]}`, a JSON list of events, or one event per line."""
    import json

    with open(name, encoding="utf-8") as file:
        text = file.read()
    try:
        document: Any = json.loads(text)
    except ValueError:
        try:
            document = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as error:
            raise ValueError(f"not JSON, nor JSON lines: {error}") from None
    if isinstance(document, dict):
        document = document.get("events")
    if not isinstance(document, list) or not all(
            isinstance(event, dict) and "type" in event for event in document):
        raise ValueError('expected {"events": [...]}, a list of events or JSON lines, each event '
                         'an object with a "type"')
    return document


def _write_text(text: str, output: str | None, out: IO[str], err: IO[str]) -> int:
    if output is None:
        out.write(text)
        return EXIT_OK
    try:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        err.write(f"asl graph: cannot write {output}: {error}\n")
        return EXIT_USAGE
    return EXIT_OK


def _draw(text: str, fmt: str, output: str | None, out: IO[str], err: IO[str]) -> int:
    import shutil
    import subprocess

    program = shutil.which("dot")
    if program is None:
        err.write(f"asl graph: --format {fmt} needs Graphviz's `dot` program, which is not on PATH: "
                  f"install Graphviz (apt-get install graphviz, brew install graphviz, "
                  f"https://graphviz.org/download/), or use --format dot or mermaid\n")
        return EXIT_USAGE
    binary = fmt == "png"
    if binary and output is None:
        isatty = getattr(out, "isatty", None)
        if isatty is not None and isatty():
            err.write("asl graph: PNG is binary: name a file with -o FILE, or redirect stdout\n")
            return EXIT_USAGE
    command = [program, f"-T{fmt}"] + (["-o", output] if output else [])
    try:
        done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True,
                              timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        err.write(f"asl graph: running {program} failed: {error}\n")
        return EXIT_USAGE
    if done.returncode != 0:
        err.write(f"asl graph: {program} failed: {done.stderr.decode('utf-8', 'replace').strip()}\n")
        return EXIT_USAGE
    if output is None:
        if binary:
            stream = getattr(out, "buffer", None)
            if stream is None:
                err.write("asl graph: PNG needs a binary stdout or -o FILE\n")
                return EXIT_USAGE
            out.flush()
            stream.write(done.stdout)
            stream.flush()
        else:
            out.write(done.stdout.decode("utf-8"))
    return EXIT_OK
