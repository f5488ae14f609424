"""The python3.x runtime: warm workers, the context object, logs, errors, timeouts, crashes."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import orjson
import pytest

from statewise.functions.errors import TooManyRequestsException
from statewise.functions.service import FunctionService

from .conftest import settings, zipped

APP = """
import json, logging, os, sys, time

logger = logging.getLogger()
INIT_PID = os.getpid()


def handler(event, context):
    action = event.get("action")
    if action == "print":
        print("printed", event.get("n"))
        sys.stderr.write("to stderr\\n")
        logger.warning("logged")
        os.system("echo from a subprocess")
    if action == "raise":
        raise KeyError("missing")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "exit":
        os._exit(7)
    if action == "set":
        return {1, 2}
    return {
        "event": event,
        "pid": os.getpid(),
        "init_pid": INIT_PID,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "client_context": getattr(context.client_context, "custom", None),
        "cwd": os.getcwd(),
        "env": dict(os.environ),
    }
"""


async def _deploy(service: FunctionService, name: str = "f", **extra: object) -> None:
    await service.create(name, zipped({"app.py": APP}), settings(**extra))


async def _call(service: FunctionService, event: object, **options: object) -> dict[str, object]:
    result = await service.invoke("f", orjson.dumps(event), **options)  # type: ignore[arg-type]
    body: dict[str, object] = orjson.loads(result.payload)
    return body


async def test_context_object_and_environment(
    service: FunctionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python handler context: aws_request_id, function_name, ... ; configuration-envvars."""
    monkeypatch.setenv("STATEWISE_SERVER_SECRET", "not for functions")
    await _deploy(service, timeout=7, memory_size=256, environment={"GREETING": "hi"})
    custom = base64.b64encode(orjson.dumps({"custom": {"k": "v"}})).decode()
    result = await service.invoke("f", b'{"x": 1}', client_context=custom)
    assert result.status_code == 200 and result.function_error is None
    assert result.executed_version == "$LATEST"
    body = orjson.loads(result.payload)
    assert body["event"] == {"x": 1}
    assert body["request_id"] == result.request_id
    assert body["function_name"] == "f" and body["function_version"] == "$LATEST"
    assert body["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:f"
    # Lambda's runtime passes the memory size through as the text of the variable.
    assert body["memory_limit_in_mb"] == "256"
    assert 6000 < body["remaining"] <= 7000
    assert body["log_group_name"] == "/aws/lambda/f"
    assert "/[$LATEST]" in body["log_stream_name"]
    assert body["client_context"] == {"k": "v"}
    env = body["env"]
    assert env["GREETING"] == "hi"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "f"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["_HANDLER"] == "app.handler"
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"]
    assert env["TZ"] == ":UTC" and env["LANG"] == "en_US.UTF-8"
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    # Nothing of the server's own environment reaches the function.
    assert "STATEWISE_SERVER_SECRET" not in env
    assert env["PATH"] == "/usr/local/bin:/usr/bin/:/bin:/opt/bin"


async def test_workers_stay_warm(service: FunctionService) -> None:
    await _deploy(service)
    first = await _call(service, {})
    second = await _call(service, {})
    assert first["pid"] == second["pid"] == first["init_pid"]
    assert service.pool.idle("f") == 1


async def test_logs_and_tail(service: FunctionService, tmp_path: Path) -> None:
    """Invoke LogType=Tail: the last 4 KB of the invocation's log, base64-encoded."""
    await _deploy(service)
    result = await service.invoke("f", b'{"action": "print", "n": 5}', log_type="Tail")
    assert result.log_result is not None
    log = base64.b64decode(result.log_result).decode()
    lines = log.splitlines()
    assert lines[0] == f"START RequestId: {result.request_id} Version: $LATEST"
    assert "printed 5" in lines and "to stderr" in lines and "from a subprocess" in lines
    assert any(line.startswith("[WARNING]\t") and line.endswith("\tlogged") for line in lines)
    assert any(result.request_id in line and "logged" in line for line in lines)
    assert lines[-2] == f"END RequestId: {result.request_id}"
    assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}\tDuration: ")
    assert "Init Duration: " in lines[-1]
    later = await service.invoke("f", b'{"action": "print", "n": 6}', log_type="Tail")
    assert later.log_result is not None
    again = base64.b64decode(later.log_result).decode()
    assert "printed 6" in again and "printed 5" not in again and "Init Duration" not in again
    service.invoker.logs.flush()
    assert "printed 6" in service.invoker.logs.path("f").read_text()


