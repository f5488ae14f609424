"""The test kit: run state machines in process, on virtual time, with Python functions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import orjson

from statewise import arns
from statewise.clock import Clock, ManualClock, SystemClock
from statewise.engine.local import Function, LocalTaskRunner
from statewise.engine.scheduler import Engine
from statewise.store.base import EventRecord, ExecutionRecord, Store
from statewise.store.memory import MemoryStore
from statewise.types import JSON


@dataclass(frozen=True, slots=True)
class Step:
    """One state visit of a finished execution, read from its history."""

    name: str
    type: str
    input: JSON
    output: JSON
    entered: float
    exited: float | None
    status: str

    @property
    def duration(self) -> float | None:
        """Seconds between entering and leaving the state (None if it never left)."""
        return None if self.exited is None else self.exited - self.entered


@dataclass(frozen=True, slots=True)
class Result:
    """A finished execution: its record, history and step table."""

    execution: ExecutionRecord
    events: list[EventRecord]

    @property
    def status(self) -> str:
        return self.execution.status.value

    @property
    def output(self) -> JSON:
        text = self.execution.output
        return None if text is None else orjson.loads(text)

    def steps(self) -> list[Step]:
        """Every state visit in order of entry, with input, output and duration."""
        return steps_of(self.events, self.status)


def steps_of(events: list[EventRecord], final_status: str = "SUCCEEDED") -> list[Step]:
    """Pair each ``...StateEntered`` with its ``...StateExited`` (same state, same branch)."""
    open_steps: dict[int, dict[str, Any]] = {}
    order: list[dict[str, Any]] = []
    for event in events:
        details = orjson.loads(event.details) if event.details else {}
        if event.type.endswith("StateEntered"):
            step = {
                "name": details.get("name", ""),
                "type": event.type[: -len("StateEntered")],
                "input": orjson.loads(details.get("input", "null")),
                "output": None,
                "entered": event.timestamp,
                "exited": None,
                "status": "FAILED" if final_status != "RUNNING" else "RUNNING",
                "id": event.id,
            }
            open_steps[event.id] = step
            order.append(step)
        elif event.type.endswith("StateExited"):
            name = details.get("name")
            for step in reversed(order):
                if step["name"] == name and step["exited"] is None:
                    step["output"] = orjson.loads(details.get("output", "null"))
                    step["exited"] = event.timestamp
                    step["status"] = "SUCCEEDED"
                    break
    for step in order:
        if step["type"] == "Fail":
            step["exited"] = step["entered"]
        if step["exited"] is None and final_status == "ABORTED":
            step["status"] = "ABORTED"
    return [
        Step(s["name"], s["type"], s["input"], s["output"], s["entered"], s["exited"], s["status"])
        for s in order
    ]


class LocalEnvironment:
    """An engine over an in-memory store with local functions; virtual time by default.

    Example::

        async with LocalEnvironment({"charge": charge}) as env:
            result = await env.run(definition, {"amount": 5})
            assert result.status == "SUCCEEDED"
    """

    def __init__(
        self,
        functions: Mapping[str, Function] | None = None,
        *,
        real_time: bool = False,
        store: Store | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or (SystemClock() if real_time else ManualClock())
        self.store: Store = store or MemoryStore()
        self.engine = Engine(self.store, LocalTaskRunner(functions or {}), clock=self.clock)

    async def __aenter__(self) -> LocalEnvironment:
        await self.store.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.engine.stop()
        await self.store.close()

    async def run(
        self,
        definition: str | dict[str, Any],
        input: JSON = None,
        *,
        name: str | None = None,
        state_machine: str = "local",
    ) -> Result:
        """Start one execution and run it to the end (virtual time jumps over waits)."""
        text = definition if isinstance(definition, str) else orjson.dumps(definition).decode()
        record = await self.engine.start_execution(
            state_machine_arn=arns.state_machine(state_machine),
            name=name or str(uuid.uuid4()),
            definition=text,
            input_text=orjson.dumps({} if input is None else input).decode(),
        )
        if isinstance(self.clock, ManualClock):
            await self.engine.run_until_idle()
        elif not self.engine.running:
            await self.engine.start()
        final = await self.engine.wait_for(record.arn)
        return Result(final, await all_events(self.store, record.arn))


async def all_events(store: Store, arn: str) -> list[EventRecord]:
    """An execution's whole history, read page by page."""
    events: list[EventRecord] = []
    while True:
        page = await store.get_events(arn, after_id=events[-1].id if events else 0, limit=1000)
        events.extend(page)
        if len(page) < 1000:
            return events
