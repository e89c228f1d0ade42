"""The local Lambda service (asl.Functions), in-process mode: configuration as Lambda validates
it, Invoke's answers, versions and aliases, concurrency, asynchronous invocation, logs and
metrics. Each expectation is a row of ../shared/lambda/FACTS.md (cited by section); rows marked
inferred there are templates, and docs/lambda.md says so."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asl
from asl import LambdaError

ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function"


def echo(event: Any, context: Any) -> Any:
    return {"event": event, "version": context.function_version,
            "arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis()}


@pytest.fixture
def fns() -> Any:
    with asl.Functions(seed=7, clock=asl.VirtualClock()) as service:
        yield service


def error_of(call: Any) -> LambdaError:
    with pytest.raises(LambdaError) as info:
        call()
    return info.value


# --- configuration (FACTS §1) -------------------------------------------------------------------


def test_defaults_are_lambdas(fns: Any) -> None:
    """Timeout 3, MemorySize 128, EphemeralStorage 512; CreateFunction answers State Pending."""
    created = fns.create("f", handler=echo)
    assert (created["Timeout"], created["MemorySize"], created["EphemeralStorage"]) == (3, 128, {"Size": 512})
    assert (created["Version"], created["State"], created["StateReasonCode"]) == ("$LATEST", "Pending", "Creating")
    assert created["PackageType"] == "Zip" and created["Architectures"] == ["x86_64"]
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/f"}
    assert fns.get_function("f")["Configuration"]["State"] == "Active"
    payload = json.loads(fns.invoke("f", {})["Payload"])
    assert payload["memory"] == "128" and 2000 < payload["remaining"] <= 3000


@pytest.mark.parametrize(("settings", "message"), [
    ({"timeout": 3000}, "1 validation error detected: Value '3000' at 'timeout' failed to satisfy "
                        "constraint: Member must have value less than or equal to 900"),
    ({"timeout": 0}, "1 validation error detected: Value '0' at 'timeout' failed to satisfy "
                     "constraint: Member must have value greater than or equal to 1"),
    ({"memory": 64}, "1 validation error detected: Value '64' at 'memorySize' failed to satisfy "
                     "constraint: Member must have value greater than or equal to 128"),
    ({"ephemeral_storage": 10241}, "1 validation error detected: Value '10241' at "
                                   "'ephemeralStorage.size' failed to satisfy constraint: Member "
                                   "must have value less than or equal to 10240"),
])
def test_ranges_fail_with_validation_exception(fns: Any, settings: dict[str, Any], message: str) -> None:
    error = error_of(lambda: fns.create("f", handler=echo, **settings))
    assert (error.code, error.message, error.status_code) == ("ValidationException", message, 400)


def test_violations_are_counted(fns: Any) -> None:
    error = error_of(lambda: fns.create("f", handler=echo, timeout=901, memory=1))
    assert error.message.startswith("2 validation errors detected: Value '901' at 'timeout'")
    assert "; Value '1' at 'memorySize'" in error.message


def test_environment_limit_is_4kb_of_compact_json(fns: Any) -> None:
    """4096 bytes of {"K":"V"} succeed, 4097 fail, with the measured string appended."""
    fits = {"AB": "x" * (4096 - len('{"AB":""}'))}
    fns.create("fits", handler=echo, environment=fits)
    over = {"LARGE_VAR": "x" * (4097 - len('{"LARGE_VAR":""}'))}
    error = error_of(lambda: fns.create("over", handler=echo, environment=over))
    assert error.code == "InvalidParameterValueException"
    assert error.message == (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided exceeded the 4KB limit. String measured: "
        + json.dumps(over, separators=(",", ":")))


def test_reserved_environment_names_are_refused(fns: Any) -> None:
    error = error_of(lambda: fns.create("f", handler=echo, environment={"AWS_DEFAULT_REGION": "x"}))
    assert error.message == (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported for "
        "modification. Reserved keys used in this request: AWS_DEFAULT_REGION")
    fns.create("g", handler=echo, environment={"PATH": "/bin", "LANG": "C"})  # not reserved


def test_runtime_enum_and_deprecated_runtime(fns: Any) -> None:
    error = error_of(lambda: fns.create("f", handler=echo, runtime="PYTHON3.9"))
    assert error.code == "InvalidParameterValueException"
    assert error.message.startswith("Value PYTHON3.9 at 'runtime' failed to satisfy constraint: "
                                    "Member must satisfy enum value set: [nodejs20.x, python3.14,")
    assert error.message.endswith("java8.al2] or be a valid ARN")
    error = error_of(lambda: fns.create("f", handler=echo, runtime="python3.7"))
    assert error.message == ("The runtime parameter of python3.7 is no longer supported for creating "
                             "or updating AWS Lambda functions. We recommend you use a supported "
                             "runtime while creating or updating functions.")


def test_role_pattern(fns: Any) -> None:
    error = error_of(lambda: fns.create("f", handler=echo, role="r1"))
    assert error.message == (
        "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: "
        "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+")


def test_update_configuration_is_validated_and_answers_in_progress(fns: Any) -> None:
    fns.create("f", handler=echo)
    answer = fns.update_configuration("f", timeout=10, environment={"AB": "1"})
    assert (answer["Timeout"], answer["LastUpdateStatus"]) == (10, "InProgress")
    assert error_of(lambda: fns.update_configuration("f", memory=20000)).code == "ValidationException"
    with pytest.raises(TypeError, match="unexpected keyword"):
        fns.update_configuration("f", timeuot=10)


# --- Invoke (FACTS §2a) ---------------------------------------------------------------------


def test_invoke_answers(fns: Any) -> None:
    fns.create("f", handler=echo)
    fns.create("none", handler=lambda event, context: None)
    answer = fns.invoke("f", {"a": 1})
    assert set(answer) == {"StatusCode", "ExecutedVersion", "Payload"}
    assert (answer["StatusCode"], answer["ExecutedVersion"]) == (200, "$LATEST")
    assert json.loads(answer["Payload"])["event"] == {"a": 1}
    assert fns.invoke("none")["Payload"] == b"null"
    assert fns.invoke("f", {}, invocation_type="Event") == {"StatusCode": 202, "Payload": b""}
    assert fns.invoke("f", {}, invocation_type="DryRun") == {"StatusCode": 204, "Payload": b""}


def test_function_error_payload(fns: Any) -> None:
    def fails(event: Any, context: Any) -> Any:
        raise Exception("Handler fails")

    fns.create("f", handler=fails)
    answer = fns.invoke("f")
    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    payload = json.loads(answer["Payload"])
    assert list(payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (payload["errorMessage"], payload["errorType"]) == ("Handler fails", "Exception")
    assert 'raise Exception("Handler fails")' in payload["stackTrace"][-1]


def test_names_arns_and_qualifiers(fns: Any) -> None:
    fns.create("f", handler=echo)
    for name in ("f", "123456789012:function:f", f"{ACCOUNT_ARN}:f", f"{ACCOUNT_ARN}:f:$LATEST"):
        assert fns.invoke(name)["StatusCode"] == 200
    assert error_of(lambda: fns.invoke("nope")).message == f"Function not found: {ACCOUNT_ARN}:nope:$LATEST"
    assert error_of(lambda: fns.invoke("f", qualifier="$latest")).code == "ResourceNotFoundException"
    conflict = error_of(lambda: fns.invoke(f"{ACCOUNT_ARN}:f:$LATEST", qualifier="1"))
    assert conflict.message == ("The derived qualifier from the function name does not match the "
                                "specified qualifier.")
    bad = error_of(lambda: fns.invoke("f", qualifier="invalid!"))
    assert bad.message == ("1 validation error detected: Value 'invalid!' at 'qualifier' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: "
                           "\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+")


def test_log_tail_and_report_lines(fns: Any) -> None:
    def prints(event: Any, context: Any) -> Any:
        return "ok"

    fns.create("f", handler=prints, memory=256)
    tail = base64.b64decode(fns.invoke("f", log_type="Tail")["LogResult"]).decode()
    fns.invoke("f")
    lines = fns.logs("f")
    assert lines[0].startswith("INIT_START Runtime Version: python:3.12")
    assert lines[1].startswith("START RequestId: ") and lines[1].endswith(" Version: $LATEST")
    assert lines[2].startswith("END RequestId: ")
    cold, warm = lines[3], lines[-1]
    assert cold.startswith("REPORT RequestId: ") and "\tMemory Size: 256 MB\t" in cold
    assert "\tInit Duration: " in cold and cold.endswith("\t")
    assert "Init Duration" not in warm and "\tBilled Duration: " in warm
    assert tail.endswith(lines[3] + "\n")


# --- versions and aliases (FACTS §3) ---------------------------------------------------------


def test_publishing(fns: Any) -> None:
    fns.create("f", handler=echo)
    assert fns.publish_version("f", description="first")["Version"] == "1"
    again = fns.publish_version("f", description="ignored")
    assert (again["Version"], again["Description"]) == ("1", "first")
    fns.update_configuration("f", environment={"AB": "1"})
    assert fns.publish_version("f")["Version"] == "2"
    assert [v["Version"] for v in fns.list_versions("f")] == ["$LATEST", "1", "2"]
    assert fns.create("p", handler=echo, publish=True)["Version"] == "1"
    assert error_of(lambda: fns.invoke("f", qualifier="1221")).message == f"Function not found: {ACCOUNT_ARN}:f:1221"


def test_versions_are_immutable(fns: Any) -> None:
    fns.create("f", handler=lambda event, context: "one")
    fns.publish_version("f")
    fns.update_code("f", handler=lambda event, context: "two")
    assert json.loads(fns.invoke("f", qualifier="1")["Payload"]) == "one"
    assert json.loads(fns.invoke("f")["Payload"]) == "two"


def test_alias_resolves_to_its_version(fns: Any) -> None:
    """ExecutedVersion is the version; the context's ARN keeps the alias (FACTS §2a, §7)."""
    fns.create("f", handler=echo)
    fns.publish_version("f")
    fns.update_configuration("f", description="2")
    fns.publish_version("f")
    created = fns.create_alias("f", "live", "1")
    assert created == {"AliasArn": f"{ACCOUNT_ARN}:f:live", "Name": "live", "FunctionVersion": "1",
                       "Description": "", "RevisionId": created["RevisionId"]}
    answer = fns.invoke("f:live")
    payload = json.loads(answer["Payload"])
    assert (answer["ExecutedVersion"], payload["version"], payload["arn"]) == ("1", "1", f"{ACCOUNT_ARN}:f:live")
    fns.update_alias("f", "live", "2")
    assert fns.invoke("f", qualifier="live")["ExecutedVersion"] == "2"
    assert fns.create_alias("f", "empty", "1", routing={})["FunctionVersion"] == "1"
    assert "RoutingConfig" not in fns.get_alias("f", "empty")


