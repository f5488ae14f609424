"""The Store contract for what every node must share (issue 10), on every backend:
activities, their pending tasks, settings (the task token key) and version numbering."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewise.store.base import ActivityRecord, ActivityTaskRecord, Store, StoreError
from statewise.store.memory import MemoryStore
from statewise.store.migrate import SCHEMA_VERSION_DDL, load, sqlite_statements
from statewise.store.postgres import PostgresStore
from statewise.store.sqlite import SqliteStore
from tests.contract import (
    Backend,
    all_items,
    contract,
    machine,
    pages_of,
    run,
    version,
)
from tests.contract.conftest import POSTGRES_URL, fresh_schema


def activity(name: str = "review", **fields: Any) -> ActivityRecord:
    values: dict[str, Any] = {"creation_date": 100.0} | fields
    return ActivityRecord(arn=f"arn:activity:{name}", name=name, **values)


def task(
    task_id: str, activity_arn: str = "arn:activity:review", **fields: Any
) -> ActivityTaskRecord:
    values: dict[str, Any] = {
        "execution_arn": "arn:e:1",
        "state_name": "Review",
        "frame_id": 0,
        "attempt": 1,
        "token": f"token-{task_id}",
        "input": '{"n": 1}',
        "timeout_seconds": 99999999,
    }
    return ActivityTaskRecord(id=task_id, activity_arn=activity_arn, **(values | fields))


# -- activities ------------------------------------------------------------------------------


@contract
async def test_activity_round_trip(store: Store) -> None:
    """An activity comes back equal and frozen; inserting its arn again changes nothing."""
    record = activity(encryption_configuration='{"type": "CUSTOMER_MANAGED_KMS_KEY"}')
    assert await store.insert_activity(record) is True
    got = await store.get_activity(record.arn)
    assert got == record and isinstance(got, ActivityRecord)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.name = "other"  # type: ignore[misc]
    assert await store.insert_activity(activity(creation_date=5.0)) is False
    assert await store.get_activity(record.arn) == record
    assert await store.get_activity("arn:activity:none") is None
    assert await store.count_activities() == 1


@contract
async def test_list_activities_by_name(store: Store) -> None:
    """Listed by name, then arn, page by page; a token of another listing is refused."""
    records = [
        activity("b"),
        activity("a", creation_date=300.0),
        dataclasses.replace(activity("a"), arn="arn:activity:a-other"),  # same name: arn order
        activity("é✓"),
        activity("C"),
    ]
    for record in records:
        await store.insert_activity(record)
    ordered = sorted(records, key=lambda r: (r.name, r.arn))
    for limit in (1, 2, 5, 100):
        listing = await all_items(
            lambda token, n=limit: store.list_activities(limit=n, token=token), limit
        )
        assert listing == ordered
    assert (await store.list_activities()).next_token is None
    assert await store.count_activities() == 5
    await store.insert_state_machine(machine("arn:sm:1"))
    await store.insert_state_machine(machine("arn:sm:2"))
    machines_token = (await store.list_state_machines(limit=1)).next_token
    assert machines_token is not None
    for bad in (machines_token, "not-a-token"):
        with pytest.raises(ValueError, match="token"):
            await store.list_activities(token=bad)
    with pytest.raises(ValueError, match="limit"):
        await store.list_activities(limit=0)


@contract
async def test_delete_activity_takes_its_tags_not_its_tasks(store: Store) -> None:
    """Its tags go with it; its pending tasks wait on (their attempts end by timeout)."""
    await store.insert_activity(activity("a"))
    await store.insert_activity(activity("b"))
    await store.tag("arn:activity:a", {"k": "v"})
    await store.tag("arn:activity:b", {"k": "w"})
    await store.put_activity_task(task("t1", "arn:activity:a"))
    await store.delete_activity("arn:activity:a")
    await store.delete_activity("arn:activity:a")
    await store.delete_activity("arn:activity:never")
    assert await store.get_activity("arn:activity:a") is None
    assert await store.get_tags("arn:activity:a") == {}
    assert await store.get_tags("arn:activity:b") == {"k": "w"}
    assert [r.arn for r in (await store.list_activities()).items] == ["arn:activity:b"]
    assert await store.count_activity_tasks("arn:activity:a") == 1
    # The name is free again.
    assert await store.insert_activity(activity("a", creation_date=7.0))


# -- pending activity tasks ------------------------------------------------------------------


@contract
async def test_activity_tasks_are_taken_oldest_first(store: Store) -> None:
    """Each activity's tasks come out in arrival order, one take each, then None."""
    other = "arn:activity:other"
    for n in (3, 1, 2):
        await store.put_activity_task(task(f"t{n}", heartbeat_seconds=n))
    await store.put_activity_task(task("o1", other))
    assert await store.count_activity_tasks("arn:activity:review") == 3
    assert await store.count_activity_tasks(other) == 1
    taken = [await store.take_activity_task("arn:activity:review") for _ in range(3)]
    assert taken == [task(f"t{n}", heartbeat_seconds=n) for n in (3, 1, 2)]
    assert all(isinstance(record, ActivityTaskRecord) for record in taken)
    assert await store.take_activity_task("arn:activity:review") is None
    assert await store.count_activity_tasks("arn:activity:review") == 0
    assert await store.take_activity_task(other) == task("o1", other)
    assert await store.take_activity_task("arn:activity:none") is None


