"""Timer lateness: N Waits all due within one window, how late each fires; one JSON line.

    python bench/timers.py [--executions 10000] [--window 10] [--lead 6] [--express]
        [--synchronous FULL] [--data-dir DIR] [--store postgresql://USER@HOST/DB]

``--window 0`` makes every timer due at the same moment. ``--store`` runs on PostgreSQL,
in a fresh schema dropped afterwards.

Every execution is one Wait whose ``TimestampPath`` reads its due time from the input; the
due times are spread evenly over a ``--window``-second window that opens ``--lead`` seconds
after the first start (so all starts are committed before the first timer is due). A
timer's lateness is its WaitStateExited event's timestamp minus its due time. The event's
timestamp is the start of the scheduler tick that fired it, so the tick's own commit comes
on top; ``commit_seconds`` reports those commits over the window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from statewise import arns
from statewise.engine.local import LocalTaskRunner
from statewise.engine.scheduler import Engine
from statewise.store.base import Batch, ExecutionStatus, Store
from statewise.store.memory import MemoryStore
from statewise.store.sqlite import SqliteStore

DEFINITION = orjson.dumps(
    {
        "StartAt": "Timer",
        "States": {"Timer": {"Type": "Wait", "TimestampPath": "$.due", "End": True}},
    }
).decode()


def iso(moment: float) -> str:
    """An ASL timestamp with milliseconds."""
    text = datetime.fromtimestamp(moment, tz=UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class TimedCommits:
    """Wraps a store to time its commits (delegating everything else)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.commits: list[tuple[float, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def commit(self, batch: Batch) -> None:
        started = time.time()
        await self.store.commit(batch)
        self.commits.append((started, time.time() - started))


async def measure(
    store: Store, executions: int, window: float, lead: float, concurrency: int
) -> dict[str, Any]:
    timed = TimedCommits(store)
    await store.open()
    engine = Engine(timed, LocalTaskRunner({}))  # type: ignore[arg-type]
    machine = arns.state_machine("timers")
    ticks: list[tuple[float, float]] = []
    plain_tick = engine.tick

    async def timed_tick() -> bool:
        started = time.time()
        busy = await plain_tick()
        if busy:
            ticks.append((started, time.time() - started))
        return busy

    engine.tick = timed_tick  # type: ignore[method-assign]
    await engine.start()
    opens = time.time() + lead
    dues = [
        datetime.fromisoformat(iso(opens + window * i / executions)).timestamp()
        for i in range(executions)
    ]

    async def start(index: int) -> str:
        record = await engine.start_execution(
            state_machine_arn=machine,
            name=f"t{index}",
            definition=DEFINITION,
            input_text=orjson.dumps({"due": iso(dues[index])}).decode(),
        )
        return record.arn

    started = time.time()
    arns_: list[str] = []
    for first in range(0, executions, concurrency):
        batch = range(first, min(first + concurrency, executions))
        arns_.extend(await asyncio.gather(*(start(i) for i in batch)))
    starts_done = time.time()
    while True:
        counts = await store.count_executions(machine)
        if counts.get(ExecutionStatus.SUCCEEDED, 0) == executions:
            break
        await asyncio.sleep(0.25)
    await engine.stop()
    lateness = []
    for arn, due in zip(arns_, dues, strict=True):
        events = await store.get_events(arn)
        exited = next(e for e in events if e.type == "WaitStateExited")
        lateness.append(exited.timestamp - due)
    await store.close()
    in_window = [d for t, d in timed.commits if opens <= t <= opens + window + 1]
    busy_ticks = [d for t, d in ticks if opens <= t <= opens + window + 1]
    return {
        "executions": executions,
        "window_seconds": window,
        "start_seconds": round(starts_done - started, 3),
        "starts_done_before_window": starts_done < opens,
        "lateness_ms": {
            "p50": round(percentile(lateness, 0.50) * 1000, 2),
            "p99": round(percentile(lateness, 0.99) * 1000, 2),
            "max": round(max(lateness) * 1000, 2),
            "mean": round(statistics.fmean(lateness) * 1000, 2),
            "early": sum(1 for value in lateness if value < 0),
        },
        "ticks_in_window": len(busy_ticks),
        "tick_ms": {
            "p50": round(percentile(busy_ticks, 0.5) * 1000, 2) if busy_ticks else None,
            "max": round(max(busy_ticks) * 1000, 2) if busy_ticks else None,
        },
        "load_average": os.getloadavg()[0],
        "commit_ms": {
            "p50": round(percentile(in_window, 0.5) * 1000, 2) if in_window else None,
            "max": round(max(in_window) * 1000, 2) if in_window else None,
        },
    }


def on_postgres(args: argparse.Namespace) -> dict[str, Any]:
    import uuid

    import asyncpg

    from statewise.store.postgres import PostgresStore

    schema = f"bench_{uuid.uuid4().hex[:12]}"

    async def run() -> dict[str, Any]:
        conn = await asyncpg.connect(args.store)
        await conn.execute(f"CREATE SCHEMA {schema}")
        try:
            store = PostgresStore(args.store, schema=schema)
            return await measure(store, args.executions, args.window, args.lead, args.concurrency)
        finally:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
            await conn.close()

    result = asyncio.run(run())
    result["store"] = "postgresql"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--lead", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=2000)
    parser.add_argument("--express", action="store_true", help="in-memory store")
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--store", default=None, help="a postgresql:// URL")
    args = parser.parse_args()
    if args.store:
        print(json.dumps(on_postgres(args)))
        return
    with tempfile.TemporaryDirectory(dir=args.data_dir) as directory:
        store: Store = (
            MemoryStore()
            if args.express
            else SqliteStore(Path(directory) / "timers.db", synchronous=args.synchronous)
        )
        result = asyncio.run(
            measure(store, args.executions, args.window, args.lead, args.concurrency)
        )
    result["store"] = "memory" if args.express else f"sqlite synchronous={args.synchronous}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
