"""Durable transitions per second: concurrent executions of a Pass chain, one JSON line.

    python bench/engine_throughput.py [--executions 200] [--states 50] [--express]
        [--synchronous FULL] [--data-dir DIR] [--repeat 1]
        [--store postgresql://USER@HOST/DB [--nodes 1] [--hops 0] [--same-schema]]

A transition is one state entered and left (two history events) committed durably; with
``--express`` the executions run on the in-memory store. ``--repeat`` runs the measurement
that many times (a fresh engine and store each) and reports the median, with every run's
figure, since one run of 10,000 transitions takes well under a second and is noisy.

With ``--store postgresql://...`` the executions run on PostgreSQL (in a fresh schema,
dropped afterwards) by ``--nodes`` engine processes at once, each starting its share;
``--hops N`` puts a zero-second Wait every N states, so that the rest of an execution is
due work that whichever node claims it steps (without hops a Pass chain runs to its end in
the tick that starts it, on the node that started it). ``--same-schema`` runs every
``--repeat`` on one schema, each after the history of the ones before it.
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


def pass_chain(length: int, hops: int = 0) -> str:
    """``length`` states: Pass states, and a ``Seconds: 0`` Wait every ``hops`` states."""
    states: dict[str, Any] = {}
    for i in range(length):
        body: dict[str, Any] = {"Type": "Pass", "ResultPath": f"$.s{i % 5}", "Result": i}
        if hops and i % hops == hops - 1:
            body = {"Type": "Wait", "Seconds": 0}
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


async def node(url: str, schema: str, index: int, args: argparse.Namespace) -> None:
    """One engine process of a PostgreSQL run: start this node's share, step whatever it
    claims, and print when it started and when the last execution of the run closed."""
    import asyncpg

    from statewise.engine.scheduler import EngineSettings
    from statewise.store.postgres import PostgresStore

    store = PostgresStore(url, schema=schema)
    await store.open()
    engine = Engine(store, LocalTaskRunner({}), settings=EngineSettings(owner=f"bench-{index}"))
    definition = pass_chain(args.states, args.hops)
    machine = arns.state_machine("bench")
    watch = await asyncpg.connect(url, server_settings={"search_path": schema})
    started = time.time()
    await engine.start()
    await asyncio.gather(
        *(
            engine.start_execution(
                state_machine_arn=machine,
                name=f"r{args.round}-e{i}",
                definition=definition,
                input_text='{"order": 1}',
            )
            for i in range(index, args.executions, args.nodes)
        )
    )
    # Earlier rounds on the same schema are done already: all of them count.
    wanted = args.executions * (args.round + 1)
    while True:
        done = await watch.fetchval("SELECT count(*) FROM executions WHERE status = 'SUCCEEDED'")
        if done == wanted:
            break
        await asyncio.sleep(0.01)
    finished = time.time()
    await engine.stop()
    await store.close()
    await watch.close()
    print(json.dumps({"started": started, "finished": finished}))


def postgres_runs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """``--repeat`` runs of ``--nodes`` node processes, each on a fresh schema, or with
    ``--same-schema`` all on one, so that each run starts with the history of the ones
    before it in the tables (a decay with history would show as falling rates)."""
    if not args.same_schema:
        return [postgres_run(args, rounds=1)[0] for _ in range(args.repeat)]
    return postgres_run(args, rounds=args.repeat)


def postgres_run(args: argparse.Namespace, *, rounds: int) -> list[dict[str, Any]]:
    """Run ``--nodes`` node processes ``rounds`` times on a fresh schema; each rate is over
    its whole round, from the first node's start to the moment its last execution closed."""
    import subprocess
    import sys
    import uuid

    import asyncpg

    from statewise.store.postgres import PostgresStore

    schema = f"bench_{uuid.uuid4().hex[:12]}"

    async def sql(statement: str) -> None:
        conn = await asyncpg.connect(args.store)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def migrate() -> None:
        store = PostgresStore(args.store, schema=schema)
        await store.open()
        await store.close()

    asyncio.run(sql(f"CREATE SCHEMA {schema}"))
    results = []
    try:
        asyncio.run(migrate())  # once, before the nodes race to start
        common = ["--executions", str(args.executions), "--states", str(args.states)]
        common += ["--hops", str(args.hops), "--nodes", str(args.nodes), "--store", args.store]
        for round_ in range(rounds):
            children = [
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        *common,
                        *("--schema", schema, "--node", str(n), "--round", str(round_)),
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for n in range(args.nodes)
            ]
            reports = []
            for child in children:
                out, _ = child.communicate(timeout=600)
                if child.returncode != 0:
                    raise SystemExit(f"a node failed ({child.returncode})")
                reports.append(json.loads(out.strip().splitlines()[-1]))
            elapsed = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
            transitions = args.executions * args.states
            results.append(
                {
                    "executions": args.executions,
                    "states": args.states,
                    "transitions": transitions,
                    "seconds": round(elapsed, 3),
                    "transitions_per_second": round(transitions / elapsed),
                }
            )
    finally:
        asyncio.run(sql(f"DROP SCHEMA {schema} CASCADE"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--states", type=int, default=50)
    parser.add_argument("--express", action="store_true", help="in-memory store")
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--store", default=None, help="a postgresql:// URL")
    parser.add_argument("--nodes", type=int, default=1, help="engine processes (PostgreSQL)")
    parser.add_argument("--hops", type=int, default=0, help="a Wait 0 every N states")
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--node", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--same-schema", action="store_true", help="PostgreSQL: every --repeat on one schema"
    )
    args = parser.parse_args()
    if args.node is not None:
        asyncio.run(node(args.store, args.schema, args.node, args))
        return
    if args.store:
        runs = postgres_runs(args)
        result = dict(runs[0])
        result["transitions_per_second"] = round(
            statistics.median(r["transitions_per_second"] for r in runs)
        )
        if args.repeat > 1:
            result["runs"] = [r["transitions_per_second"] for r in runs]
        result["store"] = f"postgresql nodes={args.nodes} hops={args.hops}"
        if args.same_schema:
            result["store"] += " same-schema"
        print(json.dumps(result))
        return
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
