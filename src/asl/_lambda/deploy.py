"""Traffic shifting as CodeDeploy does it for a Lambda alias (FACTS.md §9): the predefined
configurations (AllAtOnce, Canary10Percent5/10/15/30Minutes, Linear10PercentEvery1/2/3/10Minutes)
and custom TimeBasedCanary / TimeBasedLinear ones, moving the alias's weights on the service's
clock (a VirtualClock: no real time), with a health-check hook after each shift that can roll the
alias back.

The mechanism is inferred (FACTS §9): the alias keeps the old version as primary with the new
one as its AdditionalVersionWeights entry, and finally points at the new version alone.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from asl._errors import LambdaError

#: The service (`service.Functions`, which imports this module: typed loosely to keep the
#: import graph a tree).
Functions = Any

_PREDEFINED = re.compile(
    r"(?:CodeDeployDefault\.Lambda)?(?:(?P<all>AllAtOnce)|Canary(?P<cp>\d+)Percent(?P<cm>\d+)Minutes?"
    r"|Linear(?P<lp>\d+)PercentEvery(?P<lm>\d+)Minutes?)"
)
#: The configurations CodeDeploy predefines for Lambda (SAM's names; the CodeDeployDefault.Lambda
#: prefix is accepted too).
PREDEFINED = (
    "AllAtOnce", "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes",
    "Canary10Percent30Minutes", "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes",
)

Hook = Callable[["Deployment"], Any]


def schedule(config: str | Mapping[str, Any]) -> list[tuple[float, float]]:
    """The (seconds after start, weight of the new version) steps of a configuration."""
    if isinstance(config, Mapping):
        if "TimeBasedCanary" in config:
            canary = config["TimeBasedCanary"]
            return [(0.0, canary["canaryPercentage"] / 100), (canary["canaryInterval"] * 60.0, 1.0)]
        if "TimeBasedLinear" in config:
            linear = config["TimeBasedLinear"]
            return _linear(linear["linearPercentage"], linear["linearInterval"])
        if config.get("type") == "AllAtOnce" or "AllAtOnce" in config:
            return [(0.0, 1.0)]
        raise TypeError(f"a custom deployment configuration is {{'TimeBasedCanary': {{...}}}} or "
                        f"{{'TimeBasedLinear': {{...}}}}, not {config!r}")
    short = config.removeprefix("CodeDeployDefault.Lambda")
    match = _PREDEFINED.fullmatch(config)
    if match is None or (short not in PREDEFINED):
        raise LambdaError("DeploymentConfigDoesNotExistException",
                          f"No deployment configuration found for name: {config}", 400)
    if match["all"]:
        return [(0.0, 1.0)]
    if match["cp"]:
        return [(0.0, int(match["cp"]) / 100), (int(match["cm"]) * 60.0, 1.0)]
    return _linear(int(match["lp"]), int(match["lm"]))


def _linear(percent: int, minutes: int) -> list[tuple[float, float]]:
    steps, weight, index = [], 0, 0
    while weight < 100:
        weight = min(100, weight + percent)
        steps.append((index * minutes * 60.0, weight / 100))
        index += 1
    return steps


@attrs.define(eq=False)
class Deployment:
    """One alias moving from its current version to `target`. `status` is InProgress,
    Succeeded or Stopped (rolled back); `shifts` the (clock time, weight) moves made."""

    fns: Functions
    function: str
    alias: str
    original: str
    target: str
    steps: list[tuple[float, float]]
    hook: Hook | None
    started: float
    status: str = "InProgress"
    weight: float = 0.0
    shifts: list[tuple[float, float]] = attrs.field(factory=list)
    reason: str | None = None
    _next: int = 0
    _thread: threading.Thread | None = None

    def step(self) -> bool:
        """Waits (on the service's clock) for the next shift, makes it and runs the hook; False
        once the deployment is over."""
        if self.status != "InProgress" or self._next >= len(self.steps):
            return False
        offset, weight = self.steps[self._next]
        self._next += 1
        wait = self.started + offset - self.fns.clock.now()
        if wait > 0:
            self.fns.clock.sleep(wait)
        if weight >= 1.0:
            self.fns.update_alias(self.function, self.alias, self.target, routing={})
        else:
            self.fns.update_alias(self.function, self.alias, self.original,
                                  routing={self.target: weight})
        self.weight = weight
        self.shifts.append((self.fns.clock.now(), weight))
        if self.hook is not None:
            try:
                healthy = self.hook(self)
            except Exception as exc:  # noqa: BLE001 - a failing health check rolls back
                healthy, self.reason = False, f"{type(exc).__name__}: {exc}"
            if healthy is False:
                self.rollback(self.reason or "the health check failed")
                return False
        if weight >= 1.0:
            self.status = "Succeeded"
            return False
        return True

    def rollback(self, reason: str = "rolled back") -> None:
        """The alias back on the original version alone (CodeDeploy's automatic rollback)."""
        self.fns.update_alias(self.function, self.alias, self.original, routing={})
        self.weight, self.status, self.reason = 0.0, "Stopped", reason
        self.shifts.append((self.fns.clock.now(), 0.0))

    def run(self) -> Deployment:
        """Every remaining shift, in order, on the clock; returns itself when over."""
        while self.step():
            pass
        return self

    def start(self) -> Deployment:
        """`run()` on a thread of its own (a SystemClock deployment takes its real minutes)."""
        self._thread = threading.Thread(target=self.run, name="asl-deployment", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> str:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.status


def deploy(fns: Functions, function: str, alias: str, version: str,
           config: str | Mapping[str, Any], hook: Hook | None) -> Deployment:
    current = fns.get_alias(function, alias)
    if current.get("RoutingConfig"):
        raise LambdaError("DeploymentLimitExceededException",
                          f"The alias {current['AliasArn']} is already shifting traffic", 400)
    fns.get_function(function, version)  # the target version must exist
    return Deployment(fns, function, alias, current["FunctionVersion"], version, schedule(config),
                      hook, fns.clock.now())
