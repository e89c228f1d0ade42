"""The isolated mode: each execution environment a process under AWS's own runtime interface
client (awslambdaric) against asl's Runtime API. What a thread cannot give: a timeout that ends
the handler, init once per environment, its own environment variables and /tmp, limits; and the
runtime client's own error payloads (the in-process mode answers the same, checked alongside).
Expectations are rows of ../shared/lambda/FACTS.md (sections cited)."""

from __future__ import annotations

import json
import os
import textwrap
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

import asl

pytest.importorskip("awslambdaric", reason="the isolated mode needs the 'lambda' (or 'test') extra")

ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function"


def code(tmp_path: Path, source: str, module: str | None = None) -> tuple[Path, str]:
    """A code directory holding one module (a fresh name, so in-process imports never share)."""
    module = module or f"fn_{uuid.uuid4().hex[:10]}"
    directory = tmp_path / module
    directory.mkdir()
    (directory / f"{module}.py").write_text(textwrap.dedent(source))
    return directory, module


@pytest.fixture
def fns() -> Any:
    with asl.Functions(isolated=True) as service:
        yield service


def payload(answer: dict[str, Any]) -> Any:
    return json.loads(answer["Payload"])


STATE = """
    import os, sys, time
    INITS = [time.time()]
    CALLS = [0]

    def handler(event, context):
        CALLS[0] += 1
        if event.get("write"):
            with open(os.path.join(os.environ["TMPDIR"], "kept"), "w") as f:
                f.write(event["write"])
        if event.get("sleep"):
            time.sleep(event["sleep"])
        kept = os.path.join(os.environ["TMPDIR"], "kept")
        return {"calls": CALLS[0], "inits": len(INITS), "pid": os.getpid(),
                "tmp": os.environ["TMPDIR"], "foo": os.environ.get("FOO"),
                "leak": os.environ.get("ASL_TEST_LEAK"),
                "kept": open(kept).read() if os.path.exists(kept) else None,
                "name": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                "execution_env": os.environ["AWS_EXECUTION_ENV"],
                "memory": os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
                "remaining": context.get_remaining_time_in_millis()}
"""


def test_timeout_ends_the_process_within_100_ms_of_the_deadline(fns: Any, tmp_path: Path) -> None:
    """A handler blocking past its 1 s timeout is ended: Sandbox.Timedout (FACTS §2c), the
    service's own measurement puts the end within 100 ms after the deadline, the task fails with
    it, and the next call re-initialises in the same environment with /tmp kept (FACTS §5)."""
    directory, module = code(tmp_path, STATE)
    fns.create("slow", handler=f"{module}.handler", code=directory, timeout=1)
    first = payload(fns.invoke("slow", {"write": "some-content"}))
    machine = asl.load({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": f"{ACCOUNT_ARN}:slow", "End": True}}})
    execution = machine.run({"sleep": 30}, functions=fns)
    assert execution.status == "FAILED" and execution.error == "Sandbox.Timedout"
    cause = json.loads(execution.cause)
    assert list(cause) == ["errorType", "errorMessage"]
    assert cause["errorMessage"].endswith(" Error: Task timed out after 1.00 seconds")
    timed_out = fns.measurements("slow")[-1]
    assert timed_out.timed_out and timed_out.deadline - timed_out.started == pytest.approx(1.0)
    assert 0 <= timed_out.ended - timed_out.deadline < 0.1
    after = payload(fns.invoke("slow", {}))
    assert after["pid"] != first["pid"] and after["calls"] == 1  # the runtime was restarted
    assert after["tmp"] == first["tmp"] and after["kept"] == "some-content"
    # The timed-out call's REPORT: its Duration the timeout exactly, then `Status: timeout`; the
    # re-init ("suppressed init") counts in the next call and shows no Init Duration.
    reports = [line for line in fns.logs("slow") if line.startswith("REPORT")]
    assert "\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\t" in reports[1]
    assert reports[1].endswith("\tStatus: timeout") and "Init Duration" not in reports[2]
    assert any(line.endswith("Task timed out after 1.00 seconds") for line in fns.logs("slow"))
    metrics = fns.metrics("slow")
    assert (metrics["ColdStarts"], metrics["Reinits"]) == (1, 1)


def test_init_once_per_environment_and_cold_warm_counts(fns: Any, tmp_path: Path) -> None:
    directory, module = code(tmp_path, STATE)
    fns.create("f", handler=f"{module}.handler", code=directory)
    answers = [payload(fns.invoke("f", {})) for _ in range(3)]
    assert [a["calls"] for a in answers] == [1, 2, 3] and {a["inits"] for a in answers} == {1}
    assert len({a["pid"] for a in answers}) == 1
    # Two calls at once: one environment is busy, so a second is started (its own init).
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def call() -> None:
        barrier.wait()
        results.append(payload(fns.invoke("f", {"sleep": 0.5})))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r["pid"] for r in results}) == 2
    metrics = fns.metrics("f")
    assert (metrics["Invocations"], metrics["ColdStarts"], metrics["ConcurrentExecutions"]) == (5, 2, 2)
    assert metrics["InitDuration"]["max"] > 0
    cold = [line for line in fns.logs("f") if line.startswith("REPORT")][0]
    assert "\tInit Duration: " in cold


