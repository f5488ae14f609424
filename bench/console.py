"""Console server time per page for a 200-state machine with 10,000 executions.

Builds a SQLite store in a temporary directory: the 200-state machine from the console
tests, 10,000 executions of it in every status (written straight to the store in batches,
since only their records matter to the listing pages), one execution that really ran
through the engine (every state, Parallels and Maps included) and one that ran into the
25,000-event history limit; and 50 functions, one invoked 100 times (a full ring of recent
invocations with logs), the others' rings filled with copies of those. Then it calls every
console page and JSON endpoint in process through the ASGI app, so the figures are server
time without a network, and prints JSON with the median, 95th percentile and maximum
milliseconds of each.

    python bench/console.py [--executions 10000] [--samples 20]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ui.workflows import FUNCTIONS, LOOP, big_definition  # noqa: E402

from statewise import arns  # noqa: E402
from statewise.api.app import create_app  # noqa: E402
from statewise.config import Settings  # noqa: E402
from statewise.engine.local import LocalTaskRunner  # noqa: E402
from statewise.functions.recent import RING_SIZE  # noqa: E402
from statewise.services import Services  # noqa: E402
from statewise.store.base import (  # noqa: E402
    Batch,
    DefinitionRecord,
    EventRecord,
    ExecutionRecord,
    ExecutionStatus,
)

ROLE = "arn:aws:iam::123456789012:role/bench"
# Roughly how a busy machine's executions split by status.
MIX = [
    (ExecutionStatus.SUCCEEDED, 70),
    (ExecutionStatus.FAILED, 15),
    (ExecutionStatus.RUNNING, 5),
    (ExecutionStatus.TIMED_OUT, 5),
    (ExecutionStatus.ABORTED, 5),
]

FUNCTION_COUNT = 50
# About 3 KiB of log per invocation, near the 4 KiB the ring keeps; every tenth fails.
FUNCTION_CODE = """
def handler(event, context):
    for i in range(40):
        print("line", i, "of a log that fills most of what the console keeps")
    if event.get("n", 0) % 10 == 0:
        raise ValueError("every tenth invocation fails")
    return event
