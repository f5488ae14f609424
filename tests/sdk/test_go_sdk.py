"""aws-sdk-go-v2's sfn client against the server (issue 5).

Built offline from Debian's golang-github-aws-aws-sdk-go-v2-dev (1.17.1, which has
service/sfn) in GOPATH mode: no Go module proxy is needed, only the packaged sources under
/usr/share/gocode.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.api.conftest import Server

from .conftest import HERE, program_env, unavailable

GOPATH = Path("/usr/share/gocode")
SFN_PACKAGE = GOPATH / "src/github.com/aws/aws-sdk-go-v2/service/sfn"
PACKAGE = "golang-github-aws-aws-sdk-go-v2-dev"


def build(out: Path) -> Path:
    """Build tests/sdk/go into ``out``; skips (fails under CI) without Go or the SDK."""
    if shutil.which("go") is None:
        unavailable("the go toolchain is needed (apt-get install golang-go)")
    if not SFN_PACKAGE.is_dir():
        unavailable(f"aws-sdk-go-v2 is needed in {GOPATH} (apt-get install {PACKAGE})")
    binary = out / "sfn-smoke"
    env = {
        **os.environ,
        # GOPATH mode: imports resolve to Debian's packaged sources, never to a proxy.
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOFLAGS": "",
        "GOPROXY": "off",
    }
    if "GOCACHE" not in env and "HOME" not in env:
        env["GOCACHE"] = str(out / "gocache")
    result = subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=HERE / "go",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return binary


def test_go_sdk_v2_round_trip(sdk_server: Server, tmp_path: Path) -> None:
    """Create, start, describe until done, history, a sync Express start and a typed error."""
    binary = build(tmp_path)
    result = subprocess.run(
        [str(binary)],
        env=program_env(sdk_server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    assert summary["stateMachineArn"].startswith(
        "arn:aws:states:us-east-1:123456789012:stateMachine:sdk-"
    )
    assert summary["status"] == "SUCCEEDED"
    assert summary["output"] == {"message": "Hello, Ada!"}
    assert summary["historyTypes"] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert summary["syncStatus"] == "SUCCEEDED"
    assert summary["syncOutput"] == {"message": "Hello, Grace!"}
    assert summary["missing"] == {
        "typed": True,  # errors.As(err, *types.ExecutionDoesNotExist)
        "code": "ExecutionDoesNotExist",
        "message": "Execution Does Not Exist: "
        f"'{summary['executionArn'].rsplit(':', 1)[0]}:no-such-execution'",
    }
    # Why the README tells Go users to make the host name immutable: otherwise the SDK
    # sends StartSyncExecution to sync-<host>, which does not resolve for 127.0.0.1.
    assert summary["hostWithPrefix"] == f"sync-127.0.0.1:{sdk_server.port}"
