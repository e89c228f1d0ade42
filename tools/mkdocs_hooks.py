"""mkdocs hooks (mkdocs.yml `hooks:`): pages that land with other work join the navigation
when their file exists, so the strict build passes before and after they do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: (file under docs/, title, the section it joins) for pages that may not exist yet.
OPTIONAL = (("testing.md", "TestState", "Using asl"),)


def on_config(config: Any, **_: Any) -> Any:
    docs = Path(config["docs_dir"])
    for name, title, section in OPTIONAL:
        if not (docs / name).exists():
            continue
        listed = str(config["nav"])
        if name in listed:
            continue
        for entry in config["nav"]:
            if isinstance(entry, dict) and section in entry:
                entry[section].append({title: name})
                break
        else:
            config["nav"].append({title: name})
    return config
