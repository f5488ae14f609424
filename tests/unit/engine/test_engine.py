"""The engine end to end on the in-memory store and virtual time (HIST-*, TYPE-1, X-*)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from statewise import arns
from statewise.clock import ManualClock
from statewise.engine.local import LocalTaskRunner, TaskError
from statewise.engine.scheduler import Engine
from statewise.errors import ExecutionAlreadyExists
from statewise.store.base import Store
from statewise.testing import LocalEnvironment, Result, all_events

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
SM = arns.state_machine("m")


def chain(*states: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    names = [n for n, _ in states]
    built = {}
    for i, (name, body) in enumerate(states):
        body = dict(body)
        if body["Type"] not in ("Choice", "Succeed", "Fail") and "Next" not in body:
            body.update({"Next": names[i + 1]} if i + 1 < len(names) else {"End": True})
        built[name] = body
    return {"StartAt": names[0], "States": built}


async def run(
    store: Store,
    definition: dict[str, Any],
    input: Any = None,
    functions: dict[str, Any] | None = None,
) -> Result:
    env = LocalEnvironment(functions, store=store)
    try:
        return await env.run(definition, input)
    finally:
        await env.engine.stop()


def types(result: Result) -> list[str]:
    return [e.type for e in result.events]


def details(result: Result, event_type: str) -> dict[str, Any]:
    event = next(e for e in result.events if e.type == event_type)
    return orjson.loads(event.details or "{}")


async def test_pass_history_and_previous_event_ids(store: Store) -> None:
    """HIST-6 Pass sequence; HIST-2 ids count from 1 and the first Entered points at 0."""
    result = await run(store, chain(("A", {"Type": "Pass"})), {"x": 1})
    assert result.status == "SUCCEEDED"
    assert result.output == {"x": 1}
    assert types(result) == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [(e.id, e.previous_event_id) for e in result.events] == [(1, 0), (2, 0), (3, 2), (4, 3)]
    assert details(result, "PassStateEntered") == {
        "name": "A",
        "input": '{"x":1}',
        "inputDetails": {"truncated": False},
    }


async def test_thirty_day_wait_takes_no_time_on_virtual_clock(store: Store) -> None:
    """A month-long Wait finishes at once; timestamps show the virtual time."""
    result = await run(store, chain(("W", {"Type": "Wait", "Seconds": 30 * 86400})))
    assert result.status == "SUCCEEDED"
    entered, exited = result.events[1], result.events[2]
    assert (entered.type, exited.type) == ("WaitStateEntered", "WaitStateExited")
    assert exited.timestamp - entered.timestamp == 30 * 86400


async def test_task_retry_and_uncaught_failure_history(store: Store) -> None:
    """HIST-6/ASL-TASK-8: a retry repeats Scheduled/Started without a new Entered; an
    uncaught failure has no TaskStateExited."""

    def always_fails(event: Any) -> Any:
        raise TaskError("Boom", "it broke")

    definition = chain(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN + "f",
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 7}],
            },
        )
    )
    result = await run(store, definition, {}, {"f": always_fails})
    assert result.status == "FAILED"
    assert types(result) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionFailed",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionFailed",
        "ExecutionFailed",
    ]
    assert details(result, "ExecutionFailed") == {"error": "Boom", "cause": "it broke"}
    failed = [e for e in result.events if e.type == "LambdaFunctionFailed"]
    assert failed[1].timestamp - failed[0].timestamp == 7
    assert (result.execution.error, result.execution.cause) == ("Boom", "it broke")


async def test_optimized_lambda_result_and_catch(store: Store) -> None:
    """INT-4 envelope; CATCH-4: a caught failure exits the state with the catcher output."""

    def fails(event: Any) -> Any:
        raise ValueError("bad input")

    definition = chain(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.err", "Next": "Ok"}],
            },
        ),
        ("Ok", {"Type": "Pass"}),
    )
    result = await run(store, definition, {"a": 1}, {"f": fails})
    assert result.status == "SUCCEEDED"
    assert result.output["a"] == 1
    assert result.output["err"]["Error"] == "ValueError"
    assert orjson.loads(result.output["err"]["Cause"])["errorMessage"] == "bad input"
    assert types(result)[1:7] == [
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "TaskStateExited",
        "PassStateEntered",
    ]
    scheduled = details(result, "TaskScheduled")
    assert scheduled["resourceType"] == "lambda" and scheduled["resource"] == "invoke"
    assert orjson.loads(scheduled["parameters"]) == {"FunctionName": "f", "Payload": {"a": 1}}

    ok = await run(store, definition, {"a": 1}, {"f": lambda e: {"got": e}})
    assert ok.output["Payload"] == {"got": {"a": 1}}
    assert ok.output["StatusCode"] == 200


async def test_fail_state_history(store: Store) -> None:
    """ASL-FAIL-3: FailStateEntered then ExecutionFailed, no exit event."""
    result = await run(store, chain(("F", {"Type": "Fail", "Error": "E", "Cause": "C"})))
    assert types(result) == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert result.execution.status.value == "FAILED"
    assert result.events[-1].previous_event_id == 2


async def test_fail_state_without_error_omits_keys(store: Store) -> None:
    """ASL-FAIL-2/X-2: no error/cause keys rather than nulls."""
    result = await run(store, chain(("F", {"Type": "Fail"})))
    assert result.events[-1].details == "{}"
    assert (result.execution.error, result.execution.cause) == (None, None)


async def test_parallel_failure_aborts_siblings_with_branch_error(store: Store) -> None:
    """ASL-PAR-3/ASL-PAR-5: the branch's own error; the waiting sibling is aborted."""
    definition = chain(
        (
            "P",
            {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Slow",
                        "States": {"Slow": {"Type": "Wait", "Seconds": 100, "End": True}},
                    },
                    {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Own"}}},
                ],
            },
        )
    )
    result = await run(store, definition)
    assert result.status == "FAILED"
    assert result.execution.error == "Own"
    assert types(result) == [
        "ExecutionStarted",
        "ParallelStateEntered",
        "ParallelStateStarted",
        "WaitStateEntered",
        "FailStateEntered",
        "WaitStateAborted",
        "ParallelStateFailed",
        "ExecutionFailed",
    ]


