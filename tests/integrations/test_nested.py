"""Nested workflows: states:startExecution in its three patterns (INT-1, INT-2, INT-8)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from statewise.engine.ports import TaskRequest
from statewise.integrations.nested import child_name
from statewise.services import Services
from statewise.store.base import ExecutionStatus

from .conftest import MakeServices, create, execute, finish, history, start, task, until

START = "arn:aws:states:::states:startExecution"
CHILD = {
    "StartAt": "Echo",
    "States": {"Echo": {"Type": "Pass", "Parameters": {"got.$": "$.value"}, "End": True}},
}
FAILING_CHILD = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad", "Cause": "no"}}}
WAITING_CHILD = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}


@pytest.fixture
async def services(make_services: MakeServices) -> Services:
    return await make_services()


def parent(resource: str, child: str, **extra: Any) -> dict[str, Any]:
    return task(
        resource,
        Parameters={
            "StateMachineArn": child,
            "Input": {
                "value.$": "$.value",
                "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
            },
            **extra,
        },
    )


async def test_request_response(services: Services) -> None:
    """INT-8: request-response returns {ExecutionArn, StartDate, SdkHttpMetadata,
    SdkResponseMetadata} at once; the child runs on its own."""
    child = await create(services, CHILD)
    done = await execute(services, parent(START, child), {"value": 1})
    assert done.status == "SUCCEEDED", done.execution.cause
    assert set(done.output) == {
        "ExecutionArn",
        "StartDate",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
    }
    assert isinstance(done.output["StartDate"], int)
    finished = await finish(services, done.output["ExecutionArn"])
    assert finished.output == {"got": 1}


async def test_sync_returns_json_strings(services: Services) -> None:
    """INT-8 (!): .sync gives the child's Input and Output as JSON text; INT-2 history
    has TaskSubmitted between TaskStarted and TaskSucceeded."""
    child = await create(services, CHILD)
    done = await execute(services, parent(START + ".sync", child), {"value": 2})
    assert done.status == "SUCCEEDED", done.execution.cause
    result = done.output
    assert result["Status"] == "SUCCEEDED"
    assert json.loads(result["Output"]) == {"got": 2}
    child_input = json.loads(result["Input"])
    assert child_input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == done.execution.arn
    assert result["OutputDetails"] == {"Included": True}
    assert {"ExecutionArn", "StartDate", "StopDate", "StateMachineArn", "Name"} <= set(result)
    assert done.types()[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted = orjson.loads(done.details("TaskSubmitted")["output"])
    assert submitted["ExecutionArn"] == result["ExecutionArn"]


async def test_sync2_returns_parsed_json(services: Services) -> None:
    """INT-8: .sync:2 gives Input and Output parsed."""
    child = await create(services, CHILD)
    done = await execute(services, parent(START + ".sync:2", child), {"value": 3})
    assert done.output["Output"] == {"got": 3}
    assert done.output["Input"]["value"] == 3
    assert done.details("TaskScheduled")["resource"] == "startExecution.sync:2"


async def test_failed_child_fails_the_task(services: Services) -> None:
    """INT-8: a failed child fails the parent's task with States.TaskFailed, the cause
    being the child's description with its Error and Cause."""
    child = await create(services, FAILING_CHILD)
    done = await execute(services, parent(START + ".sync", child), {"value": 0})
    assert done.status == "FAILED"
    assert done.execution.error == "States.TaskFailed"
    cause = orjson.loads(done.execution.cause or "{}")
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "Bad", "no")


async def test_missing_machine(services: Services) -> None:
    """ERR-19: StepFunctions.StateMachineDoesNotExistException in the SDK v1 format."""
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:absent"
    done = await execute(services, parent(START, missing), {"value": 0})
    assert done.execution.error == "StepFunctions.StateMachineDoesNotExistException"
    assert (
        "(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist;"
        in (done.execution.cause or "")
    )


async def test_stopping_the_parent_stops_the_child(services: Services) -> None:
    """INT-2: stopping a parent makes a best-effort StopExecution of its .sync child."""
    child = await create(services, WAITING_CHILD)
    arn = await start(services, parent(START + ".sync", child), {"value": 0})
    children: list[str] = []

    async def submitted() -> bool:
        for event in await history(services, arn):
            if event.type == "TaskSubmitted":
                children.append(
                    orjson.loads(orjson.loads(event.details or "{}")["output"])["ExecutionArn"]
                )
                return True
        return False

    await until(submitted)
    await services.executions.stop(arn, error=None, cause=None)

    async def child_stopped() -> bool:
        record = await services.store.get_execution(children[0])
        return record is not None and record.status is ExecutionStatus.ABORTED

    await until(child_stopped)


async def test_wait_for_task_token_child(services: Services) -> None:
    """INT-8 with .waitForTaskToken: the child gets the token and answers for the parent."""
    child_definition = {
        "StartAt": "Reply",
        "States": {
            "Reply": {
                "Type": "Pass",
                "Parameters": {"token.$": "$.token"},
                "End": True,
            }
        },
    }
    child = await create(services, child_definition)
    definition = task(
        START + ".waitForTaskToken",
        Parameters={"StateMachineArn": child, "Input": {"token.$": "$$.Task.Token"}},
    )
    arn = await start(services, definition)

    async def submitted() -> bool:
        return any(e.type == "TaskSubmitted" for e in await history(services, arn))

    await until(submitted)
    events = await history(services, arn)
    child_arn = orjson.loads(
        orjson.loads(next(e for e in events if e.type == "TaskSubmitted").details or "{}")["output"]
    )["ExecutionArn"]
    token = (await finish(services, child_arn)).output["token"]
    await services.engine.send_task_success(token, '{"from": "child"}')
    done = await finish(services, arn)
    assert done.output == {"from": "child"}


def test_child_names_are_fixed_by_the_attempt() -> None:
    """A redispatched attempt derives the same child name; another attempt a new one."""

    def request(attempt: int, payload: Any) -> TaskRequest:
        return TaskRequest(
            execution_arn="arn:aws:states:us-east-1:123456789012:execution:p:e",
            state_name="T",
            resource=START + ".sync",
            payload=payload,
            timeout_seconds=60,
            frame_id=0,
            attempt=attempt,
        )

    first = child_name(request(1, {"StateMachineArn": "x"}))
    assert first == child_name(request(1, {"StateMachineArn": "x"}))
    assert first != child_name(request(2, {"StateMachineArn": "x"}))
    assert child_name(request(1, {"StateMachineArn": "x", "Name": "given"})) == "given"