@contract
async def test_putting_a_pending_task_again_keeps_it(store: Store) -> None:
    """A pending id put again (a redispatched attempt) keeps its place and its fields;
    once taken, putting it again queues it anew, last."""
    await store.put_activity_task(task("a"))
    await store.put_activity_task(task("b"))
    await store.put_activity_task(task("a", input='{"changed": true}', attempt=9))
    assert await store.count_activity_tasks("arn:activity:review") == 2
    assert await store.take_activity_task("arn:activity:review") == task("a")
    await store.put_activity_task(task("a"))
    assert await store.take_activity_task("arn:activity:review") == task("b")
    assert await store.take_activity_task("arn:activity:review") == task("a")


@contract
async def test_delete_activity_task(store: Store) -> None:
    """A dropped task is never taken; dropping an absent one is no error."""
    for name in ("a", "b", "c"):
        await store.put_activity_task(task(name))
    await store.delete_activity_task("b")
    await store.delete_activity_task("b")
    await store.delete_activity_task("never")
    assert await store.take_activity_task("arn:activity:review") == task("a")
    assert await store.take_activity_task("arn:activity:review") == task("c")
    assert await store.take_activity_task("arn:activity:review") is None


@contract
async def test_concurrent_takes_get_each_task_once(store: Store) -> None:
    """Takers racing on one store share the tasks out: each task to exactly one taker."""
    total = 40
    for n in range(total):
        await store.put_activity_task(task(f"t{n:02d}"))

    async def taker() -> list[str]:
        got: list[str] = []
        while (record := await store.take_activity_task("arn:activity:review")) is not None:
            got.append(record.id)
        return got

    shares = await asyncio.gather(*(taker() for _ in range(8)))
    taken = [task_id for share in shares for task_id in share]
    assert sorted(taken) == [f"t{n:02d}" for n in range(total)]
    for share in shares:
        assert share == sorted(share)  # each taker saw them in arrival order


@contract
async def test_unicode_and_large_task_input(store: Store) -> None:
    """A task's input (up to 256 KiB) and token come back byte for byte."""
    big = '{"k": "' + "é✓" * 80_000 + '"}'
    record = task("big", input=big, token="tok.é✓", heartbeat_seconds=None)
    await store.put_activity_task(record)
    assert await store.take_activity_task("arn:activity:review") == record


# -- settings --------------------------------------------------------------------------------


@contract
async def test_ensure_setting_keeps_the_first_value(store: Store) -> None:
    """The first value stored under a name is the one every later call gets."""
    assert await store.ensure_setting("task_token_key", "aa" * 32) == "aa" * 32
    assert await store.ensure_setting("task_token_key", "bb" * 32) == "aa" * 32
    assert await store.ensure_setting("other", "x") == "x"
    assert await store.ensure_setting("task_token_key", "") == "aa" * 32


# -- version numbers -------------------------------------------------------------------------


