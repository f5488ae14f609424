"""The console tests' workflows: a phone-appointment booking and a few small machines."""

from __future__ import annotations

import json
from typing import Any

from statewise.engine.local import TaskError


def _lambda(function: str, payload: Any) -> dict[str, Any]:
    """Parameters of an optimized ``lambda:invoke`` Task."""
    key = "Payload.$" if isinstance(payload, str) else "Payload"
    return {"FunctionName": function, key: payload}


INVOKE = "arn:aws:states:::lambda:invoke"

APPOINTMENT: dict[str, Any] = {
    "Comment": "Book a phone appointment: record it, wait for the reply, confirm, remind.",
    "StartAt": "RecordAppointment",
    "States": {
        "RecordAppointment": {
            "Type": "Task",
            "Resource": INVOKE,
            "Parameters": _lambda("record-appointment", "$"),
            "ResultSelector": {"appointment.$": "$.Payload"},
            "ResultPath": "$.booking",
            "Catch": [
                {
                    "ErrorEquals": ["Appointment.SlotTaken"],
                    "ResultPath": "$.error",
                    "Next": "OfferAnotherSlot",
                }
            ],
            "Next": "WaitForReply",
        },
        "OfferAnotherSlot": {
            "Type": "Pass",
            "Parameters": {"text": "That slot is taken: please pick another", "phone.$": "$.phone"},
            "ResultPath": "$.message",
            "Next": "AskToRebook",
        },
        "AskToRebook": {"Type": "Succeed"},
        "WaitForReply": {"Type": "Wait", "Seconds": 1, "Next": "CheckReply"},
        "CheckReply": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.reply", "StringEquals": "yes", "Next": "Confirm"},
                {"Variable": "$.reply", "StringEquals": "no", "Next": "Declined"},
            ],
            "Default": "NoReply",
        },
        "Declined": {
            "Type": "Fail",
            "Error": "Appointment.Declined",
            "Cause": "The patient declined the slot",
        },
        "NoReply": {"Type": "Fail", "Error": "Appointment.NoReply", "Cause": "No reply in time"},
        "Confirm": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "SendConfirmationSms",
                    "States": {
                        "SendConfirmationSms": {
                            "Type": "Task",
                            "Resource": INVOKE,
                            "Parameters": _lambda(
                                "send-sms", {"phone.$": "$.phone", "text": "You are booked"}
                            ),
                            "ResultSelector": {"messageId.$": "$.Payload.messageId"},
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "UpdateCalendar",
                    "States": {
                        "UpdateCalendar": {
                            "Type": "Task",
                            "Resource": INVOKE,
                            "Parameters": _lambda("update-calendar", "$.booking.appointment"),
                            "ResultSelector": {"calendarEvent.$": "$.Payload"},
                            "Retry": [
                                {
                                    "ErrorEquals": ["Calendar.Busy"],
                                    "IntervalSeconds": 1,
                                    "MaxAttempts": 2,
                                    "BackoffRate": 1,
                                }
                            ],
                            "End": True,
                        }
                    },
                },
            ],
            "ResultPath": "$.confirmation",
            "Catch": [
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "AlertStaff"}
            ],
            "Next": "ScheduleReminders",
        },
        "AlertStaff": {
            "Type": "Pass",
            "Parameters": {"alert": "Could not confirm", "error.$": "$.error.Error"},
            "ResultPath": "$.alert",
            "Next": "ConfirmationFailed",
        },
        "ConfirmationFailed": {
            "Type": "Fail",
            "Error": "Appointment.ConfirmationFailed",
            "Cause": "Staff were alerted",
        },
        "ScheduleReminders": {
            "Type": "Map",
            "ItemsPath": "$.reminders",
            "ItemSelector": {"hoursBefore.$": "$$.Map.Item.Value", "phone.$": "$.phone"},
            "ItemProcessor": {
                "StartAt": "ScheduleReminder",
                "States": {
                    "ScheduleReminder": {
                        "Type": "Task",
                        "Resource": INVOKE,
                        "Parameters": _lambda("schedule-reminder", "$"),
                        "OutputPath": "$.Payload",
                        "End": True,
                    }
                },
            },
            "ResultPath": "$.reminders",
            "Next": "Booked",
        },
        "Booked": {"Type": "Succeed"},
    },
}

