"""Terraform: each `resource "aws_sfn_state_machine"` whose `definition` is a heredoc, a string,
`jsonencode({...})`, `templatefile(path, {vars})` or `file(path)`.

Parsed with python-hcl2 (an optional extra: `pip install 'asl-engine[terraform]'`), whose parse
tree keeps every token's line and column, so a Problem points into the `.tf` file (or the
template file). Terraform's own references (`aws_lambda_function.f.arn`, `var.x`) are only known
at apply time: each stands as an opaque `${...}` placeholder."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from asl._definition.source import Source, read_text
from asl._definition.templates.mapped import (
    TEMPLATE,
    MappedText,
    Position,
    block_text,
    json_string,
    source_from_object,
    source_from_text,
    substitute_strings,
    undefined_warning,
)
from asl._definition.templates.model import (
    FunctionSpec,
    Template,
    TemplateMachine,
    template_text,
)
from asl._errors import Problem
from asl._json import join

RESOURCE = "aws_sfn_state_machine"


class _Opaque(str):
    """A value Terraform knows only at apply time, written as `${expression}`."""


class _Hcl:
    """Expressions of one parsed file evaluated to JSON values, with where each is written."""

    def __init__(self, text: str, folder: Path) -> None:
        self.text = text
        self.folder = folder
        self.locals: dict[str, Any] = {}

    def tokens(self, tree: Any) -> list[Any]:
        from lark import Token, Tree

        if isinstance(tree, Token):
            return [tree]
        found: list[Any] = []
        assert isinstance(tree, Tree)
        for child in tree.children:
            found.extend(self.tokens(child))
        return found

    def start(self, tree: Any) -> Position:
        tokens = self.tokens(tree)
        return (tokens[0].line, tokens[0].column) if tokens else (1, 1)

    def source_text(self, tree: Any) -> str:
        tokens = self.tokens(tree)
        if not tokens:
            return ""
        return self.text[tokens[0].start_pos : tokens[-1].end_pos].strip()

    def value(self, tree: Any, pointer: str, positions: dict[str, Position]) -> Any:
        """A JSON value for an expression; `positions[pointer]` where each member is written."""
        from lark import Token

        positions.setdefault(pointer, self.start(tree))
        if isinstance(tree, Token):
            return _Opaque("${" + str(tree) + "}")
        kind = tree.data
        children = [c for c in tree.children if not _is_layout(c)]
        if kind == "expr_term" and len(children) == 1:
            return self.value(children[0], pointer, positions)
        if kind == "string":
            return self.string(children)
        if kind in ("int_lit", "float_lit"):
            literal = str(children[0])
            if kind == "float_lit" or "." in literal or "e" in literal.lower():
                return float(literal)
            return int(literal)
        if kind == "literal_value":
            return {"true": True, "false": False, "null": None}.get(str(children[0]), str(children[0]))
        if kind == "object":
            result: dict[str, Any] = {}
            for element in children:
                if getattr(element, "data", None) != "object_elem":
                    continue
                parts = [c for c in element.children if not _is_layout(c)]
                key_tree, value_tree = parts[0], parts[-1]
                key = self.key(key_tree)
                child = join(pointer, key)
                positions[child] = self.start(key_tree)
                result[key] = self.value(value_tree, child, positions)
            return result
        if kind == "tuple":
            items = [c for c in children if not hasattr(c, "type")]
            return [self.value(item, f"{pointer}/{i}", positions) for i, item in enumerate(items)]
        if kind in ("heredoc_template", "heredoc_template_trim"):
            return heredoc(str(children[0]))[0]
        return _Opaque("${" + self.source_text(tree) + "}")

    def key(self, tree: Any) -> str:
        from lark import Token

        for token in self.tokens(tree):
            if isinstance(token, Token) and token.type in ("NAME", "STRING_CHARS"):
                return str(token)
        return self.source_text(tree).strip('"')

    def string(self, parts: list[Any]) -> str:
        from lark import Token

        out: list[str] = []
        for part in parts:
            if isinstance(part, Token):
                continue  # the quotes
            for piece in part.children:
                if isinstance(piece, Token):
                    out.append(_unescape(str(piece)))
                else:  # an interpolation: Terraform's, known at apply time
                    inner = [c for c in piece.children if not isinstance(c, Token)]
                    out.append("${" + (self.source_text(inner[0]) if inner else "") + "}")
        return "".join(out)


def _is_layout(node: Any) -> bool:
    data = getattr(node, "data", None)
    if data == "new_line_or_comment":
        return True
    token_type = getattr(node, "type", None)
    return token_type in ("LBRACE", "RBRACE", "LSQB", "RSQB", "COMMA", "EQ", "COLON", "LPAR",
                          "RPAR", "DBLQUOTE", "NL_OR_COMMENT")  # fmt: skip


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    text = re.sub(r"\\([nrt\"\\])", lambda m: _ESCAPES[m.group(1)], text)
    return text.replace("$${", "${").replace("%%{", "%{")


def heredoc(token: str) -> tuple[str, int]:
    """A heredoc token's content and the indentation `<<-` strips from each line."""
    first, _, rest = token.partition("\n")
    lines = rest.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if lines:
        lines.pop()  # the closing marker
    indent = 0
    if first.startswith("<<-"):
        widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
        indent = min(widths, default=0)
        lines = [line[indent:] for line in lines]
    return "\n".join(lines) + "\n", indent


