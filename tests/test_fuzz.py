"""The fuzz targets (tests/fuzz/targets.py) at CI size: validator, loaders, JSONPath, intrinsic
and JSONata parsers and evaluators, and the executor with handlers that raise, block or return
junk. The long run (`PYTHONPATH=src:tests python -m fuzz.long`) draws 100,000 cases per target."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz.targets import TARGETS

# Derandomized: the suite gives the same verdict on every run (CI must not be flaky); the
# long run explores.
CI = settings(max_examples=80, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_target_holds(name: str) -> None:
    strategy, check = TARGETS[name]

    @CI
    @given(strategy)
    def holds(case: Any) -> None:
        check(case)

    holds()