def test_alias_rules(fns: Any) -> None:
    fns.create("f", handler=echo)
    fns.publish_version("f")
    fns.update_configuration("f", description="2")
    fns.publish_version("f")
    fns.create_alias("f", "custom", "1")
    cases = [
        (lambda: fns.create_alias("f", "custom", "1"), "ResourceConflictException",
         f"Alias already exists: {ACCOUNT_ARN}:f:custom"),
        (lambda: fns.create_alias("f", "a", "1", routing={"2": 0.5, "3": 0.1}),
         "InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1"),
        (lambda: fns.create_alias("f", "a", "1", routing={"2": 2}), "ValidationException",
         "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' "
         "failed to satisfy constraint: Map value must satisfy constraint: [Member must have value "
         "less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member "
         "must not be null]"),
        (lambda: fns.create_alias("f", "a", "1", routing={"1": 0.5}), "InvalidParameterValueException",
         "Invalid function version 1. Function version 1 is already included in routing configuration."),
        (lambda: fns.create_alias("f", "a", "$LATEST", routing={"1": 0.5}), "InvalidParameterValueException",
         "$LATEST is not supported for an alias pointing to more than 1 version"),
        (lambda: fns.create_alias("f", "a", "1", routing={"$LATEST": 0.5}), "ValidationException",
         "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' "
         "failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length "
         "less than or equal to 1024, Member must have length greater than or equal to 1, Member "
         "must satisfy regular expression pattern: [0-9]+]"),
        (lambda: fns.create_alias("f", "a", "10"), "ResourceNotFoundException", f"Function not found: {ACCOUNT_ARN}:f:10"),
        (lambda: fns.create_alias("f", "2024", "1"), "ValidationException",
         "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member "
         "must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"),
        (lambda: fns.update_alias("f", "non-existent", "1"), "ResourceNotFoundException",
         f"Alias not found: {ACCOUNT_ARN}:f:non-existent"),
        (lambda: fns.get_alias("f", "non-existent"), "ResourceNotFoundException",
         f"Cannot find alias arn: {ACCOUNT_ARN}:f:non-existent"),
        (lambda: fns.invoke("f", qualifier="non-existent-alias"), "ResourceNotFoundException",
         f"Function not found: {ACCOUNT_ARN}:f:non-existent-alias"),
    ]
    for call, code, message in cases:
        error = error_of(call)
        assert (error.code, error.message) == (code, message)
    assert fns.create_alias("f", "latest", "$LATEST")["FunctionVersion"] == "$LATEST"
    fns.delete_alias("f", "does-not-exist")  # no error, as Lambda's 204


