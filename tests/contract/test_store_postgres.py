"""What only PostgresStore promises: many nodes at once (claims, migrations, wake-ups)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import pytest
from hypothesis import given, settings

from statewise.store.base import Batch, DuplicateExecution, StoreError, WorkRecord
from statewise.store.memory import MemoryStore
from statewise.store.migrate import load, migrate_postgres
from statewise.store.postgres import PostgresStore
from tests.contract import OPERATIONS, apply_operation, execution, snapshot, work
from tests.contract.conftest import POSTGRES_URL, fresh_schema, require_postgres


def _store(schema: str) -> PostgresStore:
    return PostgresStore(POSTGRES_URL, schema=schema)


def _in_threads(count: int, body: Callable[[int, threading.Barrier], Awaitable[Any]]) -> list[Any]:
    """Run ``body(n, start)`` for n < count, each on its own thread and event loop: real
    parallel clients, not coroutines taking turns on one loop. Each body calls
    ``start.wait()`` when it is ready to race, and all of them go on together."""
    start = threading.Barrier(count, timeout=30)

    def thread(n: int) -> Any:
        return asyncio.run(body(n, start))

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(thread, range(count)))


async def _raw(schema: str) -> asyncpg.Connection[Any]:
    return await asyncpg.connect(POSTGRES_URL, server_settings={"search_path": schema})


# -- claims ----------------------------------------------------------------------------------


def test_parallel_claims_never_share_an_item(postgres_schema: str) -> None:
    """Two stores claiming 1,000 due items in parallel, in small batches, each get a disjoint
    share; together they get every item, and each stored lease names its claimer."""
    total = 1000
    items = [work(f"w{n:04d}", float(n % 7), f"arn:e:{n % 50}") for n in range(total)]

    async def fill() -> None:
        store = _store(postgres_schema)
        await store.open()
        await store.commit(Batch(work=items))
        await store.close()

    asyncio.run(fill())

    async def claimer(n: int, start: threading.Barrier) -> list[WorkRecord]:
        store = _store(postgres_schema)
        await store.open()
        start.wait()  # both stores open before either claims, so both get a share
        got: list[WorkRecord] = []
        try:
            # Two claim loops per store, so each store also races itself over its pool.
            async def loop() -> None:
                while batch := await store.claim_due(
                    now=100.0, limit=9, owner=f"node-{n}", lease_seconds=60.0
                ):
                    got.extend(batch)
                    # As a tick ends: the claim's executions are let go, so the other
                    # store can claim their remaining items.
                    await store.unlock_executions()

            await asyncio.gather(loop(), loop())
        finally:
            await store.close()
        return got

    shares = _in_threads(2, claimer)
    claimed = Counter(item.id for share in shares for item in share)
    assert claimed.most_common(1)[0][1] == 1, "an item was claimed twice"
    assert set(claimed) == {item.id for item in items}
    assert all(share for share in shares), "both claimers should have won some items"

    async def check() -> None:
        store = _store(postgres_schema)
        await store.open()
        owners = {
            item.id: item.lease_owner
            for arn in {item.execution_arn for item in items}
            for item in await store.get_work(arn)
        }
        await store.close()
        for n, share in enumerate(shares):
            assert all(owners[item.id] == f"node-{n}" for item in share)

    asyncio.run(check())


def test_claim_skips_rows_locked_by_another_transaction(postgres_schema: str) -> None:
    """A row locked elsewhere (a commit in flight) is passed over at once, not waited for."""

    async def main() -> None:
        store = _store(postgres_schema)
        await store.open()
        other = await _raw(postgres_schema)
        try:
            await store.commit(Batch(work=[work("a", 1.0), work("b", 2.0)]))
            async with other.transaction():
                await other.execute("SELECT 1 FROM work WHERE id = 'a' FOR UPDATE")
                got = await asyncio.wait_for(
                    store.claim_due(now=5.0, limit=10, owner="n1", lease_seconds=9.0), 5.0
                )
                assert [item.id for item in got] == ["b"]
            got = await store.claim_due(now=5.0, limit=10, owner="n1", lease_seconds=9.0)
            assert [item.id for item in got] == ["a"]
        finally:
            await other.close()
            await store.close()

    asyncio.run(main())


# -- migrations ------------------------------------------------------------------------------


def test_racing_opens_migrate_once(postgres_schema: str) -> None:
    """Four stores opening one empty schema at the same moment: one migrates, all succeed."""

    async def open_one(n: int, start: threading.Barrier) -> None:
        store = _store(postgres_schema)
        start.wait()
        await store.open()
        await store.commit(Batch(new_executions=[execution(f"arn:e:{n}")]))
        await store.close()

    _in_threads(4, open_one)

    async def versions() -> list[tuple[int, str]]:
        conn = await _raw(postgres_schema)
        try:
            rows = await conn.fetch("SELECT version, name FROM schema_version ORDER BY version")
            assert await conn.fetchval("SELECT count(*) FROM executions") == 4
        finally:
            await conn.close()
        return [(row[0], row[1]) for row in rows]

    expected = [(migration.version, migration.name) for migration in load("postgres")]
    assert asyncio.run(versions()) == expected
    assert expected == [
        (1, "initial"),
        (2, "resources"),
        (3, "shared_state"),
        (4, "functions"),
    ]


def test_racing_migrations_take_the_lock(postgres_schema: str) -> None:
    """The runner itself, from several raw connections: exactly one applies anything."""

    async def migrate(_: int, start: threading.Barrier) -> list[int]:
        conn = await _raw(postgres_schema)
        start.wait()
        try:
            return await migrate_postgres(conn)
        finally:
            await conn.close()

    applied = _in_threads(3, migrate)
    assert sorted(applied) == [[], [], [1, 2, 3, 4]]


def test_refuses_a_newer_schema(postgres_schema: str) -> None:
    """A schema migrated by a newer statewise is not touched by this one."""

    async def main() -> None:
        store = _store(postgres_schema)
        await store.open()
        await store.close()
        conn = await _raw(postgres_schema)
        await conn.execute("INSERT INTO schema_version VALUES (99, 'future', 0)")
        await conn.close()
        with pytest.raises(StoreError, match="newer"):
            await _store(postgres_schema).open()

    asyncio.run(main())


# -- wake-ups --------------------------------------------------------------------------------


def test_notify_wakes_a_waiter(postgres_schema: str) -> None:
    """Work made claimable now by another store wakes wait_for_work; nothing else does."""

    async def main() -> None:
        waiter, writer = _store(postgres_schema), _store(postgres_schema)
        await waiter.open()
        await writer.open()
        try:
            assert await waiter.wait_for_work(30.0) is True  # starts listening, returns at once
            assert await waiter.wait_for_work(0.05) is False

            # Not claimable now: due later, or leased (a renewal), or closed in the same batch.
            later = time.time() + 3600
            await writer.commit(Batch(work=[work("later", later)]))
            await writer.commit(Batch(work=[work("held", 1.0, lease_owner="n", lease_until=later)]))
            await writer.commit(Batch(work=[work("gone", 1.0)], closed_executions=["arn:exec:1"]))
            # A rolled-back commit notifies nobody.
            await writer.commit(Batch(new_executions=[execution("arn:e:dup")]))
            with pytest.raises(DuplicateExecution):
                await writer.commit(
                    Batch(new_executions=[execution("arn:e:dup")], work=[work("x", 1.0)])
                )
            assert await waiter.wait_for_work(0.3) is False

            woken = asyncio.create_task(waiter.wait_for_work(30.0))
            await asyncio.sleep(0.05)
            assert not woken.done()
            await writer.commit(Batch(work=[work("now", time.time())]))
            assert await woken is True

            # Heard between two waits: kept, so the next wait returns at once.
            await writer.commit(Batch(work=[work("now-2", 2.0)]))
            await asyncio.sleep(0.2)
            assert await waiter.wait_for_work(30.0) is True
            assert await waiter.wait_for_work(0.05) is False

            # Released leases of due work make it claimable again.
            await writer.claim_due(now=time.time(), limit=10, owner="dead", lease_seconds=60.0)
            assert await waiter.wait_for_work(0.05) is False
            assert await writer.release_leases("dead") >= 2
            assert await waiter.wait_for_work(30.0) is True
        finally:
            await writer.close()
            await waiter.close()

    asyncio.run(main())


def test_notify_stays_in_its_schema(postgres_schema: str) -> None:
    """Stores in other schemas of the same database share the channel, not the wake-ups."""

    async def main(other_schema: str) -> None:
        waiter, stranger = _store(postgres_schema), _store(other_schema)
        await waiter.open()
        await stranger.open()
        try:
            assert await waiter.wait_for_work(30.0) is True
            await stranger.commit(Batch(work=[work("w", 1.0)]))
            assert await waiter.wait_for_work(0.3) is False
        finally:
            await stranger.close()
            await waiter.close()

    with fresh_schema() as other_schema:
        asyncio.run(main(other_schema))


def test_wait_for_work_needs_an_open_store(postgres_schema: str) -> None:
    """wait_for_work follows the lifecycle of every other call."""

    async def main() -> None:
        store = _store(postgres_schema)
        with pytest.raises(StoreError, match="not open"):
            await store.wait_for_work(0.1)
        await store.open()
        assert await store.wait_for_work(0.1) is True
        await store.close()
        with pytest.raises(StoreError, match="closed"):
            await store.wait_for_work(0.1)

    asyncio.run(main())


# -- errors and URLs -------------------------------------------------------------------------


def test_driver_errors_are_store_errors(postgres_schema: str) -> None:
    """A value PostgreSQL refuses (text cannot hold U+0000) fails the commit as a StoreError
    caused by the driver's error, and applies nothing."""

    async def main() -> None:
        store = _store(postgres_schema)
        await store.open()
        try:
            with pytest.raises(StoreError) as caught:
                await store.commit(
                    Batch(new_executions=[execution()], work=[work("w", 1.0, payload="\x00")])
                )
            assert isinstance(caught.value.__cause__, asyncpg.PostgresError)
            assert await store.get_execution("arn:exec:1") is None
        finally:
            await store.close()

    asyncio.run(main())


