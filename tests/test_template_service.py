"""A template's own functions run in the local Lambda service (`asl.Functions`): with their
configuration, their environment variables only while they run, a module of their own each,
a version and alias for AutoPublishAlias, and Lambda's refusal of a bad configuration."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import asl

EXAMPLE = Path(__file__).parents[1] / "examples" / "sam-orders"


def _order() -> object:
    return json.loads((EXAMPLE / "events" / "order.json").read_text())


def test_a_template_machine_invokes_its_functions_through_the_lambda_service() -> None:
    machine = asl.load(EXAMPLE / "template.yaml", logical_id="OrderWorkflow")
    assert isinstance(machine.functions, asl.Functions)
    execution = machine.run(_order(), clock=asl.VirtualClock())
    assert execution.status == "SUCCEEDED", execution.cause
    assert machine.functions.metrics("PriceOrderFunction")["Invocations"] == 1
    assert machine.functions.get_function("ValidateOrderFunction")["Configuration"]["Timeout"] == 3
    # TAX_RATE was in os.environ while the function ran, and is gone again after.
    assert execution.output["total"] == 25.5
    assert "TAX_RATE" not in os.environ and "MAX_ITEMS" not in os.environ


def _sam(tmp_path: Path, function: str, resource: str) -> Path:
    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text(
        "import os\n"
        "GREETING = os.environ['GREETING']  # read at init, as module-level code does\n"
        "def handler(event, context):\n"
        "    return {'greeting': GREETING, 'version': context.function_version}\n")
    definition = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": resource, "End": True}}}
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Machine:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        f"      Definition: {json.dumps(definition)}\n"
        "      DefinitionSubstitutions:\n"
        "        FnArn: !GetAtt Greeter.Arn\n"
        "  Greeter:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: fn/\n"
        "      Handler: app.handler\n"
        "      Runtime: python3.12\n"
        f"{function}"
        "      Environment:\n"
        "        Variables:\n"
        "          GREETING: hello\n")
    return template


def test_auto_publish_alias_makes_version_1_and_the_alias_an_invocation_can_name(
        tmp_path: Path) -> None:
    template = _sam(tmp_path, "      AutoPublishAlias: live\n", "${FnArn}:live")
    machine = asl.load(template)
    assert machine.functions is not None
    assert machine.functions.get_alias("Greeter", "live")["FunctionVersion"] == "1"
    execution = machine.run({}, clock=asl.VirtualClock())
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {"greeting": "hello", "version": "1"}


def test_a_configuration_lambda_refuses_is_a_definition_error_naming_the_function(
        tmp_path: Path) -> None:
    template = _sam(tmp_path, "      Timeout: 901\n", "${FnArn}")
    with pytest.raises(asl.DefinitionError) as raised:
        asl.load(template)
    [problem] = raised.value.problems
    assert problem.code == "template"
    assert problem.message.startswith("Greeter: ValidationException:")
    assert "Member must have value less than or equal to 900" in problem.message


def test_a_runs_own_service_serves_its_functions_and_the_template_the_rest(tmp_path: Path) -> None:
    template = _sam(tmp_path, "", "${FnArn}")
    machine = asl.load(template)
    mine = asl.Functions()
    mine.create("Greeter", handler=lambda event, context: {"greeting": "mine"})
    assert machine.run({}, functions=mine, clock=asl.VirtualClock()).output == {"greeting": "mine"}
    other = asl.Functions()
    execution = machine.run({}, functions=other, clock=asl.VirtualClock())
    assert execution.output == {"greeting": "hello", "version": "$LATEST"}
    assert "GREETING" not in os.environ


def test_asl_run_stats_measures_a_templates_own_functions() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "asl._cli", "run", "template.yaml#OrderWorkflow",
         "events/order.json", "--virtual-clock", "--stats"],
        cwd=EXAMPLE, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "lambda PriceOrderFunction: 1 invocations, 0 errors" in result.stderr
    assert "lambda ValidateOrderFunction: 1 invocations, 0 errors" in result.stderr


def _cli(*args: str) -> Any:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "asl._cli", *args], cwd=EXAMPLE,
                          capture_output=True, text=True, timeout=60, check=False)


def test_asl_test_state_runs_a_template_machines_state_with_its_function() -> None:
    result = _cli("test-state", "template.yaml#OrderWorkflow", "events/order.json",
                  "--state", "Validate order", "--role-arn", "arn:aws:iam::123456789012:role/r")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["status"] == "SUCCEEDED"
    assert response["nextState"] == "Valid?"
    assert json.loads(response["output"])["valid"] is True  # the template's function answered


def test_asl_test_state_names_a_machine_the_template_lacks() -> None:
    result = _cli("test-state", "template.yaml#Nope", "--state", "Validate order")
    assert result.returncode == 1
    assert "has no state machine 'Nope' (it has: OrderWorkflow)" in result.stderr
    assert "Traceback" not in result.stderr
