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
