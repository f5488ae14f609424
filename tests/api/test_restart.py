"""Durability through the API: SIGTERM, restart, and the waiting execution completes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE, Server

WAIT = json.dumps(
    {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
            "Done": {"Type": "Pass", "Result": "finished", "End": True},
        },
    }
)


def test_waiting_execution_survives_a_restart(tmp_path: Path) -> None:
    """Graceful shutdown keeps in-flight work durable; the next start resumes it."""
    first = Server(tmp_path)
    sfn = first.client()
    arn = sfn.create_state_machine(name="restart", definition=WAIT, roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, name="survivor")["executionArn"]
    first.stop()
    # uvicorn finishes its graceful shutdown, then re-raises the signal it caught.
    assert first.process.returncode in (0, -15), "SIGTERM must shut down cleanly"
    assert "Traceback" not in (tmp_path / "server.log").read_text()

    second = Server(tmp_path)
    try:
        sfn = second.client()
        deadline = time.monotonic() + 20
        while True:
            described = sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"]) == "finished"
        assert sfn.describe_state_machine(stateMachineArn=arn)["name"] == "restart"
    finally:
        second.stop()


def test_logging_configuration_is_checked(sfn: object, name: str) -> None:
    """API-1: a level other than OFF needs one log group destination."""
    with pytest.raises(ClientError) as info:
        sfn.create_state_machine(  # type: ignore[attr-defined]
            name=name,
            definition=WAIT,
            roleArn=ROLE,
            loggingConfiguration={"level": "ALL"},
        )
    assert info.value.response["Error"]["Code"] == "InvalidLoggingConfiguration"
