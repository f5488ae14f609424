"""Store commit throughput: one JSON line per (store setting, transitions per commit).

A transition is what the engine writes for one state step: two history events, one frame
upsert, one work delete and one work insert. A commit carries ``batch`` transitions of
``batch`` different executions, as one scheduler tick would. Only the awaited ``commit`` is
timed (worker-thread hop, transaction and fsync included; building the Batch is not).

    python bench/store_commit.py [--seconds 2] [--payload 256] [--dir DIR]
        [--store postgresql://USER@HOST/DATABASE]

SQLite runs with synchronous FULL and NORMAL. ``--store`` measures PostgreSQL instead, each
size in a schema of its own that the bench creates and drops (the server's own
synchronous_commit setting applies, and is reported).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sqlite3
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from statewise.store.base import (
    Batch,
    EventRecord,
    ExecutionRecord,
    ExecutionStatus,
    FrameRecord,
    Store,
    WorkRecord,
)
from statewise.store.sqlite import SqliteStore

ARN = "arn:aws:states:us-east-1:123456789012:execution:bench:{:06d}"


def setup(arns: list[str], text: str) -> Batch:
    return Batch(
        new_executions=[
            ExecutionRecord(
                arn=arn,
                state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:bench",
                name=arn.rsplit(":", 1)[-1],
                definition_id="bench",
                status=ExecutionStatus.RUNNING,
                input=text,
                start_date=time.time(),
            )
            for arn in arns
        ],
        frames=[frame(arn, text, 0) for arn in arns],
        work=[work(arn, n, 0) for n, arn in enumerate(arns)],
    )


def frame(arn: str, text: str, step: int) -> FrameRecord:
    return FrameRecord(
        execution_arn=arn,
        id=0,
        parent_id=None,
        index=0,
        state=f"S{step}",
        input=text,
        status="RUNNING",
        data=f'{{"attempt": {step}}}',
    )


def work(arn: str, n: int, step: int) -> WorkRecord:
    return WorkRecord(
        id=f"{n}-{step}", execution_arn=arn, frame_id=0, kind="advance", due_at=time.time()
    )


def tick(arns: list[str], text: str, step: int) -> Batch:
    now = time.time()
    batch = Batch()
    for n, arn in enumerate(arns):
        first = 2 * step - 1
        batch.events.append(
            EventRecord(
                execution_arn=arn,
                id=first,
                type="PassStateExited",
                timestamp=now,
                previous_event_id=first - 1,
                details=text,
            )
        )
        batch.events.append(
            EventRecord(
                execution_arn=arn,
                id=first + 1,
                type="PassStateEntered",
                timestamp=now,
                previous_event_id=first,
                details=text,
            )
        )
        batch.frames.append(frame(arn, text, step))
        batch.deleted_work.append(f"{n}-{step - 1}")
        batch.work.append(work(arn, n, step))
    return batch


async def measure(
    make: Callable[[], Store], size: int, seconds: float, payload: int
) -> dict[str, object]:
    text = '{"output": "' + "x" * max(0, payload - 14) + '"}'
    arns = [ARN.format(n) for n in range(size)]
    store = make()
    await store.open()
    try:
        await store.commit(setup(arns, text))
        commits, spent, step = 0, 0.0, 0
        while spent < seconds or commits < 5:
            step += 1
            batch = tick(arns, text, step)
            started = time.perf_counter()
            await store.commit(batch)
            spent += time.perf_counter() - started
            commits += 1
    finally:
        await store.close()
    return {
        "bench": "store_commit",
        "transitions_per_commit": size,
        "payload_bytes": len(text),
        "commits": commits,
        "seconds": round(spent, 3),
        "commits_per_s": round(commits / spent, 1),
        "transitions_per_s": round(commits * size / spent, 1),
        "events_per_s": round(2 * commits * size / spent, 1),
    }


async def sqlite(
    path: Path, synchronous: str, size: int, seconds: float, payload: int
) -> dict[str, object]:
    make = functools.partial(SqliteStore, path, synchronous=synchronous)
    result = await measure(make, size, seconds, payload)
    return (
        {"backend": "sqlite", "synchronous": synchronous}
        | result
        | {"sqlite_version": sqlite3.sqlite_version}
    )


@asynccontextmanager
async def scratch_schema(url: str) -> AsyncIterator[tuple[str, dict[str, object]]]:
    """A new schema to measure in, dropped afterwards, and the server's relevant settings."""
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"CREATE SCHEMA {name}")
        server = {
            "server_version": await conn.fetchval("SHOW server_version"),
            "synchronous_commit": await conn.fetchval("SHOW synchronous_commit"),
        }
        try:
            yield name, server
        finally:
            await conn.execute(f"DROP SCHEMA {name} CASCADE")
    finally:
        await conn.close()


async def postgres(url: str, size: int, seconds: float, payload: int) -> dict[str, object]:
    from statewise.store.postgres import PostgresStore

    async with scratch_schema(url) as (schema, server):
        result = await measure(lambda: PostgresStore(url, schema=schema), size, seconds, payload)
    return {"backend": "postgresql"} | result | server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="commit time per scenario")
    parser.add_argument("--payload", type=int, default=256, help="bytes per event and frame")
    parser.add_argument("--dir", type=Path, default=None, help="where the database files go")
    parser.add_argument("--sizes", default="1,10,100,1000", help="transitions per commit")
    parser.add_argument("--store", default=None, help="a postgresql:// URL to measure instead")
    args = parser.parse_args()
    sizes = [int(part) for part in args.sizes.split(",")]
    if args.store is not None:
        for size in sizes:
            result = asyncio.run(postgres(args.store, size, args.seconds, args.payload))
            print(json.dumps(result), flush=True)
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        for synchronous in ("FULL", "NORMAL"):
            for size in sizes:
                path = Path(folder) / f"bench-{synchronous}-{size}.db"
                result = asyncio.run(sqlite(path, synchronous, size, args.seconds, args.payload))
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
