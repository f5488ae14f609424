"""The definition graph: nodes by JSON pointer, labelled edges, containers, problems."""

from __future__ import annotations

import json
from typing import Any

import pytest

from statewise.asl.validate import validate, validate_text
from statewise.ui import graph
from tests.ui import workflows


def edges_of(scope: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in scope["edges"] if e["kind"] == kind]


def test_appointment_graph() -> None:
    drawn = graph.build(workflows.APPOINTMENT)
    ids = graph.node_ids(drawn)
    assert len(ids) == 15
    assert "/States/Confirm/Branches/1/States/UpdateCalendar" in ids
    assert "/States/ScheduleReminders/ItemProcessor/States/ScheduleReminder" in ids
    choices = {(e["to"], e["label"]) for e in edges_of(drawn, "choice")}
    assert choices == {
        ("/States/Confirm", '$.reply == "yes"'),
        ("/States/Declined", '$.reply == "no"'),
    }
    assert [e["to"] for e in edges_of(drawn, "default")] == ["/States/NoReply"]
    catches = {(e["from"], e["label"]) for e in edges_of(drawn, "catch")}
    assert catches == {
        ("/States/RecordAppointment", "Appointment.SlotTaken"),
        ("/States/Confirm", "States.ALL"),
    }
    starts = [e for e in drawn["edges"] if e["from"] == "start"]
    assert starts == [{"from": "start", "to": "/States/RecordAppointment", "kind": "next"}]
    ends = {e["from"] for e in drawn["edges"] if e["to"] == "end"}
    assert ends == {
        "/States/AskToRebook",
        "/States/Declined",
        "/States/NoReply",
        "/States/ConfirmationFailed",
        "/States/Booked",
    }
    confirm = next(n for n in drawn["nodes"] if n["name"] == "Confirm")
    assert [b["nodes"][0]["name"] for b in confirm["branches"]] == [
        "SendConfirmationSms",
        "UpdateCalendar",
    ]


@pytest.mark.parametrize(
    ("rule", "label"),
    [
        pytest.param({"Variable": "$.n", "NumericGreaterThan": 3}, "$.n > 3", id="numeric"),
        pytest.param({"Variable": "$.a", "StringEqualsPath": "$.b"}, "$.a == $.b", id="path"),
        pytest.param({"Variable": "$.x", "IsPresent": False}, "not $.x IsPresent", id="is"),
        pytest.param(
            {
                "And": [
                    {"Variable": "$.a", "BooleanEquals": True},
                    {"Not": {"Variable": "$.b", "StringMatches": "x*"}},
                ]
            },
            '($.a == true and not $.b matches "x*")',
            id="combined",
        ),
        pytest.param({"Condition": "{% $n > 1 %}"}, "{% $n > 1 %}", id="jsonata"),
    ],
)
def test_choice_labels(rule: dict[str, object], label: str) -> None:
    assert graph.rule_label(rule) == label


def test_long_labels_are_shortened_with_the_whole_as_title() -> None:
    rule = {"Variable": "$.a_very_long_variable_name.nested", "StringEquals": "x" * 60}
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{**rule, "Next": "D"}], "Default": "D"},
            "D": {"Type": "Succeed"},
        },
    }
    edge = edges_of(graph.build(definition), "choice")[0]
    assert len(str(edge["label"])) == graph.MAX_LABEL and str(edge["label"]).endswith("…")
    assert edge["title"] == graph.rule_label(rule)


def test_problems_land_on_the_deepest_state() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "Missing"},
            "P": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Nxt": "Y"}}}],
                "End": True,
            },
        },
    }
    drawn = graph.build(definition)
    located = graph.locate(validate(definition), drawn)
    by_location = {d["location"]: d["node"] for d in located}
    assert by_location["/States/A/Next"] == "/States/A"
    assert by_location["/States/P/Branches/0/States/X"] == "/States/P/Branches/0/States/X"
    assert by_location["/States/P"] == "/States/P"
    missing = [e for e in drawn["edges"] if e.get("missing")]
    assert missing == [{"from": "/States/A", "to": None, "kind": "next", "missing": "Missing"}]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{", id="bad-json"),
        pytest.param("[]", id="array"),
        pytest.param('{"States": 3}', id="states-not-object"),
        pytest.param('{"StartAt": "A", "States": {"A": 5}}', id="state-not-object"),
        pytest.param(
            '{"States": {"C": {"Type": "Choice", "Choices": [1, {"Next": 2}]}}}', id="junk"
        ),
    ],
)
def test_garbage_still_draws(text: str) -> None:
    drawn = graph.build_text(text)
    assert isinstance(drawn["nodes"], list)
    graph.locate(validate_text(text), drawn)


def test_root_problems_have_no_node() -> None:
    text = json.dumps({"States": {}})
    located = graph.locate(validate_text(text), graph.build_text(text))
    assert located and all(d["node"] is None for d in located)


def test_scope_owners() -> None:
    owners = graph.scope_owners(graph.build(workflows.APPOINTMENT))
    assert owners["UpdateCalendar"] == ("Confirm", 1, "Task")
    assert owners["ScheduleReminder"] == ("ScheduleReminders", 0, "Task")
    assert owners["Booked"] == (None, None, "Succeed")


def test_two_hundred_states() -> None:
    assert len(graph.node_ids(graph.build(workflows.big_definition()))) == 200
