"""Crash safety: kill -9 a worker running 1,000 executions, restart it, lose nothing.

The durability promise (DESIGN.md, "Durability and execution semantics"): every state
transition is committed exactly once with its history events and the work it schedules, a
crash at any moment loses nothing, due timers fire on restart, and task invocations are
at-least-once. The kill moments are random; a failure names its seed, and setting
STATEWISE_CRASH_SEED replays the same schedule.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from statewise.clock import ManualClock
from statewise.testing import LocalEnvironment, all_events

from . import crash_worker as workload
from .histories import Event, check_history

EXECUTIONS = 1000
KILLS = 5
WORKER = Path(__file__).with_name("crash_worker.py")
# A guard against a hang, not a timing: the kills and the restarts take ~25 s on an idle
# machine (a clean run of the workload ~16 s), the whole test ~30 s.
FINISH_TIMEOUT = 90.0


def _reference_event(record: Any) -> Event:
    return Event(record.id, record.type, record.timestamp, record.previous_event_id, record.details)


async def reference_histories() -> dict[str, tuple[Any, list[Event]]]:
    """Every execution run cleanly in process on virtual time: arn -> (output, events)."""
    env = LocalEnvironment(workload.FUNCTIONS, clock=ManualClock())
    async with env:
        records = [
            await env.engine.start_execution(
                state_machine_arn=workload.machine_arn(workload.machine_of(i)),
                name=workload.execution_name(i),
                definition=orjson.dumps(workload.DEFINITIONS[workload.machine_of(i)]).decode(),
                input_text=workload.input_text(i),
            )
            for i in range(EXECUTIONS)
        ]
        await env.engine.run_until_idle()
        result = {}
        for record in records:
            final = await env.store.get_execution(record.arn)
            assert final is not None and final.status.value == "SUCCEEDED", record.arn
            events = [_reference_event(e) for e in await all_events(env.store, record.arn)]
            result[record.arn] = (orjson.loads(final.output or "null"), events)
        return result


@dataclass
class Kill:
    """One SIGKILL: how long after its spawn, the worker's last output line, and how many
    executions were in the database and how many had finished at that moment."""

    after_seconds: float
    phase: str
    stored: int
    finished: int

    def __str__(self) -> str:
        return f"{self.after_seconds}s/{self.phase}/{self.stored} stored/{self.finished} done"


def progress(db: Path) -> tuple[int, int]:
    """Executions stored, and finished, right after a kill. A read-write connection: after
    a crash only a writer may rebuild the WAL index (read-only ones cannot open the file)."""
    conn = sqlite3.connect(db, timeout=5.0)
    try:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status != 'RUNNING') FROM executions"
        ).fetchone()
    except sqlite3.OperationalError:  # killed before the schema was created
        return 0, 0
    finally:
        conn.close()
    return int(row[0]), int(row[1])


async def run_with_kills(db: Path, log: Path, seed: int) -> tuple[list[Kill], int]:
    """Run the worker, SIGKILL it ``KILLS`` times at random moments, restarting it each
    time, then let it finish. Returns the kills that landed and the number of spawns."""
    rng = random.Random(seed)
    kills: list[Kill] = []
    spawns = 0
    deadline = time.monotonic() + FINISH_TIMEOUT
    while True:
        spawns += 1
        spawned = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            str(db),
            "--executions",
            str(EXECUTIONS),
            "--invocations",
            str(log),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        phases: list[str] = ["spawned"]
        running = asyncio.Event()

        async def follow(
            stream: asyncio.StreamReader, seen: list[str] = phases, running: asyncio.Event = running
        ) -> None:
            async for line in stream:
                seen.append(line.decode().strip())
                if seen[-1] == "running":
                    running.set()

        follower = asyncio.create_task(follow(process.stdout))
        errors = asyncio.create_task(process.stderr.read())
        try:
            if len(kills) < KILLS:
                # Timed from the engine running (not from the spawn, which is mostly
                # Python importing): the first kill lands while the 1,000 starts are being
                # committed, the others every 1-3 s while executions advance.
                await asyncio.wait_for(running.wait(), 30)
                wait = rng.uniform(0.0, 0.5) if not kills else rng.uniform(1.0, 3.0)
                try:
                    await asyncio.wait_for(process.wait(), wait)
                except TimeoutError:
                    process.send_signal(signal.SIGKILL)
                    await process.wait()
                    after = round(time.monotonic() - spawned, 2)
                    kills.append(Kill(after, phases[-1], *progress(db)))
                    continue
            else:
                remaining = max(1.0, deadline - time.monotonic())
                try:
                    await asyncio.wait_for(process.wait(), remaining)
                except TimeoutError:
                    raise AssertionError(
                        f"the worker did not finish within {FINISH_TIMEOUT} s: {phases}"
                    ) from None
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await follower
            stderr = (await errors).decode()
        assert process.returncode == 0, f"worker failed ({process.returncode}):\n{stderr}"
        assert phases[-1] == "done", phases
        return kills, spawns


def read_database(db: Path) -> dict[str, Any]:
    """Everything the store wrote, read with plain sqlite3 (not through statewise)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        executions = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT arn, name, status, output, last_event_id, stop_date FROM executions"
            )
        }
        events: dict[str, list[Event]] = defaultdict(list)
        for arn, *fields in conn.execute(
            "SELECT execution_arn, id, type, timestamp, previous_event_id, details "
            "FROM events ORDER BY execution_arn, id"
        ):
            events[arn].append(Event(*fields))
        frames = conn.execute("SELECT count(*) FROM frames").fetchone()[0]
        work = conn.execute("SELECT count(*) FROM work").fetchone()[0]
    finally:
        conn.close()
    return {"executions": executions, "events": events, "frames": frames, "work": work}


