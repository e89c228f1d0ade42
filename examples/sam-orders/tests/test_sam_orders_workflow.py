"""The sam-orders workflow, end to end, with both functions running locally from the template.

Run from anywhere: `python -m pytest examples/sam-orders` (or as part of asl's own suite)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import asl

PROJECT = Path(__file__).parents[1]
TEMPLATE = PROJECT / "template.yaml"


@pytest.fixture(scope="module")
def workflow() -> asl.StateMachine:
    return asl.load(TEMPLATE, logical_id="OrderWorkflow")


def _order(**changes: object) -> dict[str, object]:
    order = json.loads((PROJECT / "events" / "order.json").read_text())
    order.update(changes)
    return order


def test_an_order_is_validated_priced_and_confirmed(workflow: asl.StateMachine) -> None:
    execution = workflow.run(_order(), clock=asl.VirtualClock())
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {
        "id": "order-1001",
        "total": 25.5,  # (2 * 8.50 + 4.25) plus TAX_RATE 0.2, from the template's Environment
        "message": "Order order-1001 confirmed: 25.5 EUR",
    }
    scheduled = [e["lambdaFunctionScheduledEventDetails"]["resource"] for e in execution.history
                 if e["type"] == "LambdaFunctionScheduled"]  # fmt: skip
    assert scheduled == ["arn:aws:lambda:us-east-1:123456789012:function:ValidateOrderFunction"]
    tasks = [e["taskScheduledEventDetails"]["parameters"] for e in execution.history
             if e["type"] == "TaskScheduled"]  # fmt: skip
    assert "arn:aws:lambda:us-east-1:123456789012:function:PriceOrderFunction" in tasks[0]


def test_an_order_with_too_many_items_is_rejected(workflow: asl.StateMachine) -> None:
    execution = workflow.run(_order(items=[{"sku": "x", "price": 1, "quantity": 1}] * 11),
                             clock=asl.VirtualClock())  # fmt: skip
    assert (execution.status, execution.error, execution.cause) == (
        "FAILED", "OrderRejected", "an order holds 1 to 10 items, not 11")


def test_a_test_can_still_stand_in_for_a_function(workflow: asl.StateMachine) -> None:
    """handlers= wins over the template's own function (here: a pricing service that is down)."""

    def down(event: object, context: object) -> object:
        raise asl.TaskFailed("Lambda.ServiceException", "pricing is down")

    arn = "arn:aws:lambda:us-east-1:123456789012:function:PriceOrderFunction"
    execution = workflow.run(_order(), handlers={arn: down}, clock=asl.VirtualClock())
    assert (execution.status, execution.error) == ("FAILED", "Lambda.ServiceException")
    retries = [e for e in execution.history if e["type"] == "TaskFailed"]
    assert len(retries) == 4  # the first attempt and the Retrier's three


def test_asl_run_runs_the_project() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "asl._cli", "run", f"{TEMPLATE}#OrderWorkflow",
         str(PROJECT / "events" / "order.json"), "--virtual-clock"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["message"] == "Order order-1001 confirmed: 25.5 EUR"
