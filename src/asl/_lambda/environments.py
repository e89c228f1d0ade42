"""Execution environments: where one function version's invocations run, one at a time each.

`InProcess` calls a Python callable (or `module.function` imported once) on the caller's thread.
`Isolated` is a process running AWS's own Python runtime interface client (`awslambdaric`,
the bootstrap of AWS's Python base images) against a Runtime API served here on 127.0.0.1: module
initialisation once per process, its own environment variables and temporary directory, memory
and file-size limits, and a timeout that ends the process (Lambda's `Sandbox.Timedout`).

Both answer `invoke(request) -> Outcome` with the payload bytes the runtime posted, so the
service above them treats the two modes alike.
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import weakref
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs

from asl._integrations import lambda_ as _shapes
from asl._lambda.config import Configuration

#: Lambda's limit on the Init phase of an on-demand environment (FACTS §5).
INIT_LIMIT = 10.0
_API = "/2018-06-01/runtime"


@attrs.define
class Request:
    """One invocation handed to an environment."""

    request_id: str
    body: bytes
    invoked_arn: str
    version: str
    client_context: str | None = None
    #: A callback task's token and heartbeat (in-process handlers' context answers with them).
    task_token: str | None = None
    heartbeat: Any = None
    # Filled as it runs (time.monotonic() seconds):
    handed: float | None = None  # when the runtime received it (the timeout counts from here)
    deadline: float | None = None
    finished: bool = False
    payload: bytes = b""
    error: bool = False
    cond: threading.Condition = attrs.field(factory=threading.Condition)

    def finish(self, payload: bytes, error: bool) -> None:
        with self.cond:
            if not self.finished:
                self.payload, self.error, self.finished = payload, error, True
                self.cond.notify_all()


@attrs.define
class Outcome:
    """What an invocation came to, with the service's own measurements."""

    payload: bytes
    error: bool  # FunctionError: Unhandled
    duration_ms: float
    init_ms: float | None  # set on a cold start (the environment initialised for this call)
    max_memory_mb: int
    lines: list[str]  # the function's own log lines during the call (init's first if cold)
    started: float  # monotonic: handed to the runtime
    deadline: float
    ended: float  # monotonic: the answer (or the timeout's end of the process)
    timed_out: bool = False
    init_lines: int = 0  # how many of `lines` the initialisation printed (before START)
    #: A re-initialisation after a timeout or crash ("suppressed init"): it counted against
    #: this call's timeout, and the REPORT line shows no Init Duration.
    suppressed: bool = False
    init_error: str | None = None  # the init failed: its errorType (INIT_REPORT's Error Type)
    #: The sandbox's own failure (REPORT's `Status: error` / `Error Type`): Runtime.ExitError
    #: or Runtime.OutOfMemory.
    error_type: str | None = None


def sandbox_error(payload: bytes) -> str | None:
    """The errorType of a payload the sandbox (not the handler) made, else None."""
    if not payload.startswith(b'{"errorType": "Runtime.'):
        return None
    error_type = json.loads(payload)["errorType"]
    return error_type if error_type in ("Runtime.ExitError", "Runtime.OutOfMemory") else None


def error_type_of(payload: bytes) -> str | None:
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    found = value.get("errorType") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None


