"""The Store contract suite: one set of tests every backend must pass, and its helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from statewise.store.base import (
    Batch,
    DefinitionRecord,
    DuplicateExecution,
    EventRecord,
    ExecutionRecord,
    ExecutionStatus,
    FrameRecord,
    Store,
    StoreError,
    WorkRecord,
)


@dataclass(frozen=True, slots=True)
class Backend:
    """How to make a store; ``make`` on a persistent backend reaches the same data again."""

    name: str
    make: Callable[[], Store]
    persistent: bool


Body = Callable[[Store], Awaitable[None]]
RUNNING = ExecutionStatus.RUNNING
SUCCEEDED = ExecutionStatus.SUCCEEDED
FAILED = ExecutionStatus.FAILED


def run(backend: Backend, body: Body) -> None:
    """Open a fresh store of ``backend``, run ``body`` on it, close it (no pytest-asyncio)."""

    async def main() -> None:
        store = backend.make()
        await store.open()
        try:
            await body(store)
        finally:
            await store.close()

    asyncio.run(main())


def contract(body: Body) -> Callable[[Backend], None]:
    """Turn ``async def test_x(store)`` into a sync test over the ``backend`` fixture."""

    def test(backend: Backend) -> None:
        run(backend, body)

    test.__doc__ = body.__doc__
    return test


def execution(
    arn: str = "arn:exec:1",
    *,
    machine: str = "arn:sm:1",
    status: ExecutionStatus = RUNNING,
    start: float = 1000.0,
    **fields: Any,
) -> ExecutionRecord:
    return ExecutionRecord(
        arn=arn,
        state_machine_arn=machine,
        name=arn.rsplit(":", 1)[-1],
        definition_id="def-1",
        status=status,
        input='{"x": 1}',
        start_date=start,
        **fields,
    )


def frame(arn: str = "arn:exec:1", frame_id: int = 0, **fields: Any) -> FrameRecord:
    values: dict[str, Any] = {"parent_id": None, "index": 0, "state": "Start", "input": "{}"}
    values |= {"status": "RUNNING"} | fields
    return FrameRecord(execution_arn=arn, id=frame_id, **values)


def event(arn: str = "arn:exec:1", event_id: int = 1, **fields: Any) -> EventRecord:
    values: dict[str, Any] = {"type": "PassStateEntered", "timestamp": 1000.0 + event_id}
    values |= {"previous_event_id": event_id - 1} | fields
    return EventRecord(execution_arn=arn, id=event_id, **values)


def work(work_id: str, due_at: float, arn: str = "arn:exec:1", **fields: Any) -> WorkRecord:
    values: dict[str, Any] = {"frame_id": 0, "kind": "advance"} | fields
    return WorkRecord(id=work_id, execution_arn=arn, due_at=due_at, **values)


async def nothing_of(store: Store, arn: str) -> None:
    """Assert that no trace of execution ``arn`` is stored."""
    assert await store.get_execution(arn) is None
    assert await store.get_frames(arn) == []
    assert await store.get_events(arn) == []
    assert await store.get_work(arn) == []


# -- model comparison: random operations over small pools, so ids collide and errors happen ---

ARNS = ["arn:e:1", "arn:e:2", "arn:e:3"]
MACHINES = ["arn:sm:a", "arn:sm:b"]
TIMES = [0.0, 1.0, 2.5, 5.0, 10.0]
OWNERS = ["n1", "n2"]
times = st.sampled_from(TIMES)
arns = st.sampled_from(ARNS)
maybe_text = st.none() | st.sampled_from(["{}", '"x"', "é✓"])

executions = st.builds(
    ExecutionRecord,
    arn=arns,
    state_machine_arn=st.sampled_from(MACHINES),
    name=st.just("n"),
    definition_id=st.sampled_from(["d1", "d2"]),
    status=st.sampled_from(list(ExecutionStatus)),
    input=st.sampled_from(["{}", "[1]"]),
    start_date=times,
    stop_date=st.none() | times,
    output=maybe_text,
    last_event_id=st.integers(0, 6),
)
frames = st.builds(
    FrameRecord,
    execution_arn=arns,
    id=st.integers(0, 3),
    parent_id=st.none() | st.integers(0, 3),
    index=st.integers(0, 2),
    state=st.sampled_from(["A", "B"]),
    input=st.sampled_from(["{}", "1"]),
    status=st.sampled_from(["RUNNING", "WAITING"]),
    data=st.sampled_from(["{}", '{"a": 1}']),
)
events = st.builds(
    EventRecord,
    execution_arn=arns,
    id=st.integers(1, 6),
    type=st.sampled_from(["ExecutionStarted", "PassStateEntered"]),
    timestamp=times,
    previous_event_id=st.integers(0, 5),
    details=maybe_text,
)
work_items = st.builds(
    WorkRecord,
    id=st.sampled_from(["w1", "w2", "w3", "w4"]),
    execution_arn=arns,
    frame_id=st.integers(0, 3),
    kind=st.sampled_from(["advance", "timer"]),
    due_at=times,
    payload=st.sampled_from(["{}", "[2]"]),
)
batches = st.builds(
    Batch,
    definitions=st.lists(
        st.builds(DefinitionRecord, id=st.sampled_from(["d1", "d2"]), text=maybe_text.map(str)),
        max_size=2,
    ),
    new_executions=st.lists(executions, max_size=2),
    executions=st.lists(executions, max_size=2),
    frames=st.lists(frames, max_size=3),
    deleted_frames=st.lists(st.tuples(arns, st.integers(0, 3)), max_size=2),
    closed_executions=st.lists(arns, max_size=1),
    events=st.lists(events, max_size=3),
    deleted_work=st.lists(st.sampled_from(["w1", "w2", "w3", "w4"]), max_size=2),
    work=st.lists(work_items, max_size=3),
)
OPERATIONS = st.lists(
    st.one_of(
        batches.map(lambda batch: ("commit", batch)),
        st.tuples(st.just("claim"), times, st.integers(0, 3), st.sampled_from(OWNERS), times),
        st.tuples(st.just("release"), st.sampled_from(OWNERS)),
    ),
    max_size=12,
)


async def apply_operation(store: Store, operation: tuple[Any, ...]) -> object:
    """Run one operation; its observable outcome (result or error) for comparison."""
    match operation:
        case ("commit", Batch() as batch):
            try:
                await store.commit(batch)
            except DuplicateExecution as exc:
                return ("DuplicateExecution", exc.arn)
            except StoreError:
                return "StoreError"
            return None
        case ("claim", now, limit, owner, lease):
            return await store.claim_due(now=now, limit=limit, owner=owner, lease_seconds=lease)
        case ("release", owner):
            return await store.release_leases(owner)
    raise AssertionError(operation)


async def snapshot(store: Store) -> dict[str, object]:
    """Everything a caller can observe about the pools of arns, machines and ids above."""
    seen: dict[str, object] = {
        "definitions": [await store.get_definition(key) for key in ("d1", "d2")],
        "next_due": await store.next_due(),
        "with_work": await store.execution_arns_with_work(ARNS),
    }
    for arn in ARNS:
        seen[arn] = (
            await store.get_execution(arn),
            await store.get_frames(arn),
            await store.get_work(arn),
            await store.get_events(arn),
            await store.get_events(arn, reverse=True, limit=2),
            await store.get_events(arn, after_id=2, limit=2),
        )
    for machine in MACHINES:
        pages = []
        for status in (None, RUNNING):
            token: str | None = None
            while True:
                page = await store.list_executions(machine, status=status, limit=2, token=token)
                pages.append(page)
                if (token := page.next_token) is None:
                    break
        seen[machine] = (pages, await store.count_executions(machine))
    return seen
