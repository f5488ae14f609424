"""History events under their AWS names, and the details each carries (HIST-1..HIST-4).

Details are built here as the inner ``...EventDetails`` objects in AWS's camelCase, so the
API layer only picks the wrapping key with :func:`details_key`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from statewise.asl.model import StateType

# The 25,000-event cap of a Standard execution (HIST-7, Q-7).
MAX_EVENTS = 25_000
HISTORY_LIMIT_CAUSE = "The execution reached the maximum number of history events (25000)."

_NOT_TRUNCATED = {"truncated": False}

# Event types whose details use a shared key rather than <camelCaseType>EventDetails.
_SHARED_KEYS = {"Entered": "stateEnteredEventDetails", "Exited": "stateExitedEventDetails"}
# Types AWS records without any details object.
_NO_DETAILS = frozenset(
    {
        "TaskStateAborted",
        "WaitStateAborted",
        "ParallelStateAborted",
        "MapStateAborted",
        "ParallelStateStarted",
        "ParallelStateSucceeded",
        "ParallelStateFailed",
        "MapStateSucceeded",
        "MapStateFailed",
        "LambdaFunctionStarted",
    }
)


def details_key(event_type: str) -> str | None:
    """The member of a HistoryEvent holding this type's details, or None for none."""
    if event_type in _NO_DETAILS:
        return None
    for suffix, key in _SHARED_KEYS.items():
        if event_type.endswith("State" + suffix):
            return key
    return event_type[0].lower() + event_type[1:] + "EventDetails"


# The details text after a state's input/output, exactly as orjson writes the dicts below.
_ENTERED_TAIL = ',"inputDetails":{"truncated":false}}'
_EXITED_TAIL = ',"outputDetails":{"truncated":false}}'


@dataclass(frozen=True, slots=True)
class StateEvents:
    """A state's Entered/Exited event types and the details text around its value.

    Built once per definition, so that entering and leaving a state costs two string
    joins around the value's JSON instead of building and serialising a dict per event;
    the text is byte for byte what ``orjson.dumps`` gives for :func:`entered` and
    :func:`exited` details.
    """

    entered: str
    exited: str
    entered_head: str
    exited_head: str

    def entered_details(self, quoted_input: str) -> str:
        """Details of ``<Type>StateEntered``; ``quoted_input`` from :func:`quoted`."""
        return self.entered_head + quoted_input + _ENTERED_TAIL

    def exited_details(self, quoted_output: str) -> str:
        """Details of ``<Type>StateExited``; ``quoted_output`` from :func:`quoted`."""
        return self.exited_head + quoted_output + _EXITED_TAIL

    def exited_assigned(self, quoted_output: str, assigned: dict[str, str]) -> str:
        """``<Type>StateExited`` of a state with Assign: each variable's value as JSON text,
        and ``assignedVariablesDetails`` never truncated through the API (VAR-10)."""
        return (
            self.exited_head
            + quoted_output
            + ',"outputDetails":{"truncated":false},"assignedVariables":'
            + orjson.dumps(assigned).decode()
            + ',"assignedVariablesDetails":{"truncated":false}}'
        )


def state_events(state_type: StateType, name: str) -> StateEvents:
    """The :class:`StateEvents` of state ``name``."""
    quoted_name = orjson.dumps(name).decode()
    return StateEvents(
        entered=f"{state_type.value}StateEntered",
        exited=f"{state_type.value}StateExited",
        entered_head='{"name":' + quoted_name + ',"input":',
        exited_head='{"name":' + quoted_name + ',"output":',
    )


def quoted(json_text: str) -> str:
    """A JSON text as the JSON string literal that event details embed it as."""
    return orjson.dumps(json_text).decode()


def succeeded_details(quoted_output: str) -> str:
    """Details of ``ExecutionSucceeded``, as :func:`execution_succeeded` serialised."""
    return '{"output":' + quoted_output + _EXITED_TAIL


def entered(state_type: StateType, name: str, input_text: str) -> tuple[str, dict[str, Any]]:
    """``<Type>StateEntered``."""
    return f"{state_type.value}StateEntered", {
        "name": name,
        "input": input_text,
        "inputDetails": _NOT_TRUNCATED,
    }


def exited(state_type: StateType, name: str, output_text: str) -> tuple[str, dict[str, Any]]:
    """``<Type>StateExited``."""
    return f"{state_type.value}StateExited", {
        "name": name,
        "output": output_text,
        "outputDetails": _NOT_TRUNCATED,
    }


def evaluation_failed(error: str, cause: str, location: str, state: str) -> dict[str, Any]:
    """Details of ``EvaluationFailed``, recorded before a JSONata failure is handled (QL-8)."""
    return {"error": error, "cause": cause, "location": location, "state": state}


def error_details(error: str | None, cause: str | None) -> dict[str, Any]:
    """``{error?, cause?}``: absent values are omitted keys, never nulls (X-2)."""
    details: dict[str, Any] = {}
    if error is not None:
        details["error"] = error
    if cause is not None:
        details["cause"] = cause
    return details


def execution_started(
    input_text: str,
    role_arn: str,
    version_arn: str | None = None,
    alias_arn: str | None = None,
) -> dict[str, Any]:
    """Details of ``ExecutionStarted``."""
    details: dict[str, Any] = {
        "input": input_text,
        "inputDetails": _NOT_TRUNCATED,
        "roleArn": role_arn,
    }
    if alias_arn is not None:
        details["stateMachineAliasArn"] = alias_arn
    if version_arn is not None:
        details["stateMachineVersionArn"] = version_arn
    return details


def execution_succeeded(output_text: str) -> dict[str, Any]:
    """Details of ``ExecutionSucceeded``."""
    return {"output": output_text, "outputDetails": _NOT_TRUNCATED}


def output_details(output_text: str, **extra: Any) -> dict[str, Any]:
    """``{..., output, outputDetails}`` for TaskSucceeded, LambdaFunctionSucceeded, ..."""
    return {**extra, "output": output_text, "outputDetails": _NOT_TRUNCATED}
