"""Step Functions Task states calling deployed functions (INT-4, INT-5, ERR-19, ERR-20, INT-6)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROLE, Server
from .lambda_helpers import create_python, lambda_client, wait_execution

FUNCTIONS = """
import os, time

def handler(event, context):
    action = event.get("action")
    if action == "flaky":
        counter = os.environ["COUNTER"]
        attempts = int(open(counter).read()) + 1 if os.path.exists(counter) else 1
        open(counter, "w").write(str(attempts))
        if attempts < 2:
            raise ValueError(f"attempt {attempts} failed")
        return {"attempts": attempts}
    if action == "custom":
        class CustomError(Exception):
            pass
        raise CustomError("always")
    if action == "sleep":
        time.sleep(5)
    return {"doubled": event.get("n", 0) * 2, "version": context.function_version}
"""


def _arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


def _run(sfn: Any, name: str, definition: dict[str, Any], execution_input: Any) -> dict[str, Any]:
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    started = sfn.start_execution(stateMachineArn=machine, input=json.dumps(execution_input))
    return wait_execution(sfn, started["executionArn"])


@pytest.fixture
def function(server: Server, name: str, tmp_path: Path) -> str:
    create_python(
        lambda_client(server),
        f"fn-{name}",
        FUNCTIONS,
        Timeout=1,
        Environment={"Variables": {"COUNTER": str(tmp_path / "counter")}},
    )
    return f"fn-{name}"


def test_lambda_invoke_and_legacy_arn(sfn: Any, name: str, function: str) -> None:
    """INT-4's result object and INT-5's plain output, in one workflow."""
    definition = {
        "StartAt": "Optimized",
        "States": {
            "Optimized": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function, "Payload": {"n.$": "$.n"}},
                "ResultPath": "$.optimized",
                "Next": "Legacy",
            },
            "Legacy": {
                "Type": "Task",
                "Resource": _arn(function),
                "InputPath": "$.optimized.Payload",
                "Parameters": {"n.$": "$.doubled"},
                "ResultPath": "$.legacy",
                "End": True,
            },
        },
    }
    done = _run(sfn, name, definition, {"n": 3})
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    optimized = output["optimized"]
    assert optimized["Payload"] == {"doubled": 6, "version": "$LATEST"}
    assert optimized["StatusCode"] == 200 and optimized["ExecutedVersion"] == "$LATEST"
    assert optimized["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert optimized["SdkResponseMetadata"]["RequestId"]
    assert output["legacy"] == {"doubled": 12, "version": "$LATEST"}
    events = sfn.get_execution_history(executionArn=done["executionArn"])["events"]
    types = [e["type"] for e in events]
    assert "TaskSucceeded" in types and "LambdaFunctionSucceeded" in types
    scheduled = next(e for e in events if e["type"] == "TaskScheduled")
    assert scheduled["taskScheduledEventDetails"]["resourceType"] == "lambda"
    assert scheduled["taskScheduledEventDetails"]["resource"] == "invoke"


def test_retry_then_catch_function_errors(sfn: Any, name: str, function: str) -> None:
    """Retry on the function's errorType, then Catch another; the cause is the payload."""
    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": _arn(function),
                "Parameters": {"action": "flaky"},
                "Retry": [{"ErrorEquals": ["ValueError"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "ResultPath": "$.flaky",
                "Next": "Always",
            },
            "Always": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function, "Payload": {"action": "custom"}},
                "Catch": [{"ErrorEquals": ["CustomError"], "ResultPath": "$.caught", "Next": "Ok"}],
                "End": True,
            },
            "Ok": {"Type": "Pass", "End": True},
        },
    }
    done = _run(sfn, name, definition, {})
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["flaky"] == {"attempts": 2}
    assert output["caught"]["Error"] == "CustomError"
    cause = json.loads(output["caught"]["Cause"])
    assert cause["errorType"] == "CustomError" and cause["errorMessage"] == "always"
    assert set(cause) == {"errorMessage", "errorType", "requestId", "stackTrace"}


def test_service_errors_and_timeouts(sfn: Any, name: str, function: str) -> None:
    """ERR-19: Lambda.ResourceNotFoundException with the SDK's cause; Lambda.Unknown for a
    function timeout (bp-lambda-serviceexception)."""
    definition = {
        "StartAt": "Missing",
        "States": {
            "Missing": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": f"{function}-missing"},
                "Catch": [
                    {
                        "ErrorEquals": ["Lambda.ResourceNotFoundException"],
                        "ResultPath": "$.missing",
                        "Next": "Slow",
                    }
                ],
                "End": True,
            },
            "Slow": {
                "Type": "Task",
                "Resource": _arn(function),
                "Parameters": {"action": "sleep"},
                "Catch": [
                    {"ErrorEquals": ["Lambda.Unknown"], "ResultPath": "$.slow", "Next": "Ok"}
                ],
                "End": True,
            },
            "Ok": {"Type": "Pass", "End": True},
        },
    }
    done = _run(sfn, name, definition, {})
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["missing"]["Error"] == "Lambda.ResourceNotFoundException"
    assert re.fullmatch(
        rf"Function not found: {re.escape(_arn(function + '-missing'))} \(Service: AWSLambda; "
        r"Status Code: 404; Error Code: ResourceNotFoundException; Request ID: [0-9a-f-]{36}; "
        r"Proxy: null\)",
        output["missing"]["Cause"],
    )
    assert output["slow"]["Error"] == "Lambda.Unknown"
    assert "Task timed out after 1.00 seconds" in output["slow"]["Cause"]


def test_remote_lambda_endpoint(server: Server, name: str, function: str, tmp_path: Path) -> None:
    """LAMBDA_ENDPOINT sends Task states to another Lambda API (Step Functions Local's)."""
    other = Server(tmp_path, {"LAMBDA_ENDPOINT": server.url})
    try:
        definition = {
            "StartAt": "Remote",
            "States": {
                "Remote": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": function, "Payload": {"n": 21}},
                    "OutputPath": "$.Payload",
                    "Next": "Missing",
                },
                "Missing": {
                    "Type": "Task",
                    "Resource": _arn(f"{function}-missing"),
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "Ok"}],
                    "End": True,
                },
                "Ok": {"Type": "Pass", "End": True},
            },
        }
        done = _run(other.client(), name, definition, {})
        assert done["status"] == "SUCCEEDED", done
        output = json.loads(done["output"])
        assert output["doubled"] == 42
        assert output["e"]["Error"] == "Lambda.ResourceNotFoundException"
        assert "(Service: AWSLambda; Status Code: 404;" in output["e"]["Cause"]
    finally:
        other.stop()
