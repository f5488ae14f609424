"""The Store contract (store/base.py), run against every backend, plus a model comparison."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from statewise.store.base import (
    Batch,
    DefinitionRecord,
    DuplicateExecution,
    EventRecord,
    ExecutionRecord,
    ExecutionStatus,
    Store,
    StoreError,
)
from statewise.store.memory import MemoryStore
from statewise.store.migrate import Migration, load, pending, sqlite_statements
from statewise.store.sqlite import SqliteStore
from tests.contract import (
    FAILED,
    OPERATIONS,
    RUNNING,
    SUCCEEDED,
    Backend,
    apply_operation,
    contract,
    event,
    execution,
    frame,
    nothing_of,
    run,
    snapshot,
    work,
)

# -- lifecycle -------------------------------------------------------------------------------


def test_open_twice_is_idempotent(backend: Backend) -> None:
    """open() twice on one store, and again on a new store over the same data, changes nothing."""

    async def main() -> None:
        store = backend.make()
        await store.open()
        await store.open()
        await store.commit(Batch(new_executions=[execution()]))
        await store.open()
        assert await store.get_execution("arn:exec:1") == execution()
        await store.close()
        if backend.persistent:
            again = backend.make()
            await again.open()
            await again.open()
            assert await again.get_execution("arn:exec:1") == execution()
            await again.close()

    asyncio.run(main())


def test_calls_outside_open_fail(backend: Backend) -> None:
    """A store is usable only between open() and close(); close() twice is harmless."""

    async def main() -> None:
        store = backend.make()
        with pytest.raises(StoreError, match="not open"):
            await store.get_execution("arn:exec:1")
        await store.open()
        await store.close()
        await store.close()
        with pytest.raises(StoreError, match="closed"):
            await store.commit(Batch(new_executions=[execution()]))
        with pytest.raises(StoreError, match="closed"):
            await store.open()

    asyncio.run(main())


def test_data_survives_close_and_reopen(persistent_backend: Backend) -> None:
    """Everything committed is there after close, in a new store over the same file."""
    batch = Batch(
        definitions=[DefinitionRecord(id="def-1", text='{"StartAt": "A"}')],
        new_executions=[execution(), execution("arn:exec:2", status=SUCCEEDED, output="1")],
        frames=[frame(), frame(frame_id=1, parent_id=0, index=2, data='{"n": 1}')],
        events=[event(event_id=1), event(event_id=2, details='{"a": 1}')],
        work=[work("w1", 5.0), work("w2", 9.0, payload='{"p": 2}')],
    )

    async def write(store: Store) -> None:
        await store.commit(batch)
        await store.claim_due(now=6.0, limit=10, owner="node-a", lease_seconds=30.0)

    async def read(store: Store) -> None:
        assert await store.get_definition("def-1") == '{"StartAt": "A"}'
        assert await store.get_execution("arn:exec:1") == batch.new_executions[0]
        assert await store.get_execution("arn:exec:2") == batch.new_executions[1]
        assert await store.get_frames("arn:exec:1") == batch.frames
        assert await store.get_events("arn:exec:1") == batch.events
        leased = dataclasses.replace(batch.work[0], lease_owner="node-a", lease_until=36.0)
        assert await store.get_work("arn:exec:1") == [leased, batch.work[1]]

    run(persistent_backend, write)
    run(persistent_backend, read)


# -- commit: atomicity and errors ------------------------------------------------------------


def _everything_for(arn: str) -> Batch:
    """A batch touching every table for ``arn``, to prove a failed commit leaves none of it."""
    return Batch(
        definitions=[DefinitionRecord(id=f"def-{arn}", text="{}")],
        new_executions=[execution(arn)],
        frames=[frame(arn)],
        events=[event(arn, 1)],
        work=[work(f"w-{arn}", 1.0, arn)],
    )


@contract
async def test_duplicate_new_execution_applies_nothing(store: Store) -> None:
    """An existing arn among new executions fails the batch with DuplicateExecution, atomically."""
    await store.commit(Batch(new_executions=[execution("arn:exec:old")]))
    batch = _everything_for("arn:exec:new")
    batch.new_executions.append(execution("arn:exec:old", status=FAILED))
    batch.executions.append(execution("arn:exec:old", status=SUCCEEDED))
    with pytest.raises(DuplicateExecution) as caught:
        await store.commit(batch)
    assert caught.value.arn == "arn:exec:old"
    await nothing_of(store, "arn:exec:new")
    assert await store.get_definition("def-arn:exec:new") is None
    assert await store.get_execution("arn:exec:old") == execution("arn:exec:old")


@contract
async def test_duplicate_within_one_batch_applies_nothing(store: Store) -> None:
    """Two new executions with one arn in a single batch are a DuplicateExecution too."""
    batch = _everything_for("arn:exec:1")
    batch.new_executions.append(execution("arn:exec:1"))
    with pytest.raises(DuplicateExecution) as caught:
        await store.commit(batch)
    assert caught.value.arn == "arn:exec:1"
    await nothing_of(store, "arn:exec:1")


@pytest.mark.parametrize(
    "second",
    [
        pytest.param([event("arn:exec:1", 1)], id="already-stored"),
        pytest.param([event("arn:exec:9", 1), event("arn:exec:9", 1)], id="twice-in-batch"),
    ],
)
def test_duplicate_event_fails_the_commit(backend: Backend, second: list[EventRecord]) -> None:
    """A history event id that exists fails the whole commit (a StoreError, not a duplicate)."""

    async def body(store: Store) -> None:
        await store.commit(Batch(new_executions=[execution()], events=[event()]))
        batch = _everything_for("arn:exec:9")
        batch.events[:] = second
        with pytest.raises(StoreError) as caught:
            await store.commit(batch)
        assert not isinstance(caught.value, DuplicateExecution)
        await nothing_of(store, "arn:exec:9")
        assert await store.get_events("arn:exec:1") == [event()]

    run(backend, body)


@contract
async def test_update_of_unknown_execution_fails(store: Store) -> None:
    """Updating an execution that was never inserted is an error and applies nothing."""
    batch = _everything_for("arn:exec:1")
    batch.executions.append(execution("arn:exec:ghost"))
    with pytest.raises(StoreError, match="arn:exec:ghost"):
        await store.commit(batch)
    await nothing_of(store, "arn:exec:1")
    await nothing_of(store, "arn:exec:ghost")


@contract
async def test_empty_batch_is_a_no_op(store: Store) -> None:
    """Committing an empty batch succeeds and stores nothing."""
    assert Batch().empty()
    await store.commit(Batch())
    assert await store.next_due() is None


# -- commit: each kind of change -------------------------------------------------------------


@contract
async def test_execution_insert_and_update_round_trip(store: Store) -> None:
    """Executions come back equal, as frozen ExecutionRecords with an ExecutionStatus."""
    first = execution(role_arn="arn:role", trace_header="Root=1", version_arn="arn:v:1")
    await store.commit(Batch(new_executions=[first]))
    got = await store.get_execution(first.arn)
    assert got == first
    assert isinstance(got, ExecutionRecord)
    assert type(got.status) is ExecutionStatus
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.status = FAILED  # type: ignore[misc]
    done = dataclasses.replace(
        first,
        status=SUCCEEDED,
        stop_date=1005.5,
        output='{"ok": true}',
        last_event_id=7,
        alias_arn="arn:alias",
    )
    await store.commit(Batch(executions=[done]))
    assert await store.get_execution(first.arn) == done
    assert await store.get_execution("arn:exec:missing") is None


@contract
async def test_new_execution_updated_in_the_same_batch(store: Store) -> None:
    """New executions are inserted before updates apply, so one batch can do both."""
    updated = execution(last_event_id=3)
    await store.commit(Batch(new_executions=[execution()], executions=[updated]))
    assert await store.get_execution("arn:exec:1") == updated


@contract
async def test_frames_upsert_and_delete(store: Store) -> None:
    """Frames upsert by (execution, id), read back by id, and delete (missing ones too)."""
    await store.commit(Batch(frames=[frame(frame_id=2), frame(frame_id=0), frame("arn:exec:2")]))
    moved = frame(frame_id=2, parent_id=0, index=4, state="Next", input="[1]", data='{"r": 1}')
    await store.commit(Batch(frames=[moved], deleted_frames=[("arn:exec:1", 0), ("arn:x", 9)]))
    assert await store.get_frames("arn:exec:1") == [moved]
    assert await store.get_frames("arn:exec:2") == [frame("arn:exec:2")]
    # Deletion follows the upsert in one batch, so the frame ends up deleted.
    await store.commit(Batch(frames=[frame(frame_id=5)], deleted_frames=[("arn:exec:1", 5)]))
    assert await store.get_frames("arn:exec:1") == [moved]


@contract
async def test_work_upsert_and_delete(store: Store) -> None:
    """Work upserts by id (every field, lease included), reads by due time, and deletes."""
    await store.commit(Batch(work=[work("b", 3.0), work("a", 3.0), work("c", 1.0)]))
    assert [item.id for item in await store.get_work("arn:exec:1")] == ["c", "a", "b"]
    await store.claim_due(now=5.0, limit=10, owner="node", lease_seconds=10.0)
    retried = work("c", 8.0, kind="timer", payload='{"n": 2}')
    await store.commit(Batch(work=[retried], deleted_work=["a", "missing"]))
    items = await store.get_work("arn:exec:1")
    assert [item.id for item in items] == ["b", "c"]
    assert items[1] == retried
    assert items[1].lease_owner is None
    # New work follows deleted work in a batch: delete and re-add the same id keeps it.
    await store.commit(Batch(deleted_work=["b"], work=[work("b", 2.0)]))
    assert [item.id for item in await store.get_work("arn:exec:1")] == ["b", "c"]


@contract
async def test_closed_executions_remove_frames_and_work(store: Store) -> None:
    """Closing an execution removes all its frames and work, even ones the same batch wrote."""
    await store.commit(
        Batch(
            new_executions=[execution("arn:e:1"), execution("arn:e:2")],
            frames=[frame("arn:e:1", 0), frame("arn:e:1", 1), frame("arn:e:2", 0)],
            events=[event("arn:e:1", 1)],
            work=[
                work("w1", 1.0, "arn:e:1"),
                work("w2", 2.0, "arn:e:1"),
                work("w3", 1.0, "arn:e:2"),
            ],
        )
    )
    await store.commit(
        Batch(
            executions=[execution("arn:e:1", status=SUCCEEDED)],
            frames=[frame("arn:e:1", 7)],
            events=[event("arn:e:1", 2)],
            work=[work("w4", 3.0, "arn:e:1")],
            closed_executions=["arn:e:1", "arn:e:never"],
        )
    )
    assert await store.get_frames("arn:e:1") == []
    assert await store.get_work("arn:e:1") == []
    assert await store.get_events("arn:e:1") == [event("arn:e:1", 1), event("arn:e:1", 2)]
    assert (await store.get_execution("arn:e:1")) == execution("arn:e:1", status=SUCCEEDED)
    assert await store.get_frames("arn:e:2") == [frame("arn:e:2", 0)]
    assert await store.get_work("arn:e:2") == [work("w3", 1.0, "arn:e:2")]
    assert await store.execution_arns_with_work(["arn:e:1", "arn:e:2"]) == {"arn:e:2"}


@contract
async def test_definitions_are_content_addressed(store: Store) -> None:
    """Storing an id again (same batch or later) is fine and keeps the first text."""
    one = DefinitionRecord(id="sha-1", text='{"StartAt": "A"}')
    await store.commit(Batch(definitions=[one, one, DefinitionRecord(id="sha-2", text="{}")]))
    await store.commit(Batch(definitions=[one]))
    assert await store.get_definition("sha-1") == one.text
    assert await store.get_definition("sha-2") == "{}"
    assert await store.get_definition("sha-3") is None


@contract
async def test_execution_arns_with_work(store: Store) -> None:
    """Which of many arns have work (more than one SQL parameter chunk)."""
    arns = [f"arn:e:{n}" for n in range(1200)]
    await store.commit(Batch(work=[work(f"w{n}", 1.0, arns[n]) for n in (0, 499, 500, 1199)]))
    assert await store.execution_arns_with_work([*arns, "arn:other"]) == {
        arns[0],
        arns[499],
        arns[500],
        arns[1199],
    }
    assert await store.execution_arns_with_work([]) == set()


# -- history ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, list(range(1, 11)), id="all-in-order"),
        pytest.param({"after_id": 3, "limit": 4}, [4, 5, 6, 7], id="after-id-and-limit"),
        pytest.param({"after_id": 10}, [], id="after-the-last"),
        pytest.param({"reverse": True}, list(range(10, 0, -1)), id="reverse-from-last"),
        pytest.param({"reverse": True, "limit": 3}, [10, 9, 8], id="reverse-limit"),
        pytest.param({"reverse": True, "after_id": 5, "limit": 2}, [4, 3], id="reverse-after"),
        pytest.param({"reverse": True, "after_id": 1}, [], id="reverse-before-first"),
        pytest.param({"limit": 0}, [], id="limit-zero"),
    ],
)
def test_events_in_order(backend: Backend, kwargs: dict[str, Any], expected: list[int]) -> None:
    """History reads by id, forwards or backwards, after an id, with a limit."""

    async def body(store: Store) -> None:
        # Written over two commits, the second batch out of order, to pin id order on read.
        await store.commit(Batch(events=[event(event_id=n) for n in range(1, 6)]))
        await store.commit(Batch(events=[event(event_id=n) for n in (8, 6, 10, 7, 9)]))
        await store.commit(Batch(events=[event("arn:exec:other", 1)]))
        got = await store.get_events("arn:exec:1", **kwargs)
        assert [item.id for item in got] == expected
        assert all(item == event(event_id=item.id) for item in got)
        assert await store.get_events("arn:exec:none", **kwargs) == []

    run(backend, body)


# -- scheduling ------------------------------------------------------------------------------


@contract
async def test_claim_due(store: Store) -> None:
    """Claims take due, unleased (or expired) items, earliest first, up to the limit."""
    await store.commit(
        Batch(
            work=[
                work("late", 20.0),  # not due at 15
                work("b", 10.0),
                work("a", 10.0),  # ties on due_at go by id
                work("exact", 15.0),  # due exactly now is due
                work("held", 1.0, lease_owner="other", lease_until=100.0),
                work("expired", 2.0, lease_owner="dead", lease_until=14.0),
                work("at-now", 3.0, lease_owner="busy", lease_until=15.0),  # not yet expired
            ]
        )
    )
    first = await store.claim_due(now=15.0, limit=2, owner="me", lease_seconds=30.0)
    assert [item.id for item in first] == ["expired", "a"]
    assert all(item.lease_owner == "me" and item.lease_until == 45.0 for item in first)
    assert first[0] == work("expired", 2.0, lease_owner="me", lease_until=45.0)
    second = await store.claim_due(now=15.0, limit=10, owner="me", lease_seconds=30.0)
    assert [item.id for item in second] == ["b", "exact"]
    assert await store.claim_due(now=15.0, limit=10, owner="me", lease_seconds=30.0) == []
    assert await store.claim_due(now=15.0, limit=0, owner="me", lease_seconds=30.0) == []
    # The lease is stored, not only returned.
    stored = {item.id: item for item in await store.get_work("arn:exec:1")}
    assert stored["a"].lease_owner == "me" and stored["a"].lease_until == 45.0
    assert stored["late"].lease_owner is None
    # After the leases expire another node takes everything due over.
    taken = await store.claim_due(now=200.0, limit=10, owner="n2", lease_seconds=5.0)
    assert [item.id for item in taken] == ["held", "expired", "at-now", "a", "b", "exact", "late"]
    assert {(item.lease_owner, item.lease_until) for item in taken} == {("n2", 205.0)}


@contract
async def test_next_due_ignores_leased_items(store: Store) -> None:
    """next_due is the earliest due time among unleased work."""
    assert await store.next_due() is None
    await store.commit(Batch(work=[work("w1", 5.0), work("w2", 7.5), work("w3", 9.0)]))
    assert await store.next_due() == 5.0
    await store.claim_due(now=8.0, limit=1, owner="me", lease_seconds=60.0)
    assert await store.next_due() == 7.5
    await store.claim_due(now=8.0, limit=5, owner="me", lease_seconds=60.0)
    assert await store.next_due() == 9.0
    await store.claim_due(now=9.0, limit=5, owner="me", lease_seconds=60.0)
    assert await store.next_due() is None


@contract
async def test_release_leases(store: Store) -> None:
    """release_leases clears only the owner's leases and says how many."""
    await store.commit(Batch(work=[work("w1", 1.0), work("w2", 2.0), work("w3", 3.0)]))
    await store.claim_due(now=2.0, limit=2, owner="a", lease_seconds=60.0)
    await store.claim_due(now=3.0, limit=2, owner="b", lease_seconds=60.0)
    assert await store.release_leases("a") == 2
    assert await store.release_leases("a") == 0
    assert await store.release_leases("nobody") == 0
    assert await store.next_due() == 1.0
    again = await store.claim_due(now=3.0, limit=5, owner="c", lease_seconds=1.0)
    assert [item.id for item in again] == ["w1", "w2"]
    held = {item.id: item.lease_owner for item in await store.get_work("arn:exec:1")}
    assert held == {"w1": "c", "w2": "c", "w3": "b"}


