"""`asl run MACHINE [INPUT]`: one execution; its output on stdout, or its error on stderr."""

from __future__ import annotations

import argparse
from typing import IO, Any

from asl._cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    handler_output_to,
    load_handlers,
    read_input,
)
from asl._cli.progress import progress_bar


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("machine", metavar="MACHINE",
                        help="the definition file, or TEMPLATE#LogicalId for a template's machine")
    parser.add_argument("input", metavar="INPUT", nargs="?",
                        help="input JSON (or YAML) file, - for stdin, or inline JSON text such as "
                             "'{\"id\": 1}' (default {})")
    parser.add_argument("--handlers", metavar="MODULE",
                        help="module (or .py file) whose callables handle Task resources; what "
                             "they print goes to stderr")
    parser.add_argument("--mock-config", metavar="FILE",
                        help="a Step Functions Local mock configuration file (MockConfigFile.json)")
    parser.add_argument("--test-case", metavar="NAME", help="the test case of --mock-config to run")
    parser.add_argument("--store", metavar="FILE",
                        help="checkpoint the execution in this store (SQLite file) at every transition")
    parser.add_argument("--name", metavar="NAME", help="the execution's name (default: a UUID)")
    parser.add_argument("--history", metavar="FILE", nargs="?", const="-",
                        help="write the history as it happens: to FILE as GetExecutionHistory's "
                             "JSON, or without FILE to stderr, one event per line")
    parser.add_argument("--trace", action="store_true",
                        help="one line per event on stderr as it happens: states entered and exited "
                             "with their times, retries, errors (coloured on a terminal)")
    parser.add_argument("--virtual-clock", action="store_true", help="do not sleep in Wait states or retries")
    parser.add_argument("--functions", metavar="MODULE",
                        help="module holding an asl.Functions (its FUNCTIONS, or its one instance) "
                             "that Task states invoke")
    parser.add_argument("--stats", action="store_true",
                        help="print each Lambda function's metrics to stderr after the run "
                             "(handlers of Lambda functions run through the local Lambda service)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="a progress bar on stderr for Maps of over 100 items "
                          "(default: when stderr is a terminal)")
    from asl._cli import templates

    templates.add_arguments(parser)


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import json
    from pathlib import Path

    import asl
    from asl._cli import templates
    from asl._cli.events import listeners

    opened = templates.open_machine(args, "run", err)
    if opened is None:
        return EXIT_USAGE
    machine_arg, logical_id, substitutions = opened
    try:
        input_value = read_input(args.input)
    except (OSError, ValueError) as error:
        err.write(f"asl run: cannot read input {args.input}: {error}\n")
        return EXIT_USAGE
    try:
        with handler_output_to(err, out):  # the module may print as it is imported
            handlers = load_handlers(args.handlers) if args.handlers else None
    # Any import failure of the user's module is a usage error, not a traceback.
    except Exception as error:  # noqa: BLE001
        err.write(f"asl run: cannot import handlers module {args.handlers!r}: "
                  f"{type(error).__name__}: {error}\n")
        return EXIT_USAGE
    machine = templates.load_machine(machine_arg, logical_id, substitutions, err)
    if machine is None:
        return EXIT_INVALID
    clock = asl.VirtualClock() if args.virtual_clock else None
    from asl._errors import ExecutionStoreError, InvalidExecutionInput, MockConfigError

    options: dict[str, Any] = {}
    if args.mock_config or args.test_case:
        if not (args.mock_config and args.test_case):
            err.write("asl run: --mock-config FILE and --test-case NAME go together\n")
            return EXIT_USAGE
        options = {"mock_config": Path(args.mock_config), "test_case": args.test_case}
    if args.store:
        options["store"] = args.store
    bar = progress_bar(args, err)
    if bar is not None:
        options["on_progress"] = bar
    from asl._cli.stats import as_functions, load_functions, print_stats

    try:
        with handler_output_to(err, out):  # the module may print as it is imported
            functions = load_functions(args.functions) if args.functions else None
    except Exception as error:  # noqa: BLE001 - the user's module failing to import is a usage error
        err.write(f"asl run: cannot load functions module {args.functions!r}: "
                  f"{type(error).__name__}: {error}\n")
        return EXIT_USAGE
    if args.stats:
        # A template's own functions are measured in the service they run in.
        functions, handlers = as_functions(
            functions if functions is not None else machine.functions, handlers)
    if functions is not None:
        options["functions"] = functions
    try:  # last before the run: --history FILE is opened here and closed after it
        listener, closers = listeners(args, err, (machine_arg, args.input, args.handlers,
                                                  args.mock_config, args.functions))
    except (OSError, ValueError) as error:
        err.write(f"asl run: {error}\n")
        if functions is not None:
            functions.close()
        return EXIT_USAGE
    if listener is not None:
        options["on_event"] = listener
    try:
        with handler_output_to(err, out):
            execution, interrupted = run_stoppable(machine, input_value, handlers, clock, options,
                                                     name=args.name)
    except ExecutionStoreError as error:  # a name already used in the store
        err.write(f"asl run: {error}\n")
        return EXIT_USAGE
    except MockConfigError as error:  # an unreadable file, or a test case this machine lacks
        err.write(f"asl run: {error}\n")
        return EXIT_USAGE
    except InvalidExecutionInput as error:  # e.g. a YAML timestamp, which JSON cannot hold
        err.write(f"asl run: {error}\n")
        return EXIT_USAGE
    finally:
        if bar is not None:
            bar.close()
        for close in closers:
            close()
        if functions is not None:
            if args.stats:
                print_stats(functions, err)
            functions.close()
    if execution.status == "SUCCEEDED":
        out.write(json.dumps(execution.output, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    err.write(outcome_line(execution) + "\n")
    return EXIT_INTERRUPTED if interrupted else EXIT_INVALID


#: The shell's code for a command ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130
#: StopExecution's error and cause when Ctrl-C stops `asl run`.
SIGINT_ERROR = "SIGINT"
SIGINT_CAUSE = "asl run was interrupted (Ctrl-C) while the execution was running."


def run_stoppable(machine: Any, input_value: Any, handlers: Any, clock: Any,
                  options: dict[str, Any], name: str | None = None) -> tuple[Any, bool]:
    """`machine.run(...)`, driven on a worker thread while this (the main) thread waits, so
    that Ctrl-C (KeyboardInterrupt, raised on the main thread) stops the execution as
    StopExecution does instead of unwinding through it: the result is ABORTED with its history
    kept. Returns the execution and whether it was interrupted."""
    import threading

    execution, drive = machine._prepare("run", input_value, handlers, clock, name, options,
                                        synchronous=True)
    threading.Thread(target=drive, name="asl-run", daemon=True).start()
    try:
        execution.wait()
        return execution, False
    except KeyboardInterrupt:
        execution.stop(error=SIGINT_ERROR, cause=SIGINT_CAUSE)
    # A handler already running is waited for; a second Ctrl-C leaves it behind.
    try:
        execution.wait()
    except KeyboardInterrupt:
        pass
    return execution, True


def outcome_line(execution: Any) -> str:
    """`ERROR: CAUSE` of a failed execution; `STATUS: ERROR: CAUSE` of one that timed out or
    was aborted, whose error and cause AWS keeps in the closing event, not in DescribeExecution."""
    from asl._cli.events import closing_detail

    error, cause = execution.error, execution.cause
    if execution.status != "FAILED" and error is None and cause is None:
        error, cause = closing_detail(execution.history)
    detail = ": ".join(str(part) for part in (error, cause) if part is not None)
    if execution.status == "FAILED":
        return detail or "FAILED"
    return f"{execution.status}: {detail}" if detail else execution.status
