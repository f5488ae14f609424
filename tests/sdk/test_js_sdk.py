"""@aws-sdk/client-sfn (AWS SDK for JavaScript v3) against the server (issue 5)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from typing import Any

from tests.api.conftest import Server

from .conftest import HERE, program_env, unavailable

JS = HERE / "js"
# Written into node_modules after a successful `npm ci`: the lock file it installed.
STAMP = ".statewise-lock-sha256"


def _lock_digest() -> str:
    return hashlib.sha256((JS / "package-lock.json").read_bytes()).hexdigest()


def install() -> None:
    """`npm ci` unless node_modules was installed from this very lock file."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node and npm are needed (apt-get install nodejs npm)")
    digest = _lock_digest()
    stamp = JS / "node_modules" / STAMP
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        unavailable(f"npm ci failed (is the npm registry reachable?): {result.stderr[-2000:]}")
    stamp.write_text(digest + "\n")


def run_program(server: Server) -> dict[str, Any]:
    install()
    result = subprocess.run(
        ["node", str(JS / "smoke.mjs")],
        cwd=JS,
        env={**program_env(server), "NODE_NO_WARNINGS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def test_client_sfn_round_trip(sdk_server: Server) -> None:
    """Create, start, describe until done, history, a sync Express start and a typed error."""
    summary = run_program(sdk_server)
    assert summary["stateMachineArn"].startswith(
        "arn:aws:states:us-east-1:123456789012:stateMachine:sdk-"
    )
    assert summary["startDateIsDate"] is True  # the timestamp parsed as the SDK's Date
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
    missing = summary["missing"]
    assert missing["typed"] is True
    assert missing["name"] == "ExecutionDoesNotExist"
    assert missing["httpStatus"] == 400
    assert missing["message"].startswith("Execution Does Not Exist: 'arn:aws:states:")
    # Why the README tells JS users to set disableHostPrefix: without it the SDK sends
    # StartSyncExecution to sync-<host>, which does not resolve for 127.0.0.1.
    assert summary["hostWithPrefix"] == "sync-127.0.0.1"


def test_lock_file_pins_the_sdk() -> None:
    """The committed lock installs the exact client package.json asks for."""
    package = json.loads((JS / "package.json").read_text())
    lock = json.loads((JS / "package-lock.json").read_text())
    wanted = package["dependencies"]["@aws-sdk/client-sfn"]
    assert lock["packages"]["node_modules/@aws-sdk/client-sfn"]["version"] == wanted