async def test_tail_is_the_last_4_kb(service: FunctionService) -> None:
    code = "def handler(e, c):\n    print('x' * 10000)\n    return 1\n"
    await service.create("f", zipped({"app.py": code}), settings())
    result = await service.invoke("f", b"{}", log_type="Tail")
    assert result.log_result is not None
    log = base64.b64decode(result.log_result)
    assert len(log) == 4096 and log.rstrip().split(b"\n")[-1].startswith(b"REPORT")


async def test_unhandled_exception(service: FunctionService) -> None:
    """Python errors: errorMessage, errorType, requestId, stackTrace; FunctionError Unhandled."""
    await _deploy(service)
    result = await service.invoke("f", b'{"action": "raise"}')
    assert result.status_code == 200 and result.function_error == "Unhandled"
    error = orjson.loads(result.payload)
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert error["errorType"] == "KeyError" and error["errorMessage"] == "'missing'"
    assert error["requestId"] == result.request_id
    assert 'app.py", line' in error["stackTrace"][0] and "bootstrap" not in str(error)
    # The worker survives its function's exception.
    assert (await _call(service, {}))["event"] == {}


async def test_unserialisable_result(service: FunctionService) -> None:
    await _deploy(service)
    result = await service.invoke("f", b'{"action": "set"}')
    error = orjson.loads(result.payload)
    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"].startswith("Unable to marshal response:")


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        pytest.param(
            {"app.py": "x = 1\n"},
            "nomodule.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'nomodule': No module named 'nomodule'",
            id="import",
        ),
        pytest.param(
            {"app.py": "x = 1\n"},
            "app.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'app'",
            id="missing-handler",
        ),
        pytest.param(
            {"app.py": "def handler(:\n"},
            "app.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app'",
            id="syntax",
        ),
        pytest.param(
            {"app.py": "x = 1\n"},
            "nodot",
            "Runtime.MalformedHandlerName",
            "Bad handler 'nodot'",
            id="malformed",
        ),
        pytest.param(
            {"app.py": "raise RuntimeError('at import')\n"},
            "app.handler",
            "RuntimeError",
            "at import",
            id="init-exception",
        ),
    ],
)
async def test_init_errors(
    service: FunctionService, files: dict[str, str], handler: str, error_type: str, message: str
) -> None:
    """Init errors are the invocation's Unhandled error; the next invocation retries init."""
    await service.create("f", zipped(files), settings(handler=handler))
    for _ in range(2):
        result = await service.invoke("f", b"{}", log_type="Tail")
        assert result.function_error == "Unhandled"
        error = orjson.loads(result.payload)
        assert error["errorType"] == error_type
        assert message in error["errorMessage"]
        assert result.log_result and message in base64.b64decode(result.log_result).decode()
    assert service.pool.idle("f") == 0


async def test_timeout_kills_the_worker(service: FunctionService) -> None:
    """Timeout: Lambda stops the invocation and answers Sandbox.Timedout."""
    await _deploy(service, timeout=1)
    warm = await _call(service, {})
    result = await service.invoke("f", b'{"action": "sleep", "seconds": 30}', log_type="Tail")
    assert result.function_error == "Unhandled"
    error = orjson.loads(result.payload)
    assert error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert result.log_result
    assert "Task timed out after 1.00 seconds" in base64.b64decode(result.log_result).decode()
    with pytest.raises(ProcessLookupError):
        os.kill(int(warm["pid"]), 0)  # type: ignore[call-overload]
    assert (await _call(service, {}))["pid"] != warm["pid"]


async def test_crash_is_contained(service: FunctionService) -> None:
    await _deploy(service)
    result = await service.invoke("f", b'{"action": "exit"}')
    assert result.function_error == "Unhandled"
    assert orjson.loads(result.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": (
            f"RequestId: {result.request_id} Error: Runtime exited with error: exit status 7"
        ),
    }
    assert (await _call(service, {}))["event"] == {}


async def test_one_worker_per_concurrent_invocation(service: FunctionService) -> None:
    await _deploy(service)
    results = await asyncio.gather(
        *(_call(service, {"action": "sleep", "seconds": 0.3}) for _ in range(3))
    )
    assert len({r["pid"] for r in results}) == 3
    assert service.pool.idle("f") == 3 and service.pool.busy() == 0


async def test_reserved_concurrency_throttles(service: FunctionService) -> None:
    """Reserved concurrency: invocations past it get TooManyRequestsException."""
    await _deploy(service)
    service.registry.put_concurrency("f", 1)
    slow = asyncio.create_task(_call(service, {"action": "sleep", "seconds": 0.5}))
    await asyncio.sleep(0.2)
    with pytest.raises(TooManyRequestsException) as caught:
        await service.invoke("f", b"{}")
    assert caught.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert caught.value.message == "Rate Exceeded."
    await slow
    service.registry.put_concurrency("f", 0)
    with pytest.raises(TooManyRequestsException):
        await service.invoke("f", b"{}")