def test_canary_alias_routes_5_percent_within_bounds() -> None:
    """10,000 seeded invocations of a {"2": 0.05} alias: version 2 runs 5 % of them, within
    five standard deviations of the binomial (sd = sqrt(10000 * 0.05 * 0.95) ≈ 21.8), and the
    same seed routes the same way again."""
    def routed(seed: int) -> list[str]:
        with asl.Functions(seed=seed) as service:
            service.create("f", handler=lambda event, context: None)
            service.publish_version("f")
            service.update_configuration("f", description="canary")
            service.publish_version("f")
            service.create_alias("f", "live", "1", routing={"2": 0.05})
            return [service.invoke("f:live")["ExecutedVersion"] for _ in range(10_000)]

    versions = routed(11)
    canary = versions.count("2")
    assert 500 - 5 * 21.8 < canary < 500 + 5 * 21.8
    assert set(versions) == {"1", "2"}
    assert routed(11) == versions


# --- concurrency (FACTS §4) ------------------------------------------------------------------


def test_reserved_concurrency_zero_throttles(fns: Any) -> None:
    fns.create("f", handler=echo, reserved_concurrency=0)
    error = error_of(lambda: fns.invoke("f"))
    assert (error.code, error.status_code, error.message, error.reason) == (
        "TooManyRequestsException", 429, "Rate Exceeded.",
        "ReservedFunctionConcurrentInvocationLimitExceeded")
    assert fns.metrics("f")["Throttles"] == 1
    assert fns.put_concurrency("f", 1) == {"ReservedConcurrentExecutions": 1}
    assert fns.invoke("f")["StatusCode"] == 200
    qualified = error_of(lambda: fns.put_concurrency("f:1", 1))
    assert qualified.message.startswith("This operation is permitted on Lambda functions only.")
    over = error_of(lambda: fns.put_concurrency("f", 901))
    assert over.message == ("Specified ReservedConcurrentExecutions for function decreases account's "
                            "UnreservedConcurrentExecution below its minimum value of [100].")


