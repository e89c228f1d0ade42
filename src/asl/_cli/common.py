"""What several commands share: exit codes, how a Problem is printed, reading input JSON and
importing a handlers module."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asl._errors import Problem

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
#: Exit code when the reader of our output went away (a shell's 128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141
#: The most input text read from a file or stdin (AWS's input quota is 256 KiB; YAML has room).
MAX_INPUT = 4 * 1024 * 1024


class SafeStream:
    """An output stream that writes a lone surrogate (JSON's "\\ud800", which no encoding
    can write) as that very escape, instead of raising UnicodeEncodeError mid-output."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    @property
    def wrapped(self) -> Any:
        """The stream written to (`main` wraps sys.stdout; who must know compares this)."""
        return self._stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except UnicodeEncodeError:
            import re

            escaped = re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)
            return int(self._stream.write(escaped.encode("utf-8", "backslashreplace").decode()))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def format_problem(name: str, problem: Problem, fmt: str) -> str:
    """One line: `FILE:LINE:COL: CODE message`, or a GitHub workflow annotation."""
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


def timestamp(value: Any) -> str:
    """History timestamps as ISO 8601 text (AWS's CLI prints them so too)."""
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if isoformat is not None else str(value)


def read_file(name: str) -> str:
    """A regular file's text, at most MAX_INPUT characters (and one more, so that a caller can
    tell it was longer): a FIFO would block the open and a device would never end."""
    import os
    import stat

    if not stat.S_ISREG(os.stat(name).st_mode):
        raise OSError(f"{name} is not a regular file")
    with open(name, encoding="utf-8") as file:
        text = file.read(MAX_INPUT + 1)
    if len(text) > MAX_INPUT:
        raise ValueError(f"{name} is longer than {MAX_INPUT:,} characters")
    return text


def read_input(name: str | None) -> Any:
    """Input JSON (or YAML) from a file, `-` for stdin, inline JSON text (`'{"id": 1}'`) when no
    file has that name, or `{}` when none is given."""
    import json
    import os

    if name is None:
        return {}
    if name == "-":
        text = sys.stdin.read(MAX_INPUT + 1)  # a pipe from /dev/zero ends here, not in swap
    elif not os.path.exists(name):
        try:
            return json.loads(name, parse_constant=_not_a_number)
        except ValueError as error:
            if name.lstrip()[:1] in ('{', '[', '"'):
                raise ValueError(f"not a file, and not JSON: {error}") from None
            raise FileNotFoundError(f"no such file, and not JSON text: {name!r}") from None
    else:
        text = read_file(name)
    if len(text) > MAX_INPUT:
        raise ValueError(f"the input is longer than {MAX_INPUT:,} characters")
    if name.lower().endswith((".yaml", ".yml")):
        import yaml

        from asl._definition.source import yaml_loader

        # The definitions' loader: timestamps stay strings, as they would in JSON input.
        return yaml.load(text, Loader=yaml_loader())  # noqa: S506  # a SafeLoader subclass
    return json.loads(text, parse_constant=_not_a_number) if text.strip() else {}


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_handlers(module_name: str) -> dict[str, Any]:
    """A module's public callables by name, or its `HANDLERS` mapping when it has one (ARNs
    are not Python identifiers). `module_name` is a module to import (from the working
    directory too) or a Python file's path (`handlers/orders.py`)."""
    import importlib
    import os

    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        module = _module_from_file(module_name)
    else:
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


def _module_from_file(path: str) -> Any:
    import importlib.util
    import os

    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)  # its own imports of the modules beside it
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path!r} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import would: dataclasses and pickle look it up
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


@contextlib.contextmanager
def handler_output_to(err: IO[str], out: IO[str]) -> Iterator[None]:
    """While a run goes on, what handlers print goes to `err`, never into the output JSON on
    `out`: `sys.stdout` is `err`, and when `out` is the process's standard output, file
    descriptor 1 points at standard error too (for subprocesses and C code a handler runs)."""
    import os

    saved: int | None = None
    if (out.wrapped if isinstance(out, SafeStream) else out) is sys.__stdout__:
        try:
            out.flush()
            target = err.fileno()
            saved = os.dup(1)
            os.dup2(target, 1)
        except (AttributeError, OSError, ValueError):  # no real descriptors: Python level only
            saved = None
    try:
        with contextlib.redirect_stdout(err):
            yield
    finally:
        if saved is not None:
            with contextlib.suppress(OSError, ValueError):
                out.flush()  # what a handler wrote to sys.__stdout__ goes to stderr too
            os.dup2(saved, 1)
            os.close(saved)
