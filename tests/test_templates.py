"""Machines where users keep them: SAM, CloudFormation (JSON and YAML short forms), cdk.out,
serverless.yml and Terraform. Each fixture under tests/templates/ is shaped like the real thing
and carries one planted error; its Problem must point at the planted text in the file it is
written in (the template, or the file the template names)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import asl
from asl._cli import main

HERE = Path(__file__).parent / "templates"


def _position(file: Path, marker: str) -> tuple[int, int]:
    text = file.read_text()
    assert text.count(marker) == 1, f"the marker {marker!r} must be unique in {file}"
    offset = text.index(marker)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _machine(path: Path, machine_id: str) -> asl._machine.TemplateMachine:  # type: ignore[name-defined]
    found = {m.id: m for m in asl.machines(path)}
    return found[machine_id]


PLANTED = [
    # template, machine, file the error is in, the planted text, the Problem code
    pytest.param("sam/template.yaml", "OrderStateMachine", "sam/statemachine/order.asl.json",
                 '"BackoffRate": 0.5', "out-of-range", id="sam-definition-uri"),
    pytest.param("cfn.yaml", "PollerStateMachine", "cfn.yaml",
                 '"TimeoutSeconds": "${TimeoutSeconds}"', "wrong-type", id="cfn-yaml-sub-block"),
    pytest.param("cfn.json", "EtlStateMachine", "cfn.json",
                 '\\"Type\\": \\"Tsk\\"', "bad-value", id="cfn-json-sub-escaped-string"),
    pytest.param("cdk.out/JobPollerStack.template.json", "StateMachine2E01A3A5",
                 "cdk.out/JobPollerStack.template.json", '\\"SecondsPath\\":\\"waitSeconds\\"',
                 "bad-path", id="cdk-synth-join"),
    pytest.param("serverless/serverless.yml", "imagePipeline", "serverless/serverless.yml",
                 "End: yes", "wrong-type", id="serverless-yaml12-boolean"),
    pytest.param("terraform/main.tf", "aws_sfn_state_machine.hello", "terraform/main.tf",
                 '"ResultPath": "result"', "bad-reference-path", id="terraform-heredoc"),
    pytest.param("terraform/main.tf", "aws_sfn_state_machine.batch",
                 "terraform/statemachines/batch.asl.json", '"Save": {', "next-and-end",
                 id="terraform-templatefile"),
]  # fmt: skip


@pytest.mark.parametrize("template, machine_id, file, marker, code", PLANTED)
def test_a_planted_error_is_reported_where_it_is_written(
    template: str, machine_id: str, file: str, marker: str, code: str
) -> None:
    if template.endswith(".tf"):
        pytest.importorskip("hcl2", reason="Terraform needs python-hcl2 (the terraform extra)")
    machine = _machine(HERE / template, machine_id)
    assert Path(machine.file).resolve() == (HERE / file).resolve()
    errors = [p for p in machine.validate() if p.severity == "error"]
    assert code in [p.code for p in errors]
    planted = next(p for p in errors if p.code == code)
    assert (planted.line, planted.column) == _position(HERE / file, marker)


def test_a_template_full_of_placeholders_validates_clean() -> None:
    """Whole-string Resource, an ARN with ${Partition} inside, ${X} inside States.Format, an
    unquoted number, a Ref to a topic and a GetAtt to another machine: all defined, all fine."""
    machines = asl.machines(HERE / "placeholders.yaml")
    assert sorted(m.id for m in machines) == ["ChildStateMachine", "GreeterStateMachine"]
    assert {m.id: m.validate() for m in machines} == {"ChildStateMachine": [], "GreeterStateMachine": []}


def test_the_sam_init_layout_validates_on_its_own() -> None:
    """What the default pre-commit hook sees: the definition file, placeholders unsubstituted."""
    assert asl.validate(HERE / "placeholders.asl.json") == []


def test_substitutions_are_applied_before_parsing() -> None:
    greeter = _machine(HERE / "placeholders.yaml", "GreeterStateMachine")
    states = greeter.source.document["States"]
    assert states["Pause"]["Seconds"] == 5  # `${WaitSeconds}` unquoted: a number once substituted
    assert states["Greet"]["Resource"] == "arn:aws:lambda:us-east-1:123456789012:function:GreetFunction"
    assert states["Format"]["Parameters"]["text.$"] == "States.Format('Hello, {}!', $.name)"
    assert states["Alert"]["Resource"] == "arn:aws:states:::sns:publish"
    # Deploy-time values stay opaque placeholders.
    assert states["Alert"]["Parameters"]["TopicArn"] == "${AlertsTopic}"


def test_a_placeholder_the_template_does_not_define_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "machine.asl.json").write_text(
        '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${FnArn}",\n'
        '  "Parameters": {"Table": "${Tabel}"}, "End": true}}}\n'
    )
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  M:\n"
        "    Type: AWS::Serverless::StateMachine\n    Properties:\n"
        "      DefinitionUri: machine.asl.json\n      DefinitionSubstitutions:\n"
        "        FnArn: arn:aws:lambda:us-east-1:123456789012:function:f\n        Table: orders\n"
    )
    [problem] = asl.machines(tmp_path / "template.yaml")[0].validate()
    assert (problem.code, problem.severity, problem.line, problem.column) == (
        "undefined-placeholder", "warning", *_position(tmp_path / "machine.asl.json", "${Tabel}"))
    assert "${Tabel}" in problem.message
    # Substituting it from outside the template settles it.
    assert asl.machines(tmp_path / "template.yaml", substitutions={"Tabel": "x"})[0].validate() == []


def test_an_fn_sub_name_nothing_defines_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      DefinitionString: !Sub |\n"
        '        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${Nowhere}", "End": true}}}\n'
    )
    [problem] = asl.machines(tmp_path / "t.yaml")[0].validate()
    assert (problem.severity, problem.line, problem.column) == ("warning", *_position(tmp_path / "t.yaml", "${Nowhere}"))
    assert "Nowhere" in problem.message


def test_a_quoted_placeholder_where_a_number_is_needed_stays_an_error() -> None:
    unquoted = '{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": ${Wait}, "End": true}}}'
    assert asl.validate(unquoted) == []
    quoted = unquoted.replace("${Wait}", '"${Wait}"')
    assert [p.code for p in asl.validate(quoted)] == ["wrong-type"]


def test_an_unquoted_placeholder_keeps_every_position() -> None:
    text = '{"StartAt": "W",\n "States": {"W": {"Type": "Wait", "Seconds": ${WaitSeconds}, "Nope": 1, "End": true}}}'
    [problem] = asl.validate(text)
    assert (problem.line, problem.column) == (2, text.splitlines()[1].index('"Nope"') + 1)


def test_a_broken_placeholder_is_still_an_error() -> None:
    broken = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${FnArn", "End": True}}}
    assert [p.code for p in asl.validate(broken)] == ["bad-resource"]


def test_terraform_jsonencode_and_references() -> None:
    pytest.importorskip("hcl2", reason="Terraform needs python-hcl2 (the terraform extra)")
    machines = {m.id: m for m in asl.machines(HERE / "terraform" / "main.tf")}
    assert sorted(machines) == ["aws_sfn_state_machine.batch", "aws_sfn_state_machine.encoded",
                                "aws_sfn_state_machine.hello"]  # fmt: skip
    encoded = machines["aws_sfn_state_machine.encoded"]
    assert encoded.validate() == []
    work = encoded.source.document["States"]["Work"]
    # A local function's reference resolves to it (its function_name is only known at apply
    # time, so it goes by its resource name).
    assert work["Resource"] == "arn:aws:lambda:us-east-1:123456789012:function:worker"
    assert work["Retry"] == [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}]
    batch = machines["aws_sfn_state_machine.batch"].source.document["States"]["Process"]
    assert batch["MaxConcurrency"] == 25  # from templatefile()'s vars
    assert machines["aws_sfn_state_machine.hello"].name == "aws_sfn_state_machine.hello".split(".")[1]


def test_serverless_functions_by_key_and_logical_id() -> None:
    machine = _machine(HERE / "serverless" / "serverless.yml", "imagePipeline")
    states = machine.source.document["States"]
    assert states["Resize"]["Resource"].endswith(":function:image-pipeline-dev-resize")
    assert states["Notify"]["Resource"].endswith(":function:image-pipeline-dev-notify")
    assert states["Notify"]["Parameters"]["bucket"] == "${self:custom.bucket}"  # the framework's


def test_load_picks_a_machine_and_says_which_there_are() -> None:
    with pytest.raises(asl.DefinitionError, match="PollerStateMachine, InlineStateMachine"):
        asl.load(HERE / "cfn.yaml")
    with pytest.raises(asl.DefinitionError, match="no state machine 'Nope'"):
        asl.load(HERE / "cfn.yaml", logical_id="Nope")
    machine = asl.load(HERE / "cfn.yaml", logical_id="InlineStateMachine")
    assert machine.name == "InlineStateMachine"
    with pytest.raises(asl.DefinitionError, match="needs a template"):
        asl.load(HERE / "placeholders.asl.json", logical_id="X")


def test_load_substitutes_a_plain_definition() -> None:
    machine = asl.load(HERE / "placeholders.asl.json", substitutions={"WaitSeconds": "0", "Greeting": "Hi"})
    assert machine.definition["States"]["Pause"]["Seconds"] == 0
    execution = machine.run({"name": "Ada"}, handlers={"${GreetFunctionArn}": lambda e, c: e,
                                                       "arn:*": lambda e, c: e}, clock=asl.VirtualClock())
    assert execution.status == "SUCCEEDED", execution.cause


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_cli_validate_checks_every_machine_of_a_template() -> None:
    code, out, _ = _cli("validate", str(HERE / "cfn.yaml"), str(HERE / "placeholders.yaml"))
    assert code == 1
    line, column = _position(HERE / "cfn.yaml", '"TimeoutSeconds": "${TimeoutSeconds}"')
    assert out == (f"{HERE / 'cfn.yaml'}:{line}:{column}: wrong-type PollerStateMachine: 'TimeoutSeconds' "
                   "of state 'Notify' is \"30\"; it must be an integer >= 1 and <= 99999999, or a "
                   "JSONata expression \"{% ... %}\"\n")
    code, out, _ = _cli("validate", "--format", "json", str(HERE / "placeholders.yaml"))
    assert code == 0
    assert [(r["machine"], r["valid"]) for r in json.loads(out)] == [
        ("GreeterStateMachine", True), ("ChildStateMachine", True)]


def test_cli_substitute_options(tmp_path: Path) -> None:
    subs = tmp_path / "subs.json"
    subs.write_text('{"Greeting": "Hi", "WaitSeconds": 0}')
    plain = str(HERE / "placeholders.asl.json")
    assert _cli("validate", "--substitutions", str(subs), "--substitute", "Topic=t", plain)[0] == 0
    code, _, err = _cli("validate", "--substitute", "novalue", plain)
    assert code == 2 and "KEY=VALUE" in err
    subs.write_text("[1]")
    assert _cli("validate", "--substitutions", str(subs), plain)[0] == 2


def test_cli_run_names_a_machine_of_a_template(tmp_path: Path) -> None:
    code, _, err = _cli("run", f"{HERE / 'cfn.yaml'}#Nope")
    assert code == 1 and "it has: PollerStateMachine, InlineStateMachine" in err
    code, _, err = _cli("run", f"{HERE / 'cfn.yaml'}#PollerStateMachine")
    assert code == 1 and err.startswith(f"{HERE / 'cfn.yaml'}:")


def test_cli_runs_in_a_subprocess_as_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "asl._cli", "validate", str(HERE / "sam" / "template.yaml")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 1
    assert "order.asl.json:8:" in result.stdout and "Traceback" not in result.stderr


def _hooks() -> dict[str, dict[str, object]]:
    import yaml

    manifest = yaml.safe_load((Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text())
    return {hook["id"]: hook for hook in manifest}


@pytest.mark.parametrize(
    "path, hook",
    [("statemachine/stock_trader.asl.json", "asl-validate"),
     ("template.yaml", "asl-validate-templates"), ("infra/template.json", "asl-validate-templates"),
     ("serverless.yml", "asl-validate-templates"),
     ("cdk.out/JobPollerStack.template.json", "asl-validate-templates"),
     ("infra/main.tf", "asl-validate-templates"), ("functions/check/app.py", None)],
)  # fmt: skip
def test_pre_commit_hooks_pick_their_files(path: str, hook: str | None) -> None:
    import re

    matched = [hook_id for hook_id, spec in _hooks().items() if re.search(str(spec["files"]), path)]
    assert matched == ([hook] if hook else [])


def test_the_default_hook_passes_on_a_sam_init_layout() -> None:
    """`sam init`'s definition keeps its ${...} placeholders for DefinitionSubstitutions."""
    layout = HERE / "sam-init" / "statemachine" / "stock_trader.asl.json"
    assert _hooks()["asl-validate"]["entry"] == "asl validate"
    assert _cli("validate", str(layout)) == (0, "", "")


