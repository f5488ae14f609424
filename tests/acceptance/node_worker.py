"""One node of the multi-node test: an engine on a shared PostgreSQL schema.

    python tests/acceptance/node_worker.py URL SCHEMA NODE [--executions 2000] [--nodes 3]

Every node runs the same workload (the crash test's machines and a callback machine) on one
database. Node N starts the executions whose index is N modulo the node count, so starts
come in through every node; each start is idempotent by name, so a restarted node starts
only what is missing. Whatever node claims an execution's due work steps it, and the
callback machine's tokens are answered by whichever node picks them from a shared table,
usually not the one that handed them out. A node may be killed (SIGKILL) at any moment and
started again; it exits once every execution of the workload has closed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any

import asyncpg
import orjson

from statewise.engine.local import LocalTaskRunner
from statewise.engine.scheduler import Engine, EngineSettings
from statewise.errors import ExecutionAlreadyExists, StatewiseError
from statewise.store.postgres import PostgresStore
from statewise.tasktokens import TaskTokens

try:
    from . import crash_worker as base
except ImportError:  # run as a script
    sys.path.insert(0, os.path.dirname(__file__))
    import crash_worker as base  # type: ignore[no-redef]

# Every node signs and checks tokens with one key, as nodes configured alike do.
TOKEN_KEY = bytes(range(32))
LEASE_SECONDS = 2.0
LONG_TAIL = 40

CALLBACK = {
    "StartAt": "Cb.Ask",
    "States": {
        "Cb.Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {
                "FunctionName": "ask",
                "Payload": {"token.$": "$$.Task.Token", "value.$": "$.value", "id.$": "$.id"},
            },
            "ResultPath": "$.answer",
            "Next": "Cb.Wait",
        },
        "Cb.Wait": {"Type": "Wait", "Seconds": 1, "Next": "Cb.Done"},
        "Cb.Done": {"Type": "Pass", "End": True},
    },
}
DEFINITIONS: dict[str, dict[str, Any]] = {**base.DEFINITIONS, "callback": CALLBACK}
MACHINES = list(DEFINITIONS)

# The outside system of the callback machine: a table of tokens waiting for an answer. A
# node takes one by leasing it for a few seconds, answers it, then deletes it, so a token
# whose answering node died is answered by another (an answer twice is refused, harmlessly).
CALLBACKS_DDL = (
    "CREATE TABLE IF NOT EXISTS callbacks (token text PRIMARY KEY, value bigint NOT NULL, "
    "taken_until double precision NOT NULL DEFAULT 0)"
)
_TAKE = (
    "UPDATE callbacks SET taken_until = $1 WHERE token IN (SELECT token FROM callbacks "
    "WHERE taken_until < $2 LIMIT 20 FOR UPDATE SKIP LOCKED) RETURNING token, value"
)


def machine_of(index: int) -> str:
    return MACHINES[index % len(MACHINES)]


def machine_arn(machine: str) -> str:
    return base.machine_arn(machine)


def execution_arn(index: int) -> str:
    from statewise import arns

    return arns.execution(f"crash-{machine_of(index)}", base.execution_name(index))


def execution_input(index: int) -> dict[str, Any]:
    """Waits of 0-2 s, tasks failing once or twice before they succeed, three Map items."""
    data: dict[str, Any] = {
        "id": index,
        "value": index * 3,
        "wait": index % 3,
        "flaky": base.flaky(index),
    }
    if machine_of(index) in ("map", "nested"):
        # A few "map" executions are the long tail (eight 2-second waits, two at a time),
        # so the workload outlives the kills.
        tail = index < LONG_TAIL * len(MACHINES) and machine_of(index) == "map"
        data["items"] = [
            {"v": index * 10 + k, "f": base.flaky(index + k), "w": 2 if tail else (index + k) % 3}
            for k in range(8 if tail else 3)
        ]
    return data


def input_text(index: int) -> str:
    return orjson.dumps(execution_input(index)).decode()


def answer(value: int) -> dict[str, Any]:
    return {"answered": value * 7}


def expected_output(index: int) -> Any:
    """What execution ``index`` must end with, worked out from the definitions."""
    data = execution_input(index)
    if machine_of(index) == "callback":
        return {**data, "answer": answer(data["value"])}
    return base.output_of(machine_of(index), index, data)


class Node:
    def __init__(self, url: str, schema: str, node: int, log: str | None) -> None:
        self.url = url
        self.schema = schema
        self.node = node
        self.log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND) if log else None
        self.db: asyncpg.Pool[asyncpg.Record] | None = None

    def _log(self, line: str) -> None:
        # One unbuffered write per line: a SIGKILL loses nothing already written.
        if self.log_fd is not None:
            os.write(self.log_fd, (line + "\n").encode())

    async def ask(self, event: dict[str, Any]) -> dict[str, Any]:
        """The callback machine's function: hands the token to the outside system."""
        assert self.db is not None
        self._log(f"ask|{self.node}|{event['token']}")
        await self.db.execute(
            "INSERT INTO callbacks (token, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            event["token"],
            event["value"],
        )
        return {"handed": True}

    async def work(self, event: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        retry = context["State"]["RetryCount"]
        self._log(f"work|{self.node}|{context['Execution']['Id']}|{event['step']}|{retry}")
        await asyncio.sleep(0.05)
        return await base.work(event, context)

    async def answer_callbacks(self, engine: Engine) -> None:
        assert self.db is not None
        while True:
            now = time.time()
            rows = await self.db.fetch(_TAKE, now + 3.0, now)
            for token, value in rows:
                self._log(f"answer|{self.node}|{token}")
                try:
                    await engine.send_task_success(token, orjson.dumps(answer(value)).decode())
                except StatewiseError:
                    pass  # answered before by a node that died before deleting the row
                await self.db.execute("DELETE FROM callbacks WHERE token = $1", token)
            if not rows:
                await asyncio.sleep(0.05)

    async def start(self, engine: Engine, index: int) -> None:
        machine = machine_of(index)
        try:
            await engine.start_execution(
                state_machine_arn=machine_arn(machine),
                name=base.execution_name(index),
                definition=orjson.dumps(DEFINITIONS[machine]).decode(),
                input_text=input_text(index),
            )
        except ExecutionAlreadyExists:
            pass  # it finished already

    async def run(self, executions: int, nodes: int) -> None:
        self.db = await asyncpg.create_pool(
            self.url, min_size=1, max_size=4, server_settings={"search_path": self.schema}
        )
        async with self.db.acquire() as conn, conn.transaction():
            # CREATE TABLE IF NOT EXISTS from nodes starting at once races in PostgreSQL's
            # catalog; one at a time, it does not.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('node-worker-callbacks'))")
            await conn.execute(CALLBACKS_DDL)
        store = PostgresStore(self.url, schema=self.schema)
        await store.open()
        runner = LocalTaskRunner({"work": self.work, "ask": self.ask})
        settings = EngineSettings(owner=f"node-{self.node}", lease_seconds=LEASE_SECONDS)
        engine = Engine(store, runner, settings=settings, tokens=TaskTokens(TOKEN_KEY))
        await engine.start()
        print("running", flush=True)
        answering = asyncio.create_task(self.answer_callbacks(engine))
        mine = range(self.node, executions, nodes)
        for chunk in range(0, len(mine), 200):
            await asyncio.gather(*(self.start(engine, i) for i in mine[chunk : chunk + 200]))
        print("started", flush=True)
        while True:
            left = await self.db.fetchval(
                "SELECT count(*) FROM executions WHERE status = 'RUNNING'"
            )
            total = await self.db.fetchval("SELECT count(*) FROM executions")
            if left == 0 and total == executions:
                break
            await asyncio.sleep(0.2)
        answering.cancel()
        await engine.stop()
        await store.close()
        await self.db.close()
        print("done", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("schema")
    parser.add_argument("node", type=int)
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--invocations", default=None)
    args = parser.parse_args()
    node = Node(args.url, args.schema, args.node, args.invocations)
    asyncio.run(node.run(args.executions, args.nodes))


if __name__ == "__main__":
    main()