def read(path: Path, user: Mapping[str, str], *, region: str, account: str) -> Template:
    name = str(path)
    text = template_text(path, "terraform")
    if isinstance(text, Template):
        return text
    try:
        import hcl2
    except ImportError:
        problem = Problem("", TEMPLATE, "reading Terraform needs python-hcl2: pip install "
                          "'asl-engine[terraform]'")  # fmt: skip
        return Template(name, "terraform", (), (problem,))
    try:
        tree = hcl2.parses_to_tree(text)
    except Exception as error:  # noqa: BLE001  # lark's syntax errors have no common base we can name
        line, column = getattr(error, "line", None), getattr(error, "column", None)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        problem = Problem("", "syntax", f"invalid HCL: {first}",
                          line=line if isinstance(line, int) and line > 0 else None,
                          column=column if isinstance(column, int) and column > 0 else None)  # fmt: skip
        return Template(name, "terraform", (), (problem,))
    hcl = _Hcl(text, path.parent)
    hcl.locals = _locals(hcl, tree)
    functions = _functions(hcl, tree, path.parent, region, account)
    # A local function's references resolve to it; the user's --substitute wins.
    lookup = {**{ref: value for spec in functions for ref, value in _references(spec).items()}, **user}
    machines = [
        attrs.evolve(_machine(hcl, path, block, lookup), functions=tuple(functions))
        for block in _blocks(hcl, tree, "resource", RESOURCE)
    ]
    return Template(name, "terraform", tuple(machines), (), tuple(functions))


def _references(spec: FunctionSpec) -> dict[str, str]:
    address = f"aws_lambda_function.{spec.logical_id}"
    return {f"{address}.arn": spec.arn, f"{address}.function_name": spec.name,
            f"{address}.qualified_arn": f"{spec.arn}:$LATEST"}  # fmt: skip


def _functions(hcl: _Hcl, tree: Any, folder: Path, region: str, account: str) -> list[FunctionSpec]:
    """`aws_lambda_function`s whose `filename` is an `archive_file` of a local folder or file
    (the usual way Terraform packages a Python function)."""
    archives: dict[str, Path] = {}
    for address, body in _blocks(hcl, tree, "data", "archive_file"):
        for key in ("source_dir", "source_file"):
            found = _attribute(body, key, hcl)
            value = hcl.value(found[0], "", {}) if found else None
            if isinstance(value, str):
                relative = value.replace("${path.module}", ".").replace("${path.root}", ".")
                if "${" not in relative:
                    source = folder / relative
                    archives[address.partition(".")[2]] = source if key == "source_dir" else source.parent
    specs = []
    for address, body in _blocks(hcl, tree, "resource", "aws_lambda_function"):
        values = {key: hcl.value(found[0], "", {}) for key in
                  ("function_name", "handler", "runtime", "timeout", "memory_size", "filename")
                  if (found := _attribute(body, key, hcl)) is not None}  # fmt: skip
        filename = values.get("filename")
        archive = re.fullmatch(r"\$\{data\.archive_file\.(\w+)\.output_path\}", str(filename or ""))
        handler, name = values.get("handler"), values.get("function_name")
        if archive is None or archive.group(1) not in archives or not isinstance(handler, str):
            continue
        label = address.partition(".")[2]
        name = name if isinstance(name, str) and "${" not in name else label
        environment: dict[str, str] = {}
        for node in body.children:
            if getattr(node, "data", None) == "block" and hcl.key(node.children[0]) == "environment":
                inner = [c for c in node.children if getattr(c, "data", None) == "body"]
                found = _attribute(inner[0], "variables", hcl) if inner else None
                variables = hcl.value(found[0], "", {}) if found else {}
                if isinstance(variables, dict):
                    environment = {str(k): str(v) for k, v in variables.items()
                                   if isinstance(v, str | int | float)
                                   and not isinstance(v, _Opaque)}  # fmt: skip
        timeout, memory, runtime = values.get("timeout"), values.get("memory_size"), values.get("runtime")
        specs.append(FunctionSpec(
            label, name, f"arn:aws:lambda:{region}:{account}:function:{name}", handler,
            archives[archive.group(1)].resolve(), runtime if isinstance(runtime, str) else None,
            float(timeout) if isinstance(timeout, int | float) else None,
            memory if isinstance(memory, int) else None, environment,
        ))  # fmt: skip
    return specs