async def test_map_iteration_events_and_concurrency(store: Store) -> None:
    """ASL-MAP-8 events; ASL-MAP-5 MaxConcurrency bounds running iterations."""
    running = 0
    peak = 0

    async def work(event: Any) -> Any:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return event * 10

    definition = chain(
        (
            "M",
            {
                "Type": "Map",
                "MaxConcurrency": 2,
                "ItemProcessor": {
                    "StartAt": "T",
                    "States": {"T": {"Type": "Task", "Resource": FN + "work", "End": True}},
                },
            },
        )
    )
    result = await run(store, definition, [1, 2, 3, 4, 5], {"work": work})
    assert result.status == "SUCCEEDED"
    assert result.output == [10, 20, 30, 40, 50]
    assert peak == 2
    assert types(result).count("MapIterationStarted") == 5
    assert types(result).count("MapIterationSucceeded") == 5
    assert details(result, "MapStateStarted") == {"length": 5}
    assert types(result)[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


async def test_map_failure_then_catch(store: Store) -> None:
    """ASL-MAP-6/CATCH-4: MapIterationFailed, MapStateFailed, then the catcher's exit."""
    definition = chain(
        (
            "M",
            {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "C",
                    "States": {
                        "C": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}],
                            "Default": "Good",
                        },
                        "Bad": {"Type": "Fail", "Error": "Two"},
                        "Good": {"Type": "Pass", "End": True},
                    },
                },
                "Catch": [{"ErrorEquals": ["Two"], "Next": "After"}],
            },
        ),
        ("After", {"Type": "Pass"}),
    )
    result = await run(store, definition, [1, 2])
    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": "Two", "Cause": None}
    seq = types(result)
    assert (
        seq.index("MapIterationFailed") < seq.index("MapStateFailed") < seq.index("MapStateExited")
    )


async def test_execution_timeout(store: Store) -> None:
    """X-2: TimeoutSeconds expiry gives TIMED_OUT and ExecutionTimedOut with no cause."""
    definition = {**chain(("W", {"Type": "Wait", "Seconds": 100})), "TimeoutSeconds": 10}
    result = await run(store, definition)
    assert result.status == "TIMED_OUT"
    last = result.events[-1]
    assert last.type == "ExecutionTimedOut"
    assert orjson.loads(last.details or "{}") == {"error": "States.Timeout"}
    assert last.previous_event_id == 0
    assert result.execution.stop_date == result.execution.start_date + 10


async def test_task_timeout_and_heartbeat(store: Store) -> None:
    """ASL-TASK-2/3: TimeoutSeconds -> States.Timeout; a heartbeat timeout is recorded as
    States.Timeout but caught as States.HeartbeatTimeout."""
    never = asyncio.Event()

    async def hang(event: Any) -> Any:
        await never.wait()

    timed = chain(("T", {"Type": "Task", "Resource": FN + "hang", "TimeoutSeconds": 5}))
    result = await run(store, timed, {}, {"hang": hang})
    assert result.status == "FAILED"
    assert result.execution.error == "States.Timeout"
    assert "LambdaFunctionTimedOut" in types(result)

    beat = chain(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "hang"},
                "TimeoutSeconds": 50,
                "HeartbeatSeconds": 5,
                "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}],
            },
        ),
        ("Caught", {"Type": "Pass"}),
    )
    result = await run(store, beat, {}, {"hang": hang})
    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": "States.HeartbeatTimeout", "Cause": None}
    assert details(result, "TaskTimedOut")["error"] == "States.Timeout"
    assert details(result, "TaskScheduled")["heartbeatInSeconds"] == 5


