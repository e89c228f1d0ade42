"""The `asl` command: one module per subcommand, each with `add_arguments(parser)` and
`main(args, out, err) -> int`.

Exit codes: 0 success (all valid / execution SUCCEEDED / the TestState call answered); 1 a
definition has errors, the execution did not succeed or the TestState call was refused; 2 usage
error, unreadable file or unreadable input; 70 an internal error (a bug, reported in one line);
130 interrupted; 141 the output's reader went away. Everything beyond argparse is imported
lazily so that `asl validate` on a valid file starts quickly.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence
from typing import IO, Any

#: Subcommand name -> (module under asl._cli, help line). A new command is one module and one row.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check definitions (.json, .yaml, .yml)"),
    "run": ("run", "run one execution and print its output"),
    "test-state": ("test_state", "test one state as AWS's TestState API does, offline"),
    "event": ("event", "print an event payload as an AWS service sends it to Lambda"),
    "graph": ("graph", "draw a machine (Mermaid, DOT, SVG, PNG), optionally with a run's path"),
    "executions": ("executions", "list, describe or show the history of stored executions"),
    "resume": ("resume", "continue a stored execution whose process died"),
    "redrive": ("resume", "redrive a stored FAILED, TIMED_OUT or ABORTED execution"),
    "stop": ("stop", "stop a stored execution run by another process (ABORTED)"),
    "send-task-success": ("callbacks", "answer a stored execution's task token with its output"),
    "send-task-failure": ("callbacks", "fail a stored execution's task token"),
    "send-task-heartbeat": ("callbacks", "send a heartbeat for a stored execution's task token"),
}


def main(
    argv: Sequence[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return the exit code."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        return _main(argv, out, err)
    except BrokenPipeError:
        # The reader went away (`asl validate . | head`): stop quietly, as `yes | head` does,
        # and point what is still buffered at /dev/null so that exiting cannot raise again.
        _discard(out)
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        err.write("asl: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001  # a bug of ours: one line, never a traceback
        err.write(f"asl: internal error (a bug in asl: please report it with the command line): "
                  f"{type(error).__name__}: {error}\n")
        return EXIT_INTERNAL


#: 128 + the signal's number, as a shell reports a process the signal ended.
EXIT_BROKEN_PIPE, EXIT_INTERRUPTED = 128 + 13, 128 + 2
#: BSD's EX_SOFTWARE: an internal error.
EXIT_INTERNAL = 70


def _main(argv: Sequence[str] | None, out: IO[str], err: IO[str]) -> int:
    parser, modules = _parser()
    try:
        # argparse writes help and usage errors to sys.stdout/stderr itself.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help (0) and on usage errors (2)
        return int(exit_.code or 0)
    from asl._cli.common import EXIT_BROKEN_PIPE, SafeStream

    try:
        code: int = modules[args.command].main(args, SafeStream(out), SafeStream(err))
        out.flush()
    except BrokenPipeError:  # `asl run ... | head`: the reader has gone, nothing more to say
        if out is sys.stdout:
            import os

            # Python flushes stdout again at exit; point it at /dev/null so that is silent.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code


def _discard(stream: IO[str]) -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # not a real file (a test's StringIO)
        pass


class _Version(argparse.Action):
    """`--version`, read only when asked for (importing nothing at start-up)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from asl._version import __version__

        sys.stdout.write(f"asl {__version__}\n")
        parser.exit()


def _parser() -> tuple[argparse.ArgumentParser, dict[str, Any]]:
    parser = argparse.ArgumentParser(
        prog="asl", description="Validate and run AWS Step Functions state machines locally."
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True)
    modules: dict[str, Any] = {}
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(f"asl._cli.{module_name}")
        module.add_arguments(commands.add_parser(name, help=help_text))
        modules[name] = module
    return parser, modules
