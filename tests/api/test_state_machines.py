"""State machine, version, alias and tag actions through boto3 (API-1..API-15, WIRE-*)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
PASS2 = json.dumps({"StartAt": "Q", "States": {"Q": {"Type": "Pass", "End": True}}})


def error_of(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def test_create_describe_list_delete(sfn: Any, name: str) -> None:
    """API-1, API-2, API-5, API-4 round trip; ARN-1 format."""
    created = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    arn = created["stateMachineArn"]
    assert arn == f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"
    assert "stateMachineVersionArn" not in created
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["name"] == name
    assert described["status"] == "ACTIVE"
    assert described["type"] == "STANDARD"
    assert described["definition"] == PASS
    assert described["roleArn"] == ROLE
    assert described["loggingConfiguration"]["level"] == "OFF"
    assert described["creationDate"] == created["creationDate"]
    listed = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    assert name in listed
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as info:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert error_of(info) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")


def test_create_is_idempotent_and_conflicts(sfn: Any, name: str) -> None:
    """API-1: an identical create returns the existing machine; a different one fails."""
    first = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    again = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE + "-other")
    assert again["creationDate"] == first["creationDate"]
    with pytest.raises(ClientError) as info:
        sfn.create_state_machine(name=name, definition=PASS2, roleArn=ROLE)
    assert error_of(info) == (
        "StateMachineAlreadyExists",
        f"State Machine Already Exists: '{first['stateMachineArn']}'",
    )


def test_invalid_definition_message(sfn: Any, name: str) -> None:
    """DEF-5: InvalidDefinition carries every problem with its code and location."""
    bad = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nope"}}})
    with pytest.raises(ClientError) as info:
        sfn.create_state_machine(name=name, definition=bad, roleArn=ROLE)
    code, message = error_of(info)
    assert code == "InvalidDefinition"
    assert message.startswith("Invalid State Machine Definition: '")
    assert "MISSING_TRANSITION_TARGET" in message and "/States/A/Next" in message


@pytest.mark.parametrize(
    "bad_name",
    [
        pytest.param("has space", id="whitespace"),
        pytest.param("a" * 81, id="too-long"),
        pytest.param("semi;colon", id="punctuation"),
        pytest.param("tab\tname", id="control"),
    ],
)
def test_invalid_names(sfn: Any, bad_name: str) -> None:
    """NAME-1: InvalidName (or the model's length check first)."""
    with pytest.raises(ClientError) as info:
        sfn.create_state_machine(name=bad_name, definition=PASS, roleArn=ROLE)
    assert error_of(info)[0] in ("InvalidName", "ValidationException")


def test_model_validation_messages(sfn: Any, name: str) -> None:
    """WIRE-3: model constraints are reported in AWS's standard wording."""
    sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    arn = f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"
    with pytest.raises(ClientError) as info:
        sfn.list_executions(stateMachineArn=arn, maxResults=1001)
    code, message = error_of(info)
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 1000"
    )


def test_validate_definition(sfn: Any) -> None:
    """API-38: HTTP 200 with OK or FAIL and located diagnostics."""
    assert sfn.validate_state_machine_definition(definition=PASS)["result"] == "OK"
    result = sfn.validate_state_machine_definition(definition="not a definition")
    assert result["result"] == "FAIL"
    assert result["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"
    result = sfn.validate_state_machine_definition(definition="{}")
    assert result["diagnostics"][0]["code"] == "SCHEMA_VALIDATION_FAILED"
    assert result["diagnostics"][0]["location"] == "/"


def test_update_changes_revision(sfn: Any, name: str) -> None:
    """API-3: an update gets a new revision; MissingRequiredParameter without changes."""
    arn = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)["stateMachineArn"]
    before = sfn.describe_state_machine(stateMachineArn=arn)["revisionId"]
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=PASS2)
    assert updated["revisionId"] != before
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == PASS2
    with pytest.raises(ClientError) as info:
        sfn.update_state_machine(stateMachineArn=arn)
    assert error_of(info)[0] == "MissingRequiredParameter"


def test_versions_and_aliases(sfn: Any, name: str) -> None:
    """API-7..API-14: versions numbered from 1, idempotent publish, alias routing."""
    created = sfn.create_state_machine(
        name=name, definition=PASS, roleArn=ROLE, publish=True, versionDescription="first"
    )
    arn = created["stateMachineArn"]
    v1 = created["stateMachineVersionArn"]
    assert v1 == arn + ":1"
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == v1
    sfn.update_state_machine(stateMachineArn=arn, definition=PASS2)
    v2 = sfn.publish_state_machine_version(stateMachineArn=arn, description="second")[
        "stateMachineVersionArn"
    ]
    assert v2 == arn + ":2"
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [v2, v1]
    described = sfn.describe_state_machine(stateMachineArn=v1)
    assert described["definition"] == PASS and described["description"] == "first"

    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]
    assert alias == arn + ":live"
    detail = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert detail["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]
    with pytest.raises(ClientError) as info:
        sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    assert error_of(info)[0] == "ConflictException"
    started = sfn.start_execution(stateMachineArn=alias)
    execution = sfn.describe_execution(executionArn=started["executionArn"])
    assert execution["stateMachineAliasArn"] == alias
    assert execution["stateMachineVersionArn"] == v1
    with pytest.raises(ClientError) as info:
        sfn.create_state_machine_alias(
            name="bad",
            routingConfiguration=[
                {"stateMachineVersionArn": v1, "weight": 50},
                {"stateMachineVersionArn": v2, "weight": 40},
            ],
        )
    assert error_of(info)[0] == "ValidationException"
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}],
    )
    sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    aliases = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in aliases] == [alias]
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    assert sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"] == []


