"""Executions recorded against real AWS Step Functions, replayed on a virtual clock.

The cases live in ../shared/conformance/ (read in place, never copied). Every case runs; a case
we knowingly cannot match yet is listed in KNOWN_DIVERGENCES with the reason and runs as a strict
xfail, so it turns red the day it starts passing.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

import asl

SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance"
CASES = sorted((SHARED / "cases").glob("*.json")) if SHARED.is_dir() else []

#: case id -> why we differ from the recording (what AWS does that we don't, yet).
_OLD_MAP_RUN_EXIT = (
    "recorded before late 2024, when AWS pointed MapStateExited at MapRunSucceeded; today it "
    "points at MapRunStarted (shared/conformance/README.md: follow the later)"
)

KNOWN_DIVERGENCES: dict[str, str] = {
    "scenarios__test_base_scenarios__TestBaseScenarios__test_map_state_config_distributed_item_selector": _OLD_MAP_RUN_EXIT,
    "scenarios__test_base_scenarios__TestBaseScenarios__test_map_state_config_distributed_parameters": _OLD_MAP_RUN_EXIT,
    "scenarios__test_base_scenarios__TestBaseScenarios__test_map_state_label": _OLD_MAP_RUN_EXIT,
    "scenarios__test_base_scenarios__TestBaseScenarios__test_map_state_legacy_config_distributed": _OLD_MAP_RUN_EXIT,
    "scenarios__test_base_scenarios__TestBaseScenarios__test_map_state_legacy_config_distributed_item_selector": _OLD_MAP_RUN_EXIT,
    "scenarios__test_base_scenarios__TestBaseScenarios__test_map_state_tolerated_failure_count_path_1": _OLD_MAP_RUN_EXIT,
}

#: features not built yet, by conformance tag -> the issue that builds them.
PENDING_FEATURES: dict[str, str] = {}


def _load_case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _handlers(case: dict[str, Any]) -> dict[str, Any]:
    handlers = {}
    for resource, file_name in case.get("handlers", {}).items():
        spec = importlib.util.spec_from_file_location(
            f"conformance_{Path(file_name).stem}", SHARED / "handlers" / file_name
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        handlers[resource] = module.handler
    return handlers


def _drop(value: Any, fields: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _drop(v, fields) for k, v in value.items() if k not in fields}
    if isinstance(value, list):
        return [_drop(v, fields) for v in value]
    return value


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but a boolean is never a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _maybe_json(text: Any) -> Any:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


_LAMBDA_DROPPED = {"SdkHttpMetadata", "SdkResponseMetadata"}


def _compare_history(actual: list[dict[str, Any]], expected: list[dict[str, Any]],
                     ignore: set[str]) -> list[str]:
    problems = []
    if len(actual) != len(expected):
        problems.append(f"{len(actual)} events recorded, AWS recorded {len(expected)}")
    for want, got in zip(expected, actual, strict=False):  # the count is reported above
        for key, value in want.items():
            if key.endswith("EventDetails"):
                details = got.get(key)
                if details is None:
                    problems.append(f"event {want['id']} {want['type']}: no {key}")
                    continue
                for field, expected_value in value.items():
                    if field in ignore:
                        continue
                    got_value = details.get(field)
                    if field in ("input", "output"):
                        ok = _json_equal(_drop(_maybe_json(got_value), ignore | _LAMBDA_DROPPED),
                                         _drop(_maybe_json(expected_value), ignore | _LAMBDA_DROPPED))
                    elif field == "assignedVariables":
                        ok = isinstance(got_value, dict) and got_value.keys() == expected_value.keys() and all(
                            _json_equal(_maybe_json(got_value[k]), _maybe_json(expected_value[k]))
                            for k in expected_value)
                    else:
                        ok = got_value == expected_value
                    if not ok:
                        problems.append(f"event {want['id']} {want['type']}.{field}: "
                                        f"{got_value!r} != {expected_value!r}")
            elif got.get(key) != value:
                problems.append(f"event {want['id']} {want['type']}: {key} {got.get(key)!r} != {value!r}")
    return problems


def _check(case: dict[str, Any]) -> None:
    expect = case["expect"]
    ignore = set(case.get("ignore_fields", ()))
    machine = asl.load(case["definition"])
    execution = machine.run(case["input"], handlers=_handlers(case), clock=asl.VirtualClock())
    assert execution.status == expect["status"], (execution.error, execution.cause)
    if expect["status"] == "SUCCEEDED":
        got = _drop(execution.output, ignore | _LAMBDA_DROPPED)
        want = _drop(expect["output"], ignore | _LAMBDA_DROPPED)
        assert _json_equal(got, want), f"output {got!r} != {want!r}"
    elif expect["status"] == "FAILED":
        assert execution.error == expect.get("error")
        if "cause" in expect and "cause" not in ignore and expect["cause"] is not None:
            assert execution.cause == expect["cause"]
    if "history_types" in expect:
        assert execution.history_types == expect["history_types"]
    if "history" in expect:
        problems = _compare_history(execution.history, expect["history"], ignore)
        assert not problems, "\n".join(problems)


def _params() -> list[Any]:
    params = []
    for path in CASES:
        case_id = path.stem
        marks = []
        if case_id in KNOWN_DIVERGENCES:
            marks.append(pytest.mark.xfail(reason=KNOWN_DIVERGENCES[case_id], strict=True))
        else:
            tags = set(json.loads(path.read_text()).get("tags", ()))
            pending = sorted(tag for tag in tags if tag in PENDING_FEATURES)
            if pending:
                reason = "; ".join(f"{tag}: {PENDING_FEATURES[tag]}" for tag in pending)
                marks.append(pytest.mark.xfail(reason=reason, strict=False))
        params.append(pytest.param(path, id=case_id, marks=marks))
    return params


@pytest.mark.skipif(not CASES, reason="../shared/conformance is not beside the project")
@pytest.mark.parametrize("path", _params())
def test_conformance_case(path: Path) -> None:
    """The execution ends as AWS's did: status, output or error and cause, and history."""
    _check(_load_case(path))