def test_unreachable_server_fails_open_without_the_password() -> None:
    """open() on a server that is not there is a StoreError that does not echo the password."""

    async def main() -> None:
        store = PostgresStore("postgresql://u:s3cret@127.0.0.1:1/db", connect_timeout=2.0)
        with pytest.raises(StoreError, match=r"u:\*\*\*@127\.0\.0\.1:1") as caught:
            await store.open()
        assert "s3cret" not in str(caught.value)
        with pytest.raises(StoreError, match="not open"):
            await store.next_due()

    asyncio.run(main())


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_open_store_takes_postgres_urls(scheme: str) -> None:
    """``--store postgresql://...`` (or postgres://) selects this store."""
    # Imported here: the composition root pulls in every layer, and the store suite should
    # not depend on the rest of the tree to run.
    from statewise.services import open_store

    require_postgres()
    url = POSTGRES_URL.replace("postgresql://", f"{scheme}://", 1)
    assert isinstance(open_store(url), PostgresStore)


# -- model comparison: memory and PostgreSQL agree -------------------------------------------

# DELETE, not TRUNCATE: on tables this small it is ten times faster (no new files to make).
_TABLES = "definitions executions frames events work state_machines versions aliases tags"
_EMPTY = "; ".join(f"DELETE FROM {table}" for table in _TABLES.split())