def test_yaml_definitions_take_placeholders_the_same_way() -> None:
    text = ("StartAt: W\nStates:\n  W:\n    Type: Wait\n    Seconds: ${Wait}  # filled in by SAM\n"
            "    Next: T\n  T:\n    Type: Task\n    Resource: ${FnArn}\n    TimeoutSeconds: '${T}'\n"
            "    End: true\n")  # fmt: skip
    [problem] = asl.validate(text)
    assert (problem.code, problem.line) == ("wrong-type", 10)  # quoted: a string, as once substituted


def test_definition_s3_location_naming_a_local_file(tmp_path: Path) -> None:
    (tmp_path / "machine.json").write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}')
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  Local:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      DefinitionS3Location: machine.json\n"
        "  Remote:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      DefinitionS3Location:\n        Bucket: my-bucket\n        Key: machine.json\n"
    )
    machines = {m.id: m for m in asl.machines(tmp_path / "t.yaml")}
    assert machines["Local"].validate() == []
    assert machines["Local"].file == str(tmp_path / "machine.json")
    [remote] = machines["Remote"].validate()
    assert (remote.code, remote.severity, remote.line) == ("template", "warning", 9)
    assert "my-bucket/machine.json" in remote.message


def test_a_template_that_does_not_parse_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Resources:\n  M:\n    Type: [unclosed\n")
    code, out, _ = _cli("validate", str(tmp_path / "template.yaml"))
    assert code == 1 and out.startswith(f"{tmp_path / 'template.yaml'}:4:1: syntax ")
    with pytest.raises(asl.DefinitionError):
        asl.machines(tmp_path / "template.yaml")


def test_a_definition_with_a_state_named_resources_is_not_a_template(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"StartAt": "Resources", "States": {"Resources": {"Type": "Task",'
                    ' "Resource": "arn:aws:states:::aws-sdk:ec2:describeInstances", "End": true}}}')  # fmt: skip
    assert [m.kind for m in asl.machines(path)] == ["definition"]


SHAPES = [None, 5, True, [], {}, "x", "${A}", {"Fn::Sub": 5}, {"Fn::Sub": ["a ${B}", 5]},
          {"Fn::Join": ["", [5, {"Ref": 3}]]}, {"Fn::GetAtt": ["NotifyFunction"]}, {"Ref": ["x"]},
          {"Bucket": "b"}, {"Fn::Sub": {"x": 1}}]  # fmt: skip


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*path, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found.extend(_paths(child, (*path, i)))
    return found


def test_a_malformed_template_never_raises_anything_but_definition_error(tmp_path: Path) -> None:
    """Replace parts of real-shaped templates by values of every wrong shape: the readers report
    Problems (or DefinitionError for an unreadable template), never a traceback."""
    import copy
    import random

    from asl._definition.templates.parsed import parse

    rng = random.Random(14)
    for name in ("cfn.yaml", "cdk.out/JobPollerStack.template.json", "serverless/serverless.yml",
                 "placeholders.yaml", "sam/template.yaml"):  # fmt: skip
        original = parse(name, (HERE / name).read_text()).document
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(40):
            document: object = copy.deepcopy(original)
            for _ in range(rng.randint(1, 3)):
                path = rng.choice(_paths(document))
                value = copy.deepcopy(rng.choice(SHAPES))
                if not path:
                    document = value
                    continue
                parent: object = document
                for key in path[:-1]:
                    parent = parent[key]  # type: ignore[index]
                parent[path[-1]] = value  # type: ignore[index]
            target.write_text(json.dumps(document))
            try:
                for machine in asl.machines(target):
                    machine.validate()
            except asl.DefinitionError:
                pass


def test_validate_and_load_agree_on_a_template() -> None:
    """asl.validate(template) reports every machine's Problems, naming the machine (and its file
    when the definition is elsewhere); load() refuses exactly the machines that have errors."""
    problems = asl.validate(HERE / "sam" / "template.yaml")
    assert [p.code for p in problems] == ["out-of-range"]
    assert problems[0].message.startswith(f"OrderStateMachine ({HERE / 'sam' / 'statemachine' / 'order.asl.json'}): ")
    with pytest.raises(asl.DefinitionError, match="OrderStateMachine: 'Retry"):
        asl.load(HERE / "sam" / "template.yaml")
    assert asl.validate(HERE / "placeholders.yaml") == []
    assert asl.load(HERE / "placeholders.yaml", logical_id="GreeterStateMachine").name == "GreeterStateMachine"


def test_cdk_function_code_is_its_staged_asset() -> None:
    [machine] = asl.machines(HERE / "cdk.out" / "JobPollerStack.template.json")
    functions = {f.logical_id: f for f in machine.functions}
    assert functions["SubmitLambda8B6E0D6B"].code_dir == (HERE / "cdk.out" / "asset.4f1c").resolve()
    assert "StatusLambdaB0B5A4C1" not in functions  # its code is only in S3


def test_serverless_file_include_is_located_in_the_included_file() -> None:
    machines = {m.id: m for m in asl.machines(HERE / "serverless" / "serverless.yml")}
    included = HERE / "serverless" / "includes" / "machines.yml"
    cleanup = machines["cleanup"]
    assert cleanup.file == str(included)
    [problem] = cleanup.validate()
    assert (problem.code, problem.line, problem.column) == ("wrong-type", *_position(included, "TimeoutSeconds: 0"))


def test_terraform_functions_packaged_with_archive_file_run_locally() -> None:
    pytest.importorskip("hcl2", reason="Terraform needs python-hcl2 (the terraform extra)")
    machines = {m.id: m for m in asl.machines(HERE / "terraform" / "main.tf")}
    [worker] = machines["aws_sfn_state_machine.encoded"].functions
    assert (worker.logical_id, worker.handler, worker.timeout, worker.environment) == (
        "worker", "worker.handler", 10.0, {"GREETING": "hello"})
    assert worker.code_dir == (HERE / "terraform" / "src").resolve()
    machine = asl.load(HERE / "terraform" / "main.tf", logical_id="aws_sfn_state_machine.encoded")
    execution = machine.run({"n": 1}, clock=asl.VirtualClock())
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {"greeting": "hello", "by": "worker", "n": 1}


@pytest.mark.parametrize("field, state", [
    ("Seconds", '{"Type": "Wait", "Seconds": ${X}, "End": true}'),
    ("MaxConcurrency", '{"Type": "Map", "MaxConcurrency": ${X}, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}'),
    ("Parameters", '{"Type": "Pass", "Parameters": ${X}, "End": true}'),
    ("Result", '{"Type": "Pass", "Result": ${X}, "End": true}'),
    ("timeouts", '{"Type": "Task", "Resource": "${Fn}", "TimeoutSeconds": ${T}, "HeartbeatSeconds": ${H}, "End": true}'),
])  # fmt: skip
def test_an_unquoted_placeholder_is_a_value_of_the_kind_its_field_needs(field: str, state: str) -> None:
    assert asl.validate('{"StartAt": "S", "States": {"S": ' + state + "}}") == []


def test_only_fn_sub_resolves_resource_names(tmp_path: Path) -> None:
    """`${Table}` names a resource: Fn::Sub fills it in, a DefinitionUri file's text is not
    Fn::Sub'd (so without a DefinitionSubstitutions entry it is undefined); an intrinsic in an
    object Definition is a deploy-time value, not a placeholder."""
    (tmp_path / "m.asl.json").write_text(
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${Table}", "End": true}}}')
    (tmp_path / "t.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Table:\n    Type: AWS::Serverless::SimpleTable\n"
        "  FromFile:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
        "      DefinitionUri: m.asl.json\n"
        "  FromSub:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      DefinitionString: !Sub '{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"Result\": \"${Table}\", \"End\": true}}}'\n"
        "  FromObject:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
        "      Definition:\n        StartAt: A\n        States:\n          A:\n            Type: Pass\n"
        "            Result: !GetAtt Table.Arn\n            End: true\n"
    )
    warnings = {m.id: [p.code for p in m.validate()] for m in asl.machines(tmp_path / "t.yaml")}
    assert warnings == {"FromFile": ["undefined-placeholder"], "FromSub": [], "FromObject": []}


def test_fn_sub_escapes_leave_placeholders_for_definition_substitutions(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      DefinitionSubstitutions:\n        Greeting: hello\n"
        "      DefinitionString: !Sub '{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\","
        " \"Result\": \"${!Greeting} from ${AWS::Region}\", \"End\": true}}}'\n"
    )
    [machine] = asl.machines(tmp_path / "t.yaml")
    assert machine.validate() == []
    assert machine.source.document["States"]["A"]["Result"] == "hello from us-east-1"


INLINE = {
    "main.tf": (
        'resource "aws_sfn_state_machine" "indented" {\n  name = "x"\n  definition = <<-EOT\n    {\n'
        '      "StartAt": "A",\n      "States": {"A": {"Type": "Pass", "Bogus": 1, "End": true}}\n    }\n  EOT\n}\n'
        'resource "aws_sfn_state_machine" "quoted" {\n  name = "y"\n'
        '  definition = "{\\"StartAt\\": \\"A\\", \\"States\\": {\\"A\\": {\\"Type\\": \\"Pass\\", \\"Bogus\\": 1, \\"End\\": true}}}"\n}\n'
    ),
    "template.json": json.dumps({"Resources": {"Obj": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "Definition": {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": {"Fn::GetAtt": ["F", "Arn"]}, "Bogus": 1, "End": True}}}}}}}, indent=1),
}  # fmt: skip


@pytest.mark.parametrize("file, machine_id, marker", [
    ("main.tf", "aws_sfn_state_machine.indented", '"Bogus"'),
    ("main.tf", "aws_sfn_state_machine.quoted", '\\"Bogus'),
    ("template.json", "Obj", '"Bogus"'),
])  # fmt: skip
def test_more_shapes_point_at_the_planted_field(tmp_path: Path, file: str, machine_id: str, marker: str) -> None:
    if file.endswith(".tf"):
        pytest.importorskip("hcl2", reason="Terraform needs python-hcl2 (the terraform extra)")
    path = tmp_path / file
    path.write_text(INLINE[file])
    [problem] = _machine(path, machine_id).validate()
    text = path.read_text()
    start = text.index(marker, text.index(machine_id.rpartition(".")[2]))  # in this machine's text
    line = text.count("\n", 0, start) + 1
    assert (problem.code, problem.line, problem.column) == ("unknown-field", line, start - text.rfind("\n", 0, start))


def test_a_fifo_named_by_a_template_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    """Every file a template names is read as definitions are: regular files only."""
    import os

    os.mkfifo(tmp_path / "machine.asl.json")
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Machine:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      DefinitionUri: machine.asl.json\n")
    problems = asl.validate(template)
    assert any("not a regular file" in p.message for p in problems), problems
    os.mkfifo(tmp_path / "main.tf")
    assert any(p.code == "io-error" and "not a regular file" in p.message
               for p in asl.validate(tmp_path / "main.tf"))
