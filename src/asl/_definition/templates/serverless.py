"""`serverless.yml` with the serverless-step-functions plugin: `stepFunctions.stateMachines.<id>
.definition`, read with the Serverless Framework's YAML rules (js-yaml: YAML 1.2 booleans, the
CloudFormation short-form tags). A function is referenced by its key in `functions` (`hello`) or
by the logical ID the framework gives it (`HelloLambdaFunction`); Serverless variables
(`${self:...}`, `${opt:...}`, `${sls:...}`) are resolved by the framework at deploy, so they stay
opaque placeholders here."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from asl._definition.source import read_text
from asl._definition.templates.cloudformation import Resolver, mapping, resolve_object
from asl._definition.templates.mapped import (
    TEMPLATE,
    Position,
    source_from_object,
    source_from_text,
    substitute_strings,
)
from asl._definition.templates.model import (
    FunctionSpec,
    Template,
    TemplateMachine,
    template_text,
)
from asl._definition.templates.parsed import Parsed, parse
from asl._errors import Problem
from asl._json import escape


def read(path: Path, user: Mapping[str, str], *, region: str, account: str) -> Template:
    name = str(path)
    text = template_text(path, "serverless")
    if isinstance(text, Template):
        return text
    parsed = parse(name, text, yaml12=True)
    document = parsed.document
    if not isinstance(document, dict):
        return Template(name, "serverless", (), parsed.problems)
    provider = mapping(document.get("provider"))
    if isinstance(provider.get("region"), str):
        region = provider["region"]
    functions = _functions(document, path.parent, region, account)
    by_reference: dict[str, FunctionSpec] = {}
    for key, spec in functions.items():
        by_reference[key] = spec
        by_reference[spec.logical_id] = spec
    resolver = Resolver({}, by_reference, user, region, account)
    machines = []
    state_machines = mapping(mapping(document.get("stepFunctions")).get("stateMachines"))
    for machine_id, spec in state_machines.items():
        base = f"/stepFunctions/stateMachines/{escape(machine_id)}"
        props = mapping(spec)
        definition = props.get("definition")
        machine_name = props.get("name") if isinstance(props.get("name"), str) else machine_id
        problems: list[Problem] = []
        included = _FILE.fullmatch(definition) if isinstance(definition, str) else None
        if included is not None:
            found, file, trouble = _include(parsed, path, f"{base}/definition", included)
            problems.extend(trouble)
            if found is not None:
                document_ = substitute_strings(resolve_object(found[0], resolver), user.get)
                source = source_from_object(document_, found[1], found[2], file)
            else:
                from asl._definition.source import Source

                source = Source(None, (), file)
            machines.append(TemplateMachine(machine_id, "serverless", name, file, str(machine_name),
                                            source, tuple(problems), tuple(functions.values())))  # fmt: skip
            continue
        if isinstance(definition, dict):
            document_ = substitute_strings(resolve_object(definition, resolver), user.get)
            source = source_from_object(document_, parsed.locate, f"{base}/definition", name)
        elif isinstance(definition, str):
            mapped, _ = parsed.text_at(f"{base}/definition", definition).substitute(user.get)
            source = source_from_text(mapped, name)
        else:
            from asl._definition.source import Source

            source = Source(None, (), name)
            problems.append(Problem(base, TEMPLATE, f"state machine {machine_id} has no definition",
                                    "error", *(parsed.locate(base) or (None, None))))  # fmt: skip
        machines.append(TemplateMachine(machine_id, "serverless", name, name, str(machine_name),
                                        source, tuple(problems), tuple(functions.values())))  # fmt: skip
    return Template(name, "serverless", tuple(machines), parsed.problems, tuple(functions.values()))


_FILE = re.compile(r"\$\{file\(([^)]+)\)(?::(\w+))?\}")


def _include(
    parsed: Parsed, path: Path, pointer: str, included: re.Match[str]
) -> tuple[tuple[dict[str, Any], Callable[[str], Position | None], str] | None, str, list[Problem]]:
    """`definition: ${file(path)}` (or `${file(path):key}`), the framework's include: the
    definition, how to locate in its file and the pointer prefix there; its file; trouble."""
    file = str(path.parent / included.group(1).strip().strip("'\""))
    where = parsed.locate(pointer) or (None, None)
    try:
        other = parse(file, read_text(Path(file)), yaml12=True)
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        trouble = Problem(pointer, TEMPLATE, f"cannot read {file}: {reason}", "error", *where)
        return None, parsed.name, [trouble]
    if other.problems:
        return None, file, list(other.problems)
    key = included.group(2)
    definition = mapping(other.document).get(key) if key else other.document
    if not isinstance(definition, dict):
        what = f"key {key!r} of {file}" if key else file
        trouble = Problem(pointer, TEMPLATE, f"{what} holds no definition", "error", *where)
        return None, parsed.name, [trouble]
    return (definition, other.locate, f"/{escape(key)}" if key else ""), file, []


def _functions(document: Mapping[str, Any], root: Path, region: str,
               account: str) -> dict[str, FunctionSpec]:  # fmt: skip
    """`functions:` by key. Their code is the service folder; `handler: src/app.main` is
    `main` in `src/app.py`."""
    provider = mapping(document.get("provider"))
    service = document.get("service")
    service = service if isinstance(service, str) and "${" not in service else "service"
    stage: str = provider["stage"] if isinstance(provider.get("stage"), str) else "dev"
    if "${" in stage:  # `${opt:stage, 'dev'}`: the fallback is the stage without --stage
        fallback = re.search(r",\s*['\"]?([\w-]+)['\"]?\s*\}", stage)
        stage = fallback.group(1) if fallback else "dev"
    specs = {}
    for key, value in mapping(document.get("functions")).items():
        props = mapping(value)
        handler = props.get("handler")
        if not isinstance(handler, str):
            continue
        name = props.get("name")
        name = name if isinstance(name, str) and "${" not in name else f"{service}-{stage}-{key}"
        env = {**mapping(provider.get("environment")), **mapping(props.get("environment"))}
        runtime = props.get("runtime", provider.get("runtime"))
        timeout = props.get("timeout", provider.get("timeout"))
        memory = props.get("memorySize", provider.get("memorySize"))
        # The framework's logical ID: the key with its first letter upper-cased, `-` as `Dash`
        # and `_` as `Underscore`, then `LambdaFunction`.
        normalized = key[:1].upper() + key[1:]
        logical_id = normalized.replace("-", "Dash").replace("_", "Underscore") + "LambdaFunction"
        specs[key] = FunctionSpec(
            logical_id, name, f"arn:aws:lambda:{region}:{account}:function:{name}",
            handler.replace("/", "."), root.resolve(),
            runtime if isinstance(runtime, str) else None,
            float(timeout) if isinstance(timeout, int | float) else None,
            memory if isinstance(memory, int) else None,
            {str(k): str(v) for k, v in env.items() if isinstance(v, str | int | float)},
        )  # fmt: skip
    return specs