def map_machine(items: int, function: str = "f") -> Any:
    return asl.load({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": function, "Payload.$": "$"},
                     "OutputPath": "$.Payload", "End": True,
                     "Catch": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "Next": "Throttled"}]},
            "Throttled": {"Type": "Pass", "Parameters": {"throttled.$": "$.Error", "cause.$": "$.Cause"}, "End": True},
        }},
    }}})


@pytest.mark.parametrize("reserved", [0, 2])
def test_reserved_concurrency_under_a_parallel_map(reserved: int) -> None:
    """Six items at once against reserved concurrency N: N run (each on its own environment),
    the rest are throttled and Step Functions sees Lambda.TooManyRequestsException."""
    with asl.Functions() as service:
        release = threading.Event()

        def hold(event: Any, context: Any) -> Any:
            # Keep the environment busy until every other item has been throttled.
            release.wait(10)
            return "ran"

        service.create("f", handler=hold, reserved_concurrency=reserved, timeout=30)

        def watch() -> None:
            deadline = time.monotonic() + 10
            while service.metrics("f")["Throttles"] < 6 - reserved and time.monotonic() < deadline:
                time.sleep(0.01)
            release.set()

        threading.Thread(target=watch, daemon=True).start()
        execution = map_machine(6).run({"items": list(range(6))}, functions=service)
        assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
        ran = [item for item in execution.output if item == "ran"]
        throttled = [item for item in execution.output if item != "ran"]
        assert len(ran) == reserved and len(throttled) == 6 - reserved
        assert {item["throttled"] for item in throttled} == {"Lambda.TooManyRequestsException"}
        assert throttled[0]["cause"].startswith(
            "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Request ID: ")
        metrics = service.metrics("f")
        assert (metrics["Invocations"], metrics["Throttles"], metrics["ColdStarts"]) == (reserved, 6 - reserved, reserved)