@contract
async def test_version_numbers_are_never_reused(store: Store) -> None:
    """AWS: "If you delete version 10 of your state machine and then publish a new version,
    Step Functions publishes it as version 11" (concepts-state-machine-version.html)."""
    await store.insert_state_machine(machine())
    draft = version(number=0, description="d")
    first = await store.insert_next_version(draft)
    assert first == version(number=1, description="d", revision_id="rev-0", creation_date=100.0)
    assert (await store.insert_next_version(draft)).arn == "arn:sm:1:2"
    await store.delete_version("arn:sm:1:2")
    third = await store.insert_next_version(draft)
    assert (third.arn, third.version) == ("arn:sm:1:3", 3)
    assert await store.get_version("arn:sm:1:3") == third
    await store.delete_version("arn:sm:1:1")
    await store.delete_version("arn:sm:1:3")
    assert await store.count_versions("arn:sm:1") == 0
    assert (await store.insert_next_version(draft)).version == 4
    # A number inserted as it is counts as used too.
    await store.insert_version(version(number=10))
    await store.delete_version("arn:sm:1:10")
    assert (await store.insert_next_version(draft)).version == 11
    assert await store.count_versions("arn:sm:1") == 2
    assert [v.version for v in (await store.list_versions("arn:sm:1")).items] == [11, 4]
    # Updating the machine leaves its count alone.
    await store.update_state_machine(machine(revision_id="rev-2"))
    assert (await store.insert_next_version(draft)).version == 12


@contract
async def test_version_numbers_of_a_new_machine_start_at_one(store: Store) -> None:
    """The count is the machine's: each machine has its own, and a machine created anew
    after a delete starts again; no machine, no version."""
    await store.insert_state_machine(machine("arn:sm:a"))
    await store.insert_state_machine(machine("arn:sm:b"))
    for _ in range(3):
        await store.insert_next_version(version("arn:sm:a", 0))
    assert (await store.insert_next_version(version("arn:sm:b", 0))).version == 1
    await store.delete_state_machine("arn:sm:a")
    with pytest.raises(StoreError, match="arn:sm:a"):
        await store.insert_next_version(version("arn:sm:a", 0))
    assert await store.count_versions("arn:sm:a") == 0
    await store.insert_state_machine(machine("arn:sm:a"))
    assert (await store.insert_next_version(version("arn:sm:a", 0))).arn == "arn:sm:a:1"
    with pytest.raises(StoreError, match="arn:sm:none"):
        await store.insert_next_version(version("arn:sm:none", 0))
    assert await store.get_version("arn:sm:none:1") is None


@contract
async def test_next_version_counts_versions_made_before_their_machine(store: Store) -> None:
    """Versions inserted before their machine's row existed still count, so the next
    number never clashes with one of them; a clash with another machine's version arn is
    a StoreError that uses up nothing."""
    await store.insert_version(version("arn:sm:1", 5))
    await store.insert_state_machine(machine("arn:sm:1"))
    assert (await store.insert_next_version(version(number=0))).version == 6
    squatter = dataclasses.replace(version("arn:sm:1", 7), state_machine_arn="arn:sm:other")
    await store.insert_version(squatter)
    with pytest.raises(StoreError, match="arn:sm:1:7"):
        await store.insert_next_version(version(number=0))
    assert await store.get_version("arn:sm:1:7") == squatter
    await store.delete_version("arn:sm:1:7")
    assert (await store.insert_next_version(version(number=0))).version == 7


@contract
async def test_concurrent_publishes_get_distinct_numbers(store: Store) -> None:
    """Publishes racing on one machine each get a number of their own, without gaps."""
    await store.insert_state_machine(machine())
    made = await asyncio.gather(*(store.insert_next_version(version(number=0)) for _ in range(12)))
    assert sorted(v.version for v in made) == list(range(1, 13))
    assert await store.count_versions("arn:sm:1") == 12


# -- durability and migration ----------------------------------------------------------------


