"""The seam between a template's functions (`FunctionSpec`: name, ARN, `module.function`
handler, local code folder, timeout, memory, environment) and the handlers a run calls.

A machine loaded from a template runs these functions in the local Lambda service
(`asl._lambda.template`). Here each spec becomes a plain `handlers=` entry keyed by its ARN
(which also answers to the bare name): the fallback for a run that brings a `functions=`
service of its own without them.

A function's module is imported on its first invocation, by file from its code folder under a
name of its own, so two functions that both keep their code in `app.py` (as `sam init` lays
them out) do not collide, and loading a template never runs user code."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from asl._definition.templates.model import FunctionSpec
from asl._errors import TaskFailed

_PYTHON = "python"
_lock = threading.Lock()


def handlers(specs: Iterable[FunctionSpec]) -> dict[str, Callable[..., Any]]:
    """The specs' handlers by ARN (Python runtimes only: other runtimes cannot run here)."""
    found: dict[str, Callable[..., Any]] = {}
    for spec in specs:
        if spec.code_dir is None or (spec.runtime is not None and not spec.runtime.startswith(_PYTHON)):
            continue
        found[spec.arn] = _Handler(spec)
    return found


class _Handler:
    """Calls `module.function` of a spec's code folder, importing it on first use."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self._function: Callable[..., Any] | None = None
        # The template's Timeout and MemorySize (None: Lambda's defaults), which the dispatcher
        # reads for the handler's context and its timeout, as for any plain handler.
        self.lambda_timeout = spec.timeout
        self.lambda_memory = spec.memory

    def __call__(self, event: Any, context: Any) -> Any:
        # Process-wide while it runs, and before the import (module-level code reads them at init): two
        # functions that set one variable differently and run at once see each other's. Only
        # for a run with a functions= service of its own that lacks this function; otherwise
        # the template's service runs it (asl._lambda.template).
        saved = {key: os.environ.get(key) for key in self.spec.environment}
        os.environ.update(self.spec.environment)
        try:
            function = self._function or self._load()
            return function(event, context)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def _load(self) -> Callable[..., Any]:
        spec = self.spec
        module_name, _, attribute = spec.handler.rpartition(".")
        if not module_name:
            raise TaskFailed("Runtime.MalformedHandlerName",
                             f"Bad handler '{spec.handler}': not enough values to unpack "
                             "(expected 2, got 1)")  # fmt: skip
        assert spec.code_dir is not None
        path = spec.code_dir.joinpath(*module_name.split("."))
        file = path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"
        with _lock:
            if self._function is not None:
                return self._function
            unique = f"asl_function_{spec.logical_id}_{module_name.replace('.', '_')}"
            loader_spec = importlib.util.spec_from_file_location(unique, file)
            if loader_spec is None or loader_spec.loader is None or not file.is_file():
                raise TaskFailed("Runtime.ImportModuleError",
                                 f"Unable to import module '{module_name}': No module named "
                                 f"'{module_name}'")  # fmt: skip
            module = importlib.util.module_from_spec(loader_spec)
            folder = str(spec.code_dir)
            # The function's folder is on the path while its module loads (Lambda puts the code
            # at the front of sys.path), so it can import its sibling modules.
            sys.path.insert(0, folder)
            try:
                loader_spec.loader.exec_module(module)
            except Exception as error:  # noqa: BLE001  # the user's import failure, as Lambda words it
                raise TaskFailed("Runtime.ImportModuleError",
                                 f"Unable to import module '{module_name}': {error}") from error  # fmt: skip
            finally:
                if folder in sys.path:
                    sys.path.remove(folder)
            function: Callable[..., Any] | None = getattr(module, attribute, None)
            if not callable(function):
                raise TaskFailed("Runtime.HandlerNotFound",
                                 f"Handler '{attribute}' missing on module '{module_name}'")  # fmt: skip
            self._function = function
            return function
