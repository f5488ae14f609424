"""The console's Functions JSON and pages over HTTP, and where their invocations come from."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from statewise.api.app import create_app
from statewise.config import Settings, parse_access_keys
from statewise.functions.recent import FAILED, SUCCEEDED, InvocationRecord, RecentInvocations
from statewise.services import Services
from tests.api.conftest import ROLE
from tests.api.lambda_helpers import PYTHON, create_python, lambda_client, zipped
from tests.ui.conftest import ConsoleServer

APP = """
import sys, time

def handler(event, context):
    print(event.get("say", "hello"))
    if event.get("fail"):
        raise ValueError("no <b>such</b> thing")
    if event.get("noise"):
        sys.stdout.write("x" * event["noise"] + "\\n")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"ok": True}
"""


def test_function_json_lists_and_details(console: ConsoleServer, name: str) -> None:
    client = lambda_client(console)  # type: ignore[arg-type]
    create_python(client, name, APP, MemorySize=256, Timeout=1, Description="<i>desc</i>")
    ok = client.invoke(FunctionName=name, Payload=json.dumps({"say": "<script>x</script>"}))
    assert "FunctionError" not in ok
    failed = client.invoke(FunctionName=name, Payload=json.dumps({"fail": True}), LogType="Tail")
    assert failed["FunctionError"] == "Unhandled"
    client.invoke(FunctionName=name, Payload=json.dumps({"sleep": 2}))
    client.publish_version(FunctionName=name)
    client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    client.invoke(FunctionName=name, Qualifier="live", Payload=b"{}")

    listed = httpx.get(console.url + "/console/api/functions").json()["functions"]
    row = next(f for f in listed if f["configuration"]["FunctionName"] == name)
    assert row["configuration"]["Runtime"] == PYTHON
    assert row["configuration"]["MemorySize"] == 256
    assert (row["invocations"], row["errors"]) == (4, 2)

    detail = httpx.get(f"{console.url}/console/api/functions/{name}").json()
    configuration = client.get_function_configuration(FunctionName=name)
    del configuration["ResponseMetadata"]
    assert detail["configuration"] == configuration
    assert detail["versions"] == ["1"]
    assert [a["Name"] for a in detail["aliases"]] == ["live"]
    newest, timed_out, error, first = detail["recent"]
    assert (newest["version"], newest["qualifier"], newest["status"]) == ("1", "live", SUCCEEDED)
    assert (timed_out["status"], timed_out["errorType"]) == ("TIMED_OUT", "Sandbox.Timedout")
    assert (error["status"], error["errorType"]) == (FAILED, "ValueError")
    assert error["errorMessage"] == "no <b>such</b> thing"
    # The log kept is the one LogType=Tail answered with.
    assert error["log"] == base64.b64decode(failed["LogResult"]).decode()
    assert error["requestId"] == failed["ResponseMetadata"]["RequestId"]
    assert (first["status"], first["invocationType"]) == (SUCCEEDED, "RequestResponse")
    assert "<script>x</script>\n" in first["log"] and first["log"].startswith("START RequestId")
    assert first["initDurationMs"] is not None and newest["durationMs"] >= 0
    assert first["start"] < error["start"] < timed_out["start"] < newest["start"]

    missing = httpx.get(console.url + "/console/api/functions/none-such")
    assert (missing.status_code, missing.json()["error"]) == (404, "ResourceNotFoundException")
    page = httpx.get(f"{console.url}/console/functions/{name}")
    assert page.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text and "<script>x" not in page.text
    assert "&lt;i&gt;desc&lt;/i&gt;" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert httpx.get(console.url + "/console/functions/none-such").status_code == 404

    client.delete_function(FunctionName=name)
    create_python(client, name, APP)
    fresh = httpx.get(f"{console.url}/console/api/functions/{name}").json()
    assert fresh["recent"] == [] and fresh["invocations"] == 0


def test_event_invocations_and_long_logs(console: ConsoleServer, name: str) -> None:
    client = lambda_client(console)  # type: ignore[arg-type]
    create_python(client, name, APP)
    client.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"noise": 9000}))
    url = f"{console.url}/console/api/functions/{name}"
    for _ in range(200):
        recent = httpx.get(url).json()["recent"]
        if recent:
            break
        time.sleep(0.05)
    (only,) = recent
    assert only["invocationType"] == "Event" and only["status"] == SUCCEEDED
    assert only["logTruncated"] and only["logSize"] > 9000
    assert len(only["log"].encode()) == 4096 and only["log"].rstrip().split("\n")[-1].startswith(
        "REPORT RequestId"
    )


def test_ring_keeps_the_newest() -> None:
    ring = RecentInvocations(size=3)
    for i in range(5):
        ring.add(
            "f",
            InvocationRecord(
                request_id=str(i),
                start=float(i),
                duration=0.0,
                init_duration=None,
                version="$LATEST",
                qualifier=None,
                invocation_type="RequestResponse",
                outcome=SUCCEEDED,
            ),
        )
    assert [r.request_id for r in ring.newest_first("f")] == ["4", "3", "2"]
    assert list(ring.newest_first("other")) == []
    ring.forget("f")
    assert list(ring.newest_first("f")) == []


LAMBDA_TASKS = {
    "StartAt": "Optimized",
    "States": {
        "Optimized": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "worker", "Payload": {"say": "from a task"}},
            "ResultPath": None,
            "Next": "Legacy",
        },
        "Legacy": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:worker",
            "Parameters": {"fail": True},
            "Catch": [{"ErrorEquals": ["ValueError"], "Next": "Done"}],
            "End": True,
        },
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    # No task runner given: Task states call the function runtime, as `statewise serve` does.
    started = Services(
        Settings(data_dir=tmp_path, store="memory://", access_keys=parse_access_keys("AK:sk"))
    )
    await started.start()
    yield started
    await started.stop()


async def test_task_states_are_recorded_and_pages_need_a_login(services: Services) -> None:
    code = zipped({"app.py": APP})
    settings = {"runtime": PYTHON, "handler": "app.handler", "role": ROLE}
    await services.functions.create("worker", code, settings)
    machine, _ = await services.machines.create(
        name="calls", definition=json.dumps(LAMBDA_TASKS), role_arn=ROLE
    )
    record = await services.executions.start(machine.arn, name="one", input_text="{}")
    record = await services.executions.wait(record.arn, timeout=60)
    assert record.status.value == "SUCCEEDED"
    transport = httpx.ASGITransport(app=create_app(services, manage_lifecycle=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        assert (await client.get("/console/api/functions/worker")).status_code == 401
        assert (await client.get("/console/api/functions")).status_code == 401
        page = await client.get("/console/functions/worker")
        assert page.status_code == 303 and "/console/login" in page.headers["location"]
        login = await client.post("/console/login", data={"key_id": "AK", "secret": "sk"})
        assert login.status_code == 303
        detail: dict[str, Any] = (await client.get("/console/api/functions/worker")).json()
        listed = (await client.get("/console/functions")).text
    legacy, optimized = detail["recent"]
    assert "from a task" in optimized["log"] and optimized["status"] == SUCCEEDED
    assert (legacy["status"], legacy["errorType"]) == (FAILED, "ValueError")
    assert 'data-name="worker"' in listed