@pytest.fixture(scope="module")
def model_schema() -> Any:
    with fresh_schema() as schema:
        yield schema


@settings(max_examples=40, deadline=None)
@given(OPERATIONS)
def test_memory_and_postgres_agree(model_schema: str, steps: list[tuple[Any, ...]]) -> None:
    """Random operation sequences leave MemoryStore and PostgresStore in the same state."""

    async def main() -> None:
        memory, postgres = MemoryStore(), _store(model_schema)
        await memory.open()
        await postgres.open()
        conn = await _raw(model_schema)
        await conn.execute(_EMPTY)
        await conn.close()
        try:
            for operation in steps:
                expected = await apply_operation(memory, operation)
                assert await apply_operation(postgres, operation) == expected, operation
            assert await snapshot(memory) == await snapshot(postgres)
        finally:
            await memory.close()
            await postgres.close()

    asyncio.run(main())


# -- holding executions ----------------------------------------------------------------------


def test_a_node_never_claims_work_of_an_execution_another_node_holds(
    postgres_schema: str,
) -> None:
    """Node A's claim holds execution 1; node B's claim passes over execution 1's other due
    items, and B cannot lock it for a command either, until A lets go."""

    async def main() -> None:
        a, b = _store(postgres_schema), _store(postgres_schema)
        await a.open()
        await b.open()
        try:
            items = [work("a1", 1.0), work("a2", 2.0), work("b1", 3.0, "arn:exec:2")]
            await a.commit(Batch(work=items))
            got = await a.claim_due(now=5.0, limit=1, owner="A", lease_seconds=60.0)
            assert [item.id for item in got] == ["a1"]
            got = await b.claim_due(now=5.0, limit=10, owner="B", lease_seconds=60.0)
            assert [item.id for item in got] == ["b1"]
            assert await b.lock_executions(["arn:exec:1", "arn:exec:3"]) == {"arn:exec:3"}
            # A holds its own execution again at will (the hold is re-entrant).
            assert await a.lock_executions(["arn:exec:1"]) == {"arn:exec:1"}
            await a.unlock_executions()
            assert await b.lock_executions(["arn:exec:1"]) == {"arn:exec:1"}
            await b.unlock_executions()
            got = await b.claim_due(now=5.0, limit=10, owner="B", lease_seconds=60.0)
            assert [item.id for item in got] == ["a2"]
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_a_commit_after_the_hold_was_lost_is_refused(postgres_schema: str) -> None:
    """Fencing: when the session holding a tick's executions ends (the server dropped it,
    as it does for a stalled node), the tick's commit fails and changes nothing, although
    another node may have taken the execution over; the next tick starts afresh."""

    async def main() -> None:
        store = _store(postgres_schema)
        await store.open()
        other = await _raw(postgres_schema)
        try:
            await store.commit(Batch(new_executions=[execution()], work=[work("w1", 1.0)]))
            claimed = await store.claim_due(now=2.0, limit=5, owner="A", lease_seconds=60.0)
            assert [item.id for item in claimed] == ["w1"]
            await other.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
            )
            await asyncio.sleep(0.1)
            # "lost the hold", or the dead connection's own error if the driver has not
            # seen it go yet: refused either way, and nothing applied.
            with pytest.raises(StoreError):
                await store.commit(Batch(deleted_work=["w1"], work=[work("w2", 1.0)]))
            assert [item.id for item in await store.get_work("arn:exec:1")] == ["w1"]
            # The lock went with the session: another node can hold the execution now.
            assert (
                await other.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
                == 0
            )
            await store.unlock_executions()
            await store.commit(Batch(deleted_work=["w1"]))
            assert await store.get_work("arn:exec:1") == []
        finally:
            await other.close()
            await store.close()

    asyncio.run(main())


