"""Task Resource ARNs: which kind of task, and the names history uses for it (ASL-TASK-7)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ResourceKind(StrEnum):
    """How a Task state's Resource is run."""

    LAMBDA = "lambda"  # arn:aws:lambda:...:function:NAME, the legacy form (INT-5)
    SERVICE = "service"  # arn:aws:states:::<service>:<api>[.<pattern>] (INT-11)
    SDK = "aws-sdk"  # arn:aws:states:::aws-sdk:<service>:<action> (INT-10)
    ACTIVITY = "activity"  # arn:aws:states:<region>:<account>:activity:NAME (INT-9)


class Pattern(StrEnum):
    """Service integration patterns, chosen by the Resource suffix (INT-1)."""

    REQUEST_RESPONSE = ""
    SYNC = ".sync"
    SYNC2 = ".sync:2"
    CALLBACK = ".waitForTaskToken"


@dataclass(frozen=True, slots=True)
class Resource:
    """A parsed Task Resource.

    Attributes:
        kind: what runs it.
        resource_type: history's ``resourceType`` (``lambda``, ``sqs``, ``aws-sdk:s3``).
        resource: history's ``resource`` (``invoke``, ``sendMessage.waitForTaskToken``).
        pattern: the integration pattern.
        function: for the legacy Lambda form, the function name (with qualifier).
    """

    arn: str
    kind: ResourceKind
    resource_type: str
    resource: str
    pattern: Pattern
    function: str | None = None


def _pattern(api: str) -> tuple[str, Pattern]:
    for pattern in (Pattern.SYNC2, Pattern.SYNC, Pattern.CALLBACK):
        if api.endswith(pattern.value):
            return api[: -len(pattern.value)], pattern
    return api, Pattern.REQUEST_RESPONSE


def parse_resource(arn: str) -> Resource:
    """Classify a Resource ARN. Unknown shapes are SERVICE with the raw text as resource."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        function = ":".join(parts[6:])
        return Resource(arn, ResourceKind.LAMBDA, "lambda", arn, Pattern.REQUEST_RESPONSE, function)
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity":
        return Resource(arn, ResourceKind.ACTIVITY, "activity", arn, Pattern.REQUEST_RESPONSE)
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "aws-sdk":
        api, pattern = _pattern(":".join(parts[7:]))
        service = parts[6]
        return Resource(arn, ResourceKind.SDK, f"aws-sdk:{service}", api + pattern, pattern)
    if len(parts) >= 7 and parts[2] == "states" and not parts[3] and not parts[4]:
        api, pattern = _pattern(":".join(parts[6:]))
        return Resource(arn, ResourceKind.SERVICE, parts[5], api + pattern, pattern)
    return Resource(arn, ResourceKind.SERVICE, "unknown", arn, Pattern.REQUEST_RESPONSE)