def test_environments_are_reused_when_idle(fns: Any) -> None:
    fns.create("f", handler=echo)
    for _ in range(5):
        fns.invoke("f")
    metrics = fns.metrics("f")
    assert (metrics["Invocations"], metrics["ColdStarts"], metrics["ConcurrentExecutions"]) == (5, 1, 1)
    assert set(metrics["Duration"]) == {"p50", "p90", "p99", "max"}


# --- Step Functions through the service (FACTS §2d) ------------------------------------------------


def test_tasks_resolve_names_arns_versions_and_aliases(fns: Any) -> None:
    fns.create("f", handler=echo)
    fns.publish_version("f")
    fns.create_alias("f", "live", "1")
    for resource, version in ((f"{ACCOUNT_ARN}:f", "$LATEST"), (f"{ACCOUNT_ARN}:f:1", "1"),
                              (f"{ACCOUNT_ARN}:f:live", "1")):
        machine = asl.load({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True}}})
        execution = machine.run({"n": 1}, functions=fns)
        assert execution.status == "SUCCEEDED", (resource, execution.cause)
        assert execution.output["version"] == version and execution.output["event"] == {"n": 1}
    invoke = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "123456789012:function:f", "Qualifier": "live", "Payload": {"x": 1}},
        "End": True}}})
    output = invoke.run({}, functions=fns).output
    assert (output["ExecutedVersion"], output["StatusCode"]) == ("1", 200)
    assert output["Payload"]["arn"] == f"{ACCOUNT_ARN}:f:live"


def test_task_failures_from_the_service(fns: Any) -> None:
    def fails(event: Any, context: Any) -> Any:
        raise ValueError("Some exception was raised.")

    fns.create("f", handler=fails)
    machine = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"}, "End": True}}})
    execution = machine.run({}, functions=fns)
    assert execution.error == "ValueError"
    cause = json.loads(execution.cause)
    assert list(cause) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert '","errorType":"ValueError","requestId":"' in execution.cause  # compact, as SFN re-serialises
    missing = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "no_such_fn"}, "End": True}}}).run({}, functions=fns)
    assert missing.error == "Lambda.ResourceNotFoundException"
    assert missing.cause.startswith(f"Function not found: {ACCOUNT_ARN}:no_such_fn (Service: AWSLambda; Status Code: 404;")