def test_a_commit_that_closes_executions_is_heard(postgres_schema: str) -> None:
    """wait_for_closes hears another store's commit that closed executions (so a node
    waiting for an execution another node ran looks again at once), and nothing else."""

    async def main() -> None:
        waiter, writer = _store(postgres_schema), _store(postgres_schema)
        await waiter.open()
        await writer.open()
        try:
            assert await waiter.wait_for_work(30.0) is True  # starts listening
            await writer.commit(Batch(new_executions=[execution()], work=[work("w", 1.0)]))
            assert await waiter.wait_for_closes(0.3) is False
            heard = asyncio.create_task(waiter.wait_for_closes(30.0))
            await asyncio.sleep(0.05)
            assert not heard.done()
            await writer.commit(Batch(closed_executions=["arn:exec:1"]))
            assert await heard is True
            assert await waiter.wait_for_closes(0.05) is False
        finally:
            await writer.close()
            await waiter.close()

    asyncio.run(main())


def test_a_hold_lost_mid_tick_is_not_regained_by_reconnecting(postgres_schema: str) -> None:
    """The claim's session ends, then the same tick locks other executions for commands
    (on a new connection): the commit still fails, since the claimed execution is no
    longer held. The tick's end clears the loss."""

    async def main() -> None:
        store = _store(postgres_schema)
        await store.open()
        other = await _raw(postgres_schema)
        try:
            await store.commit(Batch(new_executions=[execution()], work=[work("w1", 1.0)]))
            assert await store.claim_due(now=2.0, limit=5, owner="A", lease_seconds=60.0)
            await other.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
            )
            await asyncio.sleep(0.1)
            # On a new connection, or failing on the dead one if the driver has not seen
            # it go yet: the hold is lost either way.
            with contextlib.suppress(StoreError):
                assert await store.lock_executions(["arn:exec:2"]) == {"arn:exec:2"}
            with pytest.raises(StoreError, match="lost the hold"):
                await store.commit(Batch(deleted_work=["w1"]))
            assert [item.id for item in await store.get_work("arn:exec:1")] == ["w1"]
            await store.unlock_executions()
            await store.commit(Batch(deleted_work=["w1"]))
            assert await store.get_work("arn:exec:1") == []
        finally:
            await other.close()
            await store.close()

    asyncio.run(main())
