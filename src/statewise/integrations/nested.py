"""Nested workflows: ``arn:aws:states:::states:startExecution[.sync|.sync:2]`` (INT-8).

A child started without a ``Name`` gets one derived from the parent's attempt, so an
attempt run again after a restart finds the child it started instead of starting another.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from statewise import arns
from statewise.engine.ports import (
    TaskFailed,
    TaskOutcome,
    TaskRequest,
    TaskSubmitted,
    TaskSucceeded,
)
from statewise.engine.resources import Pattern, parse_resource
from statewise.errors import ExecutionAlreadyExists, ExecutionDoesNotExist, StatewiseError
from statewise.store.base import ExecutionRecord, ExecutionStatus
from statewise.types import JSON

# Child names derived from a parent attempt live in their own UUID namespace.
_NAMESPACE = uuid.UUID("5d0a3a52-4f4b-4b7c-9a4e-6e6f6b9b5a11")


class ExecutionStarter(Protocol):
    """What nested tasks need of the execution service (``services.Executions``)."""

    async def start(
        self,
        state_machine_arn: str,
        *,
        name: str | None,
        input_text: str | None,
        trace_header: str | None = None,
        sync: bool = False,
    ) -> ExecutionRecord: ...

    async def describe(self, arn: str) -> ExecutionRecord: ...

    async def stop(self, arn: str, *, error: str | None, cause: str | None) -> ExecutionRecord: ...

    async def wait_for(self, arn: str) -> ExecutionRecord: ...


def millis(seconds: float | None) -> int | None:
    """Epoch seconds as the epoch milliseconds the Java SDK writes dates as."""
    return None if seconds is None else round(seconds * 1000)


def child_name(request: TaskRequest) -> str:
    """The child's name: the task's ``Name``, else one fixed by the parent's attempt."""
    payload = request.payload if isinstance(request.payload, dict) else {}
    name = payload.get("Name")
    if isinstance(name, str) and name:
        return name
    key = f"{request.execution_arn}#{request.frame_id}#{request.attempt}"
    return str(uuid.uuid5(_NAMESPACE, key))


def child_arn(state_machine_arn: str, name: str) -> str | None:
    """The ARN a Standard child of this machine (or version, or alias) and name gets."""
    parsed = arns.parse(state_machine_arn)
    if parsed is None:
        return None
    parts = parsed.resource.split(":")
    if len(parts) < 2 or parts[0] != "stateMachine":
        return None
    return arns.execution(parts[1], name, parsed.region, parsed.account)


def describe(record: ExecutionRecord, *, parsed: bool) -> dict[str, Any]:
    """DescribeExecution in PascalCase: Input/Output as JSON text, or parsed for ``.sync:2``."""

    def payload(text: str | None) -> JSON:
        if text is None or not parsed:
            return text
        return orjson.loads(text)

    status = record.status.value
    result: dict[str, Any] = {
        "ExecutionArn": record.arn,
        "Input": payload(record.input),
        "InputDetails": {"Included": True},
        "Name": record.name,
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE",
        "RedriveStatusReason": f"Execution is {status} and cannot be redriven",
        "StartDate": millis(record.start_date),
        "StateMachineArn": record.state_machine_arn,
        "Status": status,
    }
    if record.status is ExecutionStatus.SUCCEEDED:
        result["Output"] = payload(record.output)
        result["OutputDetails"] = {"Included": True}
    if record.stop_date is not None:
        result["StopDate"] = millis(record.stop_date)
    if record.error is not None:
        result["Error"] = record.error
    if record.cause is not None:
        result["Cause"] = record.cause
    return result


def _service_failure(exc: StatewiseError) -> TaskFailed:
    """An API error of StartExecution as the optimized integration names it (ERR-19)."""
    code = exc.code if exc.code.endswith("Exception") else exc.code + "Exception"
    return TaskFailed(
        f"StepFunctions.{code}",
        f"{exc.message} (Service: AWSStepFunctions; Status Code: 400; Error Code: {exc.code}; "
        f"Request ID: {uuid.uuid4()}; Proxy: null)",
    )


class NestedRunner:
    """Starts child executions and, for ``.sync``/``.sync:2``, waits for them.

    Args:
        executions: returns the execution service (bound after the engines exist).
    """

    def __init__(self, executions: Callable[[], ExecutionStarter | None]) -> None:
        self._executions = executions

    def _service(self) -> ExecutionStarter:
        service = self._executions()
        if service is None:
            raise RuntimeError("nested executions are not wired to an execution service")
        return service

    async def run(self, request: TaskRequest) -> TaskOutcome:
        resource = parse_resource(request.resource)
        if not resource.resource.startswith("startExecution"):
            return TaskFailed(
                "States.Runtime", f"The resource '{request.resource}' is not supported."
            )
        payload = request.payload
        if not isinstance(payload, dict) or not isinstance(payload.get("StateMachineArn"), str):
            return TaskFailed(
                "States.Runtime", "The task's Parameters must give a StateMachineArn."
            )
        machine = payload["StateMachineArn"]
        raw = payload.get("Input", {})
        input_text = raw if isinstance(raw, str) else orjson.dumps(raw).decode()
        name = child_name(request)
        service = self._service()
        try:
            record = await service.start(machine, name=name, input_text=input_text)
        except ExecutionAlreadyExists as exc:
            # An attempt run again after a restart finds the child it started earlier.
            found = await self._existing(machine, name, input_text)
            if found is None:
                return _service_failure(exc)
            record = found
        except StatewiseError as exc:
            return _service_failure(exc)
        started = {
            "ExecutionArn": record.arn,
            "StartDate": millis(record.start_date),
            "SdkHttpMetadata": {"HttpStatusCode": 200},
            "SdkResponseMetadata": {},
        }
        if resource.pattern not in (Pattern.SYNC, Pattern.SYNC2):
            return TaskSucceeded(started)
        parsed = resource.pattern is Pattern.SYNC2
        arn = record.arn

        async def finished() -> TaskOutcome:
            final = await self._service().wait_for(arn)
            result = describe(final, parsed=parsed)
            if final.status is ExecutionStatus.SUCCEEDED:
                return TaskSucceeded(result)
            # INT-8: a failed, timed-out or aborted child fails the task with its description.
            return TaskFailed("States.TaskFailed", orjson.dumps(result).decode())

        return TaskSubmitted(started, finished)

    async def _existing(self, machine: str, name: str, input_text: str) -> ExecutionRecord | None:
        arn = child_arn(machine, name)
        if arn is None:
            return None
        try:
            record = await self._service().describe(arn)
        except (ExecutionDoesNotExist, StatewiseError):
            return None
        try:
            same = orjson.loads(record.input) == orjson.loads(input_text)
        except orjson.JSONDecodeError:
            same = record.input == input_text
        return record if same else None

    async def cancel(self, request: TaskRequest) -> None:
        """INT-2: a ``.sync`` child is stopped (best effort) when its parent task is."""
        resource = parse_resource(request.resource)
        payload = request.payload
        if resource.pattern not in (Pattern.SYNC, Pattern.SYNC2) or not isinstance(payload, dict):
            return
        machine = payload.get("StateMachineArn")
        arn = child_arn(machine, child_name(request)) if isinstance(machine, str) else None
        if arn is None:
            return
        try:
            await self._service().stop(arn, error=None, cause=None)
        except StatewiseError:
            pass
