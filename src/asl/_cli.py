"""The `asl` command: `asl validate FILE...` and `asl run MACHINE [INPUT]`.

Exit codes: 0 success (all valid / execution SUCCEEDED); 1 a definition has errors or the
execution did not succeed; 2 usage error, unreadable file or unreadable input. Everything beyond
argparse is imported lazily so that `asl validate` on a valid file starts quickly.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asl._errors import Problem

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def main(
    argv: Sequence[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return the exit code."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = _parser()
    try:
        # argparse writes help and usage errors to sys.stdout/stderr itself.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help (0) and on usage errors (2)
        return int(exit_.code or 0)
    if args.command == "validate":
        return _validate(args.files, args.format, out, err)
    return _run(args, out, err)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asl", description="Validate and run AWS Step Functions state machines locally."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check definitions (.json, .yaml, .yml)")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument(
        "--format", choices=("text", "json", "github"), default="text",
        help="text (FILE:LINE:COL: CODE message), json, or GitHub workflow annotations",
    )  # fmt: skip
    run = commands.add_parser("run", help="run one execution and print its output")
    run.add_argument("machine", metavar="MACHINE", help="the definition file")
    run.add_argument("input", metavar="INPUT", nargs="?", help="input JSON file, or - for stdin (default {})")
    run.add_argument("--handlers", metavar="MODULE", help="module whose callables handle Task resources")
    run.add_argument("--mock-config", metavar="FILE",
                     help="a Step Functions Local mock configuration file (MockConfigFile.json)")
    run.add_argument("--test-case", metavar="NAME", help="the test case of --mock-config to run")
    run.add_argument("--history", action="store_true", help="print the execution history to stderr")
    run.add_argument("--virtual-clock", action="store_true", help="do not sleep in Wait states or retries")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="a progress bar on stderr for Maps of over 100 items "
                          "(default: when stderr is a terminal)")
    return parser


# --- validate ------------------------------------------------------------------------------


def _validate(files: Sequence[str], fmt: str, out: IO[str], err: IO[str]) -> int:
    from pathlib import Path

    from asl._definition.source import IO_ERROR, load_source
    from asl._definition.validate import validate_source

    status = EXIT_OK
    report: list[dict[str, Any]] = []
    for name in files:
        source = load_source(Path(name))
        problems = validate_source(source)
        if any(p.code == IO_ERROR for p in problems):
            status = EXIT_USAGE
        elif status == EXIT_OK and any(p.severity == "error" for p in problems):
            status = EXIT_INVALID
        if fmt == "json":
            report.append({
                "file": name,
                "valid": not _errors(problems),
                "problems": [p.to_dict() for p in problems],
            })
        else:
            for problem in problems:
                out.write(_format(name, problem, fmt) + "\n")
    if fmt == "json":
        import json

        out.write(json.dumps(report, indent=2) + "\n")
    return status


def _errors(problems: Sequence[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def _format(name: str, problem: Problem, fmt: str) -> str:
    if fmt == "github":
        # Workflow commands: properties and message need %, CR, LF (and , : in properties) escaped.
        command = "error" if problem.severity == "error" else "warning"
        where = f"file={_gh(name, True)}"
        if problem.line is not None:
            where += f",line={problem.line},col={problem.column or 1}"
        return f"::{command} {where},title={_gh(problem.code, True)}::{_gh(_message(problem), False)}"
    where = name
    if problem.line is not None:
        where += f":{problem.line}:{problem.column or 1}"
    severity = "warning: " if problem.severity == "warning" else ""
    return f"{where}: {problem.code} {severity}{_message(problem)}"


def _message(problem: Problem) -> str:
    # Without a line, the pointer is the only way to find the place.
    if problem.line is not None or not problem.pointer:
        return problem.message
    return f"{problem.message} (at {problem.pointer})"


def _gh(text: str, is_property: bool) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if is_property else text


# --- run -----------------------------------------------------------------------------------


def _run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import json
    from pathlib import Path

    import asl
    from asl._definition.source import IO_ERROR, load_source

    machine_path = Path(args.machine)
    source = load_source(machine_path)
    if any(p.code == IO_ERROR for p in source.problems):
        for problem in source.problems:
            err.write(_format(args.machine, problem, "text") + "\n")
        return EXIT_USAGE
    try:
        input_value = _read_input(args.input)
    except (OSError, ValueError) as error:
        err.write(f"asl run: cannot read input {args.input}: {error}\n")
        return EXIT_USAGE
    try:
        handlers = _load_handlers(args.handlers) if args.handlers else None
    # Any import failure of the user's module is a usage error, not a traceback.
    except Exception as error:  # noqa: BLE001
        err.write(f"asl run: cannot import handlers module {args.handlers!r}: "
                  f"{type(error).__name__}: {error}\n")
        return EXIT_USAGE
    try:
        machine = asl.load(machine_path)
    except asl.DefinitionError as error:
        for problem in error.problems:
            err.write(_format(args.machine, problem, "text") + "\n")
        return EXIT_INVALID
    clock = asl.VirtualClock() if args.virtual_clock else None
    from asl._errors import InvalidExecutionInput, MockConfigError

    options: dict[str, Any] = {}
    if args.mock_config or args.test_case:
        if not (args.mock_config and args.test_case):
            err.write("asl run: --mock-config FILE and --test-case NAME go together\n")
            return EXIT_USAGE
        options = {"mock_config": Path(args.mock_config), "test_case": args.test_case}
    bar = _progress_bar(args, err)
    if bar is not None:
        options["on_progress"] = bar
    try:
        execution = machine.run(input_value, handlers=handlers, clock=clock, **options)
    except MockConfigError as error:  # an unreadable file, or a test case this machine lacks
        err.write(f"asl run: {error}\n")
        return EXIT_USAGE
    except InvalidExecutionInput as error:  # e.g. a YAML timestamp, which JSON cannot hold
        err.write(f"asl run: {error}\n")
        return EXIT_USAGE
    finally:
        if bar is not None:
            bar.close()
    if args.history:
        for event in execution.history:
            err.write(json.dumps(event, default=_timestamp, ensure_ascii=False) + "\n")
    if execution.status == "SUCCEEDED":
        out.write(json.dumps(execution.output, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    detail = f"{execution.error}: {execution.cause}" if execution.cause else str(execution.error)
    prefix = "" if execution.status == "FAILED" else f"{execution.status}: "
    err.write(f"{prefix}{detail}\n")
    return EXIT_INVALID


def _timestamp(value: Any) -> str:
    """History timestamps as ISO 8601 text (AWS's CLI prints them so too)."""
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if isoformat is not None else str(value)


def _progress_bar(args: argparse.Namespace, err: IO[str]) -> _ProgressBar | None:
    """On when asked (--progress) or when stderr is a terminal; never beside JSON output."""
    wanted = args.progress
    if wanted is None:
        isatty = getattr(err, "isatty", None)
        wanted = bool(isatty and isatty())
    if not wanted or getattr(args, "format", "text") == "json":
        return None
    return _ProgressBar(err)


class _ProgressBar:
    """Draws the `on_progress(state_name, done, total, failed)` calls of a run as one line that
    redraws itself: the Map's name, a bar, items done of total, failures, items per second."""

    MIN_ITEMS = 100  # a smaller Map ends before a bar would be worth drawing
    WIDTH = 24

    def __init__(self, stream: IO[str]) -> None:
        import threading
        import time

        self.stream = stream
        self.clock = time.monotonic
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()
        self._open = False

    def __call__(self, state_name: str, done: int, total: int, failed: int) -> None:
        if total <= self.MIN_ITEMS:
            return
        with self._lock:
            now = self.clock()
            if done == 0 or state_name not in self._started:
                self._started[state_name] = now
            elapsed = now - self._started[state_name]
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 else "-/s"
            filled = self.WIDTH * done // total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            # \r and erase-line: redraw in place, whatever the previous line's length.
            self.stream.write(f"\r\033[K{state_name} [{bar}] {done}/{total} items, "
                              f"{failed} failed, {rate}")
            self._open = done < total
            if not self._open:
                self.stream.write("\n")
            self.stream.flush()

    def close(self) -> None:
        """End a bar left open (a Map that stopped early), so later output starts a line."""
        with self._lock:
            if self._open:
                self.stream.write("\n")
                self.stream.flush()
                self._open = False


def _read_input(name: str | None) -> Any:
    import json

    if name is None:
        return {}
    if name == "-":
        text = sys.stdin.read()
    else:
        with open(name, encoding="utf-8") as file:
            text = file.read()
    if name.lower().endswith((".yaml", ".yml")):
        import yaml

        from asl._definition.source import yaml_loader

        # The definitions' loader: timestamps stay strings, as they would in JSON input.
        return yaml.load(text, Loader=yaml_loader())  # noqa: S506  # a SafeLoader subclass
    return json.loads(text, parse_constant=_not_a_number) if text.strip() else {}


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _load_handlers(module_name: str) -> dict[str, Any]:
    """A module's public callables by name, or its `HANDLERS` mapping when it has one (ARNs
    are not Python identifiers)."""
    import importlib
    import os

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # let `--handlers myhandlers` find ./myhandlers.py
    module = importlib.import_module(module_name)
    explicit = getattr(module, "HANDLERS", None)
    if isinstance(explicit, dict):
        return dict(explicit)
    return {
        name: value
        for name, value in vars(module).items()
        if callable(value)
        and not name.startswith("_")
        and getattr(value, "__module__", None) == module.__name__
    }
