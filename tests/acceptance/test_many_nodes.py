"""Many nodes on one PostgreSQL database: kill -9 nodes at random, lose nothing.

Three node processes (``node_worker.py``) share one schema. Each starts a third of 2,000
executions (Waits, retries with backoff, Parallel, Map, a Map of Parallels, task-token
callbacks) and steps whatever it claims; callbacks are answered by whichever node picks the
token up. Nodes are SIGKILLed at random moments and started again; a killed node's leased
work is taken over by the others once its lease lapses. The kill moments are random; a
failure names its seed, and STATEWISE_NODES_SEED replays the same schedule.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from statewise.clock import ManualClock
from statewise.tasktokens import TaskTokens
from statewise.testing import LocalEnvironment, all_events

from . import crash_worker as base
from . import node_worker as workload
from .histories import Event, check_history, shape

NODES = 3
EXECUTIONS = 2000
KILLS = 6
WORKER = Path(__file__).with_name("node_worker.py")
# A guard against a hang, not a timing.
FINISH_TIMEOUT = 240.0


@pytest.fixture
def schema() -> Any:
    from tests.contract.conftest import fresh_schema

    with fresh_schema() as name:
        yield name


# A task token carries the moment it was issued: real time here, virtual in the reference.
_TOKEN = re.compile(r'(\\"token\\":\\")[^\\]+')


def not_a_callback(a: Event, b: Event) -> bool:
    """How soon a callback comes is up to the outside world, not to the definition."""
    return not (b.type in ("TaskSubmitted", "TaskSucceeded") and a.type.startswith("Task"))


def tokenless(events: list[Event]) -> list[tuple[str, str | None]]:
    """``shape`` of the events, each task token replaced by the same placeholder."""
    return [(kind, _TOKEN.sub(r"\1TOKEN", details or "")) for kind, details in shape(events)]


async def reference_histories() -> dict[str, tuple[Any, list[Event]]]:
    """Every execution run cleanly in one process on virtual time, callbacks answered as
    soon as the engine is idle: arn -> (output, events)."""
    asked: list[tuple[str, int]] = []

    async def ask(event: dict[str, Any]) -> dict[str, Any]:
        asked.append((event["token"], event["value"]))
        return {"handed": True}

    env = LocalEnvironment({"work": base.work, "ask": ask}, clock=ManualClock())
    env.engine.tokens = TaskTokens(workload.TOKEN_KEY)
    async with env:
        records = [
            await env.engine.start_execution(
                state_machine_arn=workload.machine_arn(workload.machine_of(i)),
                name=base.execution_name(i),
                definition=orjson.dumps(workload.DEFINITIONS[workload.machine_of(i)]).decode(),
                input_text=workload.input_text(i),
            )
            for i in range(EXECUTIONS)
        ]
        while True:
            await env.engine.run_until_idle()
            if not asked:
                break
            answers, asked[:] = list(asked), []
            for token, value in answers:
                output = orjson.dumps(workload.answer(value)).decode()
                await env.engine.send_task_success(token, output)
        result = {}
        for record in records:
            final = await env.store.get_execution(record.arn)
            assert final is not None and final.status.value == "SUCCEEDED", record.arn
            events = [
                Event(e.id, e.type, e.timestamp, e.previous_event_id, e.details)
                for e in await all_events(env.store, record.arn)
            ]
            result[record.arn] = (orjson.loads(final.output or "null"), events)
        return result


async def spawn(url: str, schema: str, node: int, log: Path) -> asyncio.subprocess.Process:
    # stderr to a file, not a pipe nobody reads until the end: a node that writes much
    # (warnings, tracebacks) must never block on a full pipe. The child has its own copy
    # of the descriptor once spawned.
    with log.with_name(f"node-{node}.err").open("ab") as errors:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            url,
            schema,
            str(node),
            "--executions",
            str(EXECUTIONS),
            "--nodes",
            str(NODES),
            "--invocations",
            str(log),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=errors,
        )


def errors_of(log: Path, node: int) -> str:
    """The last of what a node wrote to stderr, over all its runs."""
    return log.with_name(f"node-{node}.err").read_text(errors="replace")[-4000:]


async def run_with_kills(url: str, schema: str, log: Path, seed: int) -> list[str]:
    """Run the nodes, SIGKILL a random one ``KILLS`` times (restarting it), then let all of
    them finish. Returns what was killed when. Whatever happens, no node outlives this."""
    rng = random.Random(seed)
    nodes = {n: await spawn(url, schema, n, log) for n in range(NODES)}
    try:
        return await _kill_and_finish(log, rng, nodes, lambda n: spawn(url, schema, n, log))
    finally:
        for process in nodes.values():
            if process.returncode is None:
                process.kill()
                await process.wait()


async def _kill_and_finish(
    log: Path,
    rng: random.Random,
    nodes: dict[int, asyncio.subprocess.Process],
    respawn: Callable[[int], Awaitable[asyncio.subprocess.Process]],
) -> list[str]:
    kills: list[str] = []
    started = time.monotonic()
    await asyncio.sleep(2.5)  # Python imports; the first kill lands among the starts
    for _ in range(KILLS):
        victim = rng.randrange(NODES)
        process = nodes[victim]
        if process.returncode is not None:
            assert process.returncode == 0, (
                f"node {victim} failed ({process.returncode}):\n{errors_of(log, victim)}"
            )
            break  # the workload finished before every kill landed
        process.send_signal(signal.SIGKILL)
        await process.wait()
        kills.append(f"node-{victim}@{time.monotonic() - started:.1f}s")
        # Kept short, so that all six land within the workload's ~15 s even on a fast day.
        await asyncio.sleep(rng.uniform(0.2, 0.6))
        nodes[victim] = await respawn(victim)
        await asyncio.sleep(rng.uniform(0.5, 1.2))
    deadline = time.monotonic() + FINISH_TIMEOUT
    for n, process in nodes.items():
        try:
            await asyncio.wait_for(process.wait(), max(1.0, deadline - time.monotonic()))
        except TimeoutError:
            raise AssertionError(f"node {n} did not finish within {FINISH_TIMEOUT} s") from None
        assert process.returncode == 0, (
            f"node {n} failed ({process.returncode}):\n{errors_of(log, n)}"
        )
    return kills


async def read_database(url: str, schema: str) -> dict[str, Any]:
    """Everything the nodes wrote, read with plain asyncpg (not through statewise)."""
    conn = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        executions = {
            row[0]: tuple(row[1:])
            for row in await conn.fetch(
                "SELECT arn, name, status, output, last_event_id, stop_date FROM executions"
            )
        }
        events: dict[str, list[Event]] = defaultdict(list)
        for row in await conn.fetch(
            "SELECT execution_arn, id, type, timestamp, previous_event_id, details "
            "FROM events ORDER BY execution_arn, id"
        ):
            events[row[0]].append(Event(*row[1:]))
        frames = await conn.fetchval("SELECT count(*) FROM frames")
        work = await conn.fetchval("SELECT count(*) FROM work")
    finally:
        await conn.close()
    return {"executions": executions, "events": events, "frames": frames, "work": work}


async def test_three_nodes_killed_at_random_lose_and_double_nothing(
    schema: str, tmp_path: Path
) -> None:
    """2,000 executions on three nodes survive six SIGKILLs of random nodes.

    Afterwards, read straight from the database, every execution SUCCEEDED with the output
    worked out from its definition; its history has ids 1..n without gap or duplicate, and
    split into scopes (top level, branches, iterations) it has exactly the events of a
    clean one-process reference run on virtual time, in the same order with the same
    details, so no transition was lost or done twice although any node could step any
    execution; no delay was cut short; no frame or work item is left. Every node ran task
    attempts, and callbacks were answered by a node other than the one that handed the
    token out.
    """
    from tests.contract.conftest import POSTGRES_URL

    log = tmp_path / "nodes.log"
    seed = int(os.environ.get("STATEWISE_NODES_SEED", time.time_ns() % 1_000_000))
    started = time.monotonic()
    reference = await reference_histories()
    kills = await run_with_kills(POSTGRES_URL, schema, log, seed)
    elapsed = time.monotonic() - started
    stored = await read_database(POSTGRES_URL, schema)
    context = f"seed={seed} kills={kills}"

    assert len(kills) >= KILLS - 2, f"the workload finished before the kills ({context})"
    assert stored["frames"] == 0, context
    assert stored["work"] == 0, context
    executions = stored["executions"]
    assert set(executions) == set(reference), context

    for index in range(EXECUTIONS):
        arn = workload.execution_arn(index)
        name, status, output, last_event_id, stop_date = executions[arn]
        where = f"{arn} ({context})"
        assert (name, status) == (base.execution_name(index), "SUCCEEDED"), where
        assert stop_date is not None, where
        expected_output, expected_events = reference[arn]
        assert orjson.loads(output) == workload.expected_output(index) == expected_output, where
        events = stored["events"][arn]
        assert last_event_id == len(events), where
        ignore: frozenset[str] = frozenset()
        if workload.machine_of(index) == "callback":
            # The token is handed out before the call returns, so its answer may overtake
            # the call's own outcome (on any node, as on one): then the attempt has no
            # TaskSubmitted, since the call's response came after the task was over.
            assert sum(e.type == "TaskSubmitted" for e in events) <= 1, where
            ignore = frozenset({"TaskSubmitted"})
        check_history(
            events, expected_events, where, same=tokenless, timed=not_a_callback, ignore=ignore
        )

    lines = [line.split("|") for line in log.read_text().splitlines()]
    workers = Counter(parts[1] for parts in lines if parts[0] == "work")
    assert set(workers) == {str(n) for n in range(NODES)}, workers
    asked_by = {parts[2]: parts[1] for parts in lines if parts[0] == "ask"}
    answered_by = defaultdict(set)
    for parts in lines:
        if parts[0] == "answer":
            answered_by[parts[2]].add(parts[1])
    crossed = sum(1 for token, node in asked_by.items() if answered_by[token] - {node})
    assert crossed > 0, "no callback reached a node other than the asking one"
    print(
        f"\nmany nodes: {EXECUTIONS} executions on {NODES} nodes, kills {kills}, "
        f"{sum(len(v) for v in stored['events'].values())} events, task calls by node "
        f"{dict(sorted(workers.items()))}, {crossed} of {len(asked_by)} callbacks answered "
        f"by another node, {elapsed:.1f} s, seed {seed}"
    )
