"""Helpers for the Lambda API tests: zips, a boto3 Lambda client, the AWS CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from .conftest import Server

ROLE = "arn:aws:iam::123456789012:role/statewise"
PYTHON = f"python{sys.version_info.major}.{sys.version_info.minor}"
AWS = str(Path(sys.executable).with_name("aws"))


def zipped(files: Mapping[str, str | bytes], modes: Mapping[str, int] | None = None) -> bytes:
    """A deployment package; ``modes`` gives Unix permission bits per member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | (modes or {}).get(name, 0o644)) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def lambda_client(server: Server) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=120),
    )


def create_python(client: Any, name: str, code: str, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = client.create_function(
        FunctionName=name,
        Runtime=PYTHON,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zipped({"app.py": code})},
        **extra,
    )
    return config


def invoke_json(client: Any, name: str, event: Any = None, **extra: Any) -> Any:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}), **extra)
    return json.loads(response["Payload"].read())


def aws(server: Server, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The AWS CLI against the server (no retries, so throttling shows at once)."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_PAGER": "",
    }
    done = subprocess.run(
        [AWS, "--endpoint-url", server.url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {done.stderr}")
    return done


def wait_execution(sfn: Any, arn: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.02)
