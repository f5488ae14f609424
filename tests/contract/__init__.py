"""The Store contract suite: one set of tests every backend must pass, and its helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from statewise.store.base import (
    AliasRecord,
    Batch,
    DefinitionRecord,
    DuplicateExecution,
    EventRecord,
    ExecutionRecord,
    ExecutionStatus,
    FrameRecord,
    ResourcePage,
    StateMachineRecord,
    Store,
    StoreError,
    VersionRecord,
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


def machine(arn: str = "arn:sm:1", **fields: Any) -> StateMachineRecord:
    values: dict[str, Any] = {
        "name": arn.rsplit(":", 1)[-1],
        "type": "STANDARD",
        "definition": '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}',
        "role_arn": "arn:role",
        "creation_date": 100.0,
        "revision_id": "rev-1",
    }
    return StateMachineRecord(arn=arn, **(values | fields))


def version(machine_arn: str = "arn:sm:1", number: int = 1, **fields: Any) -> VersionRecord:
    values: dict[str, Any] = {
        "definition": '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}',
        "role_arn": "arn:role",
        "type": "STANDARD",
        "revision_id": f"rev-{number}",
        "creation_date": 100.0 + number,
    }
    return VersionRecord(
        arn=f"{machine_arn}:{number}",
        state_machine_arn=machine_arn,
        version=number,
        **(values | fields),
    )


def alias(machine_arn: str = "arn:sm:1", name: str = "live", **fields: Any) -> AliasRecord:
    values: dict[str, Any] = {
        "routing": f'[{{"stateMachineVersionArn": "{machine_arn}:1", "weight": 100}}]',
        "creation_date": 200.0,
    }
    return AliasRecord(
        arn=f"{machine_arn}:{name}", state_machine_arn=machine_arn, name=name, **(values | fields)
    )


async def pages_of(
    listing: Callable[[str | None], Awaitable[ResourcePage]], limit: int
) -> list[ResourcePage]:
    """Every page of a listing, checking that none is too long and no token leads nowhere."""
    pages: list[ResourcePage] = []
    token: str | None = None
    for _ in range(1000):
        page = await listing(token)
        assert len(page.items) <= limit
        assert page.items or token is None  # a token always leads to a non-empty page
        pages.append(page)
        if (token := page.next_token) is None:
            return pages
    raise AssertionError("pagination did not end")


async def all_items(
    listing: Callable[[str | None], Awaitable[ResourcePage]], limit: int
) -> list[Any]:
    """The items of every page of a listing, in order."""
    return [item for page in await pages_of(listing, limit) for item in page.items]


async def nothing_of(store: Store, arn: str) -> None:
    """Assert that no trace of execution ``arn`` is stored."""
    assert await store.get_execution(arn) is None
    assert await store.get_frames(arn) == []
    assert await store.get_events(arn) == []
    assert await store.get_work(arn) == []


# -- model comparison: random operations over small pools, so ids collide and errors happen ---

ARNS = ["arn:e:1", "arn:e:2", "arn:e:3"]
MACHINES = ["arn:sm:a", "arn:sm:b"]
VERSION_ARNS = ["arn:sm:a:1", "arn:sm:a:2", "arn:sm:b:1"]
ALIAS_ARNS = ["arn:sm:a:live", "arn:sm:a:beta", "arn:sm:b:live"]
# Executions and activities can carry tags too; "arn:act:x" has no row anywhere.
TAGGED_ARNS = [*MACHINES, *VERSION_ARNS, *ALIAS_ARNS, ARNS[0], "arn:act:x"]
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
    version_arn=st.none() | st.sampled_from(VERSION_ARNS),
    alias_arn=st.none() | st.sampled_from(ALIAS_ARNS),
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
# Names and numbers collide across arns, so listings must break ties by arn; a record's
# state_machine_arn need not match its arn's prefix, so re-indexing on replace is exercised.
machines = st.builds(
    StateMachineRecord,
    arn=st.sampled_from(MACHINES),
    name=st.sampled_from(["m", "n"]),
    type=st.sampled_from(["STANDARD", "EXPRESS"]),
    definition=st.sampled_from(["{}", "é✓"]),
    role_arn=st.just("arn:role"),
    creation_date=times,
    revision_id=st.sampled_from(["r1", "r2"]),
    status=st.sampled_from(["ACTIVE", "DELETING"]),
    update_date=st.none() | times,
    logging_configuration=maybe_text,
)
versions = st.builds(
    VersionRecord,
    arn=st.sampled_from(VERSION_ARNS),
    state_machine_arn=st.sampled_from(MACHINES),
    version=st.integers(1, 2),
    definition=st.just("{}"),
    role_arn=st.just("arn:role"),
    type=st.just("STANDARD"),
    revision_id=st.sampled_from(["r1", "r2"]),
    creation_date=times,
    description=maybe_text,
)
aliases = st.builds(
    AliasRecord,
    arn=st.sampled_from(ALIAS_ARNS),
    state_machine_arn=st.sampled_from(MACHINES),
    name=st.sampled_from(["live", "beta"]),
    routing=st.sampled_from(["[]", '[{"weight": 100}]']),
    creation_date=times,
    update_date=st.none() | times,
)
tagged = st.sampled_from(TAGGED_ARNS)
tag_keys = st.sampled_from(["k1", "k2", "k3"])
RESOURCE_OPERATIONS = st.one_of(
    st.tuples(st.sampled_from(["insert_state_machine", "update_state_machine"]), machines),
    st.tuples(st.just("delete_state_machine"), st.sampled_from([*MACHINES, "arn:sm:none"])),
    st.tuples(st.just("insert_version"), versions),
    st.tuples(st.just("delete_version"), st.sampled_from(VERSION_ARNS)),
    st.tuples(st.just("put_alias"), aliases),
    st.tuples(st.just("delete_alias"), st.sampled_from(ALIAS_ARNS)),
    st.tuples(st.just("tag"), tagged, st.dictionaries(tag_keys, st.sampled_from(["v1", "v2"]))),
    st.tuples(st.just("untag"), tagged, st.lists(tag_keys, max_size=2)),
)
OPERATIONS = st.lists(
    st.one_of(
        batches.map(lambda batch: ("commit", batch)),
        st.tuples(st.just("claim"), times, st.integers(0, 3), st.sampled_from(OWNERS), times),
        st.tuples(st.just("release"), st.sampled_from(OWNERS)),
        RESOURCE_OPERATIONS,
    ),
    max_size=16,
)
RESOURCE_METHODS = frozenset(
    {
        "insert_state_machine",
        "update_state_machine",
        "delete_state_machine",
        "insert_version",
        "delete_version",
        "put_alias",
        "delete_alias",
        "tag",
        "untag",
    }
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
        case (str() as method, *args) if method in RESOURCE_METHODS:
            try:
                result: object = await getattr(store, method)(*args)
            except StoreError:
                return "StoreError"
            return result
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
        # Every version and alias filter against every machine: the filter is ANDed with
        # the machine, whatever machine the version's arn names.
        for version_arn in VERSION_ARNS:
            seen[f"{machine} version {version_arn}"] = await pages_of(
                lambda token, m=machine, v=version_arn: _executions_page(store, m, token, v),
                2,
            )
        for alias_arn in ALIAS_ARNS:
            seen[f"{machine} alias {alias_arn}"] = await pages_of(
                lambda token, m=machine, a=alias_arn: _executions_page(store, m, token, None, a),
                2,
            )
    seen |= await resource_snapshot(store)
    return seen


async def _executions_page(
    store: Store,
    machine_arn: str,
    token: str | None,
    version_arn: str | None = None,
    alias_arn: str | None = None,
) -> ResourcePage:
    # Wrapped as a ResourcePage so that pages_of walks executions like any other listing.
    page = await store.list_executions(
        machine_arn, limit=2, token=token, version_arn=version_arn, alias_arn=alias_arn
    )
    return ResourcePage(items=list(page.executions), next_token=page.next_token)


async def resource_snapshot(store: Store) -> dict[str, object]:
    """Everything observable about the state machine, version, alias and tag pools."""
    seen: dict[str, object] = {
        "machines": await pages_of(
            lambda token: store.list_state_machines(limit=1, token=token), 1
        ),
    }
    for arn in [*MACHINES, "arn:sm:none"]:
        seen[f"machine {arn}"] = (
            await store.get_state_machine(arn),
            await pages_of(lambda token, m=arn: store.list_versions(m, limit=1, token=token), 1),
            await pages_of(lambda token, m=arn: store.list_aliases(m, limit=2, token=token), 2),
        )
    for arn in VERSION_ARNS:
        seen[f"version {arn}"] = await store.get_version(arn)
    for arn in ALIAS_ARNS:
        seen[f"alias {arn}"] = await store.get_alias(arn)
    for arn in TAGGED_ARNS:
        # As a list of pairs: dict equality would ignore the insertion order promised.
        seen[f"tags {arn}"] = list((await store.get_tags(arn)).items())
    return seen
