"""The HTTP Task against a local server (INT-7, ERR-17)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from statewise.integrations.http import url_encode

from .conftest import HttpServer, MakeServices, execute, task

HTTP = "arn:aws:states:::http:invoke"
CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/Local/0b6f7c3a-5d0e-4a6b-9a5c"


async def test_post_json_and_result_shape(
    make_services: MakeServices, http_server: HttpServer
) -> None:
    """INT-7: ApiEndpoint, Method, Headers, QueryParameters, RequestBody (JSON); the result
    is {Headers, ResponseBody, StatusCode, StatusText} with a JSON body parsed."""
    services = await make_services()
    done = await execute(
        services,
        task(
            HTTP,
            Parameters={
                "ApiEndpoint": http_server.url + "/orders",
                "Method": "POST",
                "Headers": {"X-Trace": "abc"},
                "QueryParameters": {"page": "2"},
                "RequestBody": {"item.$": "$.item"},
            },
        ),
        {"item": "tea"},
    )
    assert done.status == "SUCCEEDED", done.execution.cause
    result = done.output
    assert set(result) == {"Headers", "ResponseBody", "StatusCode", "StatusText"}
    assert (result["StatusCode"], result["StatusText"]) == (200, "OK")
    assert result["Headers"]["x-echo"] == ["yes"]
    assert result["ResponseBody"]["method"] == "POST"
    assert result["ResponseBody"]["path"] == "/orders?page=2"
    assert json.loads(result["ResponseBody"]["body"]) == {"item": "tea"}
    sent = http_server.requests[-1]
    assert sent.headers["X-Trace"] == "abc"
    assert sent.headers["Content-Type"] == "application/json"
    scheduled = done.details("TaskScheduled")
    assert (scheduled["resourceType"], scheduled["resource"]) == ("http", "invoke")


async def test_text_body_stays_text(make_services: MakeServices, http_server: HttpServer) -> None:
    """A body that is not JSON is returned as a string."""
    services = await make_services()
    done = await execute(
        services, task(HTTP, Parameters={"ApiEndpoint": http_server.url + "/text", "Method": "GET"})
    )
    assert done.output["ResponseBody"] == "plain words"


async def test_non_2xx_is_a_catchable_status_error(
    make_services: MakeServices, http_server: HttpServer
) -> None:
    """ERR-17: a 404 fails the task with States.Http.StatusCode.404, catchable; the cause
    holds the response."""
    services = await make_services()
    definition = task(
        HTTP,
        Parameters={"ApiEndpoint": http_server.url + "/status/404", "Method": "GET"},
        Catch=[{"ErrorEquals": ["States.Http.StatusCode.404"], "Next": "Missing"}],
    )
    definition["States"]["Missing"] = {"Type": "Pass", "End": True}
    done = await execute(services, definition)
    assert done.status == "SUCCEEDED"
    failed = done.details("TaskFailed")
    assert failed["error"] == "States.Http.StatusCode.404"
    cause = orjson.loads(failed["cause"])
    assert cause["StatusCode"] == 404
    assert cause["ResponseBody"] == {"problem": "status 404"}


async def test_socket_error(make_services: MakeServices) -> None:
    """ERR-17: a connection that cannot be made is States.Http.Socket."""
    services = await make_services()
    done = await execute(
        services, task(HTTP, Parameters={"ApiEndpoint": "http://127.0.0.1:9/x", "Method": "GET"})
    )
    assert done.execution.error == "States.Http.Socket"


async def test_url_encoded_body(make_services: MakeServices, http_server: HttpServer) -> None:
    """INT-7 Transform: RequestBodyEncoding URL_ENCODED with an ArrayFormat."""
    services = await make_services()
    done = await execute(
        services,
        task(
            HTTP,
            Parameters={
                "ApiEndpoint": http_server.url + "/form",
                "Method": "POST",
                "RequestBody": {"name": "a b", "tags": ["x", "y"]},
                "Transform": {
                    "RequestBodyEncoding": "URL_ENCODED",
                    "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"},
                },
            },
        ),
    )
    assert done.output["ResponseBody"]["body"] == "name=a+b&tags%5B%5D=x&tags%5B%5D=y"
    assert http_server.requests[-1].headers["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("array_format", "expected"),
    [
        pytest.param("INDICES", ["a%5B0%5D=1", "a%5B1%5D=2"], id="indices"),
        pytest.param("REPEAT", ["a=1", "a=2"], id="repeat"),
        pytest.param("COMMAS", ["a=1%2C2"], id="commas"),
        pytest.param("BRACKETS", ["a%5B%5D=1", "a%5B%5D=2"], id="brackets"),
    ],
)
def test_array_formats(array_format: str, expected: list[str]) -> None:
    """INT-7: the four ArrayFormat styles."""
    assert url_encode({"a": [1, 2]}, array_format) == expected


async def test_connection_credentials(
    make_services: MakeServices, http_server: HttpServer, tmp_path: Path
) -> None:
    """INT-7: a connection ARN maps to locally configured credentials (Basic here, with an
    extra invocation header)."""
    connections: dict[str, Any] = {
        CONNECTION: {
            "AuthorizationType": "BASIC",
            "AuthParameters": {
                "BasicAuthParameters": {"Username": "ann", "Password": "secret"},
                "InvocationHttpParameters": {
                    "HeaderParameters": [{"Key": "X-Tenant", "Value": "t1"}]
                },
            },
        }
    }
    path = tmp_path / "connections.json"
    path.write_text(json.dumps(connections))
    services = await make_services(http_connections=path)
    done = await execute(
        services,
        task(
            HTTP,
            Parameters={
                "ApiEndpoint": http_server.url + "/secure",
                "Method": "GET",
                "Authentication": {"ConnectionArn": CONNECTION},
            },
        ),
    )
    assert done.status == "SUCCEEDED", done.execution.cause
    sent = http_server.requests[-1]
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"ann:secret").decode()
    assert sent.headers["X-Tenant"] == "t1"
    unknown = await execute(
        services,
        task(
            HTTP,
            Parameters={
                "ApiEndpoint": http_server.url + "/secure",
                "Method": "GET",
                "Authentication": {"ConnectionArn": CONNECTION.replace("Local", "Other")},
            },
        ),
    )
    assert unknown.execution.error == "States.Runtime"
    assert "is not configured" in (unknown.execution.cause or "")
