"""Variables and JSONata in the durable engine: history, scopes, clock and restarts.

AWS documentation: "Passing data between states with variables" (VAR-4, VAR-7, VAR-8), the
GetExecutionHistory reference (``assignedVariables``, ``EvaluationFailed``; VAR-10, QL-8,
HIST-6) and "Transforming data with JSONata" (``$now()``, JFN-1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from statewise import arns
from statewise.clock import ManualClock
from statewise.engine.local import LocalTaskRunner
from statewise.engine.scheduler import Engine
from statewise.store.base import Store
from statewise.store.sqlite import SqliteStore
from statewise.testing import LocalEnvironment, Result

SM = arns.state_machine("vars")
DAY = 86_400


def jsonata(start: str, **states: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": start, "States": states}


async def run(store: Store, definition: dict[str, Any], input: Any = None) -> Result:
    env = LocalEnvironment(store=store)
    try:
        return await env.run(definition, input)
    finally:
        await env.engine.stop()


def details(result: Result, event_type: str) -> list[dict[str, Any]]:
    return [orjson.loads(e.details or "{}") for e in result.events if e.type == event_type]


async def test_var10_history_shows_assigned_variables_as_json_text(store: Store) -> None:
    definition = jsonata(
        "A",
        A={
            "Type": "Pass",
            "Assign": {"n": 42, "s": "text", "o": {"k": [1]}, "z": None},
            "Next": "B",
        },
        B={"Type": "Pass", "End": True},
    )
    result = await run(store, definition, {})
    assert result.status == "SUCCEEDED"
    first, second = details(result, "PassStateExited")
    assert first == {
        "name": "A",
        "output": "{}",
        "outputDetails": {"truncated": False},
        "assignedVariables": {"n": "42", "s": '"text"', "o": '{"k":[1]}', "z": "null"},
        "assignedVariablesDetails": {"truncated": False},
    }
    assert "assignedVariables" not in second  # a state without Assign


async def test_var10_jsonpath_assign_in_history(store: Store) -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Assign": {"x.$": "$.v", "lit": 1}, "End": True}},
    }
    result = await run(store, definition, {"v": "a"})
    [exited] = details(result, "PassStateExited")
    assert exited["assignedVariables"] == {"x": '"a"', "lit": "1"}


async def test_ql8_evaluation_failed_precedes_the_failure(store: Store) -> None:
    """HIST-6: ``PassStateEntered, EvaluationFailed, ExecutionFailed``."""
    definition = jsonata("P", P={"Type": "Pass", "Output": {"v": "{% $nope %}"}, "End": True})
    result = await run(store, definition, {})
    assert [e.type for e in result.events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "EvaluationFailed",
        "ExecutionFailed",
    ]
    [event] = details(result, "EvaluationFailed")
    cause = (
        "An error occurred while executing the state 'P' (entered at the event id #2). The "
        "JSONata expression '$nope' specified for the field 'Output/v' returned nothing "
        "(undefined)."
    )
    assert event == {
        "error": "States.QueryEvaluationError",
        "cause": cause,
        "location": "Output/v",
        "state": "P",
    }
    assert details(result, "ExecutionFailed") == [
        {"error": "States.QueryEvaluationError", "cause": cause}
    ]


async def test_ql8_map_items_failure_history(store: Store) -> None:
    """HIST-6: ``MapStateEntered, EvaluationFailed, MapStateFailed, ExecutionFailed``."""
    processor = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
    definition = jsonata(
        "M", M={"Type": "Map", "Items": "{% 'x' %}", "ItemProcessor": processor, "End": True}
    )
    result = await run(store, definition, {})
    assert [e.type for e in result.events][1:] == [
        "MapStateEntered",
        "EvaluationFailed",
        "MapStateFailed",
        "ExecutionFailed",
    ]


async def test_jfn1_now_follows_the_engine_clock(store: Store) -> None:
    """Virtual time applies: after a 30-day Wait, ``$now()`` is 30 days later."""
    definition = jsonata(
        "A",
        A={"Type": "Pass", "Assign": {"start": "{% $millis() %}"}, "Next": "W"},
        W={"Type": "Wait", "Seconds": 30 * DAY, "Next": "B"},
        B={
            "Type": "Pass",
            "Output": {"days": "{% ($millis() - $start) / 86400000 %}", "now": "{% $now() %}"},
            "End": True,
        },
    )
    result = await run(store, definition, {})
    assert result.output == {"days": 30, "now": "2026-01-31T00:00:00.000Z"}


async def test_var7_scopes_in_the_engine(store: Store) -> None:
    """Branches read outer variables, write their own, and leave nothing behind."""
    branch = {
        "StartAt": "B",
        "States": {
            "B": {"Type": "Pass", "Assign": {"mine": "{% $outer & '-b' %}"}, "Next": "C"},
            "C": {"Type": "Pass", "Output": "{% $mine %}", "End": True},
        },
    }
    other = {
        "StartAt": "D",
        "States": {"D": {"Type": "Pass", "Output": "{% $exists($mine) %}", "End": True}},
    }
    definition = jsonata(
        "A",
        A={"Type": "Pass", "Assign": {"outer": "o"}, "Next": "P"},
        P={"Type": "Parallel", "Branches": [branch, other], "Next": "E"},
        E={
            "Type": "Pass",
            "Output": {"results": "{% $states.input %}", "leaked": "{% $exists($mine) %}"},
            "End": True,
        },
    )
    result = await run(store, definition, {})
    assert result.output == {"results": ["o-b", False], "leaked": False}


async def test_var8_execution_variables_over_10_mib(store: Store) -> None:
    """VAR-8: all the variables of one execution are at most 10 MiB."""
    states: dict[str, Any] = {}
    for i in range(42):  # 42 x 250,000 bytes > 10 MiB
        states[f"S{i}"] = {
            "Type": "Pass",
            "Assign": {f"v{i}": "{% $pad('', 249990, 'x') %}"},
            "Next": f"S{i + 1}",
        }
    states["S42"] = {"Type": "Succeed"}
    result = await run(store, jsonata("S0", **states), {})
    assert result.status == "FAILED"
    assert result.execution.error == "States.DataLimitExceeded"


DURABLE = jsonata(
    "Remember",
    Remember={
        "Type": "Pass",
        "Assign": {"customer": "{% $states.input.customer %}", "seen": []},
        "Next": "Each",
    },
    Each={
        "Type": "Map",
        "Items": "{% $states.input.items %}",
        "ItemProcessor": {
            "StartAt": "Hold",
            "States": {
                "Hold": {
                    "Type": "Pass",
                    "Assign": {"item": "{% $states.input %}"},
                    "Next": "Sleep",
                },
                "Sleep": {"Type": "Wait", "Seconds": DAY, "Next": "Use"},
                "Use": {"Type": "Pass", "Output": "{% $customer & ':' & $item %}", "End": True},
            },
        },
        "Assign": {"seen": "{% $states.result %}"},
        "Next": "Nap",
    },
    Nap={"Type": "Wait", "Seconds": DAY, "Assign": {"napped": True}, "Next": "Report"},
    Report={
        "Type": "Pass",
        "Output": {"customer": "{% $customer %}", "seen": "{% $seen %}", "napped": "{% $napped %}"},
        "End": True,
    },
)


async def _until_idle_without_time(engine: Engine) -> None:
    """Run what is due now, leaving the clock where it is (the execution then waits)."""
    while await engine.tick():
        pass


async def test_variables_survive_a_restart_mid_wait(tmp_path: Path) -> None:
    """Stop the engine while outer and inner scopes hold variables and wait; a new engine
    on the same SQLite file finishes with every variable intact (X-6)."""
    path = tmp_path / "statewise.db"
    clock = ManualClock()
    first = SqliteStore(path)
    await first.open()
    engine = Engine(first, LocalTaskRunner({}), clock=clock)
    record = await engine.start_execution(
        state_machine_arn=SM,
        name="durable",
        definition=orjson.dumps(DURABLE).decode(),
        input_text='{"customer": "c-1", "items": ["a", "b"]}',
    )
    await _until_idle_without_time(engine)
    frames = {f.id: orjson.loads(f.data) for f in await first.get_frames(record.arn)}
    assert frames[0]["v"] == {"customer": "c-1", "seen": []}
    assert sorted(data["v"]["item"] for fid, data in frames.items() if fid != 0) == ["a", "b"]
    await engine.stop()
    await first.close()

    # The first restart happens inside the iterations' Wait, the second in the outer one.
    for _ in range(2):
        clock.advance(DAY)
        store = SqliteStore(path)
        await store.open()
        engine = Engine(store, LocalTaskRunner({}), clock=clock)
        await _until_idle_without_time(engine)
        await engine.stop()
        await store.close()

    store = SqliteStore(path)
    await store.open()
    try:
        final = await store.get_execution(record.arn)
        assert final is not None
        assert final.status.value == "SUCCEEDED", final
        assert orjson.loads(final.output or "null") == {
            "customer": "c-1",
            "seen": ["c-1:a", "c-1:b"],
            "napped": True,
        }
    finally:
        await store.close()


async def test_var3_task_assignments_through_the_engine(store: Store) -> None:
    """A Task's Assign reads its result (``$states.result`` / ``$``) once the task is done,
    in both languages, and a catcher's Assign reads the error output."""

    def lookup(payload: Any) -> Any:
        return {"id": payload["key"] * 2}

    def broken(payload: Any) -> Any:
        raise ValueError("nope")

    fn = "arn:aws:lambda:us-east-1:123456789012:function:"
    definition = {
        "StartAt": "Old",
        "States": {
            "Old": {
                "Type": "Task",
                "Resource": fn + "lookup",
                "Assign": {"old.$": "$.id"},
                "ResultPath": None,
                "Next": "New",
            },
            "New": {
                "Type": "Task",
                "QueryLanguage": "JSONata",
                "Resource": fn + "lookup",
                "Arguments": {"key": "{% $old %}"},
                "Assign": {"new": "{% $states.result.id %}"},
                "Next": "Fails",
            },
            "Fails": {
                "Type": "Task",
                "QueryLanguage": "JSONata",
                "Resource": fn + "broken",
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"error": "{% $states.errorOutput.Error %}"},
                        "Next": "Report",
                    }
                ],
                "End": True,
            },
            "Report": {
                "Type": "Pass",
                "QueryLanguage": "JSONata",
                "Output": "{% [$old, $new, $error] %}",
                "End": True,
            },
        },
    }
    env = LocalEnvironment({"lookup": lookup, "broken": broken}, store=store)
    try:
        result = await env.run(definition, {"key": 1})
    finally:
        await env.engine.stop()
    assert result.status == "SUCCEEDED", result.execution
    assert result.output == [2, 4, "ValueError"]
    exits = {d["name"]: d.get("assignedVariables") for d in details(result, "TaskStateExited")}
    assert exits == {"Old": {"old": "2"}, "New": {"new": "4"}, "Fails": {"error": '"ValueError"'}}
