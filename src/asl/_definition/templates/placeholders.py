"""Deploy-time placeholders (`${Name}`) as AWS sees them: text substituted into the definition
before its JSON is parsed (SAM's and CloudFormation's DefinitionSubstitutions, Fn::Sub, CDK
tokens, Terraform's templatefile and interpolations, the Serverless Framework's variables).

A placeholder nobody substitutes stands for an opaque value of the kind its position needs, so
it is never an error by itself: this module only makes an unquoted one (`"Seconds": ${Wait}`)
parseable, as a stand-in of the same length so that every line and column stays where it was
written. What a quoted placeholder stands for is decided where the value is checked (a Task's
Resource, a States.Format template)."""

from __future__ import annotations

import re

from asl._languages.scan import PLACEHOLDER

# Fields whose value AWS needs as a JSON number: an unquoted placeholder there is a number.
NUMBER_FIELDS = frozenset({
    "Seconds", "TimeoutSeconds", "HeartbeatSeconds", "IntervalSeconds", "MaxAttempts",
    "BackoffRate", "MaxDelaySeconds", "MaxConcurrency", "ToleratedFailurePercentage",
    "ToleratedFailureCount", "MaxItems", "MaxItemsPerBatch", "MaxInputBytesPerBatch",
    "NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals",
    "NumericGreaterThanEquals", "Version",
})  # fmt: skip

# Payload templates: an unquoted placeholder there is an object.
OBJECT_FIELDS = frozenset({"Parameters", "ResultSelector", "ItemSelector", "Assign", "ItemReader",
                           "ResultWriter", "ItemBatcher", "Credentials"})  # fmt: skip

_STRING_OR_PLACEHOLDER = re.compile(r'"(?:[^"\\]|\\.)*"|\$\{')
_KEY_BEFORE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*$')


def unquoted(text: str) -> str:
    """`text` with each placeholder written outside a JSON string replaced by a stand-in of the
    same length: a number in a field that needs one, an object in a payload template, a string
    anywhere else."""
    if "${" not in text:
        return text
    out: list[str] = []
    last = 0
    for match in _STRING_OR_PLACEHOLDER.finditer(text):
        if match.group() != "${":
            continue
        placeholder = PLACEHOLDER.match(text, match.start())
        if placeholder is None:
            continue
        start, end = placeholder.span()
        key = _KEY_BEFORE.search(text, max(0, start - 200), start)
        out.append(text[last:start])
        out.append(_stand_in(key.group(1) if key else None, end - start, placeholder.group(1)))
        last = end
    out.append(text[last:])
    return "".join(out)


_YAML_NUMBER_FIELD = re.compile(
    r"(?m)^([ \t]*(?:-[ \t]+)?(\w+)[ \t]*:[ \t]+)(\$\{[^{}\"'\\\s][^{}\"'\\]*\})(?=[ \t]*(?:#.*)?$)"
)


def unquoted_yaml(text: str) -> str:
    """The YAML counterpart of `unquoted`: a plain `Seconds: ${Wait}` in a block mapping is a
    number once substituted, so it stands as one (same length). A quoted one stays a string."""
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group(2) not in NUMBER_FIELDS:
            return match.group()
        placeholder = match.group(3)
        return match.group(1) + _stand_in(match.group(2), len(placeholder), placeholder[2:-1])

    return _YAML_NUMBER_FIELD.sub(replace, text)


def _stand_in(key: str | None, width: int, name: str) -> str:
    if key in NUMBER_FIELDS:
        # Every number field accepts 1 except a TimeoutSeconds that must exceed a heartbeat.
        digits = "9" * min(width, 8) if key == "TimeoutSeconds" else "1"
        return digits.ljust(width)
    if key in OBJECT_FIELDS:
        return "{}".ljust(width)
    return f'"${name}"'  # `${name}` -> `"$name"`: two braces become two quotes


def stands_for_arn(resource: str) -> bool | None:
    """Whether a Resource holding placeholders can be an ARN once they are substituted: True
    when it is one placeholder or an ARN with placeholders inside, False when it cannot, None
    when it holds no well-formed placeholder."""
    if PLACEHOLDER.search(resource) is None:
        return None
    if PLACEHOLDER.fullmatch(resource) or resource.startswith("${"):
        return True
    hollow = PLACEHOLDER.sub("x", resource)
    return "${" not in hollow and hollow.startswith("arn:") and hollow.count(":") >= 5
