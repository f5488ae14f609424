"""What the engine needs from outside: something that runs tasks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from statewise.types import JSON


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRequest:
    """One attempt of a Task state, handed to the task runner.

    Attributes:
        execution_arn: the execution the task belongs to.
        state_name: the Task state's name.
        resource: the state's Resource ARN as written.
        payload: the effective task input (after InputPath and Parameters).
        timeout_seconds: the state's effective timeout.
        token: the attempt's task token (``$$.Task.Token``), for ``.waitForTaskToken``
            tasks and activities.
        context: the context object the state saw.
        credentials: the evaluated Credentials field, if any.
        frame_id, attempt: which attempt this is (the same when it is run again after a
            restart, so a runner can make its side effects idempotent).
        heartbeat_seconds: the state's effective HeartbeatSeconds, if any.
        submitted: the attempt's call was made and recorded (``TaskSubmitted``) before it
            was dispatched again: a runner resumes waiting rather than starting over.
    """

    execution_arn: str
    state_name: str
    resource: str
    payload: JSON
    timeout_seconds: int
    token: str | None = None
    context: JSON = field(default=None)
    credentials: JSON = None
    frame_id: int = 0
    attempt: int = 0
    heartbeat_seconds: int | None = None
    submitted: bool = False


@dataclass(frozen=True, slots=True)
class TaskSucceeded:
    """The task's result."""

    output: JSON


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """The task failed with an error name and cause (either may be absent)."""

    error: str | None
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class TaskSubmitted:
    """The call went out; the task's outcome comes later (INT-2, INT-3).

    Attributes:
        output: the call's response (the ``TaskSubmitted`` event's output).
        result: for a job (``.sync``), what waits for the job and gives the final outcome;
            None when the outcome comes by callback (SendTaskSuccess/SendTaskFailure with
            the task token).
    """

    output: JSON
    result: Callable[[], Awaitable[TaskOutcome]] | None = None


TaskOutcome = TaskSucceeded | TaskFailed | TaskSubmitted


class TaskRunner(Protocol):
    """Runs one task attempt to its outcome (functions, integrations, ...).

    A runner may also have ``async def cancel(self, request) -> None``: the engine calls it,
    best effort, for an attempt it stopped waiting for (the execution was stopped, the task
    timed out), so a ``.sync`` job can be stopped too (INT-2).
    """

    async def run(self, request: TaskRequest) -> TaskOutcome:
        """Run the task; never raises for a task's own failure (return TaskFailed)."""
        ...
