"""Task states that call Lambda functions: ``lambda:invoke`` and legacy function ARNs.

The error mapping is Step Functions' (INT-4, INT-5, ERR-19, ERR-20): a function error fails
the task with the payload's ``errorType`` and the payload as cause; a timeout or crash is
``Lambda.Unknown``; an error of the Lambda API itself is ``Lambda.<Code>`` with the AWS Java
SDK's cause text.
"""

from __future__ import annotations

import logging
import uuid
from email.utils import formatdate
from typing import Any, Protocol

import orjson

from statewise.engine.ports import TaskFailed, TaskOutcome, TaskRequest, TaskRunner, TaskSucceeded
from statewise.functions.errors import LambdaError
from statewise.functions.invoke import InvokeResult
from statewise.types import JSON

logger = logging.getLogger(__name__)

# Errors the platform reports for a function that never answered: Step Functions calls
# them all Lambda.Unknown ("Unhandled errors ... include out-of-memory errors and function
# timeouts").
PLATFORM_ERRORS = frozenset({"Sandbox.Timedout", "Runtime.ExitError", "Runtime.OutOfMemory"})
# Error codes the AWS SDK that Step Functions uses knows as Lambda exceptions; any other
# code arrives as the SDK's generic AWSLambdaException.
MODELED_ERRORS = frozenset(
    {
        "ResourceNotFoundException",
        "InvalidParameterValueException",
        "ResourceConflictException",
        "TooManyRequestsException",
        "RequestTooLargeException",
        "InvalidRequestContentException",
        "UnsupportedMediaTypeException",
        "PreconditionFailedException",
        "ServiceException",
        "ResourceNotReadyException",
        "InvalidRuntimeException",
        "InvalidZipFileException",
    }
)
INVOKE = "arn:aws:states:::lambda:invoke"
CALLBACK = ".waitForTaskToken"
UNKNOWN_CAUSE = (
    "The cause could not be determined because Lambda did not return an error type. "
    "Returned payload: "
)