async def test_idle_workers_are_reaped(service: FunctionService) -> None:
    await _deploy(service)
    pid = int((await _call(service, {}))["pid"])  # type: ignore[call-overload]
    assert await service.pool.reap(now=10**9) == 1
    assert service.pool.idle() == 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_updates_retire_workers(service: FunctionService) -> None:
    await _deploy(service)
    before = await _call(service, {})
    await service.update_configuration("f", {"environment": {"NEW": "1"}})
    after = await _call(service, {})
    assert after["pid"] != before["pid"] and after["env"]["NEW"] == "1"  # type: ignore[index]
    code = "def handler(e, c):\n    return 'v2'\n"
    await service.update_code("f", zipped({"app.py": code}))
    assert (await service.invoke("f", b"{}")).payload == b'"v2"'


async def test_versions_and_aliases_run_their_own_code(service: FunctionService) -> None:
    await service.create("f", zipped({"app.py": "def handler(e, c):\n    return 1\n"}), settings())
    service.registry.publish("f")
    service.registry.create_alias("f", "live", function_version="1")
    await service.update_code("f", zipped({"app.py": "def handler(e, c):\n    return 2\n"}))
    assert (await service.invoke("f", b"{}")).payload == b"2"
    by_alias = await service.invoke("f:live", b"{}")
    assert by_alias.payload == b"1" and by_alias.executed_version == "1"
    by_version = await service.invoke("f", b"{}", qualifier="1")
    assert by_version.payload == b"1" and by_version.executed_version == "1"


async def test_event_and_dry_run(service: FunctionService, tmp_path: Path) -> None:
    """Invoke InvocationType: Event answers 202 at once, DryRun 204 without running."""
    marker = tmp_path / "ran"
    code = f"def handler(e, c):\n    open({str(marker)!r}, 'a').write('x')\n    return 1\n"
    await service.create("f", zipped({"app.py": code}), settings())
    dry = await service.invoke("f", b"{}", invocation_type="DryRun")
    assert dry.status_code == 204 and dry.payload == b""
    assert not marker.exists()
    event = await service.invoke("f", b"{}", invocation_type="Event")
    assert event.status_code == 202 and event.payload == b""
    for _ in range(100):
        if marker.exists():
            break
        await asyncio.sleep(0.05)
    assert marker.read_text() == "x"


async def test_failed_events_are_retried_twice(service: FunctionService, tmp_path: Path) -> None:
    """Asynchronous invocation: on a function error Lambda retries two more times."""
    marker = tmp_path / "attempts"
    code = (
        f"def handler(e, c):\n    open({str(marker)!r}, 'a').write('x')\n    raise ValueError()\n"
    )
    await service.create("f", zipped({"app.py": code}), settings())
    await service.invoke("f", b"{}", invocation_type="Event")
    for _ in range(100):
        if marker.exists() and len(marker.read_text()) == 3:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert marker.read_text() == "xxx"


async def test_response_size_limit(service: FunctionService) -> None:
    """Invoke quotas: a response over 6 MB is Function.ResponseSizeTooLarge."""
    code = "def handler(e, c):\n    return 'x' * 7_000_000\n"
    await service.create("f", zipped({"app.py": code}), settings())
    result = await service.invoke("f", b"{}")
    assert result.function_error == "Unhandled"
    assert orjson.loads(result.payload)["errorType"] == "Function.ResponseSizeTooLarge"


async def _gone(pid: int) -> None:
    """Wait up to 3 s for process ``pid`` to be gone (exited and reaped)."""
    for _ in range(60):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.05)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_the_reaper_runs_by_itself(tmp_path: Path) -> None:
    functions = FunctionService(tmp_path / "functions", idle_seconds=0.2)
    await functions.start()
    try:
        await _deploy(functions)
        pid = int((await _call(functions, {}))["pid"])  # type: ignore[call-overload]
        for _ in range(60):
            if functions.pool.idle() == 0:
                break
            await asyncio.sleep(0.05)
        assert functions.pool.idle() == 0
        # Out of the pool at once; the process itself exits (and is reaped) just after.
        await _gone(pid)
    finally:
        await functions.stop()


async def test_deleting_a_function_stops_its_workers(service: FunctionService) -> None:
    await _deploy(service)
    pid = int((await _call(service, {}))["pid"])  # type: ignore[call-overload]
    await service.delete("f")
    await _gone(pid)
