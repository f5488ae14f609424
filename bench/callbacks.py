"""Callbacks: SendTaskSuccess -> next state latency, and many executions parked on tokens.

    python bench/callbacks.py [--latency-runs 500] [--parked 100000] [--concurrency 2000]
        [--synchronous FULL] [--data-dir DIR]

In process on SQLite, with a stand-in integration that hands each token out at once (what
sqs:sendMessage.waitForTaskToken does). Prints one JSON line:

- latency: for one execution at a time, the time from calling SendTaskSuccess until the
  state after the task has been entered and committed (p50/p99, ms).
- parked: N executions waiting on task tokens; the RSS they cost per execution beyond the
  idle engine (tokens are kept in a file, not in the measured process's memory), and the
  time to resume all of them by SendTaskSuccess (``--concurrency`` calls in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from statewise import arns
from statewise.engine.ports import TaskOutcome, TaskRequest, TaskSubmitted
from statewise.engine.scheduler import Engine
from statewise.store.sqlite import SqliteStore

DEFINITION = orjson.dumps(
    {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                "ResultPath": "$.reply",
                "Next": "Next",
            },
            "Next": {"Type": "Pass", "End": True},
        },
    }
).decode()


class Handout:
    """Hands each attempt's token to whoever waits for it (a file, or a future)."""

    def __init__(self) -> None:
        self.sink: Any = None
        self.waiting: dict[str, asyncio.Future[str]] = {}
        self.count = 0

    async def run(self, request: TaskRequest) -> TaskOutcome:
        token = request.token or ""
        self.count += 1
        future = self.waiting.pop(request.execution_arn, None)
        if future is not None:
            future.set_result(token)
        elif self.sink is not None:
            self.sink.write(token + "\n")
        return TaskSubmitted({"MessageId": "m"})


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def latency(engine: Engine, handout: Handout, runs: int) -> dict[str, Any]:
    machine = arns.state_machine("latency")
    samples: list[float] = []
    loop = asyncio.get_running_loop()
    for index in range(runs):
        arn = arns.execution("latency", f"l{index}")
        parked: asyncio.Future[str] = loop.create_future()
        handout.waiting[arn] = parked
        await engine.start_execution(
            state_machine_arn=machine, name=f"l{index}", definition=DEFINITION
        )
        token = await parked
        # Wait until the submission is committed, so only the callback path is timed.
        await asyncio.sleep(0.002)
        done = asyncio.ensure_future(engine.wait_for(arn))
        begun = time.perf_counter()
        await engine.send_task_success(token, '{"ok":true}')
        await done
        samples.append((time.perf_counter() - begun) * 1000)
    return {
        "runs": runs,
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(percentile(samples, 0.99), 3),
        "max_ms": round(max(samples), 3),
    }


async def parked(
    engine: Engine, handout: Handout, count: int, concurrency: int, directory: Path
) -> dict[str, Any]:
    machine = arns.state_machine("parked")
    tokens_path = directory / "tokens.txt"
    gc.collect()
    baseline = rss_bytes()
    started = time.perf_counter()
    with tokens_path.open("w") as sink:
        handout.sink = sink
        handout.count = 0

        async def start(index: int) -> None:
            await engine.start_execution(
                state_machine_arn=machine, name=f"p{index}", definition=DEFINITION
            )

        for first in range(0, count, concurrency):
            await asyncio.gather(*(start(i) for i in range(first, min(first + concurrency, count))))
        while handout.count < count:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)  # the last submissions commit
        handout.sink = None
    park_seconds = time.perf_counter() - started
    gc.collect()
    after = rss_bytes()

    async def resume(token: str) -> None:
        await engine.send_task_success(token, '{"ok":true}')

    begun = time.perf_counter()
    with tokens_path.open() as source:
        batch: list[str] = []
        for line in source:
            batch.append(line.strip())
            if len(batch) == concurrency:
                await asyncio.gather(*(resume(t) for t in batch))
                batch = []
        if batch:
            await asyncio.gather(*(resume(t) for t in batch))
    resume_seconds = time.perf_counter() - begun
    counts = await engine.store.count_executions(machine)
    return {
        "executions": count,
        "park_seconds": round(park_seconds, 3),
        "rss_baseline_bytes": baseline,
        "rss_parked_bytes": after,
        "rss_bytes_per_parked_execution": round((after - baseline) / count, 1),
        "resume_all_seconds": round(resume_seconds, 3),
        "resumes_per_second": round(count / resume_seconds),
        "final_statuses": {status.value: n for status, n in counts.items()},
    }


async def measure(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    store = SqliteStore(directory / "callbacks.db", synchronous=args.synchronous)
    await store.open()
    handout = Handout()
    engine = Engine(store, handout)
    await engine.start()
    try:
        result: dict[str, Any] = {"store": f"sqlite synchronous={args.synchronous}"}
        result["latency"] = await latency(engine, handout, args.latency_runs)
        if args.parked:
            result["parked"] = await parked(
                engine, handout, args.parked, args.concurrency, directory
            )
        return result
    finally:
        await engine.stop()
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-runs", type=int, default=500)
    parser.add_argument("--parked", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=2000)
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.data_dir) as directory:
        result = asyncio.run(measure(args, Path(directory)))
    result["pid"] = os.getpid()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
