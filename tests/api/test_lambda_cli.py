"""The Lambda API through the AWS CLI, as the README tells users to deploy functions."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .conftest import Server
from .lambda_helpers import PYTHON, ROLE, aws, create_python, lambda_client, zipped

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


def test_every_other_action_through_the_cli(server: Server, name: str, tmp_path: Path) -> None:
    """The remaining actions and documented errors, each once through the CLI (run side by
    side: each CLI process costs a second of start-up)."""
    lam = lambda_client(server)
    arn = create_python(lam, name, HELLO, Tags={"team": "a"})["FunctionArn"]
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.create_alias(FunctionName=name, Name="old", FunctionVersion="1")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    create_python(lam, f"{name}-throttled", HELLO)
    lam.put_function_concurrency(FunctionName=f"{name}-throttled", ReservedConcurrentExecutions=0)
    package = tmp_path / "v2.zip"
    package.write_bytes(zipped({"app.py": "def handler(e, c):\n    return 'v2'\n"}))
    out = str(tmp_path / "out.json")
    commands = {
        "configuration": [
            "get-function-configuration",
            "--function-name",
            name,
            "--qualifier",
            "1",
        ],
        "versions": ["list-versions-by-function", "--function-name", name],
        "alias": ["get-alias", "--function-name", name, "--name", "live"],
        "concurrency": ["get-function-concurrency", "--function-name", name],
        "tags": ["list-tags", "--resource", arn],
        "account": ["get-account-settings"],
        "event": ["invoke", "--function-name", name, "--invocation-type", "Event", out],
        "code": [
            "update-function-code",
            "--function-name",
            name,
            "--zip-file",
            f"fileb://{package}",
        ],
        "update-alias": [
            "update-alias",
            "--function-name",
            name,
            "--name",
            "live",
            "--description",
            "d",
        ],
        "delete-alias": ["delete-alias", "--function-name", name, "--name", "old"],
        "missing": ["invoke", "--function-name", f"{name}-missing", out],
        "conflict": [
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
        ],
        "throttled": ["invoke", "--function-name", f"{name}-throttled", out],
    }
    errors = {"missing", "conflict", "throttled"}
    with ThreadPoolExecutor(4) as pool:
        futures = {
            k: pool.submit(aws, server, "lambda", *v, check=False) for k, v in commands.items()
        }
        done = {k: f.result() for k, f in futures.items()}
    failed = {k: d.stderr for k, d in done.items() if d.returncode != 0 and k not in errors}
    assert not failed
    assert all(done[k].returncode != 0 for k in errors)
    result = {k: json.loads(d.stdout) for k, d in done.items() if d.stdout.strip()}
    assert result["configuration"]["Version"] == "1"
    assert [v["Version"] for v in result["versions"]["Versions"]] == ["$LATEST", "1"]
    assert result["alias"]["FunctionVersion"] == "1"
    assert result["concurrency"] == {"ReservedConcurrentExecutions": 5}
    assert result["tags"] == {"Tags": {"team": "a"}}
    assert result["account"]["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert result["event"]["StatusCode"] == 202
    assert (
        result["code"]["CodeSha256"]
        != lam.get_function(FunctionName=f"{name}:1")["Configuration"]["CodeSha256"]
    )
    assert result["update-alias"]["Description"] == "d"
    assert "(ResourceNotFoundException)" in done["missing"].stderr
    assert "(ResourceConflictException)" in done["conflict"].stderr
    assert f"Function already exist: {name}" in done["conflict"].stderr
    assert "(TooManyRequestsException)" in done["throttled"].stderr
    assert "Rate Exceeded." in done["throttled"].stderr
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