def timeout_payload(request_id: str, timeout: int) -> bytes:
    """Lambda's current timeout payload (FACTS §2c: only these two keys, two decimals)."""
    return json.dumps({"errorType": "Sandbox.Timedout",
                       "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                                       f"{timeout:.2f} seconds"}).encode()


def exit_payload(request_id: str, returncode: int | None) -> bytes:
    if returncode == 0:
        reason = "Runtime exited without providing a reason"
    elif returncode is not None and returncode < 0:
        name = {signal.SIGKILL: "killed", signal.SIGSEGV: "segmentation fault"}.get(
            signal.Signals(-returncode), signal.Signals(-returncode).name.lower())
        reason = f"Runtime exited with error: signal: {name}"
    else:
        reason = f"Runtime exited with error: exit status {returncode}"
    return json.dumps({"errorType": "Runtime.ExitError",
                       "errorMessage": f"RequestId: {request_id} Error: {reason}"}).encode()


def out_of_memory_payload(request_id: str) -> bytes:
    """Lambda's answer when a function passes its memory (the current shape, quoted from AWS in
    public reports: Runtime.OutOfMemory, the process killed)."""
    return json.dumps({"errorType": "Runtime.OutOfMemory",
                       "errorMessage": f"RequestId: {request_id} Error: Runtime exited with "
                                       "error: signal: killed"}).encode()


def error_body(message: str, error_type: str, request_id: str, stack: list[str]) -> bytes:
    """The runtime client's `make_error` payload, as its `to_json` writes it."""
    return json.dumps({"errorMessage": message, "errorType": error_type,
                       "requestId": request_id, "stackTrace": stack}).encode()


class Environment:
    """The interface both kinds share."""

    config: Configuration
    initialised: bool = False

    def invoke(self, request: Request) -> Outcome:
        raise NotImplementedError

    def close(self) -> None:
        """Ends the environment (its process, its directory)."""


# --- in-process -----------------------------------------------------------------------------


_import_lock = threading.Lock()


def _import_handler(handler: str, code: Path | None) -> Any:
    """The runtime client's `_get_handler`, in this process: FaultException's types and texts.

    A module of a code folder is imported from its file under a name of its own, so two
    functions that both keep their handler in `app.py` (as `sam init` lays them out) get their
    own modules; the folder stays on `sys.path` for the module's sibling imports."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise _Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {exc}") from None
    modname = modname.replace("/", ".")
    with _import_lock:
        if code is not None and str(code) not in sys.path:
            sys.path.insert(0, str(code))
        try:
            if modname.split(".")[0] in sys.builtin_module_names:
                raise _Fault("Runtime.BuiltInModuleConflict",
                             f"Cannot use built-in module {modname} as a handler module")
            file = _module_file(code, modname) if code is not None else None
            if code is not None and file is not None:
                module = _import_file(file, code, modname)
            else:
                module = importlib.import_module(modname)
        except ImportError as exc:
            raise _Fault("Runtime.ImportModuleError",
                         f"Unable to import module '{modname}': {exc}") from None
        except SyntaxError as exc:
            raise _Fault("Runtime.UserCodeSyntaxError",
                         f"Syntax error in module '{modname}': {exc}",
                         [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise _Fault("Runtime.HandlerNotFound",
                     f"Handler '{fname}' missing on module '{modname}'") from None


def _module_file(code: Path, modname: str) -> Path | None:
    path = code.joinpath(*modname.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _import_file(file: Path, code: Path, modname: str) -> Any:
    """`modname` of `code`, loaded once per process (Python's module cache, as before) under
    a name unique to its folder."""
    import hashlib
    import importlib.util

    digest = hashlib.sha1(str(code).encode(), usedforsecurity=False).hexdigest()[:12]
    unique = f"asl_function_{digest}_{modname.replace('.', '_')}"
    cached = sys.modules.get(unique)
    if cached is not None:
        return cached
    spec = importlib.util.spec_from_file_location(unique, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"No module named '{modname}'")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[unique]  # a failed init is retried on the next call, as Lambda does
        raise
    return module


class _Variables:
    """The function's environment variables in `os.environ` while its init or a call runs,
    then the process's own again. One process has one environment: calls of functions whose
    variables differ, running at the same time on different threads, see whichever was set
    last (isolated mode gives each environment its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._saved: dict[str, str | None] = {}  # the process's value before the first overlay
        self._users: dict[str, int] = {}

    def enter(self, variables: dict[str, str]) -> None:
        with self._lock:
            for key, value in variables.items():
                if self._users.get(key, 0) == 0:
                    self._saved[key] = os.environ.get(key)
                self._users[key] = self._users.get(key, 0) + 1
                os.environ[key] = value

    def leave(self, variables: dict[str, str]) -> None:
        with self._lock:
            for key in variables:
                self._users[key] -= 1
                if self._users[key] == 0:
                    del self._users[key]
                    saved = self._saved.pop(key)
                    if saved is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = saved


_VARIABLES = _Variables()


class _Fault(Exception):
    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


_HERE = os.path.abspath(__file__)


def _stack(exc: BaseException) -> list[str]:
    # As the runtime client reports it: traceback.format_list of the frames after its own.
    frames = traceback.extract_tb(exc.__traceback__)
    while frames and os.path.abspath(frames[0].filename) == _HERE:
        frames = traceback.StackSummary.from_list(frames[1:])
    return traceback.format_list(frames)


class InProcess(Environment):
    """An environment in this process: the handler runs on the caller's thread, with the
    function's environment variables in `os.environ` while it runs. Its timeout is applied when
    it returns (a thread cannot be stopped): a call that ran past it answers Lambda's timeout
    payload, its result discarded."""

    def __init__(self, config: Configuration, function_name: str, version: str) -> None:
        self.config = config
        self.function = function_name
        self.version = version
        self.handler: Any = None
        self.initialised = False
        self.ever_initialised = False

    def _init(self) -> bytes | None:
        handler = self.config.handler
        try:
            self.handler = (_import_handler(handler, self.config.code)
                            if isinstance(handler, str) else handler)
        except _Fault as fault:
            return error_body(fault.message, fault.error_type, "", fault.trace)
        except Exception as exc:  # noqa: BLE001 - the module's own init failure, as Lambda reports it
            return error_body(str(exc), type(exc).__name__, "", _stack(exc))
        except SystemExit as exc:
            return exit_payload("", exc.code if isinstance(exc.code, int) else 1)
        self.initialised = True
        return None

    def invoke(self, request: Request) -> Outcome:
        variables = dict(self.config.environment)
        if not variables:
            return self._invoke(request)
        _VARIABLES.enter(variables)  # module-level code reads them at init, as in Lambda
        try:
            return self._invoke(request)
        finally:
            _VARIABLES.leave(variables)

    def _invoke(self, request: Request) -> Outcome:
        config = self.config
        init_ms = None
        suppressed = False
        started = time.monotonic()
        deadline = started + config.timeout
        if not self.initialised:
            suppressed = self.ever_initialised
            failure = self._init()
            init_ms = (time.monotonic() - started) * 1000
            if failure is not None:
                now = time.monotonic()
                return Outcome(failure, True, 0.0, init_ms, _rss_mb(), [], now, deadline, now,
                               suppressed=suppressed, init_error=error_type_of(failure),
                               error_type=sandbox_error(failure))
            self.ever_initialised = True
            if not suppressed:  # a first init has its own limit; a re-init counts in the call
                started = time.monotonic()
                deadline = started + config.timeout
        context = _shapes.make_context(
            _shapes.Function(self.function, self.version, request.invoked_arn, request.invoked_arn,
                             str(config.memory), config.timeout),
            request.request_id,
            request.heartbeat if request.heartbeat is not None else _shapes.Heartbeat(),
            request.task_token)
        payload, error = self._call(request, context)
        ended = time.monotonic()
        timed_out = ended > deadline
        if timed_out:
            payload, error = timeout_payload(request.request_id, config.timeout), True
        return Outcome(payload, error, (ended - started) * 1000, init_ms, _rss_mb(), [], started,
                       deadline, ended, timed_out, suppressed=suppressed,
                       error_type=sandbox_error(payload) if error else None)

    def _call(self, request: Request, context: Any) -> tuple[bytes, bool]:
        request_id = request.request_id
        try:
            event = json.loads(request.body) if request.body else {}
        except ValueError as exc:
            return error_body(f"Unable to unmarshal input: {exc}", "Runtime.UnmarshalError",
                              request_id, []), True
        try:
            result = self.handler(event, context)
            if inspect.isawaitable(result):
                import asyncio

                async def wait() -> Any:
                    return await result

                result = asyncio.run(wait())
        except SystemExit as exc:
            # The runtime process would end: Lambda answers Runtime.ExitError and re-inits.
            self.initialised = False
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            return exit_payload(request_id, code), True
        except Exception as exc:  # noqa: BLE001 - the handler boundary, as the runtime client's
            return error_body(str(exc), type(exc).__name__, request_id, _stack(exc)), True
        if isinstance(result, bytes):
            return result, False
        try:
            ascii_only = self.config.runtime not in ("python3.12", "python3.13", "python3.14")
            return json.dumps(result, ensure_ascii=ascii_only).encode(), False
        except (TypeError, ValueError) as exc:
            return error_body(f"Unable to marshal response: {exc}", "Runtime.MarshalError",
                              request_id, []), True


def _rss_mb() -> int:
    import resource

    return max(1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


# --- isolated -------------------------------------------------------------------------------


class _Api(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, env: Isolated) -> None:
        self.env = env
        super().__init__(("127.0.0.1", 0), _ApiHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a runtime ended mid-call (a timeout, a crash): its connection just goes


class _ApiHandler(BaseHTTPRequestHandler):
    """The Runtime API (next, response, error, init/error) for one environment."""

    server: _Api
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Header and body go out as written: without this, Nagle's algorithm and delayed
        # acknowledgements hold every answer back by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # the runtime's HTTP calls are not the function's log

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path != f"{_API}/invocation/next":
            self._answer(404, b'{"errorType":"NotFound"}')
            return
        request = self.server.env.next_request()
        if request is None:  # the environment is closing
            self._answer(500, b'{"errorType":"Shutdown"}')
            return
        assert request.deadline is not None
        self._answer(200, request.body, {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": request.request_id,
            "Lambda-Runtime-Deadline-Ms": str(int((time.time() + request.deadline
                                                   - time.monotonic()) * 1000)),
            "Lambda-Runtime-Invoked-Function-Arn": request.invoked_arn,
            "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-"
                                       f"{request.request_id.replace('-', '')[:24]};Sampled=0",
            **({"Lambda-Runtime-Client-Context": request.client_context}
               if request.client_context else {}),
        })

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self._body()
        env = self.server.env
        parts = self.path[len(_API):].strip("/").split("/")
        if parts == ["init", "error"]:
            env.init_failed(body)
            self._answer(202, b'{"status":"OK"}')
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            env.answered(parts[1], body, parts[2] == "error")
            self._answer(202, b'{"status":"OK"}')
        else:
            self._answer(404, b'{"errorType":"NotFound"}')


def runtime_client_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("awslambdaric") is not None


class Isolated(Environment):
    """An environment as a process under awslambdaric. The process is started on the first
    invocation (cold start) and kept (warm); a timeout or a crash ends it, and the next
    invocation starts a new process in the same environment (its /tmp kept, globals reset, as
    Lambda restarts the runtime in the same sandbox)."""

    def __init__(self, config: Configuration, function_name: str, version: str, region: str,
                 account: str, root: Path) -> None:
        self.config = config
        self.function = function_name
        self.version = version
        self.region, self.account = region, account
        self.directory = Path(tempfile.mkdtemp(prefix="env-", dir=root))
        self.tmp = self.directory / "tmp"
        self.tmp.mkdir()
        self.log_path = self.directory / "log"
        self.log_path.touch()
        self.log_offset = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.initialised = False
        self.last_memory = 0
        self.ever_started = False
        self.init_lines: list[str] = []
        self.spawned = 0.0
        self.init_ms: float | None = None
        self.current: Request | None = None
        self.waiting: Request | None = None  # handed out on the runtime's next call
        self.cond = threading.Condition()
        self.closed = False
        self.killing = False
        self.api = _Api(self)
        self.api_thread = threading.Thread(target=self.api.serve_forever, name="asl-runtime-api",
                                           daemon=True)
        self.api_thread.start()
        _LIVE.add(self)
        self.stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{version}]{os.urandom(16).hex()}"

    # -- the Runtime API's side --

    def next_request(self) -> Request | None:
        with self.cond:
            if not self.initialised:
                self.initialised = True
                self.init_ms = (time.monotonic() - self.spawned) * 1000
                self.init_lines = self._read_log()  # what the module printed as it loaded
            while self.waiting is None and not self.closed:
                self.cond.wait(0.5)
            request, self.waiting = self.waiting, None
            if request is None:
                return None
            now = time.monotonic()
            with request.cond:
                request.handed = now
                if request.deadline is None:  # set already when a re-init counts in the call
                    request.deadline = now + self.config.timeout
                request.cond.notify_all()
            self.current = request
            return request

    def answered(self, request_id: str, body: bytes, error: bool) -> None:
        request = self.current
        if request is not None and request.request_id == request_id:
            request.finish(body, error)

    def init_failed(self, body: bytes) -> None:
        with self.cond:
            request = self.waiting or self.current
        if request is not None:
            request.finish(body, True)

    # -- the service's side --

    def _environment(self) -> dict[str, str]:
        config = self.config
        code = str(config.code) if config.code is not None else os.getcwd()
        assert isinstance(config.handler, str)
        host, port = str(self.api.server_address[0]), int(self.api.server_address[1])
        variables = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONPATH": code,
            "LAMBDA_TASK_ROOT": code,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(os.path.dirname(shutil.which("python3") or
                                                                  sys.executable)),
            "TMPDIR": str(self.tmp),
            "HOME": str(self.tmp),
            "_HANDLER": config.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": self.function,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": self.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function}",
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream,
            "AWS_LAMBDA_RUNTIME_API": f"{host}:{port}",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        variables.update(config.environment)
        return variables

    def _spawn(self) -> None:
        config = self.config
        memory = config.memory * 1024 * 1024
        file_size = config.ephemeral_storage * 1024 * 1024

        def limits() -> None:  # in the child, before exec
            import resource

            # The heap (and every private writable mapping) is bounded by the memory setting,
            # plus the interpreter's own start-up share; each file by the ephemeral storage.
            resource.setrlimit(resource.RLIMIT_DATA, (memory + _BASELINE, memory + _BASELINE))
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it raises EFBIG
            os.setsid()

        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        self.initialised = False
        self.spawned = time.monotonic()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "awslambdaric", str(config.handler)],
                cwd=str(config.code) if config.code is not None else None,
                env=self._environment(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, preexec_fn=limits,  # noqa: PLW1509 - no threads in the child before exec
            )
        finally:
            log.close()
        threading.Thread(target=self._watch, args=(self.process,), name="asl-env-watch",
                         daemon=True).start()

    def _watch(self, process: subprocess.Popen[bytes]) -> None:
        code = process.wait()
        with self.cond:
            if self.process is process:
                self.process = None
                self.initialised = False
            request = self.waiting or self.current
        if request is not None and not request.finished and not self.killing:
            request.finish(exit_payload(request.request_id, code), True)

    def _kill(self) -> None:
        process = self.process
        if process is None:
            return
        self.killing = True
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()
        process.wait()
        with self.cond:
            self.process = None
            self.initialised = False
        self.killing = False

    def invoke(self, request: Request) -> Outcome:
        with self.cond:
            cold = self.process is None
            suppressed = cold and self.ever_started
            if cold:
                self._spawn()
                self.ever_started = True
            if suppressed:
                # The runtime restarting after a timeout or crash (AWS's "suppressed init"):
                # its init counts against this call's timeout.
                request.deadline = self.spawned + self.config.timeout
            self.waiting = request
            self.cond.notify_all()
        spawned = self.spawned
        timed_out = False
        with request.cond:
            while not request.finished:
                limit = (request.deadline if request.deadline is not None
                         else spawned + INIT_LIMIT + self.config.timeout)
                remaining = limit - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                request.cond.wait(remaining)
        if timed_out:
            # Answered before the process ends, so its watcher cannot answer first (exit error);
            # an answer that came in meanwhile wins, and then the runtime is left alone.
            answer = timeout_payload(request.request_id, self.config.timeout)
            request.finish(answer, True)
            timed_out = request.payload is answer
            if timed_out:
                self._kill()
        ended = time.monotonic()
        with self.cond:
            if self.waiting is request:
                self.waiting = None
            self.current = None
        started = spawned if suppressed else request.handed if request.handed is not None else ended
        deadline = request.deadline if request.deadline is not None else ended
        init_ms = self.init_ms if cold else None
        init_error = None
        if cold and request.handed is None:  # the init itself failed or ran out of time
            init_ms = (ended - spawned) * 1000
            init_error = "Runtime.Unknown" if timed_out else error_type_of(request.payload)
        memory = self._max_memory()
        if not timed_out and (memory > self.config.memory or (
                request.error and error_type_of(request.payload) == "MemoryError")):
            # Past its memory setting (RLIMIT_DATA makes a big allocation raise MemoryError
            # first): Lambda kills the runtime and answers Runtime.OutOfMemory.
            self._kill()
            request.payload, request.error = out_of_memory_payload(request.request_id), True
        lines = self._read_log()
        printed = 0
        if cold:
            printed = len(self.init_lines)
            lines, self.init_lines = self.init_lines + lines, []
        return Outcome(request.payload, request.error, (ended - started) * 1000, init_ms,
                       memory, lines, started, deadline, ended, timed_out, printed,
                       suppressed=suppressed, init_error=init_error,
                       error_type=sandbox_error(request.payload) if request.error else None)

    def _max_memory(self) -> int:
        process = self.process
        if process is None:
            return self.last_memory
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                self.last_memory = max(1, int(line.split()[1]) // 1024)
                return self.last_memory
        return 0

    def _read_log(self) -> list[str]:
        with open(self.log_path, "rb") as log:
            log.seek(self.log_offset)
            data = log.read()
        self.log_offset += len(data)
        return [line for line in data.decode("utf-8", "replace").split("\n") if line]

    def close(self) -> None:
        _LIVE.discard(self)
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        self._kill()
        shutil.rmtree(self.directory, ignore_errors=True)

        def stop() -> None:  # the server's loop notices within its poll interval (0.5 s)
            self.api.shutdown()
            self.api.server_close()

        threading.Thread(target=stop, name="asl-runtime-api-stop", daemon=True).start()


#: Every isolated environment not yet closed: ended when this process exits, so an unclosed
#: `Functions` leaves no runtime process or directory behind.
_LIVE: weakref.WeakSet[Isolated] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for env in list(_LIVE):
        env.close()


#: What the interpreter and the runtime client take before the handler's module is imported
#: (heap and thread stacks), added to RLIMIT_DATA so that the memory setting is the function's.
_BASELINE = 96 * 1024 * 1024