def test_tags(sfn: Any, name: str) -> None:
    """Tags: create, tag, untag, list; unknown resources are ResourceNotFound."""
    arn = sfn.create_state_machine(
        name=name, definition=PASS, roleArn=ROLE, tags=[{"key": "team", "value": "a"}]
    )["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    tags = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
    assert tags == [{"key": "team", "value": "a"}, {"key": "env", "value": "dev"}]
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]
    with pytest.raises(ClientError) as info:
        sfn.list_tags_for_resource(resourceArn=arn + "-missing")
    assert error_of(info)[0] == "ResourceNotFound"


# A Wait long enough for the checks below, then a transition out of it.
WAIT_THEN_PASS = json.dumps(
    {
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "Seconds": 3, "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        },
    }
)


def wait_until_gone(sfn: Any, arn: str) -> None:
    """Poll DescribeStateMachine until it answers StateMachineDoesNotExist."""
    deadline = time.monotonic() + 30
    while True:
        try:
            sfn.describe_state_machine(stateMachineArn=arn)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "StateMachineDoesNotExist"
            return
        assert time.monotonic() < deadline, "the machine was never deleted"
        time.sleep(0.1)


def test_delete_waits_for_running_executions(sfn: Any, name: str) -> None:
    """API-4, AWS DeleteStateMachine: "It sets the state machine's status to DELETING ... A
    state machine is deleted only when all its executions are completed. On the next state
    transition, the state machine's executions are terminated." They end as AWS's knowledge
    centre article on machines stuck in DELETING shows: ExecutionFailed, States.Runtime,
    "State machine <name> has been deleted."."""
    arn = sfn.create_state_machine(name=name, definition=WAIT_THEN_PASS, roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    sfn.delete_state_machine(stateMachineArn=arn)  # again while DELETING: no error

    assert sfn.describe_state_machine(stateMachineArn=arn)["status"] == "DELETING"
    assert name in [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    with pytest.raises(ClientError) as info:
        sfn.start_execution(stateMachineArn=arn)
    assert error_of(info) == ("StateMachineDeleting", f"State Machine is being deleted: '{arn}'")
    with pytest.raises(ClientError) as info:
        sfn.update_state_machine(stateMachineArn=arn, definition=PASS)
    assert error_of(info)[0] == "StateMachineDeleting"
    with pytest.raises(ClientError) as info:
        sfn.list_state_machine_aliases(stateMachineArn=arn)
    assert error_of(info)[0] == "StateMachineDeleting"
    # Still in its Wait: running, and the failure to come is not shown yet.
    running = sfn.describe_execution(executionArn=execution)
    assert running["status"] == "RUNNING"
    assert "error" not in running and "cause" not in running
    listed = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
    assert [e["executionArn"] for e in listed] == [execution]

    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution never ended"
        time.sleep(0.1)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert described["cause"] == f"State machine {name} has been deleted."
    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "WaitStateEntered",
        "ExecutionFailed",
    ]
    assert events[-1]["previousEventId"] == events[-2]["id"]
    assert events[-1]["executionFailedEventDetails"] == {
        "error": "States.Runtime",
        "cause": f"State machine {name} has been deleted.",
    }

    wait_until_gone(sfn, arn)
    assert name not in [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    # The name is free again, and the old execution's history stays.
    sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    assert sfn.describe_execution(executionArn=execution)["status"] == "FAILED"


def test_delete_with_stopped_executions_completes(sfn: Any, name: str) -> None:
    """Stopping a DELETING machine's executions (AWS's remedy for one stuck in DELETING)
    lets its deletion complete."""
    long_wait = WAIT_THEN_PASS.replace('"Seconds": 3', '"Seconds": 3600')
    arn = sfn.create_state_machine(name=name, definition=long_wait, roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert sfn.describe_state_machine(stateMachineArn=arn)["status"] == "DELETING"
    for item in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
        sfn.stop_execution(executionArn=item["executionArn"])
    stopped = sfn.describe_execution(executionArn=execution)
    assert stopped["status"] == "ABORTED"
    assert "error" not in stopped
    wait_until_gone(sfn, arn)
