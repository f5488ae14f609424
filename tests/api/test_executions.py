"""Execution actions through boto3 (API-16..API-21, TYPE-2, TYPE-3, HIST-*)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE
from .test_state_machines import error_of

WAIT = json.dumps(
    {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Seconds": 3600, "Next": "P"},
            "P": {"Type": "Pass", "End": True},
        },
    }
)
QUICK = json.dumps(
    {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Parameters": {"got.$": "$.x"}, "Next": "B"},
            "B": {"Type": "Succeed"},
        },
    }
)
FAILING = json.dumps(
    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
)


def machine(sfn: Any, name: str, definition: str, type: str = "STANDARD") -> str:
    arn: str = sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE, type=type)[
        "stateMachineArn"
    ]
    return arn


def wait_done(sfn: Any, arn: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.02)


def test_start_describe_history(sfn: Any, name: str) -> None:
    """API-16/API-18/API-21: ARN-2 form, output only when SUCCEEDED, history shapes."""
    sm = machine(sfn, name, QUICK)
    started = sfn.start_execution(stateMachineArn=sm, name="run1", input='{"x": 5}')
    arn = started["executionArn"]
    assert arn == f"arn:aws:states:us-east-1:123456789012:execution:{name}:run1"
    done = wait_done(sfn, arn)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"got": 5}
    assert done["input"] == '{"x": 5}'
    assert "error" not in done and "cause" not in done
    events = sfn.get_execution_history(executionArn=arn)["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    assert events[0]["executionStartedEventDetails"]["roleArn"] == ROLE
    assert events[1]["stateEnteredEventDetails"]["name"] == "A"
    assert events[2]["stateExitedEventDetails"]["output"] == '{"got":5}'
    reverse = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert [e["id"] for e in reverse] == [6, 5, 4, 3, 2, 1]
    paged = sfn.get_execution_history(executionArn=arn, maxResults=4)
    rest = sfn.get_execution_history(executionArn=arn, maxResults=4, nextToken=paged["nextToken"])
    assert [e["id"] for e in paged["events"] + rest["events"]] == [1, 2, 3, 4, 5, 6]
    assert "nextToken" not in rest
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "input" not in bare[0]["executionStartedEventDetails"]
    for_execution = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert for_execution["definition"] == QUICK


def test_failed_execution(sfn: Any, name: str) -> None:
    """X-2: a failed execution has error and cause and no output."""
    sm = machine(sfn, name, FAILING)
    arn = sfn.start_execution(stateMachineArn=sm)["executionArn"]
    done = wait_done(sfn, arn)
    assert (done["status"], done["error"], done["cause"]) == ("FAILED", "E", "C")
    assert "output" not in done


def test_idempotent_start_and_already_exists(sfn: Any, name: str) -> None:
    """API-16: same name and input while running returns the original; otherwise an error."""
    sm = machine(sfn, name, WAIT)
    first = sfn.start_execution(stateMachineArn=sm, name="n", input='{"a": 1}')
    again = sfn.start_execution(stateMachineArn=sm, name="n", input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"]
    assert again["startDate"] == first["startDate"]
    with pytest.raises(ClientError) as info:
        sfn.start_execution(stateMachineArn=sm, name="n", input='{"a": 2}')
    assert error_of(info) == (
        "ExecutionAlreadyExists",
        f"Execution Already Exists: '{first['executionArn']}'",
    )


def test_stop_execution(sfn: Any, name: str) -> None:
    """API-19: ABORTED at once; error/cause omitted when not given; ExecutionAborted."""
    sm = machine(sfn, name, WAIT)
    arn = sfn.start_execution(stateMachineArn=sm)["executionArn"]
    stopped = sfn.stop_execution(executionArn=arn)
    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED"
    assert "error" not in described and "cause" not in described
    assert described["stopDate"] == stopped["stopDate"]
    last = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"][0]
    assert last["type"] == "ExecutionAborted"
    assert last["executionAbortedEventDetails"] == {}
    arn2 = sfn.start_execution(stateMachineArn=sm)["executionArn"]
    sfn.stop_execution(executionArn=arn2, error="Why", cause="Because")
    described = sfn.describe_execution(executionArn=arn2)
    assert (described["error"], described["cause"]) == ("Why", "Because")


def test_list_executions_filter_and_pages(sfn: Any, name: str) -> None:
    """API-20: newest first, status filter, nextToken pagination."""
    sm = machine(sfn, name, WAIT)
    arns = [sfn.start_execution(stateMachineArn=sm, name=f"e{i}")["executionArn"] for i in range(5)]
    sfn.stop_execution(executionArn=arns[0])
    seen = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"stateMachineArn": sm, "maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = sfn.list_executions(**kwargs)
        seen += [e["executionArn"] for e in page["executions"]]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(seen) == sorted(arns)
    running = sfn.list_executions(stateMachineArn=sm, statusFilter="RUNNING")["executions"]
    assert {e["executionArn"] for e in running} == set(arns[1:])
    aborted = sfn.list_executions(stateMachineArn=sm, statusFilter="ABORTED")["executions"]
    assert [e["executionArn"] for e in aborted] == [arns[0]]


def test_express_sync_and_async(sfn: Any, name: str, server: Any) -> None:
    """TYPE-3: StartSyncExecution returns the result; TYPE-2/ARN-4: no history API."""
    sm = machine(sfn, name, QUICK, type="EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=sm, input='{"x": 1}')
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"got": 1}
    assert ":express:" in result["executionArn"]
    assert result["billingDetails"]["billedMemoryUsedInMB"] == 64
    failing = machine(sfn, name + "-f", FAILING, type="EXPRESS")
    failed = sfn.start_sync_execution(stateMachineArn=failing)
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "E", "C")
    started = sfn.start_execution(stateMachineArn=sm, name="same")
    twice = sfn.start_execution(stateMachineArn=sm, name="same")
    assert started["executionArn"] != twice["executionArn"]
    with pytest.raises(ClientError) as info:
        sfn.describe_execution(executionArn=started["executionArn"])
    assert error_of(info) == (
        "InvalidArn",
        "Invalid Arn: 'Resource type not valid in this context: express'",
    )
    with pytest.raises(ClientError) as info:
        sfn.list_executions(stateMachineArn=sm)
    assert error_of(info)[0] == "StateMachineTypeNotSupported"


def test_sync_on_standard_is_rejected(sfn: Any, name: str) -> None:
    sm = machine(sfn, name, QUICK)
    with pytest.raises(ClientError) as info:
        sfn.start_sync_execution(stateMachineArn=sm)
    assert error_of(info)[0] == "StateMachineTypeNotSupported"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        pytest.param(
            lambda s: s.describe_execution(
                executionArn="arn:aws:states:us-east-1:123456789012:execution:nope:nope"
            ),
            "ExecutionDoesNotExist",
            id="describe-missing",
        ),
        pytest.param(
            lambda s: s.describe_execution(executionArn="arn:aws:states:us-east-1:1:nothing"),
            "InvalidArn",
            id="describe-bad-arn",
        ),
        pytest.param(
            lambda s: s.start_execution(
                stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:none"
            ),
            "StateMachineDoesNotExist",
            id="start-missing-machine",
        ),
        pytest.param(
            lambda s: s.stop_execution(
                executionArn="arn:aws:states:us-east-1:123456789012:execution:nope:nope"
            ),
            "ExecutionDoesNotExist",
            id="stop-missing",
        ),
    ],
)
def test_documented_errors(sfn: Any, call: Any, code: str) -> None:
    with pytest.raises(ClientError) as info:
        call(sfn)
    assert error_of(info)[0] == code


def test_invalid_input(sfn: Any, name: str) -> None:
    """IO-6: input that is not JSON is InvalidExecutionInput."""
    sm = machine(sfn, name, QUICK)
    with pytest.raises(ClientError) as info:
        sfn.start_execution(stateMachineArn=sm, input="not json")
    code, message = error_of(info)
    assert code == "InvalidExecutionInput"
    assert message.startswith("Invalid State Machine Execution Input: ")
    with pytest.raises(ClientError) as info:
        sfn.start_execution(stateMachineArn=sm, name="bad name")
    assert error_of(info)[0] == "InvalidName"
