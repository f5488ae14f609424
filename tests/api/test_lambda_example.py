"""examples/delayed-hello runs as its README says: a Wait, a Python and a Go function."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROLE, Server
from .lambda_helpers import lambda_client, wait_execution

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "delayed-hello"


def _zip(name: str, data: bytes, mode: int = 0o644) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o100000 | mode) << 16
        archive.writestr(info, data)
    return buffer.getvalue()


def _go_bootstrap(tmp_path: Path) -> bytes:
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the go toolchain is required in CI (apt-get install golang-go)")
        pytest.skip("go is not installed: apt-get install golang-go to run the Go example")
    shutil.copy(EXAMPLE / "go" / "main.go", tmp_path / "main.go")
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": ""}
    if "HOME" not in env:
        env["GOCACHE"] = str(tmp_path / "cache")
    subprocess.run(
        [go, "build", "-o", "bootstrap", "main.go"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return (tmp_path / "bootstrap").read_bytes()


def test_delayed_hello(server: Server, tmp_path: Path) -> None:
    # The example's function and machine names are fixed; nothing else uses them.
    lam: Any = lambda_client(server)
    lam.create_function(
        FunctionName="hello-python",
        Runtime="python3.12",
        Handler="app.handler",
        Role=ROLE,
        Code={"ZipFile": _zip("app.py", (EXAMPLE / "python" / "app.py").read_bytes())},
    )
    lam.create_function(
        FunctionName="hello-go",
        Runtime="provided.al2023",
        Handler="bootstrap",
        Role=ROLE,
        Code={"ZipFile": _zip("bootstrap", _go_bootstrap(tmp_path), 0o755)},
    )
    sfn = server.client()
    machine = sfn.create_state_machine(
        name="delayed-hello",
        definition=(EXAMPLE / "definition.json").read_text(),
        roleArn=ROLE,
    )["stateMachineArn"]
    runs = {
        language: sfn.start_execution(
            stateMachineArn=machine,
            input=json.dumps({"delaySeconds": 1, "name": "Ada", "language": language}),
        )["executionArn"]
        for language in ("fr", "xx")
    }
    done = wait_execution(sfn, runs["fr"])
    assert done["status"] == "SUCCEEDED", (done.get("error"), done.get("cause"))
    output = json.loads(done["output"])
    assert output["python"] == {"greeting": "Bonjour, Ada!"}
    assert output["go"]["message"] == "Bonjour, Ada, from Go!"
    assert output["go"]["runtime"] == "hello-go"
    failed = wait_execution(sfn, runs["xx"])
    assert failed["status"] == "FAILED"
    assert failed["error"] == "NoGreeting"
    assert json.loads(failed["cause"])["errorType"] == "ValueError"
    # Function logs reach their file within a second (LogSink buffers them).
    log = server.data_dir / "functions" / "logs" / "hello-python.log"
    deadline = time.monotonic() + 5
    while "greeting Ada in fr" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "[INFO]" in log.read_text() and "greeting Ada in fr" in log.read_text()
