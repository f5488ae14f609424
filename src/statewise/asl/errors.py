"""Predefined States.* error names, the runtime Failure value and ErrorEquals matching."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StatesError(StrEnum):
    """The error names Step Functions predefines (ASL "Error names")."""

    ALL = "States.ALL"
    HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
    TIMEOUT = "States.Timeout"
    TASK_FAILED = "States.TaskFailed"
    PERMISSIONS = "States.Permissions"
    RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
    PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
    BRANCH_FAILED = "States.BranchFailed"
    NO_CHOICE_MATCHED = "States.NoChoiceMatched"
    INTRINSIC_FAILURE = "States.IntrinsicFailure"
    EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
    ITEM_READER_FAILED = "States.ItemReaderFailed"
    RESULT_WRITER_FAILED = "States.ResultWriterFailed"
    QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
    DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
    RUNTIME = "States.Runtime"


@dataclass(frozen=True, slots=True)
class Failure:
    """A runtime failure of a state: what Retry and Catch match and history records.

    Either field may be absent (a task failed without an error name or cause); AWS then
    omits the key in history and passes ``null`` in a catcher's error output.
    """

    error: str | None
    cause: str | None = None

    def error_output(self) -> dict[str, str | None]:
        """The ``{"Error", "Cause"}`` object a catcher passes on."""
        return {"Error": self.error, "Cause": self.cause}


class FailureError(Exception):
    """Raised inside evaluation to abort a state with a Failure; caught by the evaluator.

    Failures cross module boundaries inside ``asl`` as this exception and leave ``asl`` as
    plain :class:`Failure` values in decisions.
    """

    def __init__(self, error: str | None, cause: str | None = None) -> None:
        super().__init__(f"{error}: {cause}")
        self.failure = Failure(error, cause)


# States.Runtime is never retried or caught (ASL "Runtime errors"); the docs also list
# DataLimitExceeded as terminal, but AWS catches an oversized task result (ERR-6), so
# callers decide that case by where the failure arose.
UNCATCHABLE = frozenset({StatesError.RUNTIME.value})


def matches(error_equals: tuple[str, ...], error: str | None) -> bool:
    """Whether a retrier's or catcher's ErrorEquals list matches an error name.

    States.ALL matches every catchable error; States.TaskFailed matches every error but
    States.Timeout (RETRY-4); a heartbeat timeout matches both States.HeartbeatTimeout and
    States.Timeout (ASL-TASK-3); otherwise names compare exactly and case-sensitively.
    """
    if error in UNCATCHABLE:
        return False
    for name in error_equals:
        if name == error or name == StatesError.ALL:
            return True
        if name == StatesError.TASK_FAILED and error not in _NOT_TASK_FAILED:
            return True
        if name == StatesError.TIMEOUT and error == StatesError.HEARTBEAT_TIMEOUT:
            return True
    return False


_NOT_TASK_FAILED = frozenset({StatesError.TIMEOUT.value, StatesError.HEARTBEAT_TIMEOUT.value})
