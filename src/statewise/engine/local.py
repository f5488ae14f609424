"""A task runner that calls Python callables in process (``statewise run --functions``)."""

from __future__ import annotations

import asyncio
import inspect
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from statewise.engine.ports import TaskFailed, TaskOutcome, TaskRequest, TaskSucceeded
from statewise.engine.resources import ResourceKind, parse_resource
from statewise.types import JSON

Function = Callable[..., Any]


class TaskError(Exception):
    """Raise from a local function to fail its task with this error name and cause."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(cause or error)
        self.error = error
        self.cause = cause


def function_name(request: TaskRequest) -> str | None:
    """The Lambda function a Task calls: from a legacy function ARN or lambda:invoke's
    FunctionName (a name, a full or partial ARN, optionally qualified)."""
    resource = parse_resource(request.resource)
    if resource.kind is ResourceKind.LAMBDA:
        target = resource.function
    elif resource.resource_type == "lambda" and isinstance(request.payload, dict):
        target = request.payload.get("FunctionName")
    else:
        return None
    if not isinstance(target, str):
        return None
    parts = target.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def _error_payload(exc: BaseException) -> dict[str, Any]:
    """The error object Lambda returns for an unhandled exception (INT-4)."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


class LocalTaskRunner:
    """Runs Task states whose Lambda function name matches a registered callable.

    A function takes the task input (and, if it accepts two arguments, the context
    object) and returns a JSON-serialisable result; it may be a coroutine function.
    Optimized ``lambda:invoke`` tasks get Lambda's response envelope (INT-4).
    """

    def __init__(self, functions: Mapping[str, Function]) -> None:
        self.functions = dict(functions)

    async def run(self, request: TaskRequest) -> TaskOutcome:
        name = function_name(request)
        if name is None:
            return TaskFailed(
                "States.Runtime",
                f"The resource '{request.resource}' cannot run locally: only Lambda functions "
                "registered with --functions can.",
            )
        function = self.functions.get(name)
        if function is None:
            return TaskFailed(
                "Lambda.ResourceNotFoundException",
                f"Function not found: {name} (Service: AWSLambda; Status Code: 404; "
                "Error Code: ResourceNotFoundException)",
            )
        optimized = parse_resource(request.resource).kind is not ResourceKind.LAMBDA
        event = request.payload.get("Payload", {}) if optimized else request.payload
        try:
            result = await self._call(function, event, request.context)
            orjson.dumps(result)
        except TaskError as exc:
            return TaskFailed(exc.error, exc.cause)
        except Exception as exc:
            payload = _error_payload(exc)
            return TaskFailed(payload["errorType"], orjson.dumps(payload).decode())
        if not optimized:
            return TaskSucceeded(result)
        return TaskSucceeded(
            {
                "ExecutedVersion": "$LATEST",
                "Payload": result,
                "SdkHttpMetadata": {"HttpStatusCode": 200},
                "SdkResponseMetadata": {},
                "StatusCode": 200,
            }
        )

    @staticmethod
    async def _call(function: Function, event: JSON, context: JSON) -> Any:
        try:
            takes_context = len(inspect.signature(function).parameters) >= 2
        except (TypeError, ValueError):
            takes_context = False
        args = (event, context) if takes_context else (event,)
        if inspect.iscoroutinefunction(function):
            return await function(*args)
        return await asyncio.to_thread(function, *args)
