"""The AWS CLI against statewise, as a user runs it (subprocess, real CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import ROLE, Server

DEFINITION = json.dumps(
    {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": "hi", "End": True}}}
)


def aws(server: Server, *args: str) -> Any:
    aws_cli = Path(sys.executable).parent / "aws"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    completed = subprocess.run(
        [str(aws_cli), "stepfunctions", "--endpoint-url", server.url, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return completed


def test_cli_round_trip(server: Server, name: str) -> None:
    created = aws(
        server,
        "create-state-machine",
        "--name",
        name,
        "--definition",
        DEFINITION,
        "--role-arn",
        ROLE,
    )
    assert created.returncode == 0, created.stderr
    arn = json.loads(created.stdout)["stateMachineArn"]
    described = json.loads(aws(server, "describe-state-machine", "--state-machine-arn", arn).stdout)
    assert described["name"] == name
    started = aws(server, "start-execution", "--state-machine-arn", arn, "--input", '{"a":1}')
    assert started.returncode == 0, started.stderr
    execution = json.loads(started.stdout)["executionArn"]
    listed = json.loads(aws(server, "list-executions", "--state-machine-arn", arn).stdout)
    assert execution in [e["executionArn"] for e in listed["executions"]]
    history = aws(server, "get-execution-history", "--execution-arn", execution)
    assert history.returncode == 0, history.stderr
    assert json.loads(history.stdout)["events"][0]["type"] == "ExecutionStarted"
    validated = aws(server, "validate-state-machine-definition", "--definition", DEFINITION)
    assert json.loads(validated.stdout)["result"] == "OK"
    deleted = aws(server, "delete-state-machine", "--state-machine-arn", arn)
    assert deleted.returncode == 0, deleted.stderr


def test_cli_reports_aws_errors(server: Server) -> None:
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:does-not-exist"
    result = aws(server, "describe-state-machine", "--state-machine-arn", missing)
    assert result.returncode != 0
    assert "StateMachineDoesNotExist" in result.stderr
    assert f"State Machine Does Not Exist: '{missing}'" in result.stderr