def test_shared_state_survives_close_and_reopen(persistent_backend: Backend) -> None:
    """Activities, pending tasks (in order), settings and version counts are in the file
    or database for a new store, as for another node."""

    async def write(store: Store) -> None:
        await store.insert_activity(activity("a", encryption_configuration='{"type": "x"}'))
        await store.put_activity_task(task("t1"))
        await store.put_activity_task(task("t2"))
        assert await store.ensure_setting("task_token_key", "ab" * 32) == "ab" * 32
        await store.insert_state_machine(machine())
        await store.insert_next_version(version(number=0))
        await store.insert_next_version(version(number=0))
        await store.delete_version("arn:sm:1:2")

    async def read(store: Store) -> None:
        assert await store.get_activity("arn:activity:a") == activity(
            "a", encryption_configuration='{"type": "x"}'
        )
        assert await store.ensure_setting("task_token_key", "cd" * 32) == "ab" * 32
        assert (await store.insert_next_version(version(number=0))).version == 3
        await store.put_activity_task(task("t3"))
        taken = [await store.take_activity_task("arn:activity:review") for _ in range(4)]
        assert taken == [task("t1"), task("t2"), task("t3"), None]

    run(persistent_backend, write)
    run(persistent_backend, read)


def _make_version_2_database(path: Path) -> None:
    """A file as statewise wrote it at schema version 2, with published versions; built
    from migrations 0001 and 0002 and plain INSERTs, not the store's code."""
    first, second = load("sqlite")[:2]
    assert (first.version, second.version) == (1, 2)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        conn.execute(SCHEMA_VERSION_DDL)
        for migration in (first, second):
            for statement in sqlite_statements(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version VALUES (?, ?, 0)", (migration.version, migration.name)
            )
        for arn in ("arn:sm:1", "arn:sm:2", "arn:sm:3"):
            conn.execute(
                "INSERT INTO state_machines (arn, name, type, definition, role_arn, "
                "creation_date, revision_id, status) "
                "VALUES (?, ?, 'STANDARD', '{}', 'arn:role', 1.0, 'r', 'ACTIVE')",
                (arn, arn.rsplit(":", 1)[-1]),
            )
        conn.executemany(
            "INSERT INTO versions (arn, state_machine_arn, version, definition, role_arn, "
            "type, revision_id, creation_date) VALUES (?, ?, ?, '{}', 'arn:role', 'STANDARD', "
            "'r', 2.0)",
            [
                ("arn:sm:1:1", "arn:sm:1", 1),
                ("arn:sm:1:4", "arn:sm:1", 4),
                ("arn:sm:2:2", "arn:sm:2", 2),
            ],
        )
        conn.execute("COMMIT")


def test_sqlite_migrates_a_version_2_database(tmp_path: Path) -> None:
    """0003 applies once over a schema-2 file: each machine's count starts from its
    highest version, and the new tables work."""
    path = tmp_path / "v2.db"
    _make_version_2_database(path)

    async def main() -> None:
        store = SqliteStore(path)
        await store.open()
        try:
            assert (await store.insert_next_version(version("arn:sm:1", 0))).version == 5
            assert (await store.insert_next_version(version("arn:sm:2", 0))).version == 3
            assert (await store.insert_next_version(version("arn:sm:3", 0))).version == 1
            assert await store.insert_activity(activity())
            assert await store.ensure_setting("k", "v") == "v"
        finally:
            await store.close()

    asyncio.run(main())
    with closing(sqlite3.connect(path)) as conn:
        rows = list(conn.execute("SELECT version, name FROM schema_version ORDER BY version"))
    assert rows == [
        (1, "initial"),
        (2, "resources"),
        (3, "shared_state"),
        (4, "functions"),
    ]


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        pytest.param(
            "SELECT * FROM activities WHERE (name, arn) > (?, ?) ORDER BY name, arn",
            "activities_by_name",
            id="list-activities",
        ),
        pytest.param(
            "SELECT seq FROM activity_tasks WHERE activity_arn = ? ORDER BY seq LIMIT 1",
            "activity_tasks_by_activity",
            id="take-task",
        ),
    ],
)
def test_sqlite_shared_queries_use_an_index(tmp_path: Path, sql: str, index: str) -> None:
    """Listing activities and taking a task search an index, with no sort."""

    async def create() -> None:
        store = SqliteStore(tmp_path / "s.db")
        await store.open()
        await store.close()

    asyncio.run(create())
    with closing(sqlite3.connect(tmp_path / "s.db")) as conn:
        params = [None] * sql.count("?")
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert plan[0].startswith("SEARCH") and index in plan[0], plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


# -- model comparison: every backend agrees with MemoryStore ---------------------------------