class RemoteLambdaError(Exception):
    """An error answered by a remote Lambda endpoint (or reaching it failed)."""

    def __init__(self, code: str, status: int, message: str, request_id: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.request_id = request_id


class LambdaInvoker(Protocol):
    """Invokes functions: the local runtime, or a remote Lambda endpoint."""

    async def invoke(
        self,
        function_name: str,
        payload: bytes = b"",
        *,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
        log_type: str | None = None,
        client_context: str | None = None,
    ) -> InvokeResult: ...


def legacy_function(resource: str) -> str | None:
    """The function (``name`` or ``name:qualifier``) of a legacy Resource, the function's ARN
    ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`` (INT-5); else None."""
    parts = resource.split(":")
    if len(parts) in (7, 8) and parts[0] == "arn" and parts[2] == "lambda":
        if parts[5] == "function" and parts[6]:
            return ":".join(parts[6:])
    return None


def service_error(code: str, status: int, message: str, request_id: str) -> TaskFailed:
    """``Lambda.<Code>`` with the Java SDK's cause, as Step Functions reports API errors."""
    name = code if code in MODELED_ERRORS or code == "SdkClientException" else "AWSLambdaException"
    if code == "SdkClientException":
        return TaskFailed(f"Lambda.{name}", message)
    return TaskFailed(
        f"Lambda.{name}",
        f"{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; "
        f"Request ID: {request_id}; Proxy: null)",
    )


def function_failure(payload: bytes) -> TaskFailed:
    """The task failure for a function error payload."""
    text = payload.decode(errors="replace")
    try:
        error = orjson.loads(payload)
    except orjson.JSONDecodeError:
        error = None
    error_type = error.get("errorType") if isinstance(error, dict) else None
    if not isinstance(error_type, str) or not error_type:
        return TaskFailed("Lambda.Unknown", UNKNOWN_CAUSE + text)
    if error_type in PLATFORM_ERRORS:
        return TaskFailed("Lambda.Unknown", text)
    return TaskFailed(error_type, text)


def parse_output(payload: bytes) -> JSON:
    """A function's output: JSON when it parses, else the raw text (INT-4)."""
    if not payload.strip():
        return None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode(errors="replace")


def envelope(result: InvokeResult, *, log_type: str | None = None) -> dict[str, Any]:
    """The ``lambda:invoke`` result object (INT-4), headers as the AWS SDK reports them."""
    headers = {
        "Connection": "keep-alive",
        "Content-Length": str(len(result.payload)),
        "Content-Type": "application/json",
        "Date": formatdate(usegmt=True),
        "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": result.request_id,
    }
    if result.executed_version:
        headers["X-Amz-Executed-Version"] = result.executed_version
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error
    if result.log_result:
        headers["X-Amz-Log-Result"] = result.log_result
    body: dict[str, Any] = {}
    if result.executed_version:
        body["ExecutedVersion"] = result.executed_version
    if result.log_result and log_type == "Tail":
        body["LogResult"] = result.log_result
    body["Payload"] = parse_output(result.payload) if result.status_code == 200 else ""
    body["SdkHttpMetadata"] = {
        "AllHttpHeaders": {k: [v] for k, v in headers.items()},
        "HttpHeaders": headers,
        "HttpStatusCode": result.status_code,
    }
    body["SdkResponseMetadata"] = {"RequestId": result.request_id}
    body["StatusCode"] = result.status_code
    return body


def _runtime_error(request: TaskRequest, problem: str) -> TaskFailed:
    parameters = orjson.dumps(request.payload).decode()
    return TaskFailed(
        "States.Runtime",
        f"An error occurred while executing the state '{request.state_name}'. The Parameters "
        f"'{parameters}' could not be used to start the Task: [{problem}]",
    )


class FunctionTaskRunner:
    """Runs Task states whose Resource is a Lambda function; others go to ``fallback``."""

    def __init__(self, invoker: LambdaInvoker, *, fallback: TaskRunner | None = None) -> None:
        self.invoker = invoker
        self.fallback = fallback

    async def run(self, request: TaskRequest) -> TaskOutcome:
        resource = request.resource
        function = legacy_function(resource)
        if function is not None:
            return await self._legacy(request, function)
        # Under .waitForTaskToken the call is the same; whoever routes tasks waits for the
        # token afterwards (INT-3).
        if resource in (INVOKE, INVOKE + CALLBACK):
            return await self._optimized(request)
        if self.fallback is not None:
            return await self.fallback.run(request)
        return TaskFailed(
            "States.Runtime",
            f"The resource '{resource}' is not supported by this server: Task states "
            "can call Lambda functions (lambda:invoke or a function ARN).",
        )

    async def _call(self, name: str, payload: bytes, **options: Any) -> InvokeResult | TaskFailed:
        try:
            return await self.invoker.invoke(name, payload, **options)
        except LambdaError as exc:
            return service_error(exc.code, exc.status, exc.message, str(uuid.uuid4()))
        except RemoteLambdaError as exc:
            return service_error(exc.code, exc.status, exc.message, exc.request_id)
        except Exception:
            # The runtime itself failed (a worker could not start, ...): the service error
            # Step Functions recommends retrying (INT-6).
            logger.exception("invoking %s failed", name)
            return service_error(
                "ServiceException",
                500,
                "The service failed to process the request.",
                str(uuid.uuid4()),
            )

    async def _legacy(self, request: TaskRequest, function: str) -> TaskOutcome:
        """A function ARN as Resource: the input is the event, the output the result (INT-5)."""
        result = await self._call(function, orjson.dumps(request.payload))
        if isinstance(result, TaskFailed):
            return result
        if result.function_error:
            return function_failure(result.payload)
        return TaskSucceeded(parse_output(result.payload))

    async def _optimized(self, request: TaskRequest) -> TaskOutcome:
        """``arn:aws:states:::lambda:invoke``: parameters in, the response envelope out."""
        params = request.payload
        if not isinstance(params, dict):
            return _runtime_error(request, "The Parameters must be a JSON object")
        name = params.get("FunctionName")
        if not isinstance(name, str) or not name:
            return _runtime_error(request, 'The field "FunctionName" is required but was missing')
        options: dict[str, Any] = {}
        for field, option in (
            ("Qualifier", "qualifier"),
            ("InvocationType", "invocation_type"),
            ("LogType", "log_type"),
            ("ClientContext", "client_context"),
        ):
            value = params.get(field)
            if value is not None:
                if not isinstance(value, str):
                    return _runtime_error(request, f'The field "{field}" must be a string')
                options[option] = value
        payload = orjson.dumps(params["Payload"]) if "Payload" in params else b""
        result = await self._call(name, payload, **options)
        if isinstance(result, TaskFailed):
            return result
        if result.function_error:
            return function_failure(result.payload)
        return TaskSucceeded(envelope(result, log_type=options.get("log_type")))
