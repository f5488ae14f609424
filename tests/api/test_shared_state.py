"""What every node of one database shares, through boto3 against real servers (issue 10):
activities and their pending tasks, the task token key, and version numbers."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import orjson

from statewise import arns
from statewise.tasktokens import KEY_FILE, TaskTokens
from tests.contract.conftest import POSTGRES_URL, fresh_schema

from .conftest import ROLE, Server
from .test_callbacks import activity_machine
from .test_executions import machine, wait_done

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def test_version_numbers_are_not_reused(sfn: Any, name: str) -> None:
    """API-7: deleting the newest version does not free its number. AWS: "If you delete
    version 10 of your state machine and then publish a new version, Step Functions
    publishes it as version 11" (concepts-state-machine-version.html)."""
    arn = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE, publish=True)[
        "stateMachineArn"
    ]
    sfn.update_state_machine(stateMachineArn=arn, definition=PASS.replace('"P"', '"Q"'))
    second = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    assert second == f"{arn}:2"
    sfn.delete_state_machine_version(stateMachineVersionArn=second)
    sfn.update_state_machine(stateMachineArn=arn, definition=PASS)
    third = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    assert third == f"{arn}:3"
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{arn}:3", f"{arn}:1"]
    # Publishing the unchanged revision again is still idempotent.
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == third


def test_upgrade_keeps_a_data_directory_activities_and_key(tmp_path: Path) -> None:
    """A data directory written before activities and the token key moved into the store:
    its activities are there after the upgrade, and tokens are signed with its old key, so
    the ones handed out before the upgrade stay valid."""
    old_key = bytes(range(32))
    (tmp_path / KEY_FILE).write_text(old_key.hex(), encoding="ascii")
    activity = arns.activity("legacy-review")
    legacy = [{"arn": activity, "name": "legacy-review", "creation_date": 5.0, "encryption": None}]
    (tmp_path / "activities.json").write_bytes(orjson.dumps(legacy))
    server = Server(tmp_path)
    try:
        sfn = server.client(read_timeout=70)
        described = sfn.describe_activity(activityArn=activity)
        assert described["name"] == "legacy-review"
        assert described["creationDate"].timestamp() == 5.0
        arn = machine(sfn, "legacy", activity_machine(activity))
        execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        task = sfn.get_activity_task(activityArn=activity, workerName="w")
        assert TaskTokens(old_key).verify(task["taskToken"]).execution_arn == execution
        sfn.send_task_success(taskToken=task["taskToken"], output='"ok"')
        assert wait_done(sfn, execution)["status"] == "SUCCEEDED"
        # Imported once: deleting the activity is not undone by the next start.
        sfn.delete_activity(activityArn=activity)
    finally:
        server.stop()
    assert not (tmp_path / "activities.json").exists()
    again = Server(tmp_path)
    try:
        listed = again.client().list_activities()["activities"]
        assert activity not in [a["activityArn"] for a in listed]
    finally:
        again.stop()


def test_two_nodes_share_activities_tasks_and_tokens(tmp_path: Path) -> None:
    """Two servers on one PostgreSQL database, each with its own data directory: an
    activity created on one is seen on the other; a task the first one's engine scheduled
    goes to a worker polling the second; the token it got is answered on the first."""
    with fresh_schema() as schema:
        store = f"{POSTGRES_URL}?search_path={schema}"
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        node_a = Server(tmp_path / "a", {"STATEWISE_STORE": store})
        node_b = Server(tmp_path / "b", {"STATEWISE_STORE": store})
        try:
            sfn_a = node_a.client()
            sfn_b = node_b.client(read_timeout=70)
            activity = sfn_a.create_activity(name="shared")["activityArn"]
            assert sfn_b.describe_activity(activityArn=activity)["name"] == "shared"
            assert sfn_b.create_activity(name="shared")["activityArn"] == activity
            got: list[dict[str, Any]] = []
            # B's worker polls first, so the task reaches it by B looking in the store.
            worker = threading.Thread(
                target=lambda: got.append(
                    sfn_b.get_activity_task(activityArn=activity, workerName="on-b")
                )
            )
            worker.start()
            arn = machine(sfn_a, "shared", activity_machine(activity))
            execution = sfn_a.start_execution(stateMachineArn=arn, input='{"n": 3}')["executionArn"]
            worker.join(timeout=30)
            assert got and json.loads(got[0]["input"]) == {"n": 3}
            sfn_a.send_task_success(taskToken=got[0]["taskToken"], output='{"ok": 3}')
            done = wait_done(sfn_a, execution, timeout=20)
            assert done["status"] == "SUCCEEDED", done
            events = sfn_b.get_execution_history(executionArn=execution)["events"]
            started = [e for e in events if e["type"] == "ActivityStarted"]
            assert [e["activityStartedEventDetails"] for e in started] == [{"workerName": "on-b"}]
            # Version numbers come from the shared count, whichever node publishes.
            sfn_a.publish_state_machine_version(stateMachineArn=arn)
            sfn_a.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")
            sfn_b.update_state_machine(stateMachineArn=arn, definition=PASS)
            published = sfn_b.publish_state_machine_version(stateMachineArn=arn)
            assert published["stateMachineVersionArn"] == f"{arn}:2"
        finally:
            node_a.stop()
            node_b.stop()
