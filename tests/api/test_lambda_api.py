"""The Lambda API through boto3 against a real server: every action and its errors."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import Server
from .lambda_helpers import PYTHON, ROLE, create_python, invoke_json, lambda_client, zipped

ECHO = """
import os

def handler(event, context):
    print("event", event)
    if event.get("fail"):
        raise ValueError("it failed")
    return {"event": event, "version": context.function_version,
            "arn": context.invoked_function_arn, "tag": os.environ.get("TAG")}
"""


@pytest.fixture
def lam(server: Server) -> Any:
    return lambda_client(server)


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_create_get_list_delete(lam: Any, name: str) -> None:
    """CreateFunction (201) answers FunctionConfiguration; Get, List and Delete agree."""
    created = create_python(lam, name, ECHO, Description="echo", Timeout=5, MemorySize=256)
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["FunctionArn"] == arn and created["Version"] == "$LATEST"
    assert created["Runtime"] == PYTHON and created["Handler"] == "app.handler"
    assert created["Timeout"] == 5 and created["MemorySize"] == 256
    assert created["State"] == "Active" and created["PackageType"] == "Zip"
    assert created["Architectures"] == ["x86_64"] and created["Role"] == ROLE
    assert created["CodeSize"] > 0 and len(created["CodeSha256"]) == 44
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["RevisionId"] == created["RevisionId"]
    assert got["Code"]["RepositoryType"] == "S3"
    package = httpx.get(got["Code"]["Location"]).content
    assert base64.b64encode(hashlib.sha256(package).digest()).decode() == created["CodeSha256"]
    # The link is signed, like the presigned URL Lambda gives: not a way in without it.
    unsigned = got["Code"]["Location"].split("?")[0]
    assert httpx.get(unsigned).status_code == 403
    assert httpx.get(unsigned + "?Expires=99999999999&Signature=00").status_code == 403
    assert lam.get_function_configuration(FunctionName=arn)["FunctionName"] == name
    names = [f["FunctionName"] for f in lam.list_functions(MaxItems=10000)["Functions"]]
    assert name in names
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as caught:
        lam.get_function(FunctionName=name)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        f"Function not found: {arn}",
        404,
    )


def test_list_functions_pages(lam: Any, name: str) -> None:
    for index in range(3):
        create_python(lam, f"{name}-{index}", ECHO)
    seen: list[str] = []
    marker: dict[str, str] = {}
    while True:
        page = lam.list_functions(MaxItems=2, **marker)
        assert len(page["Functions"]) <= 2
        seen.extend(f["FunctionName"] for f in page["Functions"])
        if "NextMarker" not in page:
            break
        marker = {"Marker": page["NextMarker"]}
    assert {f"{name}-{i}" for i in range(3)} <= set(seen)
    assert len(seen) == len(set(seen))


def test_invoke_request_response(lam: Any, name: str) -> None:
    """Invoke: 200, X-Amz-Executed-Version, LogType Tail returns the last 4 KB base64."""
    create_python(lam, name, ECHO, Environment={"Variables": {"TAG": "blue"}})
    response = lam.invoke(FunctionName=name, Payload=b'{"x": 1}', LogType="Tail")
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    body = json.loads(response["Payload"].read())
    assert body == {
        "event": {"x": 1},
        "version": "$LATEST",
        "arn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        "tag": "blue",
    }
    log = base64.b64decode(response["LogResult"]).decode()
    assert "event {'x': 1}" in log and log.startswith("START RequestId: ")
    assert "REPORT RequestId: " in log


def test_invoke_function_error(lam: Any, name: str) -> None:
    """X-Amz-Function-Error: Unhandled with the error object as payload, status 200."""
    create_python(lam, name, ECHO)
    response = lam.invoke(FunctionName=name, Payload=b'{"fail": true}')
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "it failed"
    assert error["stackTrace"] and error["requestId"]


def test_invoke_types(lam: Any, name: str) -> None:
    """InvocationType Event answers 202, DryRun 204."""
    create_python(lam, name, ECHO)
    event = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    assert event["StatusCode"] == 202 and event["Payload"].read() == b""
    dry = lam.invoke(FunctionName=name, InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    legacy = lam.invoke_async(FunctionName=name, InvokeArgs=b"{}")
    assert legacy["Status"] == 202


def test_versions_aliases_and_qualifiers(lam: Any, name: str) -> None:
    """PublishVersion, aliases, and qualifiers in Invoke (name:alias, Qualifier, ARN)."""
    create_python(lam, name, ECHO, Environment={"Variables": {"TAG": "one"}})
    version = lam.publish_version(FunctionName=name, Description="first")
    assert version["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert version["Version"] == "1" and version["FunctionArn"].endswith(f"{name}:1")
    assert version["Description"] == "first"
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"TAG": "2"}})
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "1", "2"]
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert alias["AliasArn"].endswith(f"function:{name}:live")
    assert invoke_json(lam, f"{name}:live")["tag"] == "one"
    by_qualifier = lam.invoke(FunctionName=name, Qualifier="2", Payload=b"{}")
    assert by_qualifier["ExecutedVersion"] == "2"
    assert json.loads(by_qualifier["Payload"].read())["tag"] == "2"
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}:live"
    assert invoke_json(lam, arn)["arn"] == arn
    updated = lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert updated["FunctionVersion"] == "2" and updated["RevisionId"] != alias["RevisionId"]
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "2"
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    assert lam.get_function_configuration(FunctionName=name, Qualifier="live")["Version"] == "2"
    with pytest.raises(ClientError) as caught:
        lam.delete_function(FunctionName=name, Qualifier="2")
    assert error_of(caught)[0] == "ResourceConflictException"
    lam.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(ClientError) as caught:
        lam.get_alias(FunctionName=name, Name="live")
    assert error_of(caught) == (
        "ResourceNotFoundException",
        f"Cannot find alias arn: arn:aws:lambda:us-east-1:123456789012:function:{name}:live",
        404,
    )
    lam.delete_function(FunctionName=name, Qualifier="1")
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Qualifier="1")
    assert error_of(caught)[0] == "ResourceNotFoundException"


def test_update_code_and_configuration(lam: Any, name: str) -> None:
    created = create_python(lam, name, ECHO)
    new_code = zipped({"app.py": "def handler(e, c):\n    return 'new'\n"})
    updated = lam.update_function_code(FunctionName=name, ZipFile=new_code)
    assert updated["CodeSha256"] != created["CodeSha256"]
    assert invoke_json(lam, name) == "new"
    with pytest.raises(ClientError) as caught:
        lam.update_function_code(
            FunctionName=name, ZipFile=new_code, RevisionId=created["RevisionId"]
        )
    assert error_of(caught)[0] == "PreconditionFailedException"
    changed = lam.update_function_configuration(FunctionName=name, Timeout=9, Handler="app.h2")
    assert changed["Timeout"] == 9 and changed["Handler"] == "app.h2"
    published = lam.update_function_code(FunctionName=name, ZipFile=new_code, Publish=True)
    assert published["Version"] == "1"


def test_concurrency_and_throttling(lam: Any, name: str) -> None:
    """PutFunctionConcurrency 0 throttles every invocation: TooManyRequestsException, 429."""
    create_python(lam, name, ECHO)
    put = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert put["ReservedConcurrentExecutions"] == 0
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 0
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name)
    code, message, status = error_of(caught)
    assert (code, message, status) == ("TooManyRequestsException", "Rate Exceeded.", 429)
    assert caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert invoke_json(lam, name)["event"] == {}
    with pytest.raises(ClientError) as caught:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=950)
    assert error_of(caught)[0] == "InvalidParameterValueException"


def test_tags_and_account_settings(lam: Any, name: str) -> None:
    arn = create_python(lam, name, ECHO, Tags={"team": "a"})["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"env": "test"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "a", "env": "test"}
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.get_function(FunctionName=name)["Tags"] == {"env": "test"}
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] >= 1


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        pytest.param(
            {"Environment": {"Variables": {"AWS_REGION": "eu-west-1"}}},
            "InvalidParameterValueException",
            "Reserved keys used in this request: AWS_REGION",
            id="reserved-variable",
        ),
        pytest.param(
            {"Code": {"ZipFile": b"not a zip"}},
            "InvalidParameterValueException",
            "Could not unzip uploaded file. Please check your file, then try to upload again.",
            id="bad-zip",
        ),
        pytest.param(
            {"Code": {"S3Bucket": "bucket", "S3Key": "key"}},
            "InvalidParameterValueException",
            "cannot read code from Amazon S3",
            id="s3-code",
        ),
        pytest.param(
            {"Runtime": "nodejs20.x"},
            "InvalidParameterValueException",
            "The runtime parameter of nodejs20.x is not supported",
            id="runtime",
        ),
        pytest.param(
            {"Timeout": 6000},
            "ValidationException",
            "1 validation error detected: Value '6000' at 'timeout' failed to satisfy "
            "constraint: Member must have value less than or equal to 5400",
            id="model-range",
        ),
        pytest.param(
            {"FunctionName": "bad name!"},
            "ValidationException",
            "Value 'bad name!' at 'functionName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern",
            id="model-pattern",
        ),
    ],
)
def test_create_errors(lam: Any, name: str, extra: dict[str, Any], code: str, message: str) -> None:
    """CreateFunction's documented errors, with Lambda's codes and messages (400)."""
    request = {
        "FunctionName": name,
        "Runtime": PYTHON,
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": zipped({"app.py": ECHO})},
        **extra,
    }
    with pytest.raises(ClientError) as caught:
        lam.create_function(**request)
    got_code, got_message, status = error_of(caught)
    assert (got_code, status) == (code, 400)
    assert message in got_message
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=name)


def test_create_conflict(lam: Any, name: str) -> None:
    create_python(lam, name, ECHO)
    with pytest.raises(ClientError) as caught:
        create_python(lam, name, ECHO)
    assert error_of(caught) == ("ResourceConflictException", f"Function already exist: {name}", 409)


def test_invoke_errors(lam: Any, name: str) -> None:
    """Invoke: InvalidRequestContentException (400) and RequestTooLargeException (413)."""
    create_python(lam, name, ECHO)
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Payload=b"{not json")
    code, message, status = error_of(caught)
    assert (code, status) == ("InvalidRequestContentException", 400)
    assert message.startswith("Could not parse request body into json")
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Payload=b'"' + b"x" * 6_291_456 + b'"')
    assert error_of(caught) == (
        "RequestTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
        413,
    )
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=f"{name}-missing")
    assert error_of(caught)[0::2] == ("ResourceNotFoundException", 404)


def test_error_wire_format(server: Server) -> None:
    """Lambda errors: x-amzn-ErrorType header, body {"Type": "User", "Message": ...}."""
    response = httpx.get(f"{server.url}/2015-03-31/functions/nope")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert response.json() == {
        "Type": "User",
        "Message": "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope",
    }
    response = httpx.post(f"{server.url}/2015-03-31/functions", content=b"[1]")
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
    assert response.json()["Type"] == "User" and "message" in response.json()


def test_functions_survive_a_restart(tmp_path: Any) -> None:
    """Code and configuration live in the data directory: a restarted server still has them."""
    first = Server(tmp_path)
    try:
        lam = lambda_client(first)
        create_python(lam, "kept", ECHO, Environment={"Variables": {"TAG": "kept"}})
        lam.publish_version(FunctionName="kept")
        lam.create_alias(FunctionName="kept", Name="live", FunctionVersion="1")
    finally:
        first.stop()
    second = Server(tmp_path)
    try:
        lam = lambda_client(second)
        assert invoke_json(lam, "kept:live")["tag"] == "kept"
        assert lam.get_alias(FunctionName="kept", Name="live")["FunctionVersion"] == "1"
    finally:
        second.stop()


def test_signed_requests_when_keys_are_set(tmp_path: Any) -> None:
    """With access keys configured, Lambda calls need a valid SigV4 signature too."""
    signed = Server(tmp_path, {"STATEWISE_ACCESS_KEYS": "AKIDLAMBDA:s3cret"})
    try:

        def client(secret: str) -> Any:
            return boto3.client(
                "lambda",
                endpoint_url=signed.url,
                region_name="us-east-1",
                aws_access_key_id="AKIDLAMBDA",
                aws_secret_access_key=secret,
                config=Config(retries={"max_attempts": 1}),
            )

        good = client("s3cret")
        arn = create_python(good, "signed", ECHO)["FunctionArn"]
        # The ARN travels percent-encoded in the path: the signature covers it as sent.
        assert invoke_json(good, arn, {"x": 1})["event"] == {"x": 1}
        with pytest.raises(ClientError) as caught:
            client("wrong").invoke(FunctionName="signed")
        assert error_of(caught)[0::2] == ("InvalidSignatureException", 403)
        assert httpx.get(f"{signed.url}/2015-03-31/functions").status_code == 403
    finally:
        signed.stop()