def _blocks(hcl: _Hcl, tree: Any, kind: str, type_: str) -> list[tuple[str, Any]]:
    """(address, body) of each `kind "type_" "name" { ... }` block (`resource`, `data`)."""
    from lark import Tree

    found = []
    for node in tree.iter_subtrees_topdown():
        if node.data != "block":
            continue
        parts = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        if len(parts) < 4 or hcl.key(parts[0]) != kind or hcl.key(parts[1]) != type_:
            continue
        found.append((f"{type_}.{hcl.key(parts[2])}", parts[3]))
    return found


def _locals(hcl: _Hcl, tree: Any) -> dict[str, Any]:
    """The expressions of every `locals { name = ... }` block, by name."""
    from lark import Tree

    found: dict[str, Any] = {}
    for node in tree.iter_subtrees_topdown():
        if node.data != "block":
            continue
        parts = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        if len(parts) == 2 and hcl.key(parts[0]) == "locals":
            for attribute in parts[1].children:
                if getattr(attribute, "data", None) == "attribute":
                    inner = [c for c in attribute.children if not _is_layout(c)]
                    found[hcl.key(inner[0])] = inner[-1]
    return found


def _attribute(body: Any, name: str, hcl: _Hcl) -> tuple[Any, Position] | None:
    for node in body.children:
        if getattr(node, "data", None) == "attribute":
            parts = [c for c in node.children if not _is_layout(c)]
            if hcl.key(parts[0]) == name:
                return parts[-1], hcl.start(parts[0])
    return None


def _machine(hcl: _Hcl, path: Path, resource: tuple[str, Any],
             user: Mapping[str, str]) -> TemplateMachine:  # fmt: skip
    address, body = resource
    name = str(path)
    label = address.partition(".")[2]
    found = _attribute(body, "name", hcl)
    if found is not None:
        value = hcl.value(found[0], "", {})
        if isinstance(value, str) and not isinstance(value, _Opaque) and "${" not in value:
            label = value
    problems: list[Problem] = []
    attribute = _attribute(body, "definition", hcl)
    if attribute is None:
        problems.append(Problem("", TEMPLATE, "the resource has no definition", "error",
                                *hcl.start(body)))  # fmt: skip
        return TemplateMachine(address, "terraform", name, name, label, Source(None, (), name),
                               tuple(problems))  # fmt: skip
    expression, where = attribute
    reference = hcl.source_text(expression)
    if reference.startswith("local.") and reference[6:] in hcl.locals:
        expression = hcl.locals[reference[6:]]  # `definition = local.x`, x a templatefile(...)
    call = _call(expression)
    file = name
    if call is not None and call[0] == "jsonencode" and call[1]:
        positions: dict[str, Position] = {}
        document = hcl.value(call[1][0], "", positions)
        document = substitute_strings(document, user.get)
        source = source_from_object(document, lambda p: _nearest(positions, p), "", name)
    elif call is not None and call[0] in ("templatefile", "file") and call[1]:
        target = hcl.value(call[1][0], "", {})
        # Relative to the module's folder, as path.module is (path.root: the same, for a root
        # module; path.cwd: where asl runs).
        target = str(target).replace("${path.module}", ".").replace("${path.root}", ".").replace(
            "${path.cwd}", str(Path.cwd()))
        variables = {}
        if call[0] == "templatefile" and len(call[1]) > 1:
            variables = hcl.value(call[1][1], "", {})
        variables = variables if isinstance(variables, dict) else {}
        file_path = Path(target) if Path(target).is_absolute() else path.parent / target
        try:
            content = read_text(file_path)
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            problems.append(Problem("", TEMPLATE, f"cannot read {call[0]}() file {target}: "
                                    f"{reason}", "error", *where))  # fmt: skip
            return TemplateMachine(address, "terraform", name, name, label, Source(None, (), name),
                                   tuple(problems))  # fmt: skip
        file = str(file_path)
        mapped = block_text(content.replace("$${", "${"), 1, 1)
        if call[0] == "templatefile":
            mapped, problems_ = _templatefile(mapped, variables, user, address)
            problems.extend(problems_)
        else:
            mapped, _ = mapped.substitute(user.get)
        source = source_from_text(mapped, file)
    else:
        value = hcl.value(expression, "", {})
        if not isinstance(value, str) or isinstance(value, _Opaque):
            problems.append(Problem("", TEMPLATE, "the definition is an expression asl "
                                    "cannot evaluate locally (a heredoc, a string, jsonencode(...), "
                                    "templatefile(...) or file(...) can be read)", "warning",
                                    *where))  # fmt: skip
            return TemplateMachine(address, "terraform", name, name, label, Source(None, (), name),
                                   tuple(problems))  # fmt: skip
        mapped = _definition_text(hcl, expression, value)
        mapped, _ = mapped.substitute(user.get)
        source = source_from_text(mapped, name)
    return TemplateMachine(address, "terraform", name, file, label, source, tuple(problems))


