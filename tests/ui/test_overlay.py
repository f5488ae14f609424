"""Steps from history: each visit's outcome, Map iterations, retries, the graph view."""

from __future__ import annotations

import json
from typing import Any

import pytest

from statewise.store.base import ExecutionStatus
from statewise.testing import LocalEnvironment, Result
from statewise.ui import graph, overlay
from tests.ui import workflows


async def run(definition: dict[str, Any], value: str, name: str = "run") -> Result:
    async with LocalEnvironment(workflows.FUNCTIONS) as env:
        return await env.run(definition, json.loads(value), name=name)


def analyse(definition: dict[str, Any], result: Result) -> overlay.Analysis:
    analysis = overlay.Analysis(graph.scope_owners(graph.build(definition)))
    analysis.feed(result.events)
    return analysis


def statuses(definition: dict[str, Any], result: Result) -> dict[str, str]:
    """The last visit's status of each state, as the graph colours it (Map iteration 0)."""
    shown = overlay.view(analyse(definition, result), result.execution.status, 0.0)["steps"]
    types = {s["id"]: s["type"] for s in shown}
    return {
        s["name"]: s["status"]
        for s in shown
        if s["parent"] is None or types[s["parent"]] != "Map" or s["index"] == 0
    }


APPOINTMENTS = [
    pytest.param(
        workflows.booking(),
        "SUCCEEDED",
        {
            "RecordAppointment": "succeeded",
            "WaitForReply": "succeeded",
            "CheckReply": "succeeded",
            "Confirm": "succeeded",
            "SendConfirmationSms": "succeeded",
            "UpdateCalendar": "succeeded",
            "ScheduleReminders": "succeeded",
            "ScheduleReminder": "succeeded",
            "Booked": "succeeded",
        },
        id="booked",
    ),
    pytest.param(
        workflows.booking(reply="no"),
        "FAILED",
        {
            "RecordAppointment": "succeeded",
            "WaitForReply": "succeeded",
            "CheckReply": "succeeded",
            "Declined": "failed",
        },
        id="declined",
    ),
    pytest.param(
        workflows.booking(slot="taken"),
        "SUCCEEDED",
        {
            "RecordAppointment": "caught",
            "OfferAnotherSlot": "succeeded",
            "AskToRebook": "succeeded",
        },
        id="caught",
    ),
    pytest.param(
        workflows.booking(phone="bad-number"),
        "FAILED",
        {
            "RecordAppointment": "succeeded",
            "WaitForReply": "succeeded",
            "CheckReply": "succeeded",
            "Confirm": "caught",
            "SendConfirmationSms": "failed",
            "UpdateCalendar": "aborted",
            "AlertStaff": "succeeded",
            "ConfirmationFailed": "failed",
        },
        id="branch-failed-and-caught",
    ),
]


@pytest.mark.parametrize(("value", "final", "expected"), APPOINTMENTS)
async def test_appointment_statuses(value: str, final: str, expected: dict[str, str]) -> None:
    result = await run(workflows.APPOINTMENT, value)
    assert result.status == final
    assert statuses(workflows.APPOINTMENT, result) == expected


async def test_retries_errors_and_iterations() -> None:
    result = await run(workflows.APPOINTMENT, workflows.booking(), name="retry")
    analysis = analyse(workflows.APPOINTMENT, result)
    steps = {s.name: s for s in analysis.steps if s.index in (None, 0, 1)}
    calendar = steps["UpdateCalendar"]
    summary = overlay.summary(calendar, ExecutionStatus.SUCCEEDED, 0.0)
    assert (summary["attempts"], summary["retries"]) == (2, 1)
    assert "error" not in summary  # the retry succeeded: the failure is history, not its error
    assert calendar.failures == [("Calendar.Busy", "the calendar is locked by another booking")]
    assert calendar.parent is steps["Confirm"] and calendar.index == 1
    reminders = overlay.summary(steps["ScheduleReminders"], ExecutionStatus.SUCCEEDED, 0.0)
    assert reminders["length"] == 3
    assert reminders["iterations"] == [{"index": i, "status": "succeeded"} for i in range(3)]
    per_iteration = [s for s in analysis.steps if s.name == "ScheduleReminder"]
    assert sorted(s.index for s in per_iteration) == [0, 1, 2]
    assert all(s.parent is steps["ScheduleReminders"] for s in per_iteration)
    assert overlay.find(analysis, calendar.id) is calendar
    assert overlay.find(analysis, 10**6) is None


async def test_fail_state_carries_the_execution_error() -> None:
    result = await run(workflows.APPOINTMENT, workflows.booking(reply="no"))
    declined = next(s for s in analyse(workflows.APPOINTMENT, result).steps if s.name == "Declined")
    assert (declined.error, declined.cause) == (
        "Appointment.Declined",
        "The patient declined the slot",
    )


async def test_caught_task_keeps_its_error() -> None:
    result = await run(workflows.APPOINTMENT, workflows.booking(slot="taken"))
    step = analyse(workflows.APPOINTMENT, result).steps[0]
    summary = overlay.summary(step, result.execution.status, 0.0)
    assert summary["status"] == "caught"
    assert summary["error"] == "Appointment.SlotTaken"


async def test_feeding_in_parts_equals_feeding_at_once() -> None:
    result = await run(workflows.APPOINTMENT, workflows.booking(), name="parts")
    whole = analyse(workflows.APPOINTMENT, result)
    parts = overlay.Analysis(graph.scope_owners(graph.build(workflows.APPOINTMENT)))
    for start in range(0, len(result.events), 7):
        parts.feed(result.events[: start + 7])  # overlapping pages are ignored
    status = result.execution.status
    assert overlay.view(parts, status, 0.0) == overlay.view(whole, status, 0.0)


async def test_loop_sends_one_step_per_state() -> None:
    definition = {
        "StartAt": "Count",
        "States": {
            "Count": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                "Next": "Enough",
            },
            "Enough": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 150, "Next": "Done"}],
                "Default": "Count",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    result = await run(definition, '{"n": 0}')
    shown = overlay.view(analyse(definition, result), result.execution.status, 0.0)
    counts = {s["name"]: (s["visitCount"], len(s["visits"])) for s in shown["steps"]}
    assert counts == {
        "Count": (150, overlay.MAX_VISITS),
        "Enough": (150, overlay.MAX_VISITS),
        "Done": (1, 1),
    }
    assert shown["transitions"] == [
        [None, None, "Count", "Enough"],
        [None, None, "Enough", "Count"],
        [None, None, "Enough", "Done"],
        [None, None, None, "Count"],
    ]


async def test_running_and_stopped_steps() -> None:
    async with LocalEnvironment(workflows.FUNCTIONS) as env:
        record = await env.engine.start_execution(
            state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:w",
            name="w",
            definition=json.dumps(workflows.WAIT_LONG),
            input_text="{}",
        )
        while await env.engine.tick():  # virtual time stands still: the Wait stays
            pass
        events = await env.store.get_events(record.arn)
        analysis = overlay.Analysis(graph.scope_owners(graph.build(workflows.WAIT_LONG)))
        analysis.feed(events)
        waiting = overlay.summary(analysis.steps[0], ExecutionStatus.RUNNING, 10**10)
        assert waiting["status"] == "running" and waiting["duration"] > 0
        stopped = await env.engine.stop_execution(record.arn)
        analysis.feed(await env.store.get_events(record.arn))
        assert overlay.status_of(analysis.steps[0], stopped.status) == "aborted"