def test_handlers_still_win_and_functions_must_be_a_service(fns: Any) -> None:
    fns.create("f", handler=echo)
    machine = asl.load({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": f"{ACCOUNT_ARN}:f", "End": True}}})
    assert machine.run({}, handlers={"f": lambda e, c: "double"}, functions=fns).output == "double"
    with pytest.raises(TypeError, match="functions must be an asl.Functions"):
        machine.run({}, functions={"f": echo})


def test_plain_handler_past_the_default_timeout_fails_as_lambda_would() -> None:
    """A handler is a function with Lambda's defaults: running past 3 s is Sandbox.Timedout (in
    process the thread cannot be stopped, so this is decided when it returns)."""
    machine = asl.load({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": f"{ACCOUNT_ARN}:slow", "End": True}}})
    with asl.Functions() as service:
        service.create("slow", handler=lambda e, c: time.sleep(1.2), timeout=1)
        execution = machine.run({}, functions=service)
    assert execution.error == "Sandbox.Timedout"
    payload = json.loads(execution.cause)
    assert list(payload) == ["errorType", "errorMessage"]
    assert payload["errorMessage"].endswith(" Error: Task timed out after 1.00 seconds")


# --- asynchronous invocation (FACTS §6) --------------------------------------------------------


def test_async_retries_twice_then_sends_the_failure_record() -> None:
    clock = asl.VirtualClock()
    records: list[dict[str, Any]] = []
    attempts: list[tuple[float, str]] = []

    def fails(event: Any, context: Any) -> Any:
        attempts.append((clock.now(), context.aws_request_id))
        raise Exception("Test exception (this is intentional)")

    with asl.Functions(clock=clock) as service:
        service.create("f", handler=fails)
        dead: list[dict[str, Any]] = []
        service.put_event_invoke_config("f", on_failure=records.append, dead_letter=dead.append)
        start = clock.now()
        assert service.invoke("f", {"n": 1}, invocation_type="Event")["StatusCode"] == 202
        assert service.wait(10)
    assert [round(at - start) for at, _ in attempts] == [0, 60, 180]
    assert len({request for _, request in attempts}) == 1  # one request id across retries
    [record] = records
    assert list(record) == ["version", "timestamp", "requestContext", "requestPayload",
                            "responseContext", "responsePayload"]
    assert record["requestContext"] == {"requestId": attempts[0][1], "functionArn": f"{ACCOUNT_ARN}:f:$LATEST",
                                        "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "Exception"
    assert dead == [{"body": '{"n": 1}', "attributes": {
        "RequestID": attempts[0][1], "ErrorCode": "200", "ErrorMessage": "Test exception (this is intentional)"}}]


def test_async_success_record_and_function_destination() -> None:
    clock = asl.VirtualClock()
    seen: list[Any] = []
    with asl.Functions(clock=clock) as service:
        service.create("f", handler=lambda event, context: {"ok": event})
        service.create("sink", handler=lambda event, context: seen.append(event))
        service.put_event_invoke_config("f", on_success="sink", maximum_retry_attempts=0)
        service.invoke("f", {"n": 2}, invocation_type="Event")
        assert service.wait(10)
    [record] = seen
    assert record["requestContext"]["condition"] == "Success"
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": {"n": 2}}


def test_async_zero_reserved_concurrency_and_event_age() -> None:
    clock = asl.VirtualClock()
    records: list[dict[str, Any]] = []
    with asl.Functions(clock=clock) as service:
        service.create("zero", handler=echo, reserved_concurrency=0)
        service.put_event_invoke_config("zero", on_failure=records.append)
        service.invoke("zero", {}, invocation_type="Event")

        def fails(event: Any, context: Any) -> Any:
            raise RuntimeError("no")

        service.create("old", handler=fails)
        service.put_event_invoke_config("old", on_failure=records.append, maximum_event_age=60)
        service.invoke("old", {}, invocation_type="Event")
        assert service.wait(10)
    zero, old = records
    assert zero["requestContext"]["condition"] == "ZeroReservedConcurrency"
    assert zero["requestContext"]["approximateInvokeCount"] == 0 and "responseContext" not in zero
    assert old["requestContext"]["condition"] == "EventAgeExceeded"
    assert old["requestContext"]["approximateInvokeCount"] == 2


def test_event_invoke_config_rules(fns: Any) -> None:
    fns.create("f", handler=echo)
    assert error_of(lambda: fns.put_event_invoke_config("f", maximum_retry_attempts=3)).message == (
        "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy "
        "constraint: Member must have value less than or equal to 2")
    assert error_of(lambda: fns.put_event_invoke_config("f")).message == (
        "You must specify at least one of error handling or destination setting.")
    assert error_of(lambda: fns.put_event_invoke_config("f", on_failure=f"{ACCOUNT_ARN}:doesnotexist")).message == (
        f"The destination ARN {ACCOUNT_ARN}:doesnotexist is invalid.")
    assert error_of(lambda: fns.put_event_invoke_config("f", on_failure="f")).message == (
        "You can't specify the function as a destination for itself.")
    answer = fns.put_event_invoke_config("f", maximum_retry_attempts=0)
    assert answer["FunctionArn"] == f"{ACCOUNT_ARN}:f:$LATEST" and answer["MaximumRetryAttempts"] == 0


def test_async_invoke_from_a_task() -> None:
    clock = asl.VirtualClock()
    seen: list[Any] = []
    with asl.Functions(clock=clock) as service:
        service.create("f", handler=lambda event, context: seen.append(event))
        machine = asl.load({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "InvocationType": "Event", "Payload": {"a": 1}},
            "End": True}}})
        execution = machine.run({}, functions=service, clock=clock)
        assert service.wait(10)
    assert execution.output["StatusCode"] == 202 and execution.output["Payload"] == ""
    assert "ExecutedVersion" not in execution.output
    assert seen == [{"a": 1}]


# --- traffic shifting (FACTS §9) --------------------------------------------------------------


def two_versions(service: Any) -> None:
    service.create("f", handler=lambda event, context: context.function_version)
    service.publish_version("f")
    service.update_configuration("f", description="new")
    service.publish_version("f")
    service.create_alias("f", "live", "1")


def test_canary_then_all_on_the_clock() -> None:
    clock = asl.VirtualClock()
    with asl.Functions(clock=clock, seed=3) as service:
        two_versions(service)
        start = clock.now()
        seen: list[tuple[float, Any]] = []
        deployment = service.deploy("f", "live", "2", "CodeDeployDefault.LambdaCanary10Percent5Minutes",
                                    hook=lambda d: seen.append((d.weight, service.get_alias("f", "live").get("RoutingConfig"))))
        assert deployment.run().status == "Succeeded"
        assert [(round(at - start), weight) for at, weight in deployment.shifts] == [(0, 0.1), (300, 1.0)]
        assert seen == [(0.1, {"AdditionalVersionWeights": {"2": 0.1}}), (1.0, None)]
        assert service.get_alias("f", "live")["FunctionVersion"] == "2"


def test_linear_steps_and_a_failing_health_check_rolls_back() -> None:
    clock = asl.VirtualClock()
    with asl.Functions(clock=clock) as service:
        two_versions(service)
        deployment = service.deploy("f", "live", "2", "Linear10PercentEvery1Minute",
                                    hook=lambda d: d.weight < 0.3)
        assert deployment.run().status == "Stopped"
        assert [weight for _, weight in deployment.shifts] == [0.1, 0.2, 0.3, 0.0]
        alias = service.get_alias("f", "live")
        assert alias["FunctionVersion"] == "1" and "RoutingConfig" not in alias
        assert [round(at) for at, _ in deployment.steps] == [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]


def test_unknown_deployment_configuration(fns: Any) -> None:
    two_versions(fns)
    error = error_of(lambda: fns.deploy("f", "live", "2", "Canary7Percent5Minutes"))
    assert error.code == "DeploymentConfigDoesNotExistException"
    custom = fns.deploy("f", "live", "2", {"TimeBasedCanary": {"canaryPercentage": 25, "canaryInterval": 2}})
    assert custom.steps == [(0.0, 0.25), (120.0, 1.0)]


# --- bad input is an answer, never a traceback ------------------------------------------------

@pytest.fixture(scope="module")
def known() -> Any:
    with asl.Functions(seed=1) as service:
        service.create("known", handler=lambda event, context: event)
        yield service


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(["known", "known:$LATEST", f"{ACCOUNT_ARN}:known", "known:1",
                             "123456789012:function:known"]) | st.text(max_size=80),
       qualifier=st.none() | st.sampled_from(["$LATEST", "1", "live"]) | st.text(max_size=20),
       payload=st.none() | st.text(max_size=20))
def test_any_name_qualifier_or_payload_is_an_answer_or_a_lambda_error(
        known: Any, name: str, qualifier: str | None, payload: str | None) -> None:
    try:
        answer = known.invoke(name, payload, qualifier=qualifier)
    except LambdaError as error:
        assert error.code in {"ValidationException", "ResourceNotFoundException",
                              "InvalidParameterValueException", "InvalidRequestContentException"}
        assert error.message
    else:
        assert answer["StatusCode"] == 200


@settings(max_examples=200, deadline=None)
@given(timeout=st.integers(-5, 2000), memory=st.integers(-5, 20000),
       storage=st.integers(0, 20000), key=st.text(max_size=12), value=st.text(max_size=12))
def test_any_configuration_is_accepted_or_refused_with_lambdas_error(
        timeout: int, memory: int, storage: int, key: str, value: str) -> None:
    with asl.Functions() as service:
        try:
            service.create("f", handler=echo, timeout=timeout, memory=memory,
                           ephemeral_storage=storage, environment={key: value})
        except LambdaError as error:
            assert error.code in {"ValidationException", "InvalidParameterValueException"}
        else:
            assert 1 <= timeout <= 900 and 128 <= memory <= 10240 and 512 <= storage <= 10240


def test_a_service_function_answers_a_callback_task_from_its_context(fns: Any) -> None:
    """lambda:invoke.waitForTaskToken through the service: an in-process function's context
    carries the task token and answers it, as a plain handler's does."""
    def worker(event: Any, context: Any) -> Any:
        context.heartbeat()
        context.send_task_success({"token_seen": event["token"] == context.task_token})
        return "started"

    fns.create("worker", handler=worker)
    machine = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "worker", "Payload": {"token.$": "$$.Task.Token"}},
        "HeartbeatSeconds": 30, "End": True}}})
    execution = machine.run({}, functions=fns)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {"token_seen": True}


