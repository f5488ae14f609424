"""AWS service integrations: the optimized ones and the generic ``aws-sdk`` form.

Optimized (``arn:aws:states:::sqs:sendMessage``, INT-11): parameters as the service's API
names them, JSON objects where the API wants a string (an SQS ``MessageBody``, an SNS
``Message``, an EventBridge ``Detail``) sent as their JSON text, the response with
``SdkHttpMetadata``/``SdkResponseMetadata`` as the Java SDK v1 gives them.

``aws-sdk`` (``arn:aws:states:::aws-sdk:<service>:<action>``, INT-10): the action in
camelCase, parameters in PascalCase whatever the service's own casing, the response in
PascalCase.
"""

from __future__ import annotations

from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from statewise.engine.ports import TaskFailed, TaskOutcome, TaskRequest, TaskSucceeded
from statewise.engine.resources import Pattern, parse_resource
from statewise.integrations.aws import (
    AwsClients,
    Called,
    bad_parameters,
    optimized_failure,
    plain,
    sdk_failure,
)
from statewise.types import JSON

# ``aws-sdk:<service>`` names that differ from botocore's.
_SDK_SERVICES = {"sfn": "stepfunctions", "eventbridge": "events"}


def operation_name(api: str) -> str:
    """``sendMessage`` -> ``SendMessage``."""
    return api[:1].upper() + api[1:]


def api_of(resource_text: str, pattern: Pattern) -> str:
    """The API part of a parsed resource (``sendMessage.waitForTaskToken`` -> ``sendMessage``)."""
    return (
        resource_text[: len(resource_text) - len(pattern.value)] if pattern.value else resource_text
    )


def to_model(shape: Any, value: Any) -> Any:
    """Parameters shaped for botocore: member names matched whatever their first letter's
    case, JSON values where a string is wanted turned into their JSON text, text where a
    blob is wanted encoded."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        lower: dict[str, str] = {name.lower(): name for name in members}
        shaped: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if name not in members:
                name = lower.get(name.lower(), name)
            shaped[name] = to_model(members.get(name), item)
        return shaped
    if kind == "list" and isinstance(value, list):
        return [to_model(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: to_model(shape.value, item) for key, item in value.items()}
    if kind == "string" and isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if kind == "blob" and isinstance(value, str):
        return value.encode()
    return value


def to_pascal(shape: Any, value: Any) -> Any:
    """A response with every structure member's name starting in upper case (INT-10)."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {
            key[:1].upper() + key[1:]: to_pascal(members.get(key), item)
            for key, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [to_pascal(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: to_pascal(shape.value, item) for key, item in value.items()}
    return value


def sdk_metadata(called: Called) -> dict[str, Any]:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` of an optimized integration's result."""
    headers = {name: value for name, value in called.headers.items()}
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {name: [value] for name, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": called.status,
        },
        "SdkResponseMetadata": {"RequestId": called.request_id},
    }


def _unsupported(request: TaskRequest, why: str) -> TaskFailed:
    return TaskFailed("States.Runtime", f"The resource '{request.resource}' {why}.")


class OptimizedRunner:
    """Runs ``arn:aws:states:::<service>:<api>`` tasks (INT-11) with botocore."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    async def run(self, request: TaskRequest) -> TaskOutcome:
        resource = parse_resource(request.resource)
        service = resource.resource_type
        if resource.pattern in (Pattern.SYNC, Pattern.SYNC2):
            return _unsupported(
                request, "cannot run as a job here: '.sync' is supported for states:startExecution"
            )
        operation = operation_name(api_of(resource.resource, resource.pattern))
        try:
            model = self.clients.service_model(service)
        except BotoCoreError:
            return _unsupported(request, f"names the unknown service '{service}'")
        if operation not in model.operation_names:
            return _unsupported(request, f"names an unknown API of {service}: '{operation}'")
        if not isinstance(request.payload, dict):
            return TaskFailed("States.Runtime", "The task's Parameters must be a JSON object.")
        shape = model.operation_model(operation).input_shape
        params = to_model(shape, request.payload)
        try:
            called = await self.clients.call(service, operation, params)
        except ParamValidationError as exc:
            return bad_parameters(request.state_name, request.payload, exc)
        except (ClientError, BotoCoreError) as exc:
            return optimized_failure(self.clients, service, exc)
        output = plain(called.output, millis=True)
        assert isinstance(output, dict)
        if service == "events":
            # EventBridge accepts a batch with failed entries; AWS fails the task (INT-11).
            if output.get("FailedEntryCount"):
                return TaskFailed("EventBridge.FailedEntry", orjson.dumps(output).decode())
            return TaskSucceeded(output)
        output.update(sdk_metadata(called))
        return TaskSucceeded(output)


class SdkRunner:
    """Runs ``arn:aws:states:::aws-sdk:<service>:<action>`` tasks (INT-10) with botocore."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    async def run(self, request: TaskRequest) -> TaskOutcome:
        resource = parse_resource(request.resource)
        alias = resource.resource_type.split(":", 1)[1]
        service = _SDK_SERVICES.get(alias, alias)
        if resource.pattern in (Pattern.SYNC, Pattern.SYNC2):
            return _unsupported(request, "is not valid: AWS SDK integrations have no '.sync'")
        operation = operation_name(api_of(resource.resource, resource.pattern))
        try:
            model = self.clients.service_model(service)
        except BotoCoreError:
            return _unsupported(request, f"names the unknown service '{alias}'")
        if operation not in model.operation_names:
            return _unsupported(request, f"names an unknown action of {alias}: '{operation}'")
        payload: JSON = {} if request.payload is None else request.payload
        if not isinstance(payload, dict):
            return TaskFailed("States.Runtime", "The task's Parameters must be a JSON object.")
        operation_model = model.operation_model(operation)
        params = to_model(operation_model.input_shape, payload)
        try:
            called = await self.clients.call(service, operation, params)
        except ParamValidationError as exc:
            return bad_parameters(request.state_name, payload, exc)
        except (ClientError, BotoCoreError) as exc:
            return sdk_failure(self.clients, service, exc)
        return TaskSucceeded(
            to_pascal(operation_model.output_shape, plain(called.output, millis=False))
        )
