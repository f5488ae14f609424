"""What the engine needs from outside: something that runs tasks."""

from __future__ import annotations

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
        token: the attempt's task token (``$$.Task.Token``), if the pattern uses one.
        context: the context object the state saw.
        credentials: the evaluated Credentials field, if any.
    """

    execution_arn: str
    state_name: str
    resource: str
    payload: JSON
    timeout_seconds: int
    token: str | None = None
    context: JSON = field(default=None)
    credentials: JSON = None


@dataclass(frozen=True, slots=True)
class TaskSucceeded:
    """The task's result."""

    output: JSON


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """The task failed with an error name and cause (either may be absent)."""

    error: str | None
    cause: str | None = None


TaskOutcome = TaskSucceeded | TaskFailed


class TaskRunner(Protocol):
    """Runs one task attempt to its outcome (functions, integrations, ...)."""

    async def run(self, request: TaskRequest) -> TaskOutcome:
        """Run the task; never raises for a task's own failure (return TaskFailed)."""
        ...
