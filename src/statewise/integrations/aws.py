"""AWS calls through botocore: a client per service and endpoint, AWS's error names for them.

Both integration families name service errors ``<Service>.<Exception>`` (ERR-19), but
after different SDKs: optimized integrations after the Java SDK v1 (``SQS``,
``DynamoDB``; cause ``... (Service: AmazonSQS; Status Code: 400; ...; Proxy: null)``) and
``aws-sdk`` integrations after the Java SDK v2 (``Sqs``, ``DynamoDb``; cause ``... (Service:
DynamoDb, Status Code: 400, Request ID: ...)``, ERR-20).
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import botocore.session
import orjson
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ParamValidationError,
    UnknownServiceError,
)

from statewise.engine.ports import TaskFailed
from statewise.types import JSON

# Step Functions Local's endpoint settings (LOCAL-2), by botocore service name.
LOCAL_ENDPOINTS = {
    "lambda": "LAMBDA_ENDPOINT",
    "sqs": "SQS_ENDPOINT",
    "sns": "SNS_ENDPOINT",
    "dynamodb": "DYNAMODB_ENDPOINT",
    "stepfunctions": "STEP_FUNCTIONS_ENDPOINT",
    "batch": "BATCH_ENDPOINT",
    "ecs": "ECS_ENDPOINT",
    "glue": "GLUE_ENDPOINT",
    "sagemaker": "SAGE_MAKER_ENDPOINT",
}

# Optimized integrations: the error prefix and the Java SDK v1 service name (ERR-19/20).
_V1_NAMES = {
    "sqs": ("SQS", "AmazonSQS"),
    "sns": ("SNS", "AmazonSNS"),
    "dynamodb": ("DynamoDB", "AmazonDynamoDBv2"),
    "events": ("EventBridge", "AmazonEventBridge"),
    "lambda": ("Lambda", "AWSLambda"),
    "stepfunctions": ("StepFunctions", "AWSStepFunctions"),
    "ecs": ("ECS", "AmazonECS"),
    "batch": ("Batch", "AWSBatch"),
    "glue": ("Glue", "AWSGlue"),
    "athena": ("Athena", "AmazonAthena"),
    "codebuild": ("CodeBuild", "AWSCodeBuild"),
    "sagemaker": ("SageMaker", "AmazonSageMaker"),
}
# Codes some services send that differ from their error shape's name.
_CODE_ALIASES = {"AWS.SimpleQueueService.NonExistentQueue": "QueueDoesNotExist"}


@dataclass(frozen=True, slots=True)
class Called:
    """A successful call: the response without botocore's metadata, and that metadata."""

    output: dict[str, Any]
    status: int
    headers: dict[str, str]
    request_id: str


