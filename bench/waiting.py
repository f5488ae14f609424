"""Waiting executions cost disk, not RAM: N executions parked in a 1-day Wait, one JSON line.

    python bench/waiting.py [--executions 100000] [--concurrency 2000] [--synchronous FULL]
        [--data-dir DIR]

Starts N Standard executions in process on SQLite (``--concurrency`` start calls in flight at
once, so each scheduler tick group-commits many starts) and reports the start rate, the
process RSS per waiting execution beyond the baseline, the database size per execution and
how many engine objects (Run, Frame) stay alive once everything waits.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from statewise import arns
from statewise.engine.frames import Frame
from statewise.engine.local import LocalTaskRunner
from statewise.engine.run import Run
from statewise.engine.scheduler import Engine
from statewise.store.sqlite import SqliteStore

DEFINITION = orjson.dumps(
    {
        "StartAt": "Park",
        "States": {
            "Park": {"Type": "Wait", "Seconds": 86_400, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
).decode()


def rss_bytes() -> int:
    """The process's resident set size (VmRSS in /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def live_engine_objects() -> dict[str, int]:
    """Run and Frame objects still reachable after a full collection."""
    gc.collect()
    counts = {"Run": 0, "Frame": 0}
    for obj in gc.get_objects():
        if isinstance(obj, Run):
            counts["Run"] += 1
        elif isinstance(obj, Frame):
            counts["Frame"] += 1
    return counts


async def measure(
    path: Path, executions: int, concurrency: int, synchronous: str
) -> dict[str, Any]:
    store = SqliteStore(path, synchronous=synchronous)
    await store.open()
    engine = Engine(store, LocalTaskRunner({}))
    machine = arns.state_machine("waiting")
    await engine.start()
    # Warm up (definition compiled, statements prepared) so the baseline is the idle engine.
    await engine.start_execution(
        state_machine_arn=machine, name="warm-up", definition=DEFINITION, input_text="{}"
    )
    gc.collect()
    baseline = rss_bytes()

    async def start(index: int) -> None:
        await engine.start_execution(
            state_machine_arn=machine,
            name=f"w{index}",
            definition=DEFINITION,
            input_text=f'{{"n":{index}}}',
        )

    started = time.perf_counter()
    # At most ``concurrency`` calls in flight: enough for large group commits, without
    # holding all N coroutines (and their records) in memory at once.
    for first in range(0, executions, concurrency):
        await asyncio.gather(
            *(start(i) for i in range(first, min(first + concurrency, executions)))
        )
    elapsed = time.perf_counter() - started
    objects = live_engine_objects()
    after = rss_bytes()
    counts = await store.count_executions(machine)
    await engine.stop()
    await store.close()
    # Fold the WAL into the database so the size on disk is the data, not the log.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = (
            {
                table: conn.execute(
                    "SELECT sum(pgsize) FROM dbstat WHERE name = ?", (table,)
                ).fetchone()[0]
                for table in ("executions", "frames", "events", "work")
            }
            if _has_dbstat(conn)
            else {}
        )
    size = path.stat().st_size
    waiting = counts.get(next(iter(counts)), 0) if counts else 0
    return {
        "executions": executions,
        "concurrency": concurrency,
        "waiting": waiting,
        "start_seconds": round(elapsed, 3),
        "starts_per_second": round(executions / elapsed),
        "rss_baseline_bytes": baseline,
        "rss_after_bytes": after,
        "rss_bytes_per_waiting_execution": round((after - baseline) / executions, 1),
        "live_objects_after_start": objects,
        "db_bytes": size,
        "db_bytes_per_execution": round(size / (executions + 1), 1),
        "table_bytes_per_execution": {
            table: round(value / (executions + 1), 1) for table, value in pages.items() if value
        },
    }


def _has_dbstat(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 1")
    except sqlite3.OperationalError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=2000)
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.data_dir) as directory:
        result = asyncio.run(
            measure(
                Path(directory) / "waiting.db", args.executions, args.concurrency, args.synchronous
            )
        )
    result["store"] = f"sqlite synchronous={args.synchronous}"
    result["pid"] = os.getpid()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
