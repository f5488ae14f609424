"""The console's listing pages, the definition editor and the login, in a real browser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import ROLE
from tests.ui import workflows
from tests.ui.conftest import ConsoleServer, node

QUICK = json.dumps({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}})


def test_machines_list(page: Any, appointments: dict[str, Any]) -> None:
    page.goto("/console")
    row = page.locator('#machines tr[data-name="appointments"]')
    assert row.locator("td").nth(1).text_content() == "STANDARD"
    assert row.locator('[data-status="SUCCEEDED"]').text_content() == "3"
    assert row.locator('[data-status="FAILED"]').text_content() == "2"
    assert row.locator('[data-status="RUNNING"]').text_content() == "0"
    assert row.locator("time").get_attribute("datetime")
    row.locator("a").first.click()
    page.wait_for_url("**/console/state-machines/appointments")


def test_machine_graph(page: Any, appointments: dict[str, Any]) -> None:
    page.goto("/console/state-machines/appointments")
    graph = page.locator("#graph[data-nodes='15']")
    graph.wait_for()
    labels = page.locator("#graph .edge-label text").all_text_contents()
    assert {'$.reply == "yes"', '$.reply == "no"', "Default", "Appointment.SlotTaken"} <= set(
        labels
    )
    assert page.locator("#graph path.edge-catch").count() == 2
    assert page.locator("#graph path.edge-default").count() == 1
    assert page.locator("#graph path.edge-choice").count() == 2
    confirm = node(page, "Confirm")
    assert "container-parallel" in confirm.get_attribute("class")
    assert confirm.locator(":scope > rect.branch").count() == 2
    assert confirm.locator('g.node[data-state="UpdateCalendar"]').count() == 1
    reminders = node(page, "ScheduleReminders")
    assert reminders.locator('g.node[data-state="ScheduleReminder"]').count() == 1
    before = float(graph.get_attribute("data-zoom"))
    page.locator("#graph .graph-controls button[title='Zoom in']").click()
    assert float(graph.get_attribute("data-zoom")) == pytest.approx(before * 1.25, rel=0.01)
    box = graph.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 400)
    assert float(graph.get_attribute("data-zoom")) < before * 1.25


def test_executions_filter_search_and_pages(page: Any, console: ConsoleServer, name: str) -> None:
    sfn = console.client()
    arn = sfn.create_state_machine(name=name, definition=QUICK, roleArn=ROLE)["stateMachineArn"]
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda n: sfn.start_execution(stateMachineArn=arn, name=f"order-{n:02d}"),
                range(55),
            )
        )
    page.goto(f"/console/state-machines/{name}")
    assert page.locator("#executions tbody tr").count() == 50
    page.locator("a[rel=next]").click()
    page.wait_for_selector("text=First page")
    assert page.locator("#executions tbody tr").count() == 5
    page.goto(f"/console/state-machines/{name}")
    page.locator("#search input[name=q]").fill("order-4")
    page.locator("#search button").click()
    page.wait_for_url("**q=order-4")
    names = page.locator("#executions tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.name)"
    )
    assert sorted(names) == [f"order-4{n}" for n in range(10)]
    page.goto(f"/console/state-machines/{name}?q=order-07")
    assert page.locator("#executions tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.name)"
    ) == ["order-07"]
    page.locator('#status-filter a[data-status="FAILED"]').click()
    page.wait_for_url("**status=FAILED**")
    assert page.locator("#executions").count() == 0
    assert "No execution" in page.locator(".empty").text_content()


def test_status_filter(page: Any, appointments: dict[str, Any]) -> None:
    page.goto("/console/state-machines/appointments")
    page.locator('#status-filter a[data-status="FAILED"]').click()
    page.wait_for_url("**status=FAILED")
    statuses = page.locator("#executions tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"
    )
    assert statuses == ["FAILED", "FAILED"]


def test_editor_draws_problems_then_creates(page: Any, name: str) -> None:
    broken = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "Missing"},
            "<img src=x onerror=window.__xss=1>": {"Type": "Succeed"},
        },
    }
    page.goto("/console/new")
    page.locator("#definition").fill(json.dumps(broken, indent=2))
    page.wait_for_selector("main[data-problems='2']")
    codes = page.locator("#problems li").evaluate_all("items => items.map(i => i.dataset.code)")
    assert codes.count("MISSING_TRANSITION_TARGET") == 2
    assert "invalid" in node(page, "A").get_attribute("class")
    assert page.locator('#graph g.ghost[data-missing="Missing"]').count() == 1
    odd = page.locator("#graph g.node").nth(1)
    assert odd.locator("text.label").text_content().startswith("<img")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#validity").text_content() == "2 problems"

    fixed = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    page.locator("#definition").fill(json.dumps(fixed))
    page.wait_for_selector("main[data-problems='0']")
    assert "invalid" not in node(page, "A").get_attribute("class")
    page.locator("#machine-name").fill(name)
    page.locator("#save").click()
    page.wait_for_url(f"**/console/state-machines/{name}")
    page.wait_for_selector("#graph[data-nodes='1']")


def test_editor_updates_a_machine(page: Any, console: ConsoleServer, name: str) -> None:
    sfn = console.client()
    arn = sfn.create_state_machine(name=name, definition=QUICK, roleArn=ROLE)["stateMachineArn"]
    page.goto(f"/console/state-machines/{name}/edit")
    page.wait_for_selector("main[data-problems='0']")
    changed = {"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": True}}}
    page.locator("#definition").fill(json.dumps(changed))
    page.wait_for_selector("#graph g.node[data-state='Hi']")
    page.locator("#save").click()
    page.wait_for_url(f"**/console/state-machines/{name}")
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == changed


def test_two_hundred_states_render(page: Any, console: ConsoleServer, name: str) -> None:
    sfn = console.client()
    definition = json.dumps(workflows.big_definition())
    sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)
    page.goto(f"/console/state-machines/{name}")
    graph = page.locator("#graph[data-nodes='200']")
    graph.wait_for()
    # Too big to fit legibly, so it opens readable at the start, with Fit one click away.
    assert float(graph.get_attribute("data-zoom")) >= 0.55
    assert node(page, "Validate0").is_visible()
    page.locator("#graph .graph-controls button[title='Fit the whole graph']").click()
    assert float(graph.get_attribute("data-zoom")) < 0.55


def test_unknown_pages(browser: Any, console: ConsoleServer) -> None:
    context = browser.new_context(base_url=console.url)
    page = context.new_page()
    response = page.goto("/console/state-machines/nope")
    assert response.status == 404
    assert "Does Not Exist" in page.locator(".problem").text_content()
    response = page.goto("/console/executions/nope/nada")
    assert response.status == 404
    context.close()


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """A server with access keys: the console asks for a login."""
    server = ConsoleServer(tmp_path_factory.mktemp("locked"), access_keys="AKIDCONSOLE:s3cret")
    yield server
    server.stop()


def test_login_required_with_access_keys(
    browser: Any, locked: ConsoleServer, tmp_path: Path
) -> None:
    context = browser.new_context(base_url=locked.url)
    page = context.new_page()
    page.goto("/console/state-machines/anything?x=1")
    page.wait_for_url("**/console/login?next=**")
    page.locator("input[name=key_id]").fill("AKIDCONSOLE")
    assert page.locator("text=Log out").count() == 0
    page.locator("input[name=secret]").fill("wrong")
    page.locator("button.primary").click()
    assert "wrong secret" in page.locator(".problem").text_content()
    page.locator("input[name=secret]").fill("s3cret")
    page.locator("button.primary").click()
    page.wait_for_url("**/console/state-machines/anything?x=1")
    cookie = next(c for c in context.cookies() if c["name"] == "statewise_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.goto("/console")
    assert page.locator("h1").text_content() == "State machines"
    page.locator("text=Log out").click()
    page.wait_for_url("**/console/login")
    page.goto("/console")
    page.wait_for_url("**/console/login?next=**")
    context.close()


def test_api_refuses_without_session_or_csrf_header(locked: ConsoleServer) -> None:
    assert httpx.get(locked.url + "/console/api/state-machines/x/graph").status_code == 401
    assert httpx.get(locked.url + "/console").status_code == 303
    with httpx.Client(base_url=locked.url) as client:
        login = client.post(
            "/console/login", data={"key_id": "AKIDCONSOLE", "secret": "s3cret", "next": "/x"}
        )
        assert login.status_code == 303 and login.headers["location"] == "/console"
        refused = client.post("/console/api/validate", json={"definition": "{}"})
        assert refused.status_code == 403
        checked = client.post(
            "/console/api/validate",
            json={"definition": "{}"},
            headers={"X-Statewise-Console": "1"},
        )
        assert checked.status_code == 200
        cross = client.post(
            "/console/login",
            data={"key_id": "AKIDCONSOLE", "secret": "s3cret"},
            headers={"Origin": "http://evil.example"},
        )
        assert cross.status_code == 403
    # The API itself still wants SigV4 signatures, whatever the console's cookie says.
    sfn = locked.client("AKIDCONSOLE", "s3cret")
    assert sfn.list_state_machines()["stateMachines"] == []


def test_pages_send_a_strict_content_security_policy(console: ConsoleServer) -> None:
    response = httpx.get(console.url + "/console")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    vendored = httpx.get(console.url + "/console/static/vendor/dagre.min.js")
    assert vendored.status_code == 200 and "dagre" in vendored.text[:200]
