"""Custom runtimes through the Runtime API with real clients: a shell bootstrap (curl), AWS's
Python runtime interface client (awslambdaric) and a Go bootstrap built here."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from typing import Any

import httpx
import pytest

from .conftest import Server
from .lambda_helpers import ROLE, lambda_client, zipped

SHELL = r"""#!/bin/sh
# A Lambda custom runtime in shell (runtimes-walkthrough), with curl.
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
HEADERS="$(mktemp)"
while true; do
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d' ' -f2 | tr -d '\r')
  DEADLINE=$(grep -i '^Lambda-Runtime-Deadline-Ms:' "$HEADERS" | cut -d' ' -f2 | tr -d '\r')
  ARN=$(grep -i '^Lambda-Runtime-Invoked-Function-Arn:' "$HEADERS" | cut -d' ' -f2 | tr -d '\r')
  echo "shell got $EVENT"
  case "$EVENT" in
    *fail*)
      curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Custom.Failure" \
        -d '{"errorMessage":"shell failed","errorType":"Custom.Failure"}' \
        "$API/invocation/$ID/error";;
    *sleep*) sleep 30;;
    *crash*) exit 3;;
    *)
      curl -sS -o /dev/null -d "{\"echo\":$EVENT,\"id\":\"$ID\",\"deadline\":$DEADLINE,\
\"arn\":\"$ARN\",\"fn\":\"$AWS_LAMBDA_FUNCTION_NAME\",\"handler\":\"$_HANDLER\"}" \
        "$API/invocation/$ID/response";;
  esac
done
"""

INIT_ERROR = r"""#!/bin/sh
curl -sS -o /dev/null -H "Lambda-Runtime-Function-Error-Type: Runtime.ConfigError" \
  -d '{"errorMessage":"bad config","errorType":"Runtime.ConfigError"}' \
  "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/init/error"
exit 1
"""

RIC_APP = """
def handler(event, context):
    print("ric got", event)
    if event.get("fail"):
        raise RuntimeError("ric failed")
    return {"event": event, "fn": context.function_name, "rid": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(),
            "arn": context.invoked_function_arn}
"""

GO_MAIN = """package main