def test_environment_variables_and_tmp_are_isolated(fns: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("ASL_TEST_LEAK", "the test process's")
    directory, module = code(tmp_path, STATE)
    fns.create("a", handler=f"{module}.handler", code=directory, environment={"FOO": "a"})
    fns.create("b", handler=f"{module}.handler", code=directory, environment={"FOO": "b"}, memory=256)
    a = payload(fns.invoke("a", {"write": "from a"}))
    b = payload(fns.invoke("b", {}))
    assert (a["foo"], b["foo"]) == ("a", "b")
    assert a["leak"] is None and b["leak"] is None  # Lambda's environment, not the test's
    assert (a["name"], b["name"], a["execution_env"]) == ("a", "b", "AWS_Lambda_python3.12")
    assert (a["memory"], b["memory"]) == ("128", "256")
    assert a["tmp"] != b["tmp"] and b["kept"] is None
    assert payload(fns.invoke("a", {}))["kept"] == "from a"  # kept across calls of one environment


def test_ephemeral_storage_bounds_each_file(fns: Any, tmp_path: Path) -> None:
    directory, module = code(tmp_path, """
        import os

        def handler(event, context):
            with open(os.path.join(os.environ["TMPDIR"], "big"), "wb") as f:
                f.seek(event["mb"] * 1024 * 1024)
                f.write(b"x")  # sparse: no real disk used
            return "written"
    """)
    fns.create("f", handler=f"{module}.handler", code=directory)
    assert payload(fns.invoke("f", {"mb": 100})) == "written"
    answer = fns.invoke("f", {"mb": 600})
    assert answer["FunctionError"] == "Unhandled"
    assert payload(answer)["errorType"] == "OSError" and "File too large" in payload(answer)["errorMessage"]


def test_memory_setting_limits_the_process(fns: Any, tmp_path: Path) -> None:
    directory, module = code(tmp_path, """
        def handler(event, context):
            block = bytearray(event["mb"] * 1024 * 1024)
            return len(block)
    """)
    fns.create("f", handler=f"{module}.handler", code=directory, memory=128)
    assert payload(fns.invoke("f", {"mb": 20})) == 20 * 1024 * 1024
    answer = fns.invoke("f", {"mb": 400})
    error = payload(answer)
    assert answer["FunctionError"] == "Unhandled" and list(error) == ["errorType", "errorMessage"]
    assert error["errorType"] == "Runtime.OutOfMemory"
    assert error["errorMessage"].endswith(" Error: Runtime exited with error: signal: killed")
    reports = [line for line in fns.logs("f") if line.startswith("REPORT")]
    assert "\tMax Memory Used: " in reports[0]
    assert reports[1].endswith("\tStatus: error\tError Type: Runtime.OutOfMemory")
    assert payload(fns.invoke("f", {"mb": 1})) == 1024 * 1024  # a new runtime answers again


# --- the runtime client's own error payloads, in both modes (FACTS §2c) ----------------------------

MODES = [pytest.param(True, id="isolated"), pytest.param(False, id="in-process")]


def invoke_source(tmp_path: Path, isolated: bool, source: str, function: str = "handler",
                  event: Any = None) -> tuple[dict[str, Any], Any]:
    directory, module = code(tmp_path, source)
    with asl.Functions(isolated=isolated) as service:
        service.create("f", handler=f"{module}.{function}", code=directory)
        answer = service.invoke("f", event or {})
    return answer, payload(answer), module


@pytest.mark.parametrize("isolated", MODES)
def test_exception_at_import_is_an_init_error(tmp_path: Path, isolated: bool) -> None:
    answer, error, module = invoke_source(tmp_path, isolated, 'raise Exception("Runtime startup fails")\n')
    assert answer["FunctionError"] == "Unhandled"
    assert (error["errorMessage"], error["errorType"], error["requestId"]) == ("Runtime startup fails", "Exception", "")
    assert error["stackTrace"][-1].endswith(f'{module}.py", line 1, in <module>\n    raise Exception("Runtime startup fails")\n')


@pytest.mark.parametrize("isolated", MODES)
def test_init_error_is_reported_before_start(tmp_path: Path, isolated: bool) -> None:
    directory, module = code(tmp_path, 'raise Exception("Runtime startup fails")\n')
    with asl.Functions(isolated=isolated) as service:
        service.create("f", handler=f"{module}.handler", code=directory)
        service.invoke("f", {})
        lines = service.logs("f")
    init_report = next(i for i, line in enumerate(lines) if line.startswith("INIT_REPORT"))
    start = next(i for i, line in enumerate(lines) if line.startswith("START"))
    assert init_report < start
    assert lines[init_report].startswith("INIT_REPORT Init Duration: ")
    assert lines[init_report].endswith(" ms\tPhase: init\tStatus: error\tError Type: Exception")


@pytest.mark.parametrize("isolated", MODES)
def test_missing_handler_and_missing_module(tmp_path: Path, isolated: bool) -> None:
    _, error, module = invoke_source(tmp_path, isolated, "x = 1\n", function="missing")
    assert error == {"errorMessage": f"Handler 'missing' missing on module '{module}'",
                     "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}
    directory = tmp_path / "empty"
    directory.mkdir()
    with asl.Functions(isolated=isolated) as service:
        service.create("f", handler="nowhere_module_x.handler", code=directory)
        error = payload(service.invoke("f", {}))
    assert error == {"errorMessage": "Unable to import module 'nowhere_module_x': No module named 'nowhere_module_x'",
                     "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}


@pytest.mark.parametrize("isolated", MODES)
def test_unserialisable_result_is_a_marshal_error(tmp_path: Path, isolated: bool) -> None:
    answer, error, _ = invoke_source(tmp_path, isolated, """
        import datetime

        def handler(event, context):
            return datetime.datetime(2024, 1, 1)
    """)
    assert error["errorType"] == "Runtime.MarshalError" and error["stackTrace"] == []
    assert error["errorMessage"] == "Unable to marshal response: Object of type datetime is not JSON serializable"
    assert error["requestId"] != ""


@pytest.mark.parametrize("isolated", MODES)
@pytest.mark.parametrize(("code_", "reason"), [
    (0, "Runtime exited without providing a reason"),
    (3, "Runtime exited with error: exit status 3"),
])
def test_sys_exit_is_a_runtime_exit_error(tmp_path: Path, isolated: bool, code_: int, reason: str) -> None:
    _, error, _ = invoke_source(tmp_path, isolated, f"""
        import sys

        def handler(event, context):
            sys.exit({code_})
    """)
    assert list(error) == ["errorType", "errorMessage"]
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].startswith("RequestId: ") and error["errorMessage"].endswith(f" Error: {reason}")


@pytest.mark.parametrize("isolated", MODES)
def test_handler_exception_payload(tmp_path: Path, isolated: bool) -> None:
    _, error, module = invoke_source(tmp_path, isolated, """
        def handler(event, context):
            raise Exception("Handler fails")
    """)
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (error["errorMessage"], error["errorType"]) == ("Handler fails", "Exception")
    assert error["stackTrace"] == [
        f'  File "{tmp_path / module / (module + ".py")}", line 3, in handler\n    raise Exception("Handler fails")\n']


def test_isolated_needs_a_handler_text(tmp_path: Path) -> None:
    with asl.Functions() as service, pytest.raises(TypeError, match="module.function"):
        service.create("f", handler=lambda e, c: None, isolated=True)
    assert "PATH" in os.environ  # the service never changed the test process's environment


def test_reserved_concurrency_throttles_isolated_environments(tmp_path: Path) -> None:
    """Four items at once against reserved concurrency 2: two processes run them, two calls are
    throttled (Lambda.TooManyRequestsException under Step Functions)."""
    flag = tmp_path / "release"
    directory, module = code(tmp_path, f"""
        import os, time

        def handler(event, context):
            while not os.path.exists({str(flag)!r}):
                time.sleep(0.01)
            return os.getpid()
    """)
    with asl.Functions(isolated=True) as service:
        service.create("f", handler=f"{module}.handler", code=directory, reserved_concurrency=2, timeout=30)

        def release() -> None:
            for _ in range(2000):
                if service.metrics("f")["Throttles"] >= 2:
                    break
                threading.Event().wait(0.01)
            flag.write_text("go")

        threading.Thread(target=release, daemon=True).start()
        machine = asl.load({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemsPath": "$.items", "End": True,
            "ItemProcessor": {"StartAt": "Call", "States": {"Call": {
                "Type": "Task", "Resource": f"{ACCOUNT_ARN}:f", "End": True,
                "Catch": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "Next": "Throttled"}]},
                "Throttled": {"Type": "Pass", "Result": "throttled", "End": True}}}}}})
        execution = machine.run({"items": [1, 2, 3, 4]}, functions=service)
        assert execution.status == "SUCCEEDED", execution.cause
        pids = [item for item in execution.output if item != "throttled"]
        assert len(pids) == 2 and len(set(pids)) == 2 and execution.output.count("throttled") == 2
        assert service.metrics("f")["ColdStarts"] == 2


def test_init_that_never_finishes_is_timed_out(tmp_path: Path, monkeypatch: Any) -> None:
    """Lambda bounds the Init phase (10 s, then the function's timeout): an import that hangs
    ends with Lambda's timeout payload instead of blocking the caller."""
    from asl._lambda import environments

    monkeypatch.setattr(environments, "INIT_LIMIT", 0.0)
    directory, module = code(tmp_path, "import time\ntime.sleep(60)\n\ndef handler(event, context):\n    return 1\n")
    with asl.Functions(isolated=True) as service:
        service.create("f", handler=f"{module}.handler", code=directory, timeout=1)
        answer = service.invoke("f", {})
        measured = service.measurements("f")[-1]
    assert answer["FunctionError"] == "Unhandled" and payload(answer)["errorType"] == "Sandbox.Timedout"
    assert measured.timed_out
