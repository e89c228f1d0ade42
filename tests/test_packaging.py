"""Packaging: one version everywhere (asl/_version.py, the package metadata, `asl --version`,
the README's pre-commit `rev:`), a license file matching pyproject's license."""

from __future__ import annotations

import re
from pathlib import Path

import asl
from asl._version import __version__

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_the_version_is_read_from_one_place() -> None:
    assert re.search(r'^dynamic = \["version"\]$', PYPROJECT, re.M)
    assert 'version = { attr = "asl._version.__version__" }' in PYPROJECT
    assert not re.search(r'^version = "', PYPROJECT, re.M)
    assert asl.__version__ == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_the_readme_pre_commit_snippet_names_this_versions_tag() -> None:
    """The release policy (docs/releasing.md): tag `v` + the version; the README's snippet
    names it, so `pre-commit autoupdate`-style pins and the snippet agree."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```yaml\n(.*?)```", readme, re.S)
    assert snippet is not None and "id: asl-validate" in snippet.group(1)
    assert re.search(r"^\s+rev: (\S+)$", snippet.group(1), re.M).group(1) == f"v{__version__}"  # type: ignore[union-attr]
    hooks = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "- id: asl-validate" in hooks and "entry: asl validate" in hooks


def test_the_license_file_matches_pyproject() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert 'license = { text = "MIT" }' in PYPROJECT


def test_requires_python_says_what_the_docs_say() -> None:
    assert 'requires-python = ">=3.11"' in PYPROJECT
    assert "Python 3.10 is not supported" in (REPO / "docs" / "releasing.md").read_text(encoding="utf-8")
