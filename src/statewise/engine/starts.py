"""Starting executions: the first transaction of a run, and StartExecution's idempotency."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

import orjson

from statewise import arns
from statewise.engine import history, steps
from statewise.engine.frames import Frame
from statewise.engine.run import Compiled, Run
from statewise.engine.tick import Tick
from statewise.errors import ExecutionAlreadyExists
from statewise.store.base import (
    DefinitionRecord,
    DuplicateExecution,
    ExecutionRecord,
    ExecutionStatus,
    Store,
    WorkRecord,
)
from statewise.types import JSON


@dataclass(slots=True)
class Start:
    """A new execution to begin in the next tick (its Run is built there, not before)."""

    record: ExecutionRecord
    compiled: Compiled
    definition: str
    timeout_seconds: int | None
    execution_input: JSON


def definition_id(text: str) -> str:
    """The content address of a definition text."""
    return hashlib.sha256(text.encode()).hexdigest()


def idempotent(existing: ExecutionRecord, input_text: str) -> ExecutionRecord:
    """API-16: the same name and input while running returns the running execution."""
    if existing.status is ExecutionStatus.RUNNING and same_json(existing.input, input_text):
        return existing
    raise ExecutionAlreadyExists(f"Execution Already Exists: '{existing.arn}'")


def same_json(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return bool(orjson.loads(a) == orjson.loads(b))
    except orjson.JSONDecodeError:
        return False


def region_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    if len(parts) > 4:
        return parts[3], parts[4]
    return arns.DEFAULT_REGION, arns.DEFAULT_ACCOUNT


def begin(
    run: Run,
    tick: Tick,
    definition: str,
    timeout_seconds: int | None,
    max_duration: float | None,
) -> ExecutionRecord:
    """A new execution's first transaction: row, ExecutionStarted, first state entered.

    The row is inserted by the run's flush (``Run.new``), with whatever the tick made of it.
    """
    record = run.record
    tick.add_definition(DefinitionRecord(id=record.definition_id, text=definition))
    root = Frame(id=0, state=run.compiled.machine.start_at)
    run.frames[0] = root
    run.emit(
        root,
        "ExecutionStarted",
        history.execution_started(
            record.input, record.role_arn, record.version_arn, record.alias_arn
        ),
        previous=0,
    )
    # HIST-2: the first state's Entered event points at 0, not at ExecutionStarted.
    steps.enter(run, root, run.compiled.machine.start_at, run.execution_input, previous=0)
    run.make_ready(root)
    limit = timeout_seconds if timeout_seconds is not None else max_duration
    if limit is not None:
        tick.add_work(
            WorkRecord(
                id=f"{record.arn}#timeout",
                execution_arn=record.arn,
                frame_id=0,
                kind="execution-timeout",
                due_at=record.start_date + limit,
            )
        )
    return run.record


async def commit(
    store: Store, tick: Tick, starts: dict[str, Start]
) -> dict[str, ExecutionRecord | Exception]:
    """Commit the tick's batch; returns the answers to starts whose name was taken.

    Starting does not read the store, so the commit is where a taken name shows
    (DuplicateExecution). Then every start of the tick is looked up once, those that exist
    are taken out of the batch and answered as API-16 says (the running twin, or
    ExecutionAlreadyExists), and the rest is committed again. A restarted client starting
    a thousand known names costs one failed commit, not a thousand.
    """
    lost: dict[str, ExecutionRecord | Exception] = {}
    while True:
        try:
            await store.commit(tick.batch)
            return lost
        except DuplicateExecution as exc:
            if exc.arn not in starts or exc.arn in lost:
                raise
            pending = [arn for arn in starts if arn not in lost]
            found = await asyncio.gather(*(store.get_execution(arn) for arn in pending))
            taken: dict[str, ExecutionRecord | Exception] = {}
            for arn, existing in zip(pending, found, strict=True):
                if existing is None:
                    continue
                try:
                    taken[arn] = idempotent(existing, starts[arn].record.input)
                except ExecutionAlreadyExists as error:
                    taken[arn] = error
            tick.discard_executions(set(taken))
            lost.update(taken)
            if exc.arn not in lost:
                raise  # the store reports a clash it does not show: do not loop
