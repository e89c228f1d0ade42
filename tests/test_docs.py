"""The documentation site's pages say what the code does: the CLI reference is generated from
the parser and current, the getting-started page has the README's two commands, the testing
recipes run as written, and every page is in the site's navigation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def test_the_cli_reference_is_current() -> None:
    """docs/cli.md is what tools/cli_reference.py makes of today's parser (after changing an
    option, run `python tools/cli_reference.py`)."""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import cli_reference
    finally:
        sys.path.remove(str(REPO / "tools"))
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == cli_reference.render(), \
        "docs/cli.md is out of date: run python tools/cli_reference.py"


def test_the_cli_reference_names_every_option() -> None:
    """Every subcommand and option string of the parser appears in the reference."""
    import argparse

    from asl._cli import _parser

    parser, _ = _parser()
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        assert f"## asl {name}\n" in text
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}`" in text, option


def _shell_block(text: str) -> list[str]:
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_getting_started_has_the_readmes_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    assert _shell_block(index) == _shell_block(readme)


def test_the_testing_recipes_run_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The recipes' Python blocks, run in order in one namespace from the repository's root;
    then each `test_` function they define passes."""
    monkeypatch.chdir(REPO)
    text = (DOCS / "recipes.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 6
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/recipes.md", "exec"), namespace)  # noqa: S102  # our own docs
    tests = [value for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    assert len(tests) >= 4
    for test in tests:
        test()


def test_every_page_is_in_the_navigation() -> None:
    """mkdocs.yml's nav lists every page under docs/."""
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w-]+\.md)\s*$", config, re.M))
    pages = {path.name for path in DOCS.glob("*.md")}
    assert pages == listed


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """`mkdocs build --strict` (CI runs it too; here when mkdocs is installed, from the `dev`
    extra)."""
    pytest.importorskip("mkdocs", reason="mkdocs comes with the dev extra")
    pytest.importorskip("material", reason="mkdocs-material comes with the dev extra")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                           "--site-dir", str(tmp_path / "site")], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False,
                          env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr


def test_the_pictures_page_shows_the_golden_mermaid() -> None:
    page = (DOCS / "pictures.md").read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(.*?)```", page, re.S)
    assert block is not None
    assert block.group(1) == (REPO / "tests" / "graph" / "fulfil.mmd").read_text(encoding="utf-8")