class AwsClients:
    """botocore clients, one per service, pointed at the configured endpoints.

    Args:
        region: the region clients are created for.
        endpoints: Step Functions Local's per-service endpoint settings (``SQS_ENDPOINT``).
        default_endpoint: where every other service goes (``--aws-endpoint``); None for
            botocore's own resolution (AWS, or ``AWS_ENDPOINT_URL*`` variables).
        overrides: service -> endpoint, taking precedence (e.g. Step Functions itself).
        credentials: service -> (key id, secret) for the overridden endpoints.

    Credentials come from botocore's usual chain (environment, profile, instance role).
    """

    def __init__(
        self,
        *,
        region: str,
        endpoints: Mapping[str, str] | None = None,
        default_endpoint: str | None = None,
        overrides: Mapping[str, str] | None = None,
        credentials: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.region = region
        self._local = dict(endpoints or {})
        self._default = default_endpoint
        self._overrides = dict(overrides or {})
        self._credentials = dict(credentials or {})
        self._session = botocore.session.get_session()
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def endpoint(self, service: str) -> str | None:
        """The endpoint calls to ``service`` go to (None: botocore decides)."""
        if service in self._overrides:
            return self._overrides[service]
        variable = LOCAL_ENDPOINTS.get(service)
        if variable is not None and self._local.get(variable):
            return self._local[variable]
        return self._default

    def service_model(self, service: str) -> Any:
        """botocore's model of a service (raises UnknownServiceError)."""
        return self._session.get_service_model(service)

    def client(self, service: str) -> Any:
        """The cached client of a service; creating one reads its model, so do it once."""
        with self._lock:
            found = self._clients.get(service)
            if found is None:
                key_id, secret = self._credentials.get(service, (None, None))
                found = self._session.create_client(
                    service,
                    aws_access_key_id=key_id,
                    aws_secret_access_key=secret,
                    region_name=self.region,
                    endpoint_url=self.endpoint(service),
                    config=Config(
                        retries={"max_attempts": 2, "mode": "standard"},
                        connect_timeout=5,
                        read_timeout=65,
                    ),
                )
                self._clients[service] = found
            return found

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> Called:
        """Call ``operation`` (PascalCase) with botocore-shaped ``params``, off the loop.

        Raises:
            botocore's errors, for the caller to name.
        """
        client = await asyncio.to_thread(self.client, service)

        def invoke() -> dict[str, Any]:
            method = getattr(client, botocore.xform_name(operation))
            result: dict[str, Any] = method(**params)
            return result

        response = await asyncio.to_thread(invoke)
        meta = response.pop("ResponseMetadata", {}) or {}
        return Called(
            output=response,
            status=int(meta.get("HTTPStatusCode", 200)),
            headers=dict(meta.get("HTTPHeaders", {}) or {}),
            request_id=str(meta.get("RequestId", "")),
        )


def has_operation(clients: AwsClients, service: str, operation: str) -> bool:
    """Whether botocore knows the service and the operation."""
    try:
        return operation in clients.service_model(service).operation_names
    except UnknownServiceError:
        return False


def _exception_name(service_model: Any, code: str) -> str | None:
    """The Java exception class of a modeled error code, or None when unmodeled."""
    code = _CODE_ALIASES.get(code, code.rsplit("#", 1)[-1])
    for shape in service_model.error_shapes:
        wire = (shape.metadata.get("error") or {}).get("code")
        if code in (shape.name, wire):
            name: str = shape.name
            return name if name.endswith("Exception") else name + "Exception"
    return None


def _error_parts(exc: ClientError) -> tuple[str, str, int, str]:
    error = exc.response.get("Error", {}) or {}
    meta = exc.response.get("ResponseMetadata", {}) or {}
    return (
        str(error.get("Code", "Unknown")),
        str(error.get("Message", "") or ""),
        int(meta.get("HTTPStatusCode", 400) or 400),
        str(meta.get("RequestId", "") or ""),
    )


def v1_prefix(service: str) -> tuple[str, str]:
    """(error prefix, Java SDK v1 service name) of an optimized integration."""
    return _V1_NAMES.get(service, (service.upper(), "Amazon" + service.upper()))


def optimized_failure(clients: AwsClients, service: str, exc: Exception) -> TaskFailed:
    """An optimized integration's error as AWS names it (ERR-19, ERR-20)."""
    prefix, v1 = v1_prefix(service)
    if isinstance(exc, ClientError):
        code, message, status, request_id = _error_parts(exc)
        name = _exception_name(clients.service_model(service), code) or f"{v1}Exception"
        cause = (
            f"{message} (Service: {v1}; Status Code: {status}; Error Code: {code}; "
            f"Request ID: {request_id}; Proxy: null)"
        )
        return TaskFailed(f"{prefix}.{name}", cause)
    return TaskFailed(f"{prefix}.SdkClientException", _client_message(exc))


def v2_prefix(service_model: Any) -> str:
    """The Java SDK v2 name of a service from its service id (``SFN`` -> ``Sfn``)."""
    words = []
    for word in str(service_model.service_id).replace("-", " ").split():
        if word.isupper() and len(word) > 1 and not any(c.isdigit() for c in word):
            word = word[0] + word[1:].lower()
        else:
            # A trailing run of capitals is one word: DynamoDB -> DynamoDb.
            head = word.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            tail = word[len(head) :]
            if head and len(tail) > 1:
                word = head + tail[0] + tail[1:].lower()
        words.append(word[0].upper() + word[1:])
    return "".join(words)


def sdk_failure(clients: AwsClients, service: str, exc: Exception) -> TaskFailed:
    """An ``aws-sdk`` integration's error as AWS names it (ERR-19, ERR-20)."""
    model = clients.service_model(service)
    prefix = v2_prefix(model)
    if isinstance(exc, ClientError):
        code, message, status, request_id = _error_parts(exc)
        name = _exception_name(model, code) or f"{prefix}Exception"
        cause = f"{message} (Service: {prefix}, Status Code: {status}, Request ID: {request_id})"
        return TaskFailed(f"{prefix}.{name}", cause)
    return TaskFailed(f"{prefix}.SdkClientException", _client_message(exc))


def _client_message(exc: Exception) -> str:
    if isinstance(exc, BotoCoreError):
        return f"Unable to execute HTTP request: {exc}"
    return f"{type(exc).__name__}: {exc}"


def bad_parameters(state_name: str, payload: JSON, exc: ParamValidationError) -> TaskFailed:
    """Parameters the service model rejects cannot start the task (States.Runtime)."""
    detail = str(exc).replace("\n", " ")
    return TaskFailed(
        "States.Runtime",
        f"An error occurred while executing the state '{state_name}'. The Parameters "
        f"'{orjson.dumps(payload).decode()}' could not be used to start the Task: [{detail}]",
    )


def plain(value: Any, *, millis: bool) -> JSON:
    """botocore's output as JSON: timestamps (epoch ms for optimized integrations, the
    Java SDK v1's Jackson form; ISO-8601 for aws-sdk ones), blobs and streams as text."""
    if isinstance(value, dict):
        return {str(k): plain(v, millis=millis) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, millis=millis) for v in value]
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000) if millis else value.isoformat()
    if hasattr(value, "read") and callable(value.read):
        value = value.read()
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode()
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