def _templatefile(mapped: MappedText, variables: Mapping[str, Any], user: Mapping[str, str],
                  address: str) -> tuple[MappedText, list[Problem]]:  # fmt: skip
    """Terraform's template syntax: `${name}` from the vars map (an apply-time value stays a
    placeholder); a name the map lacks fails `terraform plan`."""

    def value_of(name: str) -> str | None:
        if name in user:
            return user[name]
        value = variables.get(name)
        if isinstance(value, _Opaque):  # `worker_arn = aws_lambda_function.worker.arn`
            return user.get(value[2:-1])
        if value is None or isinstance(value, dict | list):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    substituted, left = mapped.substitute(value_of)
    problems = [
        undefined_warning(name, f"the templatefile() vars of {address}", "", position)
        for name, position in left
        if name not in variables and name not in user
    ]
    return substituted, problems


def _definition_text(hcl: _Hcl, expression: Any, value: str) -> MappedText:
    from lark import Token

    tokens = hcl.tokens(expression)
    heredocs = [t for t in tokens if isinstance(t, Token) and t.type.startswith("HEREDOC")]
    if heredocs:
        content, indent = heredoc(str(heredocs[0]))
        return block_text(content, (heredocs[0].line or 1) + 1, indent + 1)
    quotes = [t for t in tokens if isinstance(t, Token) and t.type == "DBLQUOTE"]
    if quotes and not any(getattr(t, "type", "") == "INTERP_START" for t in tokens):
        # A quoted string: its escapes are JSON's, so each character maps to the file.
        mapped = json_string(hcl.text, quotes[0].start_pos or 0)
        if mapped.text == value:
            return mapped
    line, column = hcl.start(expression)
    return block_text(value, line, column + 1)


def _call(expression: Any) -> tuple[str, list[Any]] | None:
    """(function name, argument trees) when `expression` is a function call."""
    node = expression
    while getattr(node, "data", None) == "expr_term":
        inner = [c for c in node.children if not _is_layout(c)]
        if len(inner) != 1:
            return None
        node = inner[0]
    if getattr(node, "data", None) != "function_call":
        return None
    parts = [c for c in node.children if not _is_layout(c)]
    name = str(parts[0].children[0]) if parts and hasattr(parts[0], "children") else ""
    arguments = next((p for p in parts[1:] if getattr(p, "data", None) == "arguments"), None)
    args = [c for c in arguments.children if not _is_layout(c)] if arguments is not None else []
    return name, args


def _nearest(positions: Mapping[str, Position], pointer: str) -> Position | None:
    while True:
        if pointer in positions:
            return positions[pointer]
        if not pointer:
            return None
        pointer = pointer.rpartition("/")[0]

