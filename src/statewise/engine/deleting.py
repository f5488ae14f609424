"""DeleteStateMachine's DELETING phase, the engine's part (API-4).

AWS, DeleteStateMachine: "It sets the state machine's status to DELETING and begins the
deletion process. A state machine is deleted only when all its executions are completed. On
the next state transition, the state machine's executions are terminated." The terminated
execution fails, as AWS's knowledge centre article on machines stuck in DELETING records it:
``ExecutionFailed`` with error ``States.Runtime`` and cause ``State machine <name> has been
deleted.``; one in a Wait or waiting for a task stays RUNNING until that ends.

The services mark every running execution of the machine with :func:`mark` (through
``Engine.act``); ``steps.apply`` ends a marked execution instead of making its next
transition. The mark is the failure itself, kept in the running execution's ``error`` and
``cause``: a running record has neither otherwise, and the mark is committed with the
execution's row, so it outlives a restart and needs no schema change. The API hides them
until the execution closes.
"""

from __future__ import annotations

import dataclasses

from statewise import arns
from statewise.asl.errors import Failure, StatesError
from statewise.engine.run import Run
from statewise.engine.tick import Tick
from statewise.store.base import ExecutionRecord, ExecutionStatus


def failure(state_machine_arn: str) -> Failure:
    """What an execution of a deleted state machine fails with."""
    name = arns.resource_name(state_machine_arn)
    return Failure(StatesError.RUNTIME.value, f"State machine {name} has been deleted.")


def mark(run: Run | None, tick: Tick) -> ExecutionRecord | None:
    """An ``Engine.act`` action: doom a running execution to end at its next transition.

    Idempotent; a closed or unknown execution is left alone.
    """
    if run is None or run.closed:
        return None
    if run.record.error is None:
        doom = failure(run.record.state_machine_arn)
        run.record = dataclasses.replace(run.record, error=doom.error, cause=doom.cause)
        run.changed = True
    return run.record


def doomed(record: ExecutionRecord) -> Failure | None:
    """The failure a running execution was marked with, or None."""
    if record.error is None or record.status is not ExecutionStatus.RUNNING:
        return None
    return Failure(record.error, record.cause)


def pending(record: ExecutionRecord) -> bool:
    """Whether the record's error and cause are a mark, not a result (the API hides them)."""
    return record.status is ExecutionStatus.RUNNING and record.error is not None