"""


async def seed_functions(services: Services) -> None:
    """Functions for the Functions pages: one really invoked, the rest copies of its ring."""
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", FUNCTION_CODE)
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    settings = {"runtime": runtime, "handler": "app.handler", "role": ROLE}
    functions = services.functions
    for i in range(FUNCTION_COUNT):
        await functions.create(f"fn-{i:02d}", package.getvalue(), settings)
    for n in range(RING_SIZE):
        await functions.invoke("fn-00", json.dumps({"n": n}).encode())
    real = list(functions.recent.newest_first("fn-00"))[::-1]
    for i in range(1, FUNCTION_COUNT):
        for record in real:
            functions.recent.add(f"fn-{i:02d}", record)


async def seed(services: Services, count: int) -> dict[str, str]:
    """The machines and executions; returns names the timed URLs need."""
    definition = json.dumps(big_definition())
    machine, _ = await services.machines.create(name="big", definition=definition, role_arn=ROLE)
    loop, _ = await services.machines.create(
        name="loop", definition=json.dumps(LOOP), role_arn=ROLE
    )
    statuses = [status for status, share in MIX for _ in range(share)]
    started = time.time() - count
    batch_size = 500
    for first in range(0, count, batch_size):
        batch = Batch(definitions=[DefinitionRecord(id="bench-big", text=definition)])
        for i in range(first, min(first + batch_size, count)):
            status = statuses[i % len(statuses)]
            arn = arns.execution("big", f"exec-{i:05d}")
            start = started + i
            batch.new_executions.append(
                ExecutionRecord(
                    arn=arn,
                    state_machine_arn=machine.arn,
                    name=f"exec-{i:05d}",
                    definition_id="bench-big",
                    status=status,
                    input='{"route": "fast", "items": [1, 2, 3]}',
                    start_date=start,
                    stop_date=None if status is ExecutionStatus.RUNNING else start + 0.5,
                    last_event_id=1,
                )
            )
            batch.events.append(
                EventRecord(
                    execution_arn=arn,
                    id=1,
                    type="ExecutionStarted",
                    timestamp=start,
                    previous_event_id=0,
                    details=json.dumps({"input": "{}", "roleArn": ROLE}),
                )
            )
        await services.store.commit(batch)
    full = await services.executions.start(
        machine.arn, name="full", input_text='{"route": "fast", "items": [1, 2, 3]}'
    )
    limit = await services.executions.start(loop.arn, name="limit", input_text="{}")
    for record in (full, limit):
        await services.executions.wait(record.arn, timeout=120)
    events = await services.store.get_events(full.arn, limit=1000)
    step = next(e.id for e in events if e.type == "TaskStateEntered")
    page2 = await services.store.list_executions(machine.arn, limit=50)
    await seed_functions(services)
    return {"step": str(step), "token": page2.next_token or ""}


async def measure(services: Services, names: dict[str, str], samples: int) -> dict[str, Any]:
    definition = json.dumps(big_definition())
    gets = {
        "machines list": "/console",
        "machine page": "/console/state-machines/big",
        "machine page, FAILED filter": "/console/state-machines/big?status=FAILED",
        "machine page, page 2": "/console/state-machines/big?token=" + names["token"],
        "machine page, exact name search": "/console/state-machines/big?q=exec-00042",
        "machine page, substring search": "/console/state-machines/big?q=999",
        "machine graph (JSON)": "/console/api/state-machines/big/graph",
        "definition editor": "/console/state-machines/big/edit",
        "execution page": "/console/executions/big/full",
        "execution graph (JSON)": "/console/api/executions/big/full/graph",
        "execution steps (JSON)": "/console/api/executions/big/full",
        "execution poll, unchanged": "/console/api/executions/big/full?since=",
        "step detail (JSON)": f"/console/api/executions/big/full/steps/{names['step']}",
        "events page of 500 (JSON)": "/console/api/executions/big/full/events?after=0&limit=500",
        "25,000-event execution page": "/console/executions/loop/limit",
        "25,000-event steps (JSON)": "/console/api/executions/loop/limit",
        "25,000-event last events page": "/console/api/executions/loop/limit/events?after=24500",
        "functions list, 50 functions": "/console/functions",
        "function page, 100 invocations": "/console/functions/fn-00",
        "functions list (JSON)": "/console/api/functions",
        "function detail, 100 invocations (JSON)": "/console/api/functions/fn-00",
    }
    full = await services.store.get_execution(arns.execution("big", "full"))
    assert full is not None
    gets["execution poll, unchanged"] += str(full.last_event_id)
    results: dict[str, Any] = {}
    app = create_app(services, manage_lifecycle=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

        async def timed(label: str, call: Any) -> None:
            times = []
            for _ in range(samples + 1):
                began = time.perf_counter()
                response = await call()
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, (label, response.status_code, response.text)
            times = times[1:]  # the first call warms caches; the cold figures are below
            times.sort()
            results[label] = {
                "median_ms": round(statistics.median(times), 2),
                "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
                "max_ms": round(times[-1], 2),
                "bytes": len(response.content),
            }

        for label, url in gets.items():
            await timed(label, lambda url=url: client.get(url))
        await timed(
            "validate a 200-state definition (JSON)",
            lambda: client.post(
                "/console/api/validate",
                json={"definition": definition},
                headers={"X-Statewise-Console": "1"},
            ),
        )
    # Cold: a new app has empty graph and step caches, as after a restart. A long history
    # is analysed over several requests (the page asks until it is complete): each request
    # is timed, and so is the whole.
    for label, url in (
        ("execution steps, cold (JSON)", "/console/api/executions/big/full"),
        ("25,000-event steps, cold (JSON)", "/console/api/executions/loop/limit"),
    ):
        requests, totals = [], []
        for _ in range(max(3, samples // 4)):
            cold = httpx.ASGITransport(app=create_app(services, manage_lifecycle=False))
            async with httpx.AsyncClient(transport=cold, base_url="http://127.0.0.1") as client:
                whole = time.perf_counter()
                count = 0
                while True:
                    began = time.perf_counter()
                    response = await client.get(url)
                    requests.append((time.perf_counter() - began) * 1000)
                    count += 1
                    assert response.status_code == 200
                    if not response.json().get("partial"):
                        break
                totals.append((time.perf_counter() - whole) * 1000)
        requests.sort()
        results[label] = {
            "median_ms": round(statistics.median(requests), 2),
            "max_ms": round(requests[-1], 2),
            "requests": count,
            "whole_median_ms": round(statistics.median(totals), 2),
            "bytes": len(response.content),
        }
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), store=f"sqlite:///{directory}/bench.db")
        services = Services(settings, tasks=LocalTaskRunner(FUNCTIONS))
        await services.start()
        try:
            began = time.perf_counter()
            names = await seed(services, args.executions)
            seeded = time.perf_counter() - began
            results = await measure(services, names, args.samples)
        finally:
            await services.stop()
    slowest = max(r["max_ms"] for r in results.values())
    print(
        json.dumps(
            {
                "benchmark": "console",
                "states": 200,
                "executions": args.executions,
                "seed_seconds": round(seeded, 1),
                "samples": args.samples,
                "slowest_max_ms": slowest,
                "pages": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
