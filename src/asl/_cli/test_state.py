"""`asl test-state MACHINE [INPUT|-] --state NAME ...`: one TestState call, offline; the response
(as the API answers it, JSON values as JSON text) on stdout.

Exit 0 whatever the state's status (SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR: the call
answered); 1 when the call itself is refused (AWS's error code and message on stderr); 2 for a
usage error (an unreadable file, JSON that does not parse, a handlers module that fails to
import).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import IO, Any

from asl._cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    format_problem,
    load_handlers,
    read_file,
    read_input,
)


class _Usage(Exception):
    """A usage error, with what to say on stderr."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("machine", metavar="MACHINE",
                        help="the definition file: a state machine (with --state) or one state; "
                             "or TEMPLATE#LogicalId for a machine of a template")
    parser.add_argument("input", metavar="INPUT", nargs="?",
                        help="the state's input JSON file, or - for stdin (default {})")
    parser.add_argument("--state", metavar="NAME", help="the state of MACHINE to test (stateName)")
    parser.add_argument("--inspection-level", choices=("INFO", "DEBUG", "TRACE"), default="INFO",
                        help="INFO (default), DEBUG or TRACE: DEBUG and TRACE add inspectionData")
    parser.add_argument("--mock", metavar="JSON|FILE",
                        help='the mock, as the API takes it: {"result": "<JSON text>"} (or the '
                             'value itself), {"errorOutput": {"error": ..., "cause": ...}}, '
                             'optionally "fieldValidationMode"')
    parser.add_argument("--field-validation-mode", choices=("STRICT", "PRESENT", "NONE"),
                        help="how a mocked result is checked against its API shape (default STRICT)")
    parser.add_argument("--context", metavar="JSON|FILE", help="the context object ($$)")
    parser.add_argument("--variables", metavar="JSON|FILE", help="the variables, a JSON object")
    parser.add_argument("--retry-count", metavar="N", type=_count,
                        help="stateConfiguration.retrierRetryCount: retries already made")
    parser.add_argument("--map-failure-count", metavar="N", type=_count,
                        help="stateConfiguration.mapIterationFailureCount")
    parser.add_argument("--error-caused-by-state", metavar="NAME",
                        help="stateConfiguration.errorCausedByState")
    parser.add_argument("--item-reader-data", metavar="JSON|FILE",
                        help="stateConfiguration.mapItemReaderData: the object a Map's ItemReader "
                             "reads (JSON, or a file as it is: JSON, JSON Lines, CSV)")
    parser.add_argument("--role-arn", metavar="ARN", help="the execution role ($$.Execution.RoleArn)")
    parser.add_argument("--reveal-secrets", action="store_true", help="revealSecrets")
    parser.add_argument("--handlers", metavar="MODULE",
                        help="module whose callables handle Task resources (an unmocked Task runs them)")
    from asl._cli import templates

    templates.add_arguments(parser)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import asl
    from asl._cli import templates
    from asl._test_state import call

    opened = templates.open_machine(args, "test-state", err)
    if opened is None:
        return EXIT_USAGE
    path, logical_id, substitutions = opened
    try:
        request = _request(args)
        handlers = _handlers(args.handlers)
    except _Usage as usage:
        err.write(f"asl test-state: {usage}\n")
        return EXIT_USAGE
    from asl._definition.templates.reading import kind_of

    if logical_id is not None or substitutions or kind_of(Path(path)) is not None:
        # A template's machine (or a definition with placeholders filled): loaded as `asl run`
        # loads it, so its own functions serve an unmocked Task.
        try:
            request["definition"] = asl.load(path, logical_id=logical_id,
                                             substitutions=substitutions or None)
        except asl.DefinitionError as error:
            err.write(f"InvalidDefinition: {error}\n")
            return EXIT_INVALID
    try:
        response = call(request, handlers=handlers)
    except asl.TestStateError as refused:
        err.write(f"{refused.code}: {refused.message}\n")
        for problem in refused.problems:
            err.write(format_problem(args.machine, problem, "text") + "\n")
        return EXIT_INVALID
    except asl.Error as error:  # e.g. mock validation without botocore
        err.write(f"asl test-state: {error}\n")
        return EXIT_USAGE
    except TypeError as error:  # a mock or configuration with a field the API does not have
        err.write(f"asl test-state: {error}\n")
        return EXIT_USAGE
    out.write(json.dumps(response, indent=4, ensure_ascii=False) + "\n")
    return EXIT_OK


def _request(args: argparse.Namespace) -> dict[str, Any]:
    request: dict[str, Any] = {"definition": Path(args.machine),
                               "inspectionLevel": args.inspection_level}
    try:
        value = read_input(args.input)
    except (OSError, ValueError) as error:
        raise _Usage(f"cannot read input {args.input}: {error}") from None
    request["input"] = json.dumps(value)
    if args.state is not None:
        request["stateName"] = args.state
    if args.role_arn is not None:
        request["roleArn"] = args.role_arn
    if args.reveal_secrets:
        request["revealSecrets"] = True
    if args.context is not None:
        request["context"] = json.dumps(_json_or_file(args.context, "--context"))
    if args.variables is not None:
        request["variables"] = json.dumps(_json_or_file(args.variables, "--variables"))
    mock: Any = None
    if args.mock is not None:
        mock = _json_or_file(args.mock, "--mock")
        if not isinstance(mock, dict):
            raise _Usage("--mock must be a JSON object such as {\"result\": \"{}\"}")
        if "result" in mock and not isinstance(mock["result"], str):
            # The value itself rather than its JSON text (as the AWS CLI would take it).
            mock = {**mock, "result": json.dumps(mock["result"])}
    if args.field_validation_mode is not None:
        if mock is None:
            raise _Usage("--field-validation-mode goes with --mock")
        mock = {**mock, "fieldValidationMode": args.field_validation_mode}
    if mock is not None:
        request["mock"] = mock
    config: dict[str, Any] = {}
    if args.retry_count is not None:
        config["retrierRetryCount"] = args.retry_count
    if args.map_failure_count is not None:
        config["mapIterationFailureCount"] = args.map_failure_count
    if args.error_caused_by_state is not None:
        config["errorCausedByState"] = args.error_caused_by_state
    if args.item_reader_data is not None:
        config["mapItemReaderData"] = _json_or_text_file(args.item_reader_data)
    if config:
        request["stateConfiguration"] = config
    return request


def _json_or_file(text: str, option: str) -> Any:
    """Inline JSON, or the name of a file holding it."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(read_file(text))
    except OSError as error:
        raise _Usage(f"{option} is neither JSON nor a readable file: {error}") from None
    except ValueError as error:
        raise _Usage(f"{option}: the file {text} is not JSON: {error}") from None


def _json_or_text_file(text: str) -> str:
    """Inline JSON, or a file's text as it is (an ItemReader's object: JSON, JSON Lines, CSV)."""
    try:
        json.loads(text)
        return text
    except ValueError:
        pass
    try:
        return read_file(text)
    except (OSError, ValueError) as error:
        raise _Usage(f"--item-reader-data is neither JSON nor a readable file: {error}") from None


def _handlers(module: str | None) -> dict[str, Any] | None:
    if module is None:
        return None
    try:
        return load_handlers(module)
    # Any import failure of the user's module is a usage error, not a traceback.
    except Exception as error:  # noqa: BLE001
        raise _Usage(f"cannot import handlers module {module!r}: {type(error).__name__}: {error}") from None
