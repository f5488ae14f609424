"""Durable transitions per second: concurrent executions of a Pass chain, one JSON line.

    python bench/engine_throughput.py [--executions 200] [--states 50] [--express]
        [--synchronous FULL] [--data-dir DIR] [--repeat 1]

A transition is one state entered and left (two history events) committed durably; with
``--express`` the executions run on the in-memory store. ``--repeat`` runs the measurement
that many times (a fresh engine and store each) and reports the median, with every run's
figure, since one run of 10,000 transitions takes well under a second and is noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from statewise import arns
from statewise.engine.local import LocalTaskRunner
from statewise.engine.scheduler import Engine
from statewise.store.base import ExecutionStatus, Store
from statewise.store.memory import MemoryStore
from statewise.store.sqlite import SqliteStore


def pass_chain(length: int) -> str:
    states: dict[str, Any] = {}
    for i in range(length):
        body: dict[str, Any] = {"Type": "Pass", "ResultPath": f"$.s{i % 5}", "Result": i}
        body.update({"Next": f"S{i + 1}"} if i + 1 < length else {"End": True})
        states[f"S{i}"] = body
    return orjson.dumps({"StartAt": "S0", "States": states}).decode()


async def measure(store: Store, executions: int, states: int) -> dict[str, Any]:
    await store.open()
    engine = Engine(store, LocalTaskRunner({}))
    definition = pass_chain(states)
    machine = arns.state_machine("bench")
    started = time.perf_counter()
    await engine.start()
    records = await asyncio.gather(
        *(
            engine.start_execution(
                state_machine_arn=machine,
                name=f"e{i}",
                definition=definition,
                input_text='{"order": 1}',
            )
            for i in range(executions)
        )
    )
    finals = await asyncio.gather(*(engine.wait_for(r.arn) for r in records))
    elapsed = time.perf_counter() - started
    await engine.stop()
    await store.close()
    assert all(f.status is ExecutionStatus.SUCCEEDED for f in finals)
    transitions = executions * states
    return {
        "executions": executions,
        "states": states,
        "transitions": transitions,
        "seconds": round(elapsed, 3),
        "transitions_per_second": round(transitions / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--states", type=int, default=50)
    parser.add_argument("--express", action="store_true", help="in-memory store")
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    results = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(dir=args.data_dir) as directory:
            store: Store = (
                MemoryStore()
                if args.express
                else SqliteStore(Path(directory) / "bench.db", synchronous=args.synchronous)
            )
            results.append(asyncio.run(measure(store, args.executions, args.states)))
    rates = [r["transitions_per_second"] for r in results]
    result = dict(results[0])
    result["seconds"] = statistics.median(r["seconds"] for r in results)
    result["transitions_per_second"] = round(statistics.median(rates))
    if args.repeat > 1:
        result["runs"] = rates
    result["store"] = "memory" if args.express else f"sqlite synchronous={args.synchronous}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
