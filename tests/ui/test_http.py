"""The console's JSON endpoints and pages over plain HTTP: refusals and edge cases."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.conftest import ROLE
from tests.ui.conftest import ConsoleServer

CONSOLE = {"X-Statewise-Console": "1"}


@pytest.fixture
def http(console: ConsoleServer) -> Any:
    with httpx.Client(base_url=console.url, headers=CONSOLE) as client:
        yield client


def test_root_redirects_to_the_console(console: ConsoleServer) -> None:
    response = httpx.get(console.url + "/")
    assert response.status_code in (302, 307) and response.headers["location"] == "/console"


def test_start_refuses_bad_input(http: httpx.Client, console: ConsoleServer, name: str) -> None:
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    console.client().create_state_machine(name=name, definition=definition, roleArn=ROLE)
    started = http.post(f"/console/api/state-machines/{name}/executions", json={"input": "{"})
    assert started.status_code == 400
    assert started.json()["error"] == "InvalidExecutionInput"
    missing = http.post("/console/api/state-machines/none-such/executions", json={})
    assert (missing.status_code, missing.json()["error"]) == (404, "StateMachineDoesNotExist")
    unsigned = httpx.post(f"{console.url}/console/api/state-machines/{name}/executions", json={})
    assert unsigned.status_code == 403  # no CSRF header: refused even on loopback
    ok = http.post(f"/console/api/state-machines/{name}/executions", json={"name": "fine"})
    assert ok.status_code == 200 and ok.json()["name"] == "fine"


def test_execution_endpoints_refuse_nonsense(http: httpx.Client, appointments: Any) -> None:
    base = "/console/api/executions/appointments"
    assert http.get(f"{base}/none-such").status_code == 404
    assert http.get(f"{base}/booked/steps/999999").status_code == 404
    assert http.get(f"{base}/booked/steps/abc").status_code == 404
    assert http.get(f"{base}/booked/events?limit=0").status_code == 400
    assert http.get(f"{base}/booked/events?after=x").status_code == 400
    page = http.get(f"{base}/booked/events?after=2&limit=3").json()
    assert [e["id"] for e in page["events"]] == [3, 4, 5]
    assert page["total"] >= 5
    summary = http.get(f"{base}/booked").json()
    assert summary["execution"]["status"] == "SUCCEEDED"
    unchanged = http.get(f"{base}/booked?since={summary['lastEventId']}").json()
    assert unchanged == {"unchanged": True, "lastEventId": summary["lastEventId"]}
    stopped = http.post(f"{base}/booked/stop", json={})
    assert stopped.status_code == 200 and stopped.json()["status"] == "SUCCEEDED"


def test_stale_page_tokens_fall_back_to_the_first_page(
    console: ConsoleServer, appointments: Any
) -> None:
    for path in ("/console?token=bogus", "/console/state-machines/appointments?token=bogus"):
        response = httpx.get(console.url + path)
        assert response.status_code == 200
        assert "no longer valid" in response.text


def test_validate_and_save_refusals(http: httpx.Client, name: str) -> None:
    assert http.post("/console/api/validate", content=b"nope").status_code == 400
    checked = http.post("/console/api/validate", json={"definition": "{"}).json()
    assert checked["graph"]["nodes"] == []
    assert checked["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass"}}}
    created = http.post(
        "/console/api/state-machines", json={"name": name, "definition": json.dumps(bad)}
    )
    assert (created.status_code, created.json()["error"]) == (400, "InvalidDefinition")
    updated = http.post("/console/api/state-machines/none-such", json={"definition": "{}"})
    assert updated.status_code == 404
