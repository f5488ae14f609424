"""DeleteStateMachine's DELETING phase on virtual time (API-4).

AWS, DeleteStateMachine: the machine's status turns DELETING, "A state machine is deleted
only when all its executions are completed. On the next state transition, the state
machine's executions are terminated." AWS's knowledge centre ("Why is my Step Functions
state machine stuck in the DELETING status?") shows how they end: ExecutionFailed with
States.Runtime, "State machine <name> has been deleted.", and that an execution in a Wait
or waiting for a task keeps the machine DELETING until that ends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from statewise.clock import ManualClock
from statewise.engine.local import LocalTaskRunner
from statewise.engine.scheduler import Engine, EngineSettings
from statewise.errors import StateMachineDeleting, StateMachineDoesNotExist
from statewise.services.executions import Executions
from statewise.services.machines import Machines
from statewise.store.base import ExecutionRecord, ExecutionStatus, Store
from statewise.store.sqlite import SqliteStore
from statewise.testing import all_events

ROLE = "arn:aws:iam::123456789012:role/statewise"
START = 1_700_000_000.0
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
WAIT_THEN_PASS = json.dumps(
    {
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        },
    }
)
DELETED = "State machine {} has been deleted."


@dataclass
class Node:
    """What a server wires, without HTTP: the scheduler loop runs, on a ManualClock."""

    store: Store
    clock: ManualClock
    engine: Engine
    machines: Machines
    executions: Executions

    @classmethod
    async def start(
        cls, store: Store, clock: ManualClock, functions: dict[str, Any] | None = None
    ) -> Node:
        # A short idle poll: the loop notices the manual clock's jumps at once.
        settings = EngineSettings(idle_poll_seconds=0.005)
        engine = Engine(store, LocalTaskRunner(functions or {}), clock=clock, settings=settings)
        machines = Machines(store, region="us-east-1", account="123456789012", now=clock.now)
        node = cls(store, clock, engine, machines, Executions(store, machines, engine, engine))
        await engine.start()
        return node

    async def create(self, name: str, definition: str = WAIT_THEN_PASS, **kw: Any) -> str:
        record, _ = await self.machines.create(
            name=name, definition=definition, role_arn=ROLE, **kw
        )
        return record.arn

    async def start_execution(self, machine_arn: str, name: str = "e") -> ExecutionRecord:
        return await self.executions.start(machine_arn, name=name, input_text="{}")

    async def marked(self, execution_arn: str) -> None:
        """Wait until the deletion has marked the execution (it does so off the call)."""
        for _ in range(1000):
            record = await self.store.get_execution(execution_arn)
            if record is None or record.error is not None:
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"{execution_arn} was never marked")

    async def ended(self, execution_arn: str) -> ExecutionRecord:
        return await asyncio.wait_for(self.engine.wait_for(execution_arn), 5)

    async def deletions_done(self) -> None:
        for task in list(self.executions._deletions.values()):
            await asyncio.wait_for(task, 5)

    async def close(self) -> None:
        await self.executions.close()
        await self.engine.stop()


@pytest.fixture
async def node(store: Store) -> AsyncIterator[Node]:
    running = await Node.start(store, ManualClock(START))
    yield running
    await running.close()


async def test_running_execution_fails_at_its_next_transition(node: Node) -> None:
    arn = await node.create("waiting")
    execution = await node.start_execution(arn)
    node.clock.set(START + 60)

    await node.machines.delete(arn)
    assert (await node.machines.get(arn)).status == "DELETING"
    with pytest.raises(StateMachineDeleting):
        await node.start_execution(arn, "late")
    await node.marked(execution.arn)
    # Until the Wait ends nothing happens to it (AWS: a machine "stuck in DELETING").
    running = await node.store.get_execution(execution.arn)
    assert running is not None and running.status is ExecutionStatus.RUNNING

    node.clock.set(START + 3600)
    ended = await node.ended(execution.arn)
    assert ended.status is ExecutionStatus.FAILED
    assert (ended.error, ended.cause) == ("States.Runtime", DELETED.format("waiting"))
    assert ended.stop_date == START + 3600  # the Wait's end was its next transition
    events = await all_events(node.store, execution.arn)
    assert [e.type for e in events] == ["ExecutionStarted", "WaitStateEntered", "ExecutionFailed"]
    assert events[-1].previous_event_id == events[-2].id
    assert orjson.loads(events[-1].details or "{}") == {
        "error": "States.Runtime",
        "cause": DELETED.format("waiting"),
    }
    await node.deletions_done()
    with pytest.raises(StateMachineDoesNotExist):
        await node.machines.get(arn)


async def test_no_running_execution_deletes_at_once(node: Node) -> None:
    arn = await node.create("idle", PASS)
    done = await node.ended((await node.start_execution(arn)).arn)
    await node.machines.delete(arn)
    assert await node.store.get_state_machine(arn) is None
    # Executions and their history stay after their machine has gone.
    kept = await node.store.get_execution(done.arn)
    assert kept is not None and kept.status is ExecutionStatus.SUCCEEDED


async def test_stopping_the_last_execution_completes_the_deletion(node: Node) -> None:
    """The knowledge centre's remedy for a machine stuck in DELETING: stop its executions."""
    arn = await node.create("stuck")
    execution = await node.start_execution(arn)
    await node.machines.delete(arn)
    await node.marked(execution.arn)
    stopped = await node.executions.stop(execution.arn, error="Stop", cause="by hand")
    assert (stopped.status, stopped.error, stopped.cause) == (
        ExecutionStatus.ABORTED,
        "Stop",
        "by hand",
    )
    await node.deletions_done()
    assert await node.store.get_state_machine(arn) is None


