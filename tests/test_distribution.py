"""pyproject.toml names the packages it ships one by one (schemas/ is mapped in from the root),
so a new subpackage must be added there or a non-editable install would lack it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_under_src_is_shipped() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    src = ROOT / "src"
    packages = {".".join(init.parent.relative_to(src).parts) for init in src.rglob("__init__.py")}
    missing = sorted(packages - listed)
    assert missing == [], f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"
