"""Several ``statewise serve`` nodes on one PostgreSQL schema, through boto3 (issue 10):
any node answers any call, a dead node's work is taken over, /health tells the leases."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from tests.contract.conftest import POSTGRES_URL, fresh_schema

from .conftest import Server
from .test_callbacks import activity_machine
from .test_executions import machine, wait_done

LEASE = 2.0


def nodes(tmp_path: Path, schema: str, *names: str) -> list[Server]:
    store = f"{POSTGRES_URL}?search_path={schema}"
    started = []
    for name in names:
        (tmp_path / name).mkdir(exist_ok=True)
        env = {
            "STATEWISE_STORE": store,
            "STATEWISE_NODE_ID": name,
            "STATEWISE_LEASE_SECONDS": str(LEASE),
        }
        started.append(Server(tmp_path / name, env))
    return started


def health(node: Server) -> dict[str, Any]:
    response = httpx.get(node.url + "/health", timeout=5)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_any_node_steps_any_execution(tmp_path: Path) -> None:
    """A machine created on A is started on B; its Waits are stepped by whichever node
    claims them, and every node describes the same execution and history."""
    with fresh_schema() as schema:
        a, b = nodes(tmp_path, schema, "a", "b")
        try:
            sfn_a, sfn_b = a.client(), b.client()
            definition = {
                "StartAt": "W1",
                "States": {
                    "W1": {"Type": "Wait", "Seconds": 1, "Next": "W2"},
                    "W2": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
                    "Done": {"Type": "Pass", "Result": "done", "End": True},
                },
            }
            arn = machine(sfn_a, "steps", json.dumps(definition))
            started = [
                (sfn_a if n % 2 else sfn_b).start_execution(stateMachineArn=arn, name=f"e{n}")[
                    "executionArn"
                ]
                for n in range(20)
            ]
            for execution in started:
                done = wait_done(sfn_a, execution, timeout=20)
                assert done["status"] == "SUCCEEDED", done
                assert done["output"] == '"done"'
                history_a = sfn_a.get_execution_history(executionArn=execution)["events"]
                history_b = sfn_b.get_execution_history(executionArn=execution)["events"]
                assert history_a == history_b
                assert [e["id"] for e in history_a] == list(range(1, 9))
            report = health(b)
            assert report["status"] == "ok"
            assert report["node"] == "b"
            assert report["store"]["kind"] == "postgresql"
            assert report["store"]["reachable"] is True
            assert report["leases"]["leaseSeconds"] == LEASE
        finally:
            a.stop()
            b.stop()


def test_a_killed_node_s_task_is_taken_over(tmp_path: Path) -> None:
    """A's engine schedules an activity task and holds its lease; A is SIGKILLed. /health
    on B shows A's lease lapsing; B takes the attempt over, a worker polling B gets the
    task, and the execution succeeds with one ActivityScheduled-Started-Succeeded."""
    with fresh_schema() as schema:
        (a,) = nodes(tmp_path, schema, "a")
        b: Server | None = None
        try:
            sfn_a = a.client()
            activity = sfn_a.create_activity(name="takeover")["activityArn"]
            arn = machine(sfn_a, "takeover", activity_machine(activity))
            execution = sfn_a.start_execution(stateMachineArn=arn, input='{"n": 1}')["executionArn"]
            deadline = time.monotonic() + 10
            while True:
                events = sfn_a.get_execution_history(executionArn=execution)["events"]
                if any(e["type"] == "ActivityScheduled" for e in events):
                    break
                assert time.monotonic() < deadline, events
                time.sleep(0.05)
            a.process.kill()
            a.process.wait()
            (b,) = nodes(tmp_path, schema, "b")
            sfn_b = b.client(read_timeout=70)
            seen = health(b)["leases"]["nodes"]
            assert seen.get("a", {}).get("held", 0) >= 1, seen
            task = sfn_b.get_activity_task(activityArn=activity, workerName="on-b")
            assert json.loads(task["input"]) == {"n": 1}
            sfn_b.send_task_success(taskToken=task["taskToken"], output='{"ok": true}')
            done = wait_done(sfn_b, execution, timeout=20)
            assert done["status"] == "SUCCEEDED", done
            types = [
                e["type"] for e in sfn_b.get_execution_history(executionArn=execution)["events"]
            ]
            assert types.count("ActivityScheduled") == 1
            assert types.count("ActivityStarted") == 1
            assert types.count("ActivitySucceeded") == 1
            assert "a" not in health(b)["leases"]["nodes"]
        finally:
            a.stop()
            if b is not None:
                b.stop()


def test_nested_sync_workflows_across_nodes(tmp_path: Path) -> None:
    """Parents started on both nodes wait (.sync:2) for children whose Waits either node
    steps: each parent ends with its child's output, however the work was shared."""
    with fresh_schema() as schema:
        a, b = nodes(tmp_path, schema, "a", "b")
        try:
            sfn_a, sfn_b = a.client(), b.client()
            child = machine(
                sfn_a,
                "child",
                json.dumps(
                    {
                        "StartAt": "W",
                        "States": {
                            "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                            "P": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "End": True},
                        },
                    }
                ),
            )
            parent = machine(
                sfn_b,
                "parent",
                json.dumps(
                    {
                        "StartAt": "Run",
                        "States": {
                            "Run": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                                "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}},
                                "OutputPath": "$.Output",
                                "End": True,
                            }
                        },
                    }
                ),
            )
            started = [
                (sfn_a if n % 2 else sfn_b).start_execution(
                    stateMachineArn=parent, input=json.dumps({"n": n})
                )["executionArn"]
                for n in range(10)
            ]
            for n, execution in enumerate(started):
                done = wait_done(sfn_b, execution, timeout=30)
                assert done["status"] == "SUCCEEDED", done
                assert json.loads(done["output"]) == {"n": n}
        finally:
            a.stop()
            b.stop()