async def test_task_waiting_for_its_response_ends_when_it_comes(store: Store) -> None:
    release = asyncio.Event()

    async def slow(event: Any) -> Any:
        await release.wait()
        return {"late": True}

    node = await Node.start(store, ManualClock(START), {"slow": slow})
    try:
        fn = "arn:aws:lambda:us-east-1:123456789012:function:slow"
        definition = json.dumps(
            {
                "StartAt": "Call",
                "States": {
                    "Call": {"Type": "Task", "Resource": fn, "Next": "After"},
                    "After": {"Type": "Pass", "End": True},
                },
            }
        )
        arn = await node.create("calling", definition)
        execution = await node.start_execution(arn)
        await node.machines.delete(arn)
        await node.marked(execution.arn)
        assert (await node.machines.get(arn)).status == "DELETING"
        release.set()
        ended = await node.ended(execution.arn)
        assert ended.status is ExecutionStatus.FAILED
        assert ended.cause == DELETED.format("calling")
        types = [e.type for e in await all_events(node.store, execution.arn)]
        # The task's result is recorded; the transition it leads to is not made.
        assert types[-2:] == ["LambdaFunctionSucceeded", "ExecutionFailed"]
        await node.deletions_done()
        with pytest.raises(StateMachineDoesNotExist):
            await node.machines.get(arn)
    finally:
        release.set()
        await node.close()


async def test_express_machine_goes_at_once(node: Node) -> None:
    """For EXPRESS machines AWS deletes "eventually"; their executions run on in memory."""
    arn = await node.create("fast", PASS, type="EXPRESS")
    await node.machines.delete(arn)
    assert await node.store.get_state_machine(arn) is None


async def test_deletion_survives_a_restart(tmp_path: Path) -> None:
    """The mark is committed with the execution: a new process still ends it at its next
    transition, and the machine goes at the first look."""
    clock = ManualClock(START)
    store = SqliteStore(tmp_path / "statewise.db")
    await store.open()
    first = await Node.start(store, clock)
    arn = await first.create("durable")
    execution = await first.start_execution(arn)
    await first.machines.delete(arn)
    await first.marked(execution.arn)
    await first.close()
    await store.close()

    reopened = SqliteStore(tmp_path / "statewise.db")
    await reopened.open()
    second = await Node.start(reopened, clock)
    try:
        clock.set(START + 3600)  # the Wait ends in the new process
        ended = await second.ended(execution.arn)
        assert ended.status is ExecutionStatus.FAILED
        assert ended.cause == DELETED.format("durable")
        with pytest.raises(StateMachineDoesNotExist):
            await second.machines.get(arn)
    finally:
        await second.close()
        await reopened.close()


async def test_an_interrupted_deletion_resumes_at_the_first_look(node: Node) -> None:
    """A crash after the machine turned DELETING, before its executions were marked: the
    next read of the machine marks them, and they end at their next transition."""
    arn = await node.create("interrupted")
    execution = await node.start_execution(arn)
    machine = await node.store.get_state_machine(arn)
    assert machine is not None
    await node.store.update_state_machine(replace(machine, status="DELETING"))

    assert (await node.machines.get(arn)).status == "DELETING"
    await node.marked(execution.arn)
    node.clock.set(START + 3600)
    ended = await node.ended(execution.arn)
    assert ended.status is ExecutionStatus.FAILED
    assert ended.cause == DELETED.format("interrupted")
    await node.deletions_done()
    assert await node.store.get_state_machine(arn) is None


async def test_listing_shows_a_deleting_machine_until_it_goes(node: Node) -> None:
    arn = await node.create("listed")
    execution = await node.start_execution(arn)
    await node.machines.delete(arn)
    await node.marked(execution.arn)
    assert arn in [m.arn for m in (await node.machines.list_machines()).items]
    node.clock.set(START + 3600)
    await node.ended(execution.arn)
    await node.deletions_done()
    assert arn not in [m.arn for m in (await node.machines.list_machines()).items]


async def test_resume_deletions_at_start_up(node: Node) -> None:
    """What a server calls on start: interrupted deletions carry on without a read."""
    waiting = await node.create("resumed")
    execution = await node.start_execution(waiting)
    idle = await node.create("resumed-idle", PASS)
    await node.ended((await node.start_execution(idle)).arn)
    for arn in (waiting, idle):
        machine = await node.store.get_state_machine(arn)
        assert machine is not None
        await node.store.update_state_machine(replace(machine, status="DELETING"))

    assert await node.executions.resume_deletions() == 1
    assert await node.store.get_state_machine(idle) is None
    await node.marked(execution.arn)
    node.clock.set(START + 3600)
    assert (await node.ended(execution.arn)).status is ExecutionStatus.FAILED
    await node.deletions_done()
    assert await node.store.get_state_machine(waiting) is None
