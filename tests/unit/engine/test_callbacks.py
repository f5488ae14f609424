"""Task tokens, callbacks, heartbeats and activities in the engine (INT-3, INT-9, CTX-5,
API-31..API-33, HIST-4, HIST-6), on virtual time over every store."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest

from statewise import arns
from statewise.clock import ManualClock
from statewise.engine.ports import TaskOutcome, TaskRequest, TaskSucceeded
from statewise.engine.scheduler import Engine
from statewise.errors import InvalidToken, TaskDoesNotExist, TaskTimedOut
from statewise.integrations import activities as activity_queue_module
from statewise.integrations.activities import ActivityQueue
from statewise.integrations.router import TaskRouter
from statewise.store.base import ActivityRecord, ExecutionRecord, Store
from statewise.store.sqlite import SqliteStore
from statewise.tasktokens import TaskTokens
from statewise.testing import all_events

SM = arns.state_machine("callbacks")
SQS = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
ACTIVITY = arns.activity("review")


class Outbox:
    """A stand-in integration: records each request, answers as told (default: sent)."""

    def __init__(self) -> None:
        self.requests: list[TaskRequest] = []
        self.answer: TaskOutcome = TaskSucceeded({"MessageId": "m-1"})

    async def run(self, request: TaskRequest) -> TaskOutcome:
        self.requests.append(request)
        return self.answer


def machine(state: dict[str, Any], *more: tuple[str, dict[str, Any]]) -> str:
    states = {"T": state, **dict(more)}
    return orjson.dumps({"StartAt": "T", "States": states}).decode()


def callback_task(next_state: str | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Type": "Task",
        "Resource": SQS,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
        **fields,
    }
    if next_state is None:
        body["End"] = True
    else:
        body["Next"] = next_state
    return body


async def settle(engine: Engine) -> None:
    """Tick until a few ticks in a row find nothing to do (the clock stays where it is);
    tasks still running then (an activity task waiting for a worker) are left running."""
    idle = 0
    for _ in range(500):
        busy = await engine.tick()
        await asyncio.sleep(0.002)
        idle = 0 if busy else idle + 1
        if idle > 3:
            return
    raise AssertionError("the engine did not settle")


async def begin(
    engine: Engine, definition: str, name: str = "e1", input_text: str = "{}"
) -> ExecutionRecord:
    record = await engine.start_execution(
        state_machine_arn=SM, name=name, definition=definition, input_text=input_text
    )
    await settle(engine)
    return record


def types(events: list[Any]) -> list[str]:
    return [e.type for e in events]


def details(events: list[Any], event_type: str) -> dict[str, Any]:
    return dict(orjson.loads(next(e for e in events if e.type == event_type).details or "{}"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
async def engine(store: Store, outbox: Outbox, clock: ManualClock) -> Engine:
    return Engine(store, TaskRouter(lambdas=outbox, services=outbox), clock=clock)


async def test_token_in_context_and_callback_history(
    engine: Engine, outbox: Outbox, store: Store
) -> None:
    """INT-3/CTX-5: $$.Task.Token reaches the parameters and the request; HIST-6 callback
    sequence; TaskSubmitted holds the call's response, TaskSucceeded SendTaskSuccess's."""
    record = await begin(engine, machine(callback_task(ResultPath="$.reply")))
    request = outbox.requests[0]
    assert request.token is not None
    assert request.payload == {"QueueUrl": "q", "MessageBody": {"token": request.token}}
    await engine.send_task_success(request.token, '{"ok": true}')
    events = await all_events(store, record.arn)
    assert types(events) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert details(events, "TaskSubmitted") == {
        "resourceType": "sqs",
        "resource": "sendMessage.waitForTaskToken",
        "output": '{"MessageId":"m-1"}',
        "outputDetails": {"truncated": False},
    }
    assert details(events, "TaskSucceeded")["output"] == '{"ok":true}'
    final = await store.get_execution(record.arn)
    assert final is not None and orjson.loads(final.output or "") == {"reply": {"ok": True}}


async def test_send_task_failure_is_caught(engine: Engine, outbox: Outbox, store: Store) -> None:
    """API-32: the error and cause given become the task's failure, matched by Catch."""
    definition = machine(
        callback_task("No", Catch=[{"ErrorEquals": ["Declined"], "Next": "No"}]),
        ("No", {"Type": "Pass", "End": True}),
    )
    record = await begin(engine, definition)
    token = outbox.requests[0].token
    assert token is not None
    await engine.send_task_failure(token, error="Declined", cause="not today")
    events = await all_events(store, record.arn)
    assert details(events, "TaskFailed") == {
        "resourceType": "sqs",
        "resource": "sendMessage.waitForTaskToken",
        "error": "Declined",
        "cause": "not today",
    }
    assert types(events)[-2:] == ["PassStateExited", "ExecutionSucceeded"]


