"""The execution page in a real browser: colours, details, iterations, events, live, stop."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.api.conftest import ROLE
from tests.ui import workflows
from tests.ui.conftest import (
    FILLS,
    ConsoleServer,
    look_of,
    node,
    open_execution,
    screenshot_dir,
    wait_done,
)

COLOURS = [
    pytest.param(
        "booked",
        {
            "RecordAppointment": "succeeded",
            "CheckReply": "succeeded",
            "Confirm": "succeeded",
            "UpdateCalendar": "succeeded",
            "ScheduleReminder": "succeeded",
            "Booked": "succeeded",
            "Declined": "none",
            "OfferAnotherSlot": "none",
        },
        id="succeeded",
    ),
    pytest.param(
        "declined",
        {"CheckReply": "succeeded", "Declined": "failed", "Confirm": "none", "Booked": "none"},
        id="failed",
    ),
    pytest.param(
        "slot-taken",
        {"RecordAppointment": "caught", "OfferAnotherSlot": "succeeded", "WaitForReply": "none"},
        id="caught",
    ),
    pytest.param(
        "sms-fails",
        {
            "Confirm": "caught",
            "SendConfirmationSms": "failed",
            "UpdateCalendar": "aborted",
            "AlertStaff": "succeeded",
            "ConfirmationFailed": "failed",
            "ScheduleReminders": "none",
        },
        id="branch-failed",
    ),
]


@pytest.mark.parametrize(("execution", "expected"), COLOURS)
def test_states_are_coloured_by_outcome(
    page: Any, appointments: dict[str, Any], execution: str, expected: dict[str, str]
) -> None:
    open_execution(page, "appointments", execution)
    assert page.locator("#status").text_content() == appointments[execution]["status"]
    seen = {state: look_of(page, state) for state in expected}
    assert seen == {state: (status, FILLS[status]) for state, status in expected.items()}
    # The path taken is drawn darker: Start into the first state, the choice that was made.
    assert page.locator('path.edge.taken[data-from="start"]').count() == 1
    if execution == "declined":
        taken = page.locator('path.edge-choice.taken[data-to="/States/Declined"]')
        assert taken.count() == 1
        assert page.locator('path.edge-choice.taken[data-to="/States/Confirm"]').count() == 0


def test_state_details(page: Any, appointments: dict[str, Any]) -> None:
    open_execution(page, "appointments", "booked")
    node(page, "UpdateCalendar").click()
    panel = page.locator("#details")
    page.wait_for_selector('#details[data-state="UpdateCalendar"]')
    assert panel.locator('[data-fact="status"]').text_content() == "succeeded"
    assert panel.locator('[data-fact="attempts"]').text_content() == "2"
    assert panel.locator('[data-fact="retries"]').text_content() == "1"
    assert panel.locator('[data-fact="resource"]').text_content() == "lambda:invoke"
    assert panel.locator('[data-fact="index"]').text_content() == "1 of Confirm"
    assert panel.locator('[data-fact="duration"]').text_content().endswith(("ms", "s"))
    assert "Calendar.Busy" in panel.locator(".attempts").text_content()
    parameters = json.loads(panel.locator("#step-parameters").text_content())
    assert parameters["FunctionName"] == "update-calendar"
    assert json.loads(panel.locator("#step-input").text_content())["patient"] == "ada"
    output = json.loads(panel.locator("#step-output").text_content())
    assert output == {"calendarEvent": {"calendarId": "cal-apt-ada"}}

    node(page, "Declined").click()
    page.wait_for_selector('#details[data-state="Declined"][data-status="none"]')
    assert "not reached" in panel.text_content()


def test_failed_state_shows_error_and_cause(page: Any, appointments: dict[str, Any]) -> None:
    open_execution(page, "appointments", "declined")
    assert page.locator("#execution-error").is_visible()
    node(page, "Declined").click()
    page.wait_for_selector('#details[data-state="Declined"]')
    error = page.locator("#details .step-error")
    assert error.locator("b").text_content() == "Appointment.Declined"
    assert error.locator(".cause").text_content() == "The patient declined the slot"


def test_map_iterations_by_index(page: Any, appointments: dict[str, Any]) -> None:
    open_execution(page, "appointments", "booked")
    picker = page.locator('#iterations select[data-map="ScheduleReminders"]')
    assert picker.locator("option").all_text_contents() == [
        "0 (succeeded)",
        "1 (succeeded)",
        "2 (succeeded)",
    ]
    seen = []
    for index in ("2", "0"):
        picker.select_option(index)
        assert node(page, "ScheduleReminders").locator(".note").text_content() == f"#{index} of 3"
        node(page, "ScheduleReminder").click()
        page.wait_for_selector('#details[data-state="ScheduleReminder"] #step-input')
        page.wait_for_function(
            "i => document.querySelector('[data-fact=index]').textContent.startsWith(i)", arg=index
        )
        seen.append(json.loads(page.locator("#step-input").text_content())["hoursBefore"])
    assert seen == [1, 24]


def test_escapes_user_data(page: Any, appointments: dict[str, Any]) -> None:
    """A state's input is user data: markup in it is shown as text and never runs."""
    open_execution(page, "appointments", "escaped")
    node(page, "RecordAppointment").click()
    page.wait_for_selector('#details[data-state="RecordAppointment"] #step-input')
    shown = json.loads(page.locator("#step-input").text_content())
    assert shown["patient"] == "<script>window.__xss=1</script><img src=x onerror=window.__xss=2>"
    page.locator('[data-tab="io-tab"]').click()
    assert "<script>window.__xss=1</script>" in page.locator("#execution-input").text_content()
    page.locator('[data-tab="events-tab"]').click()
    page.wait_for_selector('.event-row[data-id="2"]')
    page.locator('.event-row[data-id="2"]').click()
    assert "<img src=x" in page.locator("#event-detail").text_content()
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img, main script").count() == 0


