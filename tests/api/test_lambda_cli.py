"""The Lambda API through the AWS CLI, as the README tells users to deploy functions."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from .conftest import Server
from .lambda_helpers import PYTHON, ROLE, aws, zipped

HELLO = """
def handler(event, context):
    print("hello", event)
    return {"hi": event.get("name")}
"""


def test_deploy_and_invoke_with_the_cli(server: Server, name: str, tmp_path: Path) -> None:
    """create-function --zip-file fileb://, invoke --log-type Tail, alias, delete."""
    package = tmp_path / "function.zip"
    package.write_bytes(zipped({"app.py": HELLO}))
    created = json.loads(
        aws(
            server,
            "lambda",
            "create-function",
            "--function-name",
            name,
            "--runtime",
            PYTHON,
            "--handler",
            "app.handler",
            "--role",
            ROLE,
            "--zip-file",
            f"fileb://{package}",
            "--environment",
            "Variables={STAGE=test}",
        ).stdout
    )
    assert created["FunctionName"] == name and created["Environment"]["Variables"] == {
        "STAGE": "test"
    }
    out = tmp_path / "out.json"
    invoked = json.loads(
        aws(
            server,
            "lambda",
            "invoke",
            "--function-name",
            name,
            "--payload",
            '{"name": "Ada"}',
            "--log-type",
            "Tail",
            str(out),
        ).stdout
    )
    assert invoked["StatusCode"] == 200 and invoked["ExecutedVersion"] == "$LATEST"
    assert "hello {'name': 'Ada'}" in base64.b64decode(invoked["LogResult"]).decode()
    assert json.loads(out.read_text()) == {"hi": "Ada"}

    version = json.loads(aws(server, "lambda", "publish-version", "--function-name", name).stdout)[
        "Version"
    ]
    aws(
        server,
        "lambda",
        "create-alias",
        "--function-name",
        name,
        "--name",
        "prod",
        "--function-version",
        version,
    )
    aliased = json.loads(
        aws(server, "lambda", "invoke", "--function-name", f"{name}:prod", str(out)).stdout
    )
    assert aliased["ExecutedVersion"] == version
    aws(server, "lambda", "delete-function", "--function-name", name)
    missing = aws(server, "lambda", "get-function", "--function-name", name, check=False)
    assert missing.returncode != 0
    assert "(ResourceNotFoundException)" in missing.stderr
    assert f"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{name}" in (
        missing.stderr
    )


def test_cli_errors(server: Server, name: str, tmp_path: Path) -> None:
    """The CLI shows Lambda's error codes: conflicts, throttling, bad payloads."""
    package = tmp_path / "function.zip"
    package.write_bytes(zipped({"app.py": HELLO}))
    create = [
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        PYTHON,
        "--handler",
        "app.handler",
        "--role",
        ROLE,
        "--zip-file",
        f"fileb://{package}",
    ]
    aws(server, *create)
    again = aws(server, *create, check=False)
    assert "(ResourceConflictException)" in again.stderr
    assert f"Function already exist: {name}" in again.stderr
    aws(
        server,
        "lambda",
        "put-function-concurrency",
        "--function-name",
        name,
        "--reserved-concurrent-executions",
        "0",
    )
    throttled = aws(
        server, "lambda", "invoke", "--function-name", name, str(tmp_path / "o"), check=False
    )
    assert "(TooManyRequestsException)" in throttled.stderr and "Rate Exceeded." in (
        throttled.stderr
    )