async def test_failure_without_error_or_cause(engine: Engine, outbox: Outbox, store: Store) -> None:
    """API-32/X-2: both may be absent, and are then absent from the event."""
    record = await begin(engine, machine(callback_task()))
    token = outbox.requests[0].token
    assert token is not None
    await engine.send_task_failure(token, error=None, cause=None)
    events = await all_events(store, record.arn)
    assert details(events, "TaskFailed") == {
        "resourceType": "sqs",
        "resource": "sendMessage.waitForTaskToken",
    }
    assert types(events)[-1] == "ExecutionFailed"


async def test_retry_gets_a_fresh_token_and_the_old_one_is_dead(
    engine: Engine, outbox: Outbox, store: Store
) -> None:
    """CTX-5/INT-3: each attempt has its own token; a retried attempt's is TaskTimedOut."""
    retry = [{"ErrorEquals": ["Again"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    record = await begin(engine, machine(callback_task(Retry=retry)))
    first = outbox.requests[0].token
    assert first is not None
    await engine.send_task_failure(first, error="Again", cause=None)
    await engine.run_until_idle()
    second = outbox.requests[1].token
    assert second is not None and second != first
    with pytest.raises(TaskTimedOut):
        await engine.send_task_success(first, "{}")
    await engine.send_task_success(second, '"done"')
    final = await store.get_execution(record.arn)
    assert final is not None and final.status.value == "SUCCEEDED"


async def test_token_errors(engine: Engine, outbox: Outbox) -> None:
    """API-31: InvalidToken for text this server did not sign, TaskDoesNotExist for an
    unknown execution, TaskTimedOut once the execution closed."""
    with pytest.raises(InvalidToken, match="Invalid Token: 'Invalid token'"):
        await engine.send_task_success("not-a-token", "{}")
    forged = TaskTokens.ephemeral().issue(arns.execution("callbacks", "e1"), 0, 1, 0.0)
    with pytest.raises(InvalidToken):
        await engine.send_task_heartbeat(forged)
    unknown = engine.tokens.issue(arns.execution("callbacks", "nobody"), 0, 1, 0.0)
    with pytest.raises(TaskDoesNotExist):
        await engine.send_task_success(unknown, "{}")
    await begin(engine, machine(callback_task()))
    token = outbox.requests[0].token
    assert token is not None
    await engine.send_task_success(token, "{}")
    with pytest.raises(TaskTimedOut, match="Task Timed Out"):
        await engine.send_task_success(token, "{}")


async def test_heartbeat_resets_the_heartbeat_clock(
    engine: Engine, outbox: Outbox, store: Store, clock: ManualClock
) -> None:
    """API-33: a heartbeat pushes the HeartbeatSeconds deadline back and writes no event;
    a missed one fails with States.HeartbeatTimeout (recorded as States.Timeout)."""
    definition = machine(
        callback_task(
            "Late",
            HeartbeatSeconds=10,
            Catch=[{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Late"}],
        ),
        ("Late", {"Type": "Pass", "End": True}),
    )
    record = await begin(engine, definition)
    token = outbox.requests[0].token
    assert token is not None
    start = clock.now()
    clock.set(start + 8)
    await engine.send_task_heartbeat(token)
    clock.set(start + 15)
    await settle(engine)
    events = await all_events(store, record.arn)
    assert "TaskTimedOut" not in types(events)
    assert details(events, "TaskScheduled")["heartbeatInSeconds"] == 10
    clock.set(start + 18.5)
    await settle(engine)
    events = await all_events(store, record.arn)
    assert details(events, "TaskTimedOut")["error"] == "States.Timeout"
    assert types(events)[-1] == "ExecutionSucceeded"
    with pytest.raises(TaskTimedOut):
        await engine.send_task_heartbeat(token)


async def test_timeout_counts_from_the_start(
    engine: Engine, outbox: Outbox, store: Store, clock: ManualClock
) -> None:
    """ASL-TASK-2: TimeoutSeconds is not extended by heartbeats."""
    record = await begin(engine, machine(callback_task(TimeoutSeconds=20, HeartbeatSeconds=10)))
    token = outbox.requests[0].token
    assert token is not None
    start = clock.now()
    for moment in (8, 16):
        clock.set(start + moment)
        await engine.send_task_heartbeat(token)
    clock.set(start + 20.5)
    await settle(engine)
    final = await store.get_execution(record.arn)
    assert final is not None and final.error == "States.Timeout"


async def test_heartbeat_and_timeout_from_paths(
    engine: Engine, outbox: Outbox, store: Store, clock: ManualClock
) -> None:
    """ASL-TASK-2/3: HeartbeatSecondsPath and TimeoutSecondsPath read the effective input."""
    definition = machine(callback_task(HeartbeatSecondsPath="$.beat", TimeoutSecondsPath="$.limit"))
    record = await begin(engine, definition, input_text='{"beat": 5, "limit": 50}')
    events = await all_events(store, record.arn)
    scheduled = details(events, "TaskScheduled")
    assert (scheduled["heartbeatInSeconds"], scheduled["timeoutInSeconds"]) == (5, 50)
    clock.set(clock.now() + 5.5)
    await settle(engine)
    final = await store.get_execution(record.arn)
    assert final is not None and final.error == "States.HeartbeatTimeout"


async def test_callback_after_restart(tmp_path: Path, outbox: Outbox) -> None:
    """Tokens are durable: a callback to a new engine over the same store and key works."""
    tokens = TaskTokens.ephemeral()
    store = SqliteStore(tmp_path / "s.db")
    await store.open()
    first = Engine(store, TaskRouter(lambdas=outbox, services=outbox), tokens=tokens)
    record = await begin(first, machine(callback_task()))
    await first.stop()
    await store.close()
    store = SqliteStore(tmp_path / "s.db")
    await store.open()
    second = Engine(store, TaskRouter(lambdas=outbox, services=outbox), tokens=tokens)
    token = outbox.requests[0].token
    assert token is not None
    await second.send_task_success(token, '"late"')
    final = await store.get_execution(record.arn)
    assert final is not None and final.output == '"late"'
    await store.close()


async def test_callback_racing_the_submission(engine: Engine, store: Store) -> None:
    """A callback sent while the call returns still follows TaskSubmitted in history."""

    class Quick:
        async def run(self, request: TaskRequest) -> TaskOutcome:
            token = request.token or ""
            asyncio.get_running_loop().call_soon(
                lambda: asyncio.ensure_future(engine.send_task_success(token, "1"))
            )
            return TaskSucceeded({"sent": 1})

    engine.tasks = TaskRouter(lambdas=Quick(), services=Quick())
    await engine.start()
    try:
        record = await engine.start_execution(
            state_machine_arn=SM, name="quick", definition=machine(callback_task())
        )
        await asyncio.wait_for(engine.wait_for(record.arn), 5)
    finally:
        await engine.stop()
    events = await all_events(store, record.arn)
    assert types(events)[4:6] == ["TaskSubmitted", "TaskSucceeded"]


# --- activities -------------------------------------------------------------------------


@pytest.fixture
async def activities(store: Store) -> ActivityQueue:
    await store.insert_activity(ActivityRecord(arn=ACTIVITY, name="review", creation_date=1.0))
    return ActivityQueue(store)


@pytest.fixture
async def activity_engine(store: Store, activities: ActivityQueue, clock: ManualClock) -> Engine:
    engine = Engine(store, TaskRouter(lambdas=Outbox(), activities=activities), clock=clock)
    activities.bind(engine.activity_started)
    return engine


async def test_activity_task_lifecycle(
    activity_engine: Engine, activities: ActivityQueue, store: Store, clock: ManualClock
) -> None:
    """INT-9/HIST-6: ActivityScheduled, ActivityStarted {workerName}, ActivitySucceeded;
    the heartbeat clock starts at pickup."""
    definition = machine(
        {"Type": "Task", "Resource": ACTIVITY, "HeartbeatSeconds": 30, "End": True}
    )
    record = await begin(activity_engine, definition)
    assert await activities.pending(ACTIVITY) == 1
    clock.set(clock.now() + 100)  # long before pickup: no heartbeat clock yet
    await settle(activity_engine)
    got = await activities.poll(ACTIVITY, "worker-1", timeout=1)
    assert got is not None and orjson.loads(got.input) == {}
    await settle(activity_engine)
    events = await all_events(store, record.arn)
    assert types(events)[1:4] == ["TaskStateEntered", "ActivityScheduled", "ActivityStarted"]
    assert details(events, "ActivityScheduled") == {
        "resource": ACTIVITY,
        "input": "{}",
        "inputDetails": {"truncated": False},
        "heartbeatInSeconds": 30,
    }
    assert details(events, "ActivityStarted") == {"workerName": "worker-1"}
    await activity_engine.send_task_success(got.token, '{"approved": true}')
    events = await all_events(store, record.arn)
    assert types(events)[4:] == ["ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]


async def test_activity_heartbeat_timeout_from_pickup(
    activity_engine: Engine, activities: ActivityQueue, store: Store, clock: ManualClock
) -> None:
    """INT-9: a worker that stops heartbeating times the activity out (ActivityTimedOut)."""
    definition = machine({"Type": "Task", "Resource": ACTIVITY, "HeartbeatSeconds": 5, "End": True})
    record = await begin(activity_engine, definition)
    got = await activities.poll(ACTIVITY, None, timeout=1)
    assert got is not None
    await settle(activity_engine)
    clock.set(clock.now() + 6)
    await settle(activity_engine)
    events = await all_events(store, record.arn)
    assert details(events, "ActivityStarted") == {}
    assert details(events, "ActivityTimedOut") == {"error": "States.Timeout"}
    with pytest.raises(TaskTimedOut):
        await activity_engine.send_task_success(got.token, "{}")


async def test_activity_failure_and_empty_poll(
    activity_engine: Engine, activities: ActivityQueue, store: Store
) -> None:
    """API-30: a poll with nothing to do ends empty; API-32: ActivityFailed."""
    assert await activities.poll(ACTIVITY, "idle", timeout=0.05) is None
    record = await begin(
        activity_engine, machine({"Type": "Task", "Resource": ACTIVITY, "End": True})
    )
    got = await activities.poll(ACTIVITY, "w", timeout=1)
    assert got is not None
    await activity_engine.send_task_failure(got.token, error="Rejected", cause="by a person")
    events = await all_events(store, record.arn)
    assert details(events, "ActivityFailed") == {"error": "Rejected", "cause": "by a person"}


async def test_missing_activity_is_a_runtime_error(activity_engine: Engine, store: Store) -> None:
    """INT-9/ERR-5: an activity that does not exist fails the execution with States.Runtime,
    which no Catch can take."""
    missing = arns.activity("gone")
    definition = machine(
        {
            "Type": "Task",
            "Resource": missing,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
            "Next": "C",
        },
        ("C", {"Type": "Pass", "End": True}),
    )
    record = await begin(activity_engine, definition)
    final = await store.get_execution(record.arn)
    assert final is not None and final.error == "States.Runtime"
    assert final.cause == f"The activity {missing} does not exist."
    events = await all_events(store, record.arn)
    assert "ActivityScheduleFailed" in types(events)


async def test_stale_pickup_is_skipped(
    activity_engine: Engine, activities: ActivityQueue, store: Store
) -> None:
    """A pending activity task of an execution that was stopped is never handed out."""
    record = await begin(
        activity_engine, machine({"Type": "Task", "Resource": ACTIVITY, "End": True})
    )
    await activity_engine.stop_execution(record.arn)
    await settle(activity_engine)
    assert await activities.poll(ACTIVITY, "w", timeout=0.05) is None
    assert await activities.pending(ACTIVITY) == 0


async def test_stale_task_left_in_the_store_is_dropped(
    activity_engine: Engine, activities: ActivityQueue, store: Store
) -> None:
    """A task row whose attempt ended elsewhere (a node that stopped left it behind) is
    dropped by the poll that takes it, and the poll goes on to the next task."""
    record = await begin(
        activity_engine, machine({"Type": "Task", "Resource": ACTIVITY, "End": True})
    )
    left = await store.take_activity_task(ACTIVITY)
    assert left is not None and left.execution_arn == record.arn
    await activity_engine.stop_execution(record.arn)
    await settle(activity_engine)
    await store.put_activity_task(left)
    live = await begin(
        activity_engine, machine({"Type": "Task", "Resource": ACTIVITY, "End": True}), "e2"
    )
    got = await activities.poll(ACTIVITY, "w", timeout=1)
    assert got is not None and activity_engine.tokens.verify(got.token).execution_arn == live.arn
    assert await activities.pending(ACTIVITY) == 0


async def test_task_put_by_one_node_is_taken_on_another(
    activity_engine: Engine, activities: ActivityQueue, store: Store
) -> None:
    """Node B's worker, already long-polling, gets the task node A's engine scheduled:
    B finds it in the shared store within a look interval, with no wake-up from A, and
    the pickup is committed as on A (ActivityStarted with B's worker name)."""
    other_node = ActivityQueue(store)
    other_node.bind(activity_engine.activity_started)
    polling = asyncio.create_task(other_node.poll(ACTIVITY, "worker-on-b", timeout=5))
    await asyncio.sleep(0.05)  # B waits before anything is queued
    record = await begin(
        activity_engine,
        machine({"Type": "Task", "Resource": ACTIVITY, "HeartbeatSeconds": 9, "End": True}),
        input_text='{"n": 7}',
    )
    got = await asyncio.wait_for(polling, 5)
    assert got is not None and orjson.loads(got.input) == {"n": 7}
    await settle(activity_engine)
    events = await all_events(store, record.arn)
    assert details(events, "ActivityStarted") == {"workerName": "worker-on-b"}
    assert await activities.poll(ACTIVITY, "worker-on-a", timeout=0.05) is None
    await activity_engine.send_task_success(got.token, '{"done": true}')
    final = await store.get_execution(record.arn)
    assert final is not None and orjson.loads(final.output or "null") == {"done": True}


async def test_redispatched_attempt_is_one_task(
    activity_engine: Engine, activities: ActivityQueue, store: Store
) -> None:
    """An attempt dispatched again by another node (it took over the first one's expired
    lease) puts the same task again: still one task, in its place, handed out once."""
    await begin(activity_engine, machine({"Type": "Task", "Resource": ACTIVITY, "End": True}))
    pending = await store.take_activity_task(ACTIVITY)
    assert pending is not None
    await store.put_activity_task(pending)
    again = TaskRequest(
        execution_arn=pending.execution_arn,
        state_name=pending.state_name,
        resource=ACTIVITY,
        payload=orjson.loads(pending.input),
        timeout_seconds=pending.timeout_seconds,
        token=pending.token,
        frame_id=pending.frame_id,
        attempt=pending.attempt,
    )
    await store.put_activity_task(dataclasses.replace(pending, id="later", token="stale"))
    assert await ActivityQueue(store).put(again) is True
    assert await activities.pending(ACTIVITY) == 2
    got = await activities.poll(ACTIVITY, "w", timeout=1)
    assert got is not None and got.token == pending.token  # first, as it was
    assert await activities.poll(ACTIVITY, "w", timeout=0.05) is None
    assert await activities.pending(ACTIVITY) == 0


async def test_a_task_offered_again_after_its_pickup_is_not_started_twice(
    activity_engine: Engine, activities: ActivityQueue, store: Store
) -> None:
    """A node that took an attempt over may offer its task again while a worker's pickup
    of it is being committed elsewhere: the second pickup is refused (no second
    ActivityStarted), and the poll that took the copy gets nothing."""
    record = await begin(
        activity_engine, machine({"Type": "Task", "Resource": ACTIVITY, "End": True})
    )
    copy = await store.take_activity_task(ACTIVITY)
    assert copy is not None
    await store.put_activity_task(copy)
    first = await activities.poll(ACTIVITY, "first", timeout=1)
    assert first is not None
    await store.put_activity_task(copy)
    assert await activities.poll(ACTIVITY, "second", timeout=0.3) is None
    events = await all_events(store, record.arn)
    started = [e for e in events if e.type == "ActivityStarted"]
    assert len(started) == 1 and "first" in (started[0].details or "")


async def test_a_task_taken_by_a_node_that_died_is_offered_again(
    activity_engine: Engine,
    activities: ActivityQueue,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A node took the task from the store and died before committing the pickup: the
    node running the attempt puts it back, so a worker still gets it."""
    monkeypatch.setattr(activity_queue_module, "REOFFER_SECONDS", 0.05)
    record = await begin(
        activity_engine, machine({"Type": "Task", "Resource": ACTIVITY, "End": True})
    )
    lost = await store.take_activity_task(ACTIVITY)
    assert lost is not None and await activities.pending(ACTIVITY) == 0
    got = await activities.poll(ACTIVITY, "w", timeout=2)
    assert got is not None
    assert activity_engine.tokens.verify(got.token).execution_arn == record.arn
