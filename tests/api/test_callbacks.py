"""Activities and task tokens through boto3 (API-26..API-36, INT-9, DEF-6, TYPE-4)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE, Server
from .test_executions import machine, wait_done
from .test_state_machines import error_of


def activity_machine(activity_arn: str, **fields: Any) -> str:
    return json.dumps(
        {
            "StartAt": "Review",
            "States": {"Review": {"Type": "Task", "Resource": activity_arn, "End": True, **fields}},
        }
    )


def test_activity_lifecycle(sfn: Any, name: str) -> None:
    """API-26..API-29: create (idempotent by name), describe, list, delete."""
    created = sfn.create_activity(name=name)
    arn = created["activityArn"]
    assert arn == f"arn:aws:states:us-east-1:123456789012:activity:{name}"
    again = sfn.create_activity(name=name, tags=[{"key": "ignored", "value": "x"}])
    assert again["activityArn"] == arn and again["creationDate"] == created["creationDate"]
    described = sfn.describe_activity(activityArn=arn)
    assert described["name"] == name
    assert described["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}
    listed = sfn.list_activities()["activities"]
    assert any(a["activityArn"] == arn for a in listed)
    sfn.delete_activity(activityArn=arn)
    with pytest.raises(ClientError) as info:
        sfn.describe_activity(activityArn=arn)
    assert error_of(info) == ("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
    sfn.delete_activity(activityArn=arn)  # deleting again is not an error


def test_activity_errors_and_paging(sfn: Any, name: str) -> None:
    """API-27/API-28: InvalidArn for a non-activity ARN; API-29 pages with nextToken."""
    with pytest.raises(ClientError) as info:
        sfn.describe_activity(activityArn="arn:aws:states:us-east-1:123456789012:stateMachine:x")
    assert error_of(info)[0] == "InvalidArn"
    with pytest.raises(ClientError) as info:
        sfn.create_activity(name="bad name")
    assert error_of(info)[0] == "InvalidName"
    for index in range(3):
        sfn.create_activity(name=f"{name}-{index}")
    seen: list[str] = []
    token = None
    while True:
        page = sfn.list_activities(maxResults=2, **({"nextToken": token} if token else {}))
        seen.extend(a["name"] for a in page["activities"])
        token = page.get("nextToken")
        if not token:
            break
    assert [n for n in seen if n.startswith(name)] == [f"{name}-{i}" for i in range(3)]


def test_activity_tags(sfn: Any, name: str) -> None:
    """API-34..API-36: activities are taggable."""
    arn = sfn.create_activity(name=name, tags=[{"key": "team", "value": "a"}])["activityArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    tags = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
    assert {t["key"]: t["value"] for t in tags} == {"team": "a", "env": "dev"}
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]


def test_boto3_activity_worker(server: Server, name: str) -> None:
    """INT-9: a boto3 worker long-polls, heartbeats and answers; HIST-6 activity events."""
    sfn = server.client(read_timeout=70)
    activity = sfn.create_activity(name=name)["activityArn"]
    arn = machine(sfn, name, activity_machine(activity, HeartbeatSeconds=30))
    answers: list[dict[str, Any]] = []

    def worker() -> None:
        task = sfn.get_activity_task(activityArn=activity, workerName="clerk-1")
        answers.append(task)
        sfn.send_task_heartbeat(taskToken=task["taskToken"])
        got = json.loads(task["input"])
        sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"ok": got["n"]}))

    thread = threading.Thread(target=worker)
    thread.start()
    execution = sfn.start_execution(stateMachineArn=arn, input='{"n": 4}')["executionArn"]
    thread.join(timeout=30)
    done = wait_done(sfn, execution)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"ok": 4}
    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events][1:6] == [
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
        "TaskStateExited",
    ]
    assert events[3]["activityStartedEventDetails"] == {"workerName": "clerk-1"}
    assert events[2]["activityScheduledEventDetails"]["heartbeatInSeconds"] == 30


def test_get_activity_task_of_missing_activity(sfn: Any) -> None:
    """API-30: ActivityDoesNotExist."""
    with pytest.raises(ClientError) as info:
        sfn.get_activity_task(activityArn="arn:aws:states:us-east-1:123456789012:activity:none")
    assert error_of(info)[0] == "ActivityDoesNotExist"


def test_send_task_errors(sfn: Any) -> None:
    """API-31..API-33: InvalidToken for a token this server did not issue; InvalidOutput
    for output that is not JSON."""
    for call in (
        lambda: sfn.send_task_success(taskToken="bogus", output="{}"),
        lambda: sfn.send_task_failure(taskToken="bogus"),
        lambda: sfn.send_task_heartbeat(taskToken="bogus"),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert error_of(info) == ("InvalidToken", "Invalid Token: 'Invalid token'")
    with pytest.raises(ClientError) as info:
        sfn.send_task_success(taskToken="bogus", output="{not json")
    assert error_of(info)[0] == "InvalidOutput"


@pytest.mark.parametrize(
    ("resource", "what"),
    [
        pytest.param(
            "arn:aws:states:::states:startExecution.sync", "'.sync' service integration", id="sync"
        ),
        pytest.param(
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "'.waitForTaskToken' service integration",
            id="callback",
        ),
        pytest.param(
            "arn:aws:states:us-east-1:123456789012:activity:a", "Activity ARN", id="activity"
        ),
    ],
)
def test_express_rejects_waiting_patterns(sfn: Any, name: str, resource: str, what: str) -> None:
    """DEF-6/TYPE-4: Express machines allow only Request Response."""
    definition = json.dumps(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True}}}
    )
    with pytest.raises(ClientError) as info:
        sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE, type="EXPRESS")
    code, message = error_of(info)
    assert code == "InvalidDefinition"
    assert f"Express state machine does not support {what} at /States/T/Resource" in message


def test_aws_sdk_sfn_calls_come_back_here(sfn: Any, name: str) -> None:
    """INT-10: aws-sdk:sfn takes PascalCase although Step Functions' wire is camelCase, and
    its response comes back PascalCase; without STEP_FUNCTIONS_ENDPOINT it calls this server."""
    target = machine(
        sfn,
        name + "-t",
        json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )
    definition = json.dumps(
        {
            "StartAt": "D",
            "States": {
                "D": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:sfn:describeStateMachine",
                    "Parameters": {"StateMachineArn": target},
                    "ResultSelector": {"name.$": "$.Name", "type.$": "$.Type"},
                    "End": True,
                }
            },
        }
    )
    arn = machine(sfn, name, definition)
    done = wait_done(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert done["status"] == "SUCCEEDED", (done.get("error"), done.get("cause"))
    assert json.loads(done["output"]) == {"name": name + "-t", "type": "STANDARD"}


def test_task_token_survives_a_restart(tmp_path: Path) -> None:
    """Tokens are durable: a worker's answer after the server restarted still lands."""
    first = Server(tmp_path, {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"})
    sfn = first.client(read_timeout=70)
    activity = sfn.create_activity(name="durable")["activityArn"]
    arn = machine(sfn, "durable", activity_machine(activity))
    execution = sfn.start_execution(stateMachineArn=arn, input='{"k": 1}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    assert json.loads(task["input"]) == {"k": 1}
    first.stop()
    second = Server(tmp_path)
    try:
        sfn = second.client()
        sfn.send_task_success(taskToken=task["taskToken"], output='"after restart"')
        done = wait_done(sfn, execution)
        assert done["status"] == "SUCCEEDED"
        assert json.loads(done["output"]) == "after restart"
        assert sfn.describe_activity(activityArn=activity)["name"] == "durable"
    finally:
        second.stop()


def test_pending_activity_task_survives_a_restart(tmp_path: Path) -> None:
    """An activity task nobody took before a restart is offered again after it."""
    first = Server(tmp_path)
    sfn = first.client()
    activity = sfn.create_activity(name="pending")["activityArn"]
    arn = machine(sfn, "pending", activity_machine(activity))
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    time.sleep(0.3)
    first.stop()
    second = Server(tmp_path)
    try:
        sfn = second.client(read_timeout=70)
        task = sfn.get_activity_task(activityArn=activity)
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
        assert wait_done(sfn, execution)["status"] == "SUCCEEDED"
    finally:
        second.stop()
