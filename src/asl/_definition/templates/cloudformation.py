"""CloudFormation and SAM templates (JSON or YAML; `cdk.out/*.template.json` is one too):
`AWS::StepFunctions::StateMachine` (`Definition`, `DefinitionString` as text, `Fn::Sub`,
`Fn::Join`, `DefinitionSubstitutions`, `DefinitionS3Location` naming a local file) and
`AWS::Serverless::StateMachine` (`Definition`, `DefinitionUri`, `DefinitionSubstitutions`); and
the functions with local code (`AWS::Serverless::Function`, `AWS::Lambda::Function`).

Intrinsics resolve to what they would be locally where that is known (pseudo parameters, a
parameter's default, a local function's name and ARN); anything else stays a `${...}`
placeholder, an opaque value of the kind its position needs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from asl._definition.source import read_text
from asl._definition.templates.mapped import (
    TEMPLATE,
    UNDEFINED_PLACEHOLDER,
    MappedText,
    Text,
    block_text,
    fixed_text,
    source_from_object,
    source_from_text,
    strings,
    substitute_strings,
    undefined_warning,
)
from asl._definition.templates.model import (
    FunctionSpec,
    Template,
    TemplateMachine,
    template_text,
)
from asl._definition.templates.parsed import Parsed, parse
from asl._errors import Problem
from asl._json import escape, join
from asl._languages.scan import PLACEHOLDER

STEP_FUNCTIONS = "AWS::StepFunctions::StateMachine"
SERVERLESS = "AWS::Serverless::StateMachine"
FUNCTIONS = ("AWS::Serverless::Function", "AWS::Lambda::Function")


class Resolver:
    """Intrinsic functions and `${...}` names, resolved to local values where they are known."""

    def __init__(self, document: Mapping[str, Any], functions: Mapping[str, FunctionSpec],
                 user: Mapping[str, str], region: str, account: str) -> None:  # fmt: skip
        self.resources = mapping(document.get("Resources"))
        self.parameters = mapping(document.get("Parameters"))
        self.functions = functions
        self.user = user
        self.pseudo = {
            "AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "local",
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/local/local",
        }  # fmt: skip

    def name(self, name: str) -> str | None:
        """What `${name}` in an Fn::Sub is locally; a placeholder (opaque) when the template
        defines it but its value is only known at deploy; None when nothing defines it."""
        if name in self.user:
            return self.user[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            default = mapping(self.parameters[name]).get("Default")
            return _text(default) if default is not None else f"${{{name}}}"
        logical, _, attribute = name.partition(".")
        if logical in self.functions:
            spec = self.functions[logical]
            if not attribute:
                return spec.name
            if attribute == "Arn":
                return spec.arn
        if logical in self.resources:
            return f"${{{name}}}"
        return None

    def value(self, value: Any) -> str | None:
        """A substitution's value as text (None: not resolvable, left as a placeholder)."""
        if isinstance(value, str | int | float | bool):
            return _text(value)
        if not isinstance(value, dict) or len(value) != 1:
            return None
        (key, arg), = value.items()
        if key == "Ref" and isinstance(arg, str):
            return self.name(arg)
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            if isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts):
                return self.name(f"{parts[0]}.{parts[1]}")
            return None
        if key == "Fn::Sub":
            text, variables = _sub_args(arg)
            if text is None:
                return None
            return PLACEHOLDER.sub(lambda m: self._sub_name(m.group(1), variables, m.group()), text)
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            parts = [self.value(p) for p in arg[1]]
            if any(p is None for p in parts) or not isinstance(arg[0], str):
                return None
            return arg[0].join(p for p in parts if p is not None)
        return None

    def _sub_name(self, name: str, variables: Mapping[str, Any], original: str) -> str:
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            resolved = self.value(variables[name])
            return original if resolved is None else resolved
        resolved = self.name(name)
        return original if resolved is None else resolved


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a mapping, else an empty one (a template's optional sections)."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _sub_args(arg: Any) -> tuple[str | None, Mapping[str, Any]]:
    if isinstance(arg, str):
        return arg, {}
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
        return arg[0], arg[1]
    return None, {}


def read(path: Path, user: Mapping[str, str], *, region: str, account: str) -> Template:
    name = str(path)
    text = template_text(path, "cloudformation")
    if isinstance(text, Template):
        return text
    parsed = parse(name, text)
    document = parsed.document
    if not isinstance(document, dict):
        return Template(name, "cloudformation", (), parsed.problems)
    resources = mapping(document.get("Resources"))
    functions = read_functions(document, path.parent, region, account)
    resolver = Resolver(document, {f.logical_id: f for f in functions}, user, region, account)
    machines = []
    for logical_id, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") in (STEP_FUNCTIONS, SERVERLESS):
            machines.append(_machine(parsed, path, logical_id, resource, resolver, tuple(functions)))
    # A template without a state machine (most of a cdk.out) has nothing to check.
    return Template(name, "cloudformation", tuple(machines), parsed.problems, tuple(functions))


def _machine(parsed: Parsed, path: Path, logical_id: str, resource: dict[str, Any],
             resolver: Resolver, functions: tuple[FunctionSpec, ...]) -> TemplateMachine:  # fmt: skip
    base = f"/Resources/{escape(logical_id)}/Properties"
    props = mapping(resource.get("Properties"))
    sam = resource.get("Type") == SERVERLESS
    name_value = props.get("Name" if sam else "StateMachineName")
    name = name_value if isinstance(name_value, str) and "${" not in name_value else logical_id
    problems: list[Problem] = []

    def problem(pointer: str, message: str, severity: Any = "error") -> Problem:
        return Problem(pointer, TEMPLATE, message, severity, *(parsed.locate(pointer) or (None, None)))

    # DefinitionSubstitutions: applied by CloudFormation to the definition's text.
    raw_subs = props.get("DefinitionSubstitutions")
    subs: dict[str, str | None] = {}
    if isinstance(raw_subs, dict):
        for key, value in raw_subs.items():
            subs[str(key)] = resolver.value(value)
    where = f"{logical_id}'s DefinitionSubstitutions" if isinstance(raw_subs, dict) else (
        f"{logical_id} (it has no DefinitionSubstitutions)")

    def final(name_: str) -> str | None:
        if name_ in resolver.user:
            return resolver.user[name_]
        if name_ in subs:
            return subs[name_] if subs[name_] is not None else None
        return None

    def defined(name_: str) -> bool:
        return name_ in resolver.user or name_ in subs

    source = None
    file = parsed.name
    definition = props.get("Definition")
    if isinstance(definition, dict):
        pointer = f"{base}/Definition"
        resolved: set[str] = set()
        document = resolve_object(definition, resolver, "", resolved)
        for at, value in strings(document):
            if at in resolved:
                continue  # an intrinsic's deploy-time value, not a placeholder of the text
            for match in PLACEHOLDER.finditer(value):
                if not defined(match.group(1)):
                    problems.append(undefined_warning(match.group(1), where, at,
                                                      parsed.locate(pointer + at)))  # fmt: skip
        document = substitute_strings(document, final)
        source = source_from_object(document, parsed.locate, pointer, parsed.name)
    else:
        asset = mapping(resource.get("Metadata")).get("aws:asset:path")
        asset = asset if isinstance(asset, str) else None
        mapped, pointer, file, trouble = _definition_text(parsed, path, base, props, sam, resolver, asset)
        problems.extend(trouble)
        if mapped is not None:
            substituted, left = mapped.substitute(final)
            reported = {(p.line, p.column) for p in trouble}  # by Fn::Sub, which ran first
            for placeholder, position in left:
                if position not in reported and not defined(placeholder):
                    problems.append(undefined_warning(placeholder, where, pointer, position))
            source = source_from_text(substituted, file)
    if source is None:
        from asl._definition.source import Source

        if not problems:
            keys = ("Definition or DefinitionUri" if sam
                    else "Definition, DefinitionString or DefinitionS3Location")  # fmt: skip
            problems.append(problem(base, f"{logical_id} has no {keys}"))
        source = Source(None, (), parsed.name)
    return TemplateMachine(logical_id, "sam" if sam else "cloudformation", parsed.name, file, name,
                           source, tuple(problems), functions)  # fmt: skip


def _definition_text(
    parsed: Parsed, path: Path, base: str, props: Mapping[str, Any], sam: bool, resolver: Resolver,
    asset: str | None = None,
) -> tuple[MappedText | None, str, str, list[Problem]]:
    """The definition's text (mapped into its file), its pointer, its file and any trouble."""
    trouble: list[Problem] = []
    text_key = "DefinitionUri" if sam else "DefinitionS3Location"
    if not sam and "DefinitionString" in props:
        pointer = f"{base}/DefinitionString"
        mapped = _string_value(parsed, pointer, props["DefinitionString"], resolver, trouble)
        return mapped, pointer, parsed.name, trouble
    location = props.get(text_key)
    pointer = f"{base}/{text_key}"
    if location is None:
        return None, pointer, parsed.name, trouble
    if isinstance(location, dict) and asset is not None:
        # CDK's DefinitionBody.fromFile: the S3 object is an asset staged beside the template.
        location = asset
    if isinstance(location, dict):
        trouble.append(_problem(parsed, pointer, f"{text_key} names an S3 object "
                                f"({location.get('Bucket')}/{location.get('Key')}); asl reads "
                                "definitions from local files only", "warning"))  # fmt: skip
        return None, pointer, parsed.name, trouble
    if not isinstance(location, str):
        trouble.append(_problem(parsed, pointer, f"{text_key} must be a file path or an S3 location"))
        return None, pointer, parsed.name, trouble
    file = path.parent / location
    try:
        text = read_text(file)
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        trouble.append(_problem(parsed, pointer, f"cannot read {text_key} {location}: {reason}"))
        return None, pointer, parsed.name, trouble
    # JSON or YAML: substituted as text, then read like any definition.
    return block_text(text, 1, 1), "", str(file), trouble


def _string_value(parsed: Parsed, pointer: str, value: Any, resolver: Resolver,
                  trouble: list[Problem]) -> MappedText | None:  # fmt: skip
    """DefinitionString: a string, an Fn::Sub or an Fn::Join, as mapped text."""
    if isinstance(value, str):
        return parsed.text_at(pointer, value)
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        at = f"{pointer}/{escape(key)}"
        if key == "Fn::Sub":
            text, variables = _sub_args(arg)
            if text is None:
                trouble.append(_problem(parsed, at, "Fn::Sub takes a string, or a string and a "
                                        "map of variables"))  # fmt: skip
                return None
            mapped = parsed.text_at(at if isinstance(arg, str) else f"{at}/0", text)
            return _fn_sub(mapped, variables, resolver, parsed, at, trouble)
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            delimiter = arg[0] if isinstance(arg[0], str) else ""
            out = MappedText()
            for i, part in enumerate(arg[1]):
                if i and delimiter:
                    out = out + fixed_text(delimiter, parsed.locate(f"{at}/0") or (1, 1))
                part_at = f"{at}/1/{i}"
                if isinstance(part, str):
                    out = out + parsed.text_at(part_at, part)
                else:
                    out = out + fixed_text(_join_part(part, resolver), parsed.locate(part_at) or (1, 1))
            return out
    trouble.append(_problem(parsed, pointer, "DefinitionString must be a string, an Fn::Sub or an Fn::Join"))
    return None


def _join_part(part: Any, resolver: Resolver) -> str:
    resolved = resolver.value(part)
    if resolved is not None:
        return resolved
    if isinstance(part, dict) and len(part) == 1:
        (key, arg), = part.items()
        if key == "Ref" and isinstance(arg, str):
            return "${" + str(arg) + "}"
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            if isinstance(parts, list):
                return "${" + ".".join(str(p) for p in parts) + "}"
        return "${" + str(key).removeprefix("Fn::") + "}"
    return str(part)


def _fn_sub(mapped: MappedText, variables: Mapping[str, Any], resolver: Resolver, parsed: Parsed,
            at: str, trouble: list[Problem]) -> MappedText:  # fmt: skip
    """CloudFormation's Fn::Sub on the definition text: its variables, then the template's
    names; `${!Name}` is the literal `${Name}`; a name nothing defines fails the deploy."""

    def value_of(name: str) -> str | None:
        if name.startswith("!"):
            return Text("${" + name[1:] + "}")
        if name in variables:
            resolved = resolver.value(variables[name])
            return f"${{{name}}}" if resolved is None else resolved
        return resolver.name(name)

    substituted, left = mapped.substitute(value_of)
    for name, position in left:
        line, column = position or (None, None)
        trouble.append(Problem(at, UNDEFINED_PLACEHOLDER, f"Fn::Sub: ${{{name}}} is not a parameter, "
                               "resource, pseudo parameter or variable of this Fn::Sub; "
                               "CloudFormation rejects the template", "warning", line, column))  # fmt: skip
    return substituted


def _problem(parsed: Parsed, pointer: str, message: str, severity: Any = "error") -> Problem:
    return Problem(pointer, TEMPLATE, message, severity, *(parsed.locate(pointer) or (None, None)))


def resolve_object(value: Any, resolver: Resolver, pointer: str = "",
                   resolved: set[str] | None = None) -> Any:  # fmt: skip
    """An object definition with its intrinsics resolved (a placeholder where not known); the
    pointers of the values that came from an intrinsic are added to `resolved`."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, _), = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                if resolved is not None:
                    resolved.add(pointer)
                text = resolver.value(value)
                return text if text is not None else _join_part(value, resolver)
        return {k: resolve_object(v, resolver, join(pointer, k), resolved) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_object(v, resolver, f"{pointer}/{i}", resolved) for i, v in enumerate(value)]
    return value


def read_functions(document: Mapping[str, Any], root: Path, region: str, account: str) -> list[FunctionSpec]:
    """The template's Lambda functions whose code is a local folder."""
    resources = mapping(document.get("Resources"))
    defaults = mapping(mapping(document.get("Globals")).get("Function"))
    specs = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") not in FUNCTIONS:
            continue
        props = mapping(resource.get("Properties"))
        sam = resource.get("Type") == FUNCTIONS[0]
        if sam:
            props = {**defaults, **props}
        code = props.get("CodeUri" if sam else "Code")
        metadata = mapping(resource.get("Metadata"))
        if not isinstance(code, str) and isinstance(metadata.get("aws:asset:path"), str):
            # cdk synth stages a function's code beside the template and says where (the
            # metadata SAM CLI reads to run CDK functions locally).
            code = metadata["aws:asset:path"]
        handler = props.get("Handler")
        if not isinstance(code, str) or not isinstance(handler, str) or "://" in code:
            continue  # S3, inline ZipFile or an image: no local code to run
        name = props.get("FunctionName")
        name = name if isinstance(name, str) and "${" not in name else logical_id
        variables = mapping(mapping(props.get("Environment")).get("Variables"))
        environment = {str(k): _text(v) for k, v in variables.items()
                       if isinstance(v, str | int | float | bool)}  # fmt: skip
        timeout = props.get("Timeout")
        memory = props.get("MemorySize")
        extra: dict[str, Any] = {k: props[k] for k in ("AutoPublishAlias", "DeploymentPreference",
                                        "ReservedConcurrentExecutions", "Layers") if k in props}  # fmt: skip
        specs.append(FunctionSpec(
            logical_id, name, f"arn:aws:lambda:{region}:{account}:function:{name}", handler,
            (root / code).resolve(), props.get("Runtime") if isinstance(props.get("Runtime"), str) else None,
            float(timeout) if isinstance(timeout, int | float) else None,
            memory if isinstance(memory, int) else None, environment, extra,
        ))  # fmt: skip
    return specs