// A bootstrap on Go's standard library alone: the Runtime API loop by hand.
import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(api + "next")
		if err != nil {
			os.Exit(1)
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		var in map[string]interface{}
		json.Unmarshal(event, &in)
		fmt.Println("go got", string(event))
		if in["fail"] != nil {
			body, _ := json.Marshal(map[string]string{
				"errorMessage": "go failed", "errorType": "errorString"})
			r, err := http.Post(api+id+"/error", "application/json", bytes.NewReader(body))
			if err == nil {
				r.Body.Close()
			}
			continue
		}
		out, _ := json.Marshal(map[string]interface{}{
			"hello": in["name"], "requestId": id,
			"deadline": resp.Header.Get("Lambda-Runtime-Deadline-Ms"),
			"version": os.Getenv("AWS_LAMBDA_FUNCTION_VERSION")})
		r, err := http.Post(api+id+"/response", "application/json", bytes.NewReader(out))
		if err == nil {
			r.Body.Close()
		}
	}
}
"""


def _deploy(
    lam: Any,
    name: str,
    files: dict[str, str | bytes],
    runtime: str = "provided.al2023",
    **extra: Any,
) -> None:
    modes = {"bootstrap": 0o755} if "bootstrap" in files else {}
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=extra.pop("Handler", "function.handler"),
        Code={"ZipFile": zipped(files, {**modes, **extra.pop("modes", {})})},
        **extra,
    )


def _invoke(lam: Any, name: str, event: Any, **extra: Any) -> tuple[dict[str, Any], Any]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event), **extra)
    return response, json.loads(response["Payload"].read())


@pytest.fixture
def lam(server: Server) -> Any:
    return lambda_client(server)


def test_shell_bootstrap(lam: Any, name: str) -> None:
    """Runtime API: next's headers, response, error with Lambda-Runtime-Function-Error-Type."""
    _deploy(lam, name, {"bootstrap": SHELL})
    response, body = _invoke(lam, name, {"n": 1}, LogType="Tail")
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert body["echo"] == {"n": 1} and body["fn"] == name and body["handler"] == "function.handler"
    assert body["arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    assert len(body["id"]) == 36 and body["deadline"] > 1_700_000_000_000
    assert 'shell got {"n": 1}' in base64.b64decode(response["LogResult"]).decode()
    response, error = _invoke(lam, name, {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert error == {"errorMessage": "shell failed", "errorType": "Custom.Failure"}
    # The same warm process serves the next invocation.
    assert _invoke(lam, name, {"n": 2})[1]["echo"] == {"n": 2}


def test_custom_runtime_timeout_and_crash(lam: Any, name: str) -> None:
    _deploy(lam, name, {"bootstrap": SHELL}, Timeout=1)
    response, error = _invoke(lam, name, {"sleep": True})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    response, error = _invoke(lam, name, {"crash": True})
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    assert _invoke(lam, name, {"n": 3})[1]["echo"] == {"n": 3}


@pytest.mark.parametrize(
    ("files", "modes", "error_type", "message"),
    [
        pytest.param(
            {"bootstrap": INIT_ERROR},
            {},
            "Runtime.ConfigError",
            "bad config",
            id="init-error",
        ),
        pytest.param(
            {"other.txt": "x"},
            {},
            "Runtime.InvalidEntrypoint",
            "Couldn't find valid bootstrap(s)",
            id="no-bootstrap",
        ),
        pytest.param(
            {"bootstrap": SHELL},
            {"bootstrap": 0o644},
            "Runtime.InvalidEntrypoint",
            "bootstrap: permission denied",
            id="not-executable",
        ),
    ],
)
def test_custom_runtime_start_failures(
    lam: Any, name: str, files: dict[str, str], modes: dict[str, int], error_type: str, message: str
) -> None:
    """Init errors (Runtime API /init/error) and a missing or unusable bootstrap."""
    _deploy(lam, name, files, modes=modes)
    response, error = _invoke(lam, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == error_type and message in error["errorMessage"]


def test_awslambdaric_bootstrap(lam: Any, name: str) -> None:
    """AWS's Python runtime interface client as a custom runtime's bootstrap."""
    bootstrap = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric app.handler\n"
    _deploy(lam, name, {"bootstrap": bootstrap, "app.py": RIC_APP}, Timeout=5)
    response, body = _invoke(lam, name, {"x": 1}, LogType="Tail")
    assert "FunctionError" not in response, body
    assert body["event"] == {"x": 1} and body["fn"] == name
    assert 0 < body["remaining"] <= 5000 and len(body["rid"]) == 36
    assert "ric got {'x': 1}" in base64.b64decode(response["LogResult"]).decode()
    response, error = _invoke(lam, name, {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "RuntimeError" and error["errorMessage"] == "ric failed"
    assert error["stackTrace"]


def test_awslambdaric_init_error(lam: Any, name: str) -> None:
    bootstrap = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric missing.handler\n"
    _deploy(lam, name, {"bootstrap": bootstrap})
    response, error = _invoke(lam, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'missing'" in error["errorMessage"]


@pytest.fixture(scope="module")
def go_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A Go bootstrap built here with Debian's go, standard library only."""
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the go toolchain is required in CI (apt-get install golang-go)")
        pytest.skip("go is not installed: apt-get install golang-go to run the Go runtime test")
    source = tmp_path_factory.mktemp("go")
    (source / "main.go").write_text(GO_MAIN)
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": ""}
    if "HOME" not in env:
        env["GOCACHE"] = str(source / "cache")
    subprocess.run(
        [go, "build", "-o", "bootstrap", "main.go"],
        cwd=source,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return (source / "bootstrap").read_bytes()


@pytest.mark.parametrize("runtime", ["provided.al2023", "go1.x"])
def test_go_bootstrap(lam: Any, name: str, go_bootstrap: bytes, runtime: str) -> None:
    _deploy(lam, name, {"bootstrap": go_bootstrap}, runtime=runtime, Handler="bootstrap")
    response, body = _invoke(lam, name, {"name": "Gopher"}, LogType="Tail")
    assert "FunctionError" not in response
    assert body["hello"] == "Gopher" and body["version"] == "$LATEST"
    assert len(body["requestId"]) == 36 and int(body["deadline"]) > 0
    assert 'go got {"name": "Gopher"}' in base64.b64decode(response["LogResult"]).decode()
    response, error = _invoke(lam, name, {"fail": 1})
    assert response["FunctionError"] == "Unhandled"
    assert error == {"errorMessage": "go failed", "errorType": "errorString"}


def test_runtime_api_is_not_served_on_the_public_port(server: Server) -> None:
    """Only a sandbox reaches the Runtime API, at its own AWS_LAMBDA_RUNTIME_API address."""
    response = httpx.get(f"{server.url}/2018-06-01/runtime/invocation/next", timeout=5)
    assert response.status_code == 403
    assert response.json()["errorType"] == "Forbidden"
    posted = httpx.post(f"{server.url}/2018-06-01/runtime/invocation/x/response", content=b"{}")
    assert posted.status_code == 403