# -- listing ---------------------------------------------------------------------------------


def _listing() -> list[ExecutionRecord]:
    """23 executions of one machine, with start_date ties and mixed statuses."""
    statuses = [RUNNING, SUCCEEDED, FAILED]
    return [
        execution(f"arn:exec:{n:02d}", start=1000.0 + n // 3, status=statuses[n % 3])
        for n in range(23)
    ]


def _newest_first(records: list[ExecutionRecord]) -> list[ExecutionRecord]:
    return sorted(records, key=lambda record: (record.start_date, record.arn), reverse=True)


async def _all_pages(
    store: Store, limit: int, status: ExecutionStatus | None = None
) -> list[ExecutionRecord]:
    seen: list[ExecutionRecord] = []
    token: str | None = None
    for _ in range(100):
        page = await store.list_executions("arn:sm:1", status=status, limit=limit, token=token)
        assert len(page.executions) <= limit
        # A token always leads to a non-empty page: no trailing empty page.
        assert page.executions or token is None
        seen.extend(page.executions)
        token = page.next_token
        if token is None:
            return seen
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("limit", [1, 4, 23, 100])
def test_list_executions_pages(backend: Backend, limit: int) -> None:
    """Pages are newest first (ties: arn), and together hold every execution exactly once."""

    async def body(store: Store) -> None:
        records = _listing()
        other = execution("arn:exec:zz", machine="arn:sm:2", start=5000.0)
        await store.commit(Batch(new_executions=[*records, other]))
        assert await _all_pages(store, limit) == _newest_first(records)
        for status in (RUNNING, SUCCEEDED, ExecutionStatus.ABORTED):
            expected = _newest_first([r for r in records if r.status == status])
            assert await _all_pages(store, limit, status) == expected

    run(backend, body)


@contract
async def test_list_executions_edges(store: Store) -> None:
    """An unknown machine lists nothing; bad limits and tokens are rejected."""
    await store.commit(Batch(new_executions=[execution()]))
    page = await store.list_executions("arn:sm:none")
    assert page.executions == [] and page.next_token is None
    with pytest.raises(ValueError, match="limit"):
        await store.list_executions("arn:sm:1", limit=0)
    for bad in ("not-base64!", "bm90IGpzb24=", "WzEsIDJd"):
        with pytest.raises(ValueError, match="token"):
            await store.list_executions("arn:sm:1", token=bad)


@contract
async def test_count_executions(store: Store) -> None:
    """Counts per status of one machine; absent statuses are absent."""
    await store.commit(
        Batch(new_executions=[*_listing(), execution("arn:x", machine="arn:sm:2", status=FAILED)])
    )
    assert await store.count_executions("arn:sm:1") == {RUNNING: 8, SUCCEEDED: 8, FAILED: 7}
    assert await store.count_executions("arn:sm:2") == {FAILED: 1}
    assert await store.count_executions("arn:sm:none") == {}


# -- SQLite specifics ------------------------------------------------------------------------


async def _open_and_close(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    await store.close()


def test_sqlite_migrations_apply_once(tmp_path: Path) -> None:
    """Migrations are recorded in schema_version and not re-run by a second open."""
    path = tmp_path / "s.db"
    asyncio.run(_open_and_close(path))
    asyncio.run(_open_and_close(path))
    with closing(sqlite3.connect(path)) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_version")]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert versions == [migration.version for migration in load("sqlite")] == [1, 2, 3, 4]


def test_sqlite_refuses_a_newer_schema(tmp_path: Path) -> None:
    """A file migrated by a newer statewise is not touched by this one."""
    path = tmp_path / "s.db"
    asyncio.run(_open_and_close(path))
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'future', 0)")
    with pytest.raises(StoreError, match="newer"):
        asyncio.run(_open_and_close(path))


def test_sqlite_open_failure_is_a_store_error(tmp_path: Path) -> None:
    """An unusable path fails open() with StoreError and leaves the store unopened."""

    async def main() -> None:
        store = SqliteStore(tmp_path / "no-such-folder" / "s.db")
        with pytest.raises(StoreError, match="unable to open"):
            await store.open()
        with pytest.raises(StoreError, match="not open"):
            await store.get_execution("arn:exec:1")

    asyncio.run(main())


def test_migration_planning() -> None:
    """The dialect-neutral runner: what is missing, and refusing unknown or gapped versions."""
    available = load("sqlite")
    assert pending(available, []) == list(available)
    assert pending(available, range(1, len(available) + 1)) == []
    assert pending(available, [1]) == list(available[1:])
    with pytest.raises(StoreError, match="newer"):
        pending(available, [len(available) + 1])
    three = [Migration(version=n, name=f"m{n}", sql="") for n in (1, 2, 3)]
    assert [migration.version for migration in pending(three, [1])] == [2, 3]
    with pytest.raises(StoreError, match="gap"):
        pending(three, [1, 3])
    with pytest.raises(StoreError, match="no migrations"):
        load("no-such-dialect")


def test_sqlite_statement_splitting() -> None:
    """Scripts split at statement ends, not at ';' in strings, comments or trigger bodies."""
    script = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE t (a TEXT DEFAULT 'x;y');\n"
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE t SET a = 'z'; END;\n"
        "-- trailing comment\n"
    )
    parts = sqlite_statements(script)
    assert len(parts) == 2 and parts[1].endswith("END;")
    with pytest.raises(StoreError, match="without ';'"):
        sqlite_statements("CREATE TABLE t (a)")