def test_events_tab_is_virtual(page: Any, console: ConsoleServer, name: str) -> None:
    """25,000 events (the history limit) scroll smoothly: only visible rows exist."""
    sfn = console.client()
    machine = sfn.create_state_machine(
        name=name, definition=json.dumps(workflows.LOOP), roleArn=ROLE
    )
    run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="limit")
    assert wait_done(sfn, run["executionArn"], timeout=45)["status"] == "FAILED"
    open_execution(page, name, "limit")
    assert page.locator("#event-count").text_content() == "25000"
    page.locator('[data-tab="events-tab"]').click()
    page.wait_for_selector('.event-row[data-id="1"]')
    assert page.locator('.event-row[data-id="1"] .type').text_content() == "ExecutionStarted"
    assert page.locator(".event-row").count() < 60
    page.locator("#event-scroll").evaluate("e => { e.scrollTop = e.scrollHeight; }")
    last = page.locator('.event-row[data-id="25000"]')
    last.wait_for()
    assert last.locator(".type").text_content() == "ExecutionFailed"
    assert page.locator(".event-row").count() < 60
    last.click()
    detail = json.loads(page.locator("#event-detail").text_content())
    assert detail["executionFailedEventDetails"]["error"] == "States.Runtime"
    # The graph still shows the loop: two states, each visited 6,249 or 6,250 times.
    page.locator('[data-tab="graph-tab"]').click()
    node(page, "Again").click()
    picker = page.locator('#details[data-state="Again"] select[data-visits="Again"]')
    picker.wait_for()
    assert picker.locator("option").count() == 100
    assert picker.locator("option").last.text_content().startswith("visit 62")


def test_start_from_the_form_then_stop(page: Any, console: ConsoleServer, name: str) -> None:
    sfn = console.client()
    definition = json.dumps(workflows.WAIT_LONG)
    sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)
    page.goto(f"/console/state-machines/{name}")
    page.locator("#start-open").click()
    page.locator("#start-name").fill("from-the-console")
    page.locator("#start-input").fill('{"order": ')
    assert page.locator("#input-status").text_content().startswith("Invalid JSON")
    assert page.locator("#start-submit").is_disabled()
    page.locator("#start-input").fill('{"order": 7}')
    assert page.locator("#input-status").text_content() == "Valid JSON"
    page.locator("#start-submit").click()
    page.wait_for_url(f"**/console/executions/{name}/from-the-console")
    page.wait_for_selector("main[data-ready=true]")
    assert page.locator("#status").text_content() == "RUNNING"
    assert look_of(page, "WaitForCallback") == ("running", FILLS["running"])
    assert look_of(page, "Done") == ("none", FILLS["none"])

    page.locator("#stop-open").click()
    page.locator("#stop-error-name").fill("Operator.Cancelled")
    page.locator("#stop-cause").fill("booked by phone instead")
    page.locator("#stop-submit").click()
    page.wait_for_selector("#status:text('ABORTED')")
    assert look_of(page, "WaitForCallback") == ("aborted", FILLS["aborted"])
    assert page.locator("#stop-open").is_hidden()
    assert page.locator("#execution-error-name").text_content() == "Operator.Cancelled"
    described = sfn.describe_execution(
        executionArn=f"arn:aws:states:us-east-1:123456789012:execution:{name}:from-the-console"
    )
    assert (described["status"], described["cause"]) == ("ABORTED", "booked by phone instead")
    assert json.loads(described["input"]) == {"order": 7}


def test_server_side_refusals_are_shown(page: Any, appointments: dict[str, Any]) -> None:
    page.goto("/console/state-machines/appointments")
    page.locator("#start-open").click()
    page.locator("#start-name").fill("booked")
    page.locator("#start-submit").click()
    problem = page.locator("#start-error")
    problem.wait_for()
    assert problem.text_content().startswith("ExecutionAlreadyExists")


def test_live_updates_while_running(page: Any, console: ConsoleServer, name: str) -> None:
    sfn = console.client()
    definition = {
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Finish"},
            "Finish": {"Type": "Pass", "Result": {"done": True}, "End": True},
        },
    }
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="live")
    open_execution(page, name, "live")
    assert page.locator("#status").text_content() == "RUNNING"
    assert look_of(page, "Hold")[0] == "running"
    started = time.monotonic()
    page.wait_for_selector("#status:text('SUCCEEDED')", timeout=8000)
    assert time.monotonic() - started < 8
    assert look_of(page, "Hold")[0] == "succeeded"
    assert look_of(page, "Finish") == ("succeeded", FILLS["succeeded"])
    assert page.locator("#stop-open").is_hidden()
    page.locator('[data-tab="io-tab"]').click()
    assert json.loads(page.locator("#execution-output").text_content()) == {"done": True}


def test_screenshots(page: Any, appointments: dict[str, Any], tmp_path: Any) -> None:
    """The README's pictures: the appointment workflow, and a failed execution."""
    target = screenshot_dir(tmp_path)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/console/state-machines/appointments")
    page.wait_for_selector("#graph[data-nodes='15']")
    page.locator("#graph .graph-controls button[title='Fit the whole graph']").click()
    page.locator("#graph").screenshot(path=str(target / "console-workflow.png"))
    open_execution(page, "appointments", "sms-fails")
    page.locator("#graph .graph-controls button[title='Fit the whole graph']").click()
    node(page, "SendConfirmationSms").click()
    page.wait_for_selector('#details[data-state="SendConfirmationSms"] #step-input')
    page.screenshot(path=str(target / "console-failed-execution.png"), full_page=True)
    assert (target / "console-workflow.png").stat().st_size > 10_000
