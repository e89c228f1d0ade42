"""Reading a path or expression text outside its quoted parts: the one quote-aware scanner
behind the intrinsic lexer's path arguments, JSONPath's brackets and a filter's `&&`."""

from __future__ import annotations

import re
from collections.abc import Iterator

# A deploy-time placeholder (`${Name}`, `${AWS::Region}`, `${Fn.Arn}`, `${self:custom.x}`,
# `${aws_lambda_function.f.arn}`): text SAM, CloudFormation, CDK, Terraform or the Serverless
# Framework substitutes before AWS sees the definition. Not `${}`, and nothing holding braces,
# quotes or backslashes.
PLACEHOLDER = re.compile(r"\$\{([^{}\"\\\s][^{}\"\\]*)\}")


def unquoted(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """Each character of `text` from `start` that stands outside quotes, with its index.

    A quoted part (`'...'` or `"..."`, a backslash escaping the next character) is skipped
    whole, its quotes included, so a `,`, `)` or `]` inside a string literal is never seen."""
    quote = ""
    i, n = start, len(text)
    while i < n:
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        else:
            yield i, char
        i += 1
