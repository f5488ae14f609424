"""The wire protocol with raw HTTP: envelopes, status codes and bad input (WIRE-1, WIRE-2)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from .conftest import ROLE, Server

HEADERS = {"Content-Type": "application/x-amz-json-1.0"}


def call(server: Server, action: str, body: Any, raw: bytes | None = None) -> httpx.Response:
    return httpx.post(
        server.url + "/",
        headers={**HEADERS, "X-Amz-Target": f"AWSStepFunctions.{action}"},
        content=raw if raw is not None else json.dumps(body).encode(),
        timeout=30,
    )


def test_error_envelope_namespace(server: Server) -> None:
    """WIRE-2: HTTP 400 and `namespace#Code` in __type."""
    response = call(
        server,
        "DescribeExecution",
        {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:a:b"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/x-amz-json-1.0")
    body = response.json()
    assert body["__type"] == "com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist"
    assert body["message"] == (
        "Execution Does Not Exist: 'arn:aws:states:us-east-1:123456789012:execution:a:b'"
    )


@pytest.mark.parametrize(
    ("action", "raw", "code"),
    [
        pytest.param("NoSuchAction", b"{}", "UnknownOperationException", id="unknown-action"),
        pytest.param("ListStateMachines", b"{not json", "SerializationException", id="bad-json"),
        pytest.param("ListStateMachines", b"[1, 2]", "SerializationException", id="not-object"),
        pytest.param(
            "CreateStateMachine",
            json.dumps({"name": 5, "definition": "{}", "roleArn": ROLE}).encode(),
            "SerializationException",
            id="wrong-type",
        ),
        pytest.param(
            "CreateStateMachine",
            json.dumps({"definition": "{}"}).encode(),
            "ValidationException",
            id="missing-required",
        ),
        pytest.param(
            "ListExecutions",
            json.dumps({"stateMachineArn": "x", "statusFilter": "NOPE"}).encode(),
            "ValidationException",
            id="bad-enum",
        ),
    ],
)
def test_bad_requests(server: Server, action: str, raw: bytes, code: str) -> None:
    """Bad input gets a specific AWS error, never a 500."""
    response = call(server, action, None, raw=raw)
    assert response.status_code == 400, response.text
    assert response.json()["__type"].endswith("#" + code)
    assert response.json()["message"]


def test_missing_members_are_all_reported(server: Server) -> None:
    """WIRE-3: every failed constraint in one message."""
    response = call(server, "CreateStateMachine", {})
    message = response.json()["message"]
    assert message.startswith("3 validation errors detected: ")
    assert "Value null at 'name' failed to satisfy constraint: Member must not be null" in message


def test_huge_body_is_refused_and_nothing_stored(server: Server) -> None:
    """A 10 MiB body is refused with a clear error; no state machine appears."""
    name = "huge-body"
    body = {"name": name, "definition": "x" * (10 * 1024 * 1024), "roleArn": ROLE}
    response = call(server, "CreateStateMachine", body)
    assert response.status_code == 413
    assert "exceeds the maximum" in response.json()["message"]
    listed = call(server, "ListStateMachines", {}).json()["stateMachines"]
    assert name not in [m["name"] for m in listed]


def test_definition_over_one_mib(server: Server) -> None:
    """Q-3: a definition over 1,048,576 characters fails the model's length constraint."""
    padding = "x" * (1024 * 1024)
    definition = json.dumps(
        {"StartAt": "P", "Comment": padding, "States": {"P": {"Type": "Pass", "End": True}}}
    )
    response = call(
        server, "CreateStateMachine", {"name": "big-def", "definition": definition, "roleArn": ROLE}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["__type"].endswith("#ValidationException")
    assert "Member must have length less than or equal to 1048576" in body["message"]


def test_health_and_console_redirect(server: Server) -> None:
    assert httpx.get(server.url + "/health").json()["status"] == "ok"
    response = httpx.get(server.url + "/", follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/console"


def test_sync_host_prefix_is_accepted(server: Server) -> None:
    """WIRE-5: requests whose Host carries boto3's `sync-` prefix are served the same."""
    response = httpx.post(
        server.url + "/",
        headers={
            **HEADERS,
            "X-Amz-Target": "AWSStepFunctions.ListStateMachines",
            "Host": f"sync-127.0.0.1:{server.port}",
        },
        content=b"{}",
    )
    assert response.status_code == 200