WAIT_LONG = {
    "StartAt": "WaitForCallback",
    "States": {
        "WaitForCallback": {"Type": "Wait", "Seconds": 86400, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}

# Loops until the 25,000-event history limit fails it: the events tab's worst case.
LOOP = {
    "StartAt": "Again",
    "States": {
        "Again": {"Type": "Pass", "Next": "Enough"},
        "Enough": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Done"}],
            "Default": "Again",
        },
        "Done": {"Type": "Succeed"},
    },
}


def booking(**changes: Any) -> str:
    """An appointment execution's input."""
    value: dict[str, Any] = {
        "patient": "ada",
        "slot": "2026-11-20T10:00:00Z",
        "phone": "+15550100",
        "reply": "yes",
        "reminders": [24, 2, 1],
    }
    value.update(changes)
    return json.dumps(value)


_CALENDAR_CALLS: dict[str, int] = {}


def record_appointment(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("slot") == "taken":
        raise TaskError("Appointment.SlotTaken", f"{event['patient']}'s slot is already booked")
    return {"appointmentId": f"apt-{event['patient']}", "slot": event["slot"]}


def send_sms(event: dict[str, Any]) -> dict[str, Any]:
    if str(event["phone"]).startswith("bad"):
        raise TaskError("Sms.InvalidNumber", f"cannot send a text to {event['phone']}")
    return {"messageId": f"msg-{event['phone']}"}


def update_calendar(event: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    # Busy on the first call of each execution, so the console has a retry to show.
    execution = context["Execution"]["Name"]
    _CALENDAR_CALLS[execution] = _CALENDAR_CALLS.get(execution, 0) + 1
    if _CALENDAR_CALLS[execution] == 1:
        raise TaskError("Calendar.Busy", "the calendar is locked by another booking")
    return {"calendarId": f"cal-{event['appointmentId']}"}


def schedule_reminder(event: dict[str, Any]) -> dict[str, Any]:
    return {"remindAt": f"{event['hoursBefore']}h before", "phone": event["phone"]}


FUNCTIONS = {
    "record-appointment": record_appointment,
    "send-sms": send_sms,
    "update-calendar": update_calendar,
    "schedule-reminder": schedule_reminder,
}


def big_definition(stages: int = 18) -> dict[str, Any]:
    """A 200-state machine (18 stages of 11 states, then Done and Failed): Tasks with Retry
    and Catch, Choices, Waits, Parallels and Maps, as a large real workflow has."""
    states: dict[str, Any] = {}
    for k in range(stages):
        after = f"Validate{k + 1}" if k + 1 < stages else "Done"
        states[f"Validate{k}"] = {
            "Type": "Task",
            "Resource": INVOKE,
            "Parameters": _lambda("validate", "$"),
            "OutputPath": "$.Payload",
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": f"Compensate{k}"}],
            "Next": f"Route{k}",
        }
        states[f"Route{k}"] = {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.route", "StringEquals": "fast", "Next": f"Fast{k}"},
                {"Variable": "$.route", "StringEquals": "slow", "Next": f"Slow{k}"},
            ],
            "Default": f"Skip{k}",
        }
        states[f"Fast{k}"] = {"Type": "Pass", "Next": f"Fan{k}"}
        states[f"Slow{k}"] = {"Type": "Wait", "Seconds": 0, "Next": f"Fan{k}"}
        states[f"Skip{k}"] = {"Type": "Pass", "Next": after}
        states[f"Fan{k}"] = {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": f"Notify{k}",
                    "States": {
                        f"Notify{k}": {
                            "Type": "Task",
                            "Resource": INVOKE,
                            "Parameters": _lambda("notify", {"stage": k}),
                            "End": True,
                        }
                    },
                },
                {"StartAt": f"Audit{k}", "States": {f"Audit{k}": {"Type": "Pass", "End": True}}},
            ],
            "ResultPath": None,
            "Next": f"Each{k}",
        }
        states[f"Each{k}"] = {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": f"Item{k}",
                "States": {f"Item{k}": {"Type": "Pass", "End": True}},
            },
            "ResultPath": None,
            "Next": after,
        }
        states[f"Compensate{k}"] = {"Type": "Pass", "Next": "Failed"}
    states["Done"] = {"Type": "Succeed"}
    states["Failed"] = {"Type": "Fail", "Error": "Pipeline.Failed"}
    return {"Comment": "A 200-state pipeline", "StartAt": "Validate0", "States": states}


def validate(event: dict[str, Any]) -> dict[str, Any]:
    return event


def notify(event: dict[str, Any]) -> dict[str, Any]:
    return {"notified": event["stage"]}


FUNCTIONS.update({"validate": validate, "notify": notify})
