"""Errors users see through the API: each carries AWS's error code and message."""

from __future__ import annotations

from typing import ClassVar


class StatewiseError(Exception):
    """Root of the errors statewise reports to callers; ``code`` is AWS's error code."""

    code: ClassVar[str] = "InternalFailure"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExecutionAlreadyExists(StatewiseError):
    """An execution with this name exists and may not be started again (API-16)."""

    code = "ExecutionAlreadyExists"


class ExecutionDoesNotExist(StatewiseError):
    """No execution has this ARN."""

    code = "ExecutionDoesNotExist"


class InvalidExecutionInput(StatewiseError):
    """The execution input is not JSON, or too large (IO-6)."""

    code = "InvalidExecutionInput"


class InvalidDefinition(StatewiseError):
    """The state machine definition is invalid (DEF-5)."""

    code = "InvalidDefinition"


class InvalidName(StatewiseError):
    """A name breaks AWS's naming rules (NAME-1)."""

    code = "InvalidName"


class InvalidArn(StatewiseError):
    """An ARN that is malformed or of the wrong resource type."""

    code = "InvalidArn"


class InvalidToken(StatewiseError):
    """A pagination or task token this server did not issue."""

    code = "InvalidToken"


class StateMachineDoesNotExist(StatewiseError):
    """No state machine (or version, or alias) has this ARN."""

    code = "StateMachineDoesNotExist"


class StateMachineAlreadyExists(StatewiseError):
    """A state machine with this name exists with a different configuration (API-1)."""

    code = "StateMachineAlreadyExists"


class StateMachineDeleting(StatewiseError):
    """The state machine is being deleted."""

    code = "StateMachineDeleting"


class StateMachineTypeNotSupported(StatewiseError):
    """The action does not apply to this type of state machine (STANDARD vs EXPRESS)."""

    code = "StateMachineTypeNotSupported"


class InvalidLoggingConfiguration(StatewiseError):
    """The logging configuration is not valid."""

    code = "InvalidLoggingConfiguration"


class MissingRequiredParameter(StatewiseError):
    """A request lacks a parameter the action needs."""

    code = "MissingRequiredParameter"


class ResourceNotFound(StatewiseError):
    """A resource (alias, ...) does not exist."""

    code = "ResourceNotFound"


class ConflictException(StatewiseError):
    """The request conflicts with the resource's current state."""

    code = "ConflictException"


class TooManyTags(StatewiseError):
    """More than 50 tags on one resource."""

    code = "TooManyTags"


class ServiceQuotaExceededException(StatewiseError):
    """A quota (versions or aliases per state machine) would be exceeded."""

    code = "ServiceQuotaExceededException"


class ValidationException(StatewiseError):
    """A request that breaks the API model's constraints or an action's rules."""

    code = "ValidationException"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class ActivityDoesNotExist(StatewiseError):
    """No activity has this ARN (API-27, API-30)."""

    code = "ActivityDoesNotExist"


class ActivityAlreadyExists(StatewiseError):
    """An activity with this name exists with a different configuration (API-26)."""

    code = "ActivityAlreadyExists"


class ActivityLimitExceeded(StatewiseError):
    """Too many activities (Q-10)."""

    code = "ActivityLimitExceeded"


class ActivityWorkerLimitExceeded(StatewiseError):
    """Too many workers polling one activity at once (Q-12)."""

    code = "ActivityWorkerLimitExceeded"


class TaskDoesNotExist(StatewiseError):
    """A task token names no known task (API-31..API-33)."""

    code = "TaskDoesNotExist"


class TaskTimedOut(StatewiseError):
    """The task of a token timed out or has already closed (API-31..API-33)."""

    code = "TaskTimedOut"


class InvalidOutput(StatewiseError):
    """SendTaskSuccess output that is not JSON or too large (API-31)."""

    code = "InvalidOutput"