def test_sqlite_rejects_an_unknown_synchronous_mode(tmp_path: Path) -> None:
    """synchronous is validated up front (it is interpolated into a PRAGMA)."""
    assert SqliteStore(tmp_path / "a.db", synchronous="normal") is not None
    with pytest.raises(ValueError, match="synchronous"):
        SqliteStore(tmp_path / "b.db", synchronous="FULL; DROP TABLE work")


# -- model comparison: memory and SQLite agree -----------------------------------------------


@settings(max_examples=60, deadline=None)
@given(OPERATIONS)
def test_memory_and_sqlite_agree(steps: list[tuple[Any, ...]]) -> None:
    """Random operation sequences leave MemoryStore and SqliteStore in the same state."""

    async def main(folder: str) -> None:
        memory, sqlite = MemoryStore(), SqliteStore(Path(folder) / "m.db", synchronous="OFF")
        await memory.open()
        await sqlite.open()
        try:
            for operation in steps:
                expected = await apply_operation(memory, operation)
                assert await apply_operation(sqlite, operation) == expected, operation
            assert await snapshot(memory) == await snapshot(sqlite)
        finally:
            await memory.close()
            await sqlite.close()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(main(folder))


@contract
async def test_renew_leases_extends_only_the_owners_leases(store: Store) -> None:
    """renew_leases extends the owner's own leases, and reports those it no longer has: an
    item another owner holds now, or one that is gone, is never taken over."""
    await store.commit(Batch(work=[work("w1", 1.0), work("w2", 1.0, "arn:exec:2")]))
    await store.claim_due(now=1.0, limit=1, owner="a", lease_seconds=5.0)
    await store.unlock_executions()
    await store.claim_due(now=1.0, limit=1, owner="b", lease_seconds=5.0)
    await store.unlock_executions()
    renewed = await store.renew_leases("a", ["w1", "w2", "gone"], 100.0)
    assert renewed == {"w1"}
    assert await store.renew_leases("a", [], 100.0) == set()
    leases = {
        item.id: (item.lease_owner, item.lease_until)
        for arn in ("arn:exec:1", "arn:exec:2")
        for item in await store.get_work(arn)
    }
    assert leases == {"w1": ("a", 100.0), "w2": ("b", 6.0)}


@contract
async def test_one_node_holds_every_execution_it_asks_for(store: Store) -> None:
    """With no other node, lock_executions grants every arn, again and again; unlocking
    what is not held is no error."""
    await store.unlock_executions()
    assert await store.lock_executions(["arn:exec:1", "arn:exec:2"]) == {
        "arn:exec:1",
        "arn:exec:2",
    }
    assert await store.lock_executions(["arn:exec:1"]) == {"arn:exec:1"}
    assert await store.lock_executions([]) == set()
    await store.unlock_executions()
    await store.unlock_executions()