SAM = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Call
        States:
          Call: {Type: Task, Resource: !GetAtt Slow.Arn, End: true}
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Timeout: %s
      MemorySize: 256
"""


@pytest.mark.parametrize(("timeout", "status"), [(1, "FAILED"), (5, "SUCCEEDED")])
def test_a_template_functions_timeout_and_memory_reach_its_handler(tmp_path: Any, timeout: int,
                                                                   status: str) -> None:
    """A template's local function is a plain handler with the template's Timeout and
    MemorySize, not Lambda's defaults: its context counts down from them, and running past the
    timeout fails as Lambda would."""
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(
        "import time\n\ndef handler(event, context):\n    time.sleep(1.2)\n"
        "    return [context.get_remaining_time_in_millis(), context.memory_limit_in_mb]\n")
    (tmp_path / "template.yaml").write_text(SAM % timeout)
    execution = asl.load(tmp_path / "template.yaml").run({})
    assert execution.status == status, execution.cause
    if status == "FAILED":
        assert execution.error == "Sandbox.Timedout"
        assert json.loads(execution.cause)["errorMessage"].endswith("Task timed out after 1.00 seconds")
    else:
        remaining, memory = execution.output
        assert 3000 < remaining <= 3800 and memory == "256"


def test_a_handler_may_say_its_timeout_and_memory() -> None:
    def slow(event: Any, context: Any) -> Any:
        time.sleep(0.3)
        return context.memory_limit_in_mb

    slow.lambda_timeout = 0.2  # type: ignore[attr-defined]
    slow.lambda_memory = 512  # type: ignore[attr-defined]
    machine = asl.load({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": f"{ACCOUNT_ARN}:slow", "End": True}}})
    execution = machine.run({}, handlers={"slow": slow})
    assert execution.error == "Sandbox.Timedout" and "Task timed out after 0.20 seconds" in execution.cause
    slow.lambda_timeout = 10  # type: ignore[attr-defined]
    assert machine.run({}, handlers={"slow": slow}).output == "512"


def test_a_runs_service_wins_over_a_templates_own_functions(tmp_path: Any) -> None:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return 'template'\n")
    (tmp_path / "template.yaml").write_text(SAM % 3)
    machine = asl.load(tmp_path / "template.yaml")
    assert machine.run({}).output == "template"
    with asl.Functions() as service:
        service.create("Slow", handler=lambda event, context: "service")
        assert machine.run({}, functions=service).output == "service"


def test_events_a_run_sends_retry_on_the_runs_clock() -> None:
    """A service without a clock of its own: an Event a run sends waits out its retries on the
    run's clock (a VirtualClock: no real time), as the issue asks."""
    clock = asl.VirtualClock()
    records: list[dict[str, Any]] = []

    def fails(event: Any, context: Any) -> Any:
        raise RuntimeError("no")

    with asl.Functions() as service:
        service.create("f", handler=fails)
        service.put_event_invoke_config("f", on_failure=records.append)
        machine = asl.load({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "InvocationType": "Event"}, "End": True}}})
        start = clock.now()
        assert machine.run({}, functions=service, clock=clock).status == "SUCCEEDED"
        assert service.wait(10)
    assert records[0]["requestContext"]["approximateInvokeCount"] == 3
    assert clock.now() - start >= 180