ACTIVITY_NAMES = ["a", "b", "c"]
MACHINE_ARNS = ["arn:sm:a", "arn:sm:b"]
TASK_IDS = ["t1", "t2", "t3", "t4"]
ACTIVITY_ARNS = [f"arn:activity:{name}" for name in ACTIVITY_NAMES]

SHARED_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("insert_activity"),
            st.builds(
                ActivityRecord,
                arn=st.sampled_from(ACTIVITY_ARNS),
                name=st.sampled_from(ACTIVITY_NAMES),
                creation_date=st.sampled_from([0.0, 1.5]),
                encryption_configuration=st.none() | st.just('{"type": "x"}'),
            ),
        ),
        st.tuples(st.just("delete_activity"), st.sampled_from(ACTIVITY_ARNS)),
        st.tuples(
            st.just("put_activity_task"),
            st.builds(
                task,
                st.sampled_from(TASK_IDS),
                st.sampled_from(ACTIVITY_ARNS[:2]),
                attempt=st.integers(1, 2),
                heartbeat_seconds=st.none() | st.just(5),
            ),
        ),
        st.tuples(st.just("take_activity_task"), st.sampled_from(ACTIVITY_ARNS[:2])),
        st.tuples(st.just("delete_activity_task"), st.sampled_from(TASK_IDS)),
        st.tuples(
            st.just("ensure_setting"), st.sampled_from(["k1", "k2"]), st.sampled_from(["x", "y"])
        ),
        st.tuples(st.just("insert_state_machine"), st.sampled_from(MACHINE_ARNS).map(machine)),
        st.tuples(st.just("delete_state_machine"), st.sampled_from(MACHINE_ARNS)),
        st.tuples(
            st.just("insert_version"),
            st.builds(version, st.sampled_from(MACHINE_ARNS), st.integers(1, 4)),
        ),
        st.tuples(
            st.just("insert_next_version"),
            st.sampled_from(MACHINE_ARNS).map(lambda arn: version(arn, 0)),
        ),
        st.tuples(
            st.just("delete_version"),
            st.builds(lambda m, n: f"{m}:{n}", st.sampled_from(MACHINE_ARNS), st.integers(1, 5)),
        ),
    ),
    max_size=20,
)


async def _apply(store: Store, operation: tuple[Any, ...]) -> object:
    method, *args = operation
    try:
        result: object = await getattr(store, method)(*args)
    except StoreError:
        return "StoreError"
    return result


async def _shared_snapshot(store: Store) -> dict[str, object]:
    seen: dict[str, object] = {
        "activities": await pages_of(lambda token: store.list_activities(limit=1, token=token), 1),
        "count": await store.count_activities(),
    }
    for arn in ACTIVITY_ARNS:
        seen[arn] = (await store.get_activity(arn), await store.count_activity_tasks(arn))
    for arn in MACHINE_ARNS:
        seen[arn] = (
            await store.count_versions(arn),
            (await store.list_versions(arn)).items,
        )
    return seen


async def _drain(store: Store) -> list[object]:
    """Every pending task in take order (this empties the queues, so it comes last)."""
    taken: list[object] = []
    for arn in ACTIVITY_ARNS:
        while (record := await store.take_activity_task(arn)) is not None:
            taken.append(record)
    return taken


async def _agree(other: Store, steps: list[tuple[Any, ...]]) -> None:
    memory = MemoryStore()
    await memory.open()
    try:
        for operation in steps:
            expected = await _apply(memory, operation)
            assert await _apply(other, operation) == expected, operation
        assert await _shared_snapshot(memory) == await _shared_snapshot(other)
        # The next number of each machine, and what waits in each queue.
        for arn in MACHINE_ARNS:
            draft = version(arn, 0)
            assert await _apply(other, ("insert_next_version", draft)) == await _apply(
                memory, ("insert_next_version", draft)
            )
        assert await _drain(memory) == await _drain(other)
    finally:
        await memory.close()


_TABLES = "activities activity_tasks settings state_machines versions tags"


@pytest.fixture(scope="module")
def model_schema() -> Iterator[str]:
    with fresh_schema() as schema:
        yield schema


