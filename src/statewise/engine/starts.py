"""Starting executions: the first transaction of a run, and StartExecution's idempotency."""

from __future__ import annotations

import hashlib

import orjson

from statewise import arns
from statewise.engine import history, steps
from statewise.engine.frames import Frame
from statewise.engine.run import Run
from statewise.engine.tick import Tick
from statewise.errors import ExecutionAlreadyExists
from statewise.store.base import DefinitionRecord, ExecutionRecord, ExecutionStatus, WorkRecord


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