async def test_history_limit(store: Store) -> None:
    """HIST-7: event 25,000 is ExecutionFailed with States.Runtime."""
    definition = {
        "StartAt": "Loop",
        "States": {
            "Loop": {"Type": "Pass", "Next": "Again"},
            "Again": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Done"}],
                "Default": "Loop",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    result = await run(store, definition)
    assert result.status == "FAILED"
    last = result.events[-1]
    assert (last.id, last.type, last.previous_event_id) == (25_000, "ExecutionFailed", 24_999)
    assert orjson.loads(last.details or "{}") == {
        "error": "States.Runtime",
        "cause": "The execution reached the maximum number of history events (25000).",
    }


async def test_pass_output_over_limit_fails_execution(store: Store) -> None:
    """IO-7/ERR-6: an oversized Pass output fails the execution."""
    big = "x" * 262_144
    result = await run(store, chain(("P", {"Type": "Pass", "Result": big})))
    assert result.status == "FAILED"
    assert result.execution.error == "States.DataLimitExceeded"


async def test_oversized_task_result_is_catchable(store: Store) -> None:
    """ERR-6: an oversized task result is a task failure States.ALL catches."""
    definition = chain(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN + "big",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
            },
        ),
        ("C", {"Type": "Pass"}),
    )
    result = await run(store, definition, {}, {"big": lambda e: "y" * 300_000})
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.DataLimitExceeded"


async def test_start_is_idempotent_only_while_running_with_same_input(store: Store) -> None:
    """API-16: same name and input while running returns the same execution."""
    engine = Engine(store, LocalTaskRunner({}), clock=ManualClock())
    definition = orjson.dumps(chain(("W", {"Type": "Wait", "Seconds": 60}))).decode()
    first = await engine.start_execution(
        state_machine_arn=SM, name="n", definition=definition, input_text='{"a": 1}'
    )
    again = await engine.start_execution(
        state_machine_arn=SM, name="n", definition=definition, input_text='{"a":1}'
    )
    assert again.arn == first.arn and again.start_date == first.start_date
    with pytest.raises(ExecutionAlreadyExists):
        await engine.start_execution(
            state_machine_arn=SM, name="n", definition=definition, input_text='{"a": 2}'
        )
    await engine.run_until_idle()
    with pytest.raises(ExecutionAlreadyExists):
        await engine.start_execution(
            state_machine_arn=SM, name="n", definition=definition, input_text='{"a": 1}'
        )


async def test_stop_aborts_everything_under_it(store: Store) -> None:
    """API-19/ASL-WAIT-5: stopping during waits gives ExecutionAborted and leaves no work."""
    engine = Engine(store, LocalTaskRunner({}), clock=ManualClock())
    definition = chain(
        (
            "M",
            {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "W",
                    "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}},
                },
            },
        )
    )
    record = await engine.start_execution(
        state_machine_arn=SM,
        name="s",
        definition=orjson.dumps(definition).decode(),
        input_text="[1, 2, 3]",
    )
    await engine.tick()
    assert len(await store.get_work(record.arn)) == 3
    stopped = await engine.stop_execution(record.arn)
    assert stopped.status.value == "ABORTED"
    assert (stopped.error, stopped.cause) == (None, None)
    assert await store.get_work(record.arn) == []
    assert await store.get_frames(record.arn) == []
    events = await all_events(store, record.arn)
    assert events[-1].type == "ExecutionAborted"
    assert events[-1].details == "{}"
    assert events[-1].previous_event_id == 0
    # Stopping again changes nothing.
    assert (await engine.stop_execution(record.arn)).stop_date == stopped.stop_date


async def test_a_command_outlives_a_tick_that_failed_before_applying_it() -> None:
    """The store fails the claim at the start of a tick (an outage, a lost connection):
    the tick's commands are neither lost nor failed, and run in the next tick, so a
    caller's StartExecution completes once the store answers again."""
    from statewise.engine.local import LocalTaskRunner
    from statewise.engine.scheduler import Engine, EngineSettings
    from statewise.store.base import StoreError
    from statewise.store.memory import MemoryStore

    class FailsOnce(MemoryStore):
        armed = False
        failed = False

        async def claim_due(self, **kwargs: Any) -> Any:
            if self.armed and not self.failed:
                self.failed = True
                raise StoreError("the store is briefly down")
            return await super().claim_due(**kwargs)

    store = FailsOnce()
    await store.open()
    engine = Engine(store, LocalTaskRunner({}), settings=EngineSettings(idle_poll_seconds=0.01))
    await engine.start()
    await asyncio.sleep(0.05)  # the loop is idle: the next tick is the start's
    store.armed = True
    try:
        definition = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}'
        record = await asyncio.wait_for(
            engine.start_execution(
                state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
                name="e1",
                definition=definition,
            ),
            10,
        )
        final = await asyncio.wait_for(engine.wait_for(record.arn), 10)
        assert store.failed
        assert final.status.value == "SUCCEEDED"
    finally:
        await engine.stop()
        await store.close()