async def test_kill_9_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    """1,000 executions (Wait 0-2 s, Retry with backoff, Parallel, Map with MaxConcurrency, a
    Map of Parallels) survive five SIGKILLs of their worker process at random moments.

    Afterwards, read straight from the SQLite file, for every execution:

    - it SUCCEEDED with exactly the output worked out by hand (``expected_output``), which is
      also the output of a clean reference run;
    - its history has event ids 1..n, no gap, no duplicate, n being the row's last_event_id,
      every previousEventId pointing at an earlier event;
    - no transition is missing or doubled: the history, split into scopes (top level, each
      branch, each iteration, see ``by_scope``), has exactly the reference run's scopes, and
      in each scope exactly the reference's sequence of event types *and* details (state
      names, inputs, outputs, task parameters, errors). Only the interleaving of different
      branches/iterations, and with it the event ids and the previousEventId of join events,
      may differ from the reference, since which branch finishes first depends on real
      timing; the reference is the same definitions and inputs run by
      ``statewise.testing.LocalEnvironment`` on virtual time. Retries are at-least-once: a
      task attempt whose outcome was not committed before a kill runs again after the
      restart, but the history records each attempt once (the functions are deterministic
      in their input and ``$$.State.RetryCount``, so the rerun ends the same way), which is
      why the histories must match exactly; the invocation log shows the reruns;
    - no delay was cut short by a restart: between consecutive events of a scope at least as
      much real time passed as virtual time did in the reference (a Wait's seconds, a retry's
      backoff), and timestamps never go back;
    - no frame and no work item is left in the database.
    """
    db = tmp_path / "crash.db"
    log = tmp_path / "invocations.log"
    seed = int(os.environ.get("STATEWISE_CRASH_SEED", time.time_ns() % 1_000_000))
    started = time.monotonic()
    # The reference first, so that it takes no CPU from the worker while it is killed.
    reference = await reference_histories()
    kills, spawns = await run_with_kills(db, log, seed)
    elapsed = time.monotonic() - started
    stored = read_database(db)
    context = f"seed={seed} kills={kills}"

    assert len(kills) >= 4, f"the worker finished before it was killed 4 times ({context})"
    assert spawns == len(kills) + 1
    assert stored["frames"] == 0, context
    assert stored["work"] == 0, context
    executions = stored["executions"]
    assert set(executions) == set(reference), context
    assert len(executions) == EXECUTIONS

    scheduled = 0
    for index in range(EXECUTIONS):
        arn = workload.execution_arn(index)
        name, status, output, last_event_id, stop_date = executions[arn]
        where = f"{arn} ({context})"
        assert (name, status) == (workload.execution_name(index), "SUCCEEDED"), where
        assert stop_date is not None, where
        expected_output, expected_events = reference[arn]
        assert orjson.loads(output) == workload.expected_output(index) == expected_output, where

        events = stored["events"][arn]
        assert last_event_id == len(events), where
        check_history(events, expected_events, where)
        scheduled += sum(1 for e in events if e.type == "LambdaFunctionScheduled")

    # At-least-once: every attempt in a history ran, some ran again after a kill.
    invocations = Counter(log.read_text().splitlines())
    assert sum(invocations.values()) >= scheduled
    reruns = sum(count - 1 for count in invocations.values() if count > 1)
    print(
        f"\ncrash safety: {EXECUTIONS} executions, {len(kills)} kills "
        f"({', '.join(str(k) for k in kills)}), "
        f"{sum(len(v) for v in stored['events'].values())} events, {scheduled} task attempts, "
        f"{sum(invocations.values())} invocations ({reruns} re-run after a kill), "
        f"{elapsed:.1f} s, seed {seed}"
    )