@settings(max_examples=40, deadline=None)
@given(SHARED_OPERATIONS)
def test_memory_and_sqlite_agree_on_shared_state(steps: list[tuple[Any, ...]]) -> None:
    """Random sequences of the shared-state operations leave MemoryStore and SqliteStore
    answering alike."""

    async def main(folder: str) -> None:
        sqlite = SqliteStore(Path(folder) / "m.db", synchronous="OFF")
        await sqlite.open()
        try:
            await _agree(sqlite, steps)
        finally:
            await sqlite.close()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(main(folder))


@settings(max_examples=30, deadline=None)
@given(SHARED_OPERATIONS)
def test_memory_and_postgres_agree_on_shared_state(
    model_schema: str, steps: list[tuple[Any, ...]]
) -> None:
    """The same for PostgresStore, on a schema emptied before each example."""

    async def main() -> None:
        postgres = PostgresStore(POSTGRES_URL, schema=model_schema, max_size=2)
        await postgres.open()
        try:
            conn = await asyncpg.connect(
                POSTGRES_URL, server_settings={"search_path": model_schema}
            )
            try:
                await conn.execute("; ".join(f"DELETE FROM {t}" for t in _TABLES.split()))
            finally:
                await conn.close()
            await _agree(postgres, steps)
        finally:
            await postgres.close()

    asyncio.run(main())


# -- many nodes on one PostgreSQL database ---------------------------------------------------


def _in_threads(count: int, body: Any) -> list[Any]:
    """Run ``body(n, start)`` for n < count on threads of their own, each with its own store
    and event loop (nodes, not coroutines taking turns); they race from ``start.wait()``."""
    start = threading.Barrier(count, timeout=30)
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda n: asyncio.run(body(n, start)), range(count)))


def test_nodes_take_each_task_once(postgres_schema: str) -> None:
    """Four nodes polling one activity at once share its 200 tasks out, each task to one."""
    total = 200

    async def fill() -> None:
        store = PostgresStore(POSTGRES_URL, schema=postgres_schema)
        await store.open()
        for n in range(total):
            await store.put_activity_task(task(f"t{n:03d}"))
        await store.close()

    async def node(_: int, start: threading.Barrier) -> list[str]:
        store = PostgresStore(POSTGRES_URL, schema=postgres_schema, max_size=4)
        await store.open()
        start.wait()
        try:

            async def poller() -> list[str]:
                got: list[str] = []
                while (record := await store.take_activity_task("arn:activity:review")) is not None:
                    got.append(record.id)
                return got

            shares = await asyncio.gather(*(poller() for _ in range(4)))
            return [task_id for share in shares for task_id in share]
        finally:
            await store.close()

    asyncio.run(fill())
    taken = [task_id for share in _in_threads(4, node) for task_id in share]
    assert sorted(taken) == [f"t{n:03d}" for n in range(total)]


def test_nodes_agree_on_a_setting(postgres_schema: str) -> None:
    """Nodes starting at the same moment, each offering its own key, all get one key."""

    async def node(n: int, start: threading.Barrier) -> str:
        store = PostgresStore(POSTGRES_URL, schema=postgres_schema)
        await store.open()
        start.wait()
        try:
            return await store.ensure_setting("task_token_key", f"{n:02d}" * 32)
        finally:
            await store.close()

    keys = _in_threads(6, node)
    assert len(set(keys)) == 1 and keys[0] in {f"{n:02d}" * 32 for n in range(6)}


def test_nodes_publishing_at_once_get_distinct_numbers(postgres_schema: str) -> None:
    """Publishes of one machine from four nodes at once: every number once, no gaps."""

    async def setup() -> None:
        store = PostgresStore(POSTGRES_URL, schema=postgres_schema)
        await store.open()
        await store.insert_state_machine(machine())
        await store.close()

    async def node(_: int, start: threading.Barrier) -> list[int]:
        store = PostgresStore(POSTGRES_URL, schema=postgres_schema, max_size=3)
        await store.open()
        start.wait()
        try:
            made = await asyncio.gather(
                *(store.insert_next_version(version(number=0)) for _ in range(5))
            )
            return [v.version for v in made]
        finally:
            await store.close()

    asyncio.run(setup())
    numbers = [n for share in _in_threads(4, node) for n in share]
    assert sorted(numbers) == list(range(1, 21))
