"""SigV4 is required when access keys are configured (the non-loopback default)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import Server


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(
        tmp_path_factory.mktemp("secured"),
        extra_env={"STATEWISE_ACCESS_KEYS": "AKIDSTATEWISE:s3cret"},
    )
    yield running
    running.stop()


def client(server: Server, key: str, secret: str) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def test_signed_requests_with_the_right_key_pass(secured: Server) -> None:
    assert "stateMachines" in client(secured, "AKIDSTATEWISE", "s3cret").list_state_machines()


@pytest.mark.parametrize(
    ("key", "secret", "code"),
    [
        pytest.param("AKIDSTATEWISE", "wrong", "InvalidSignatureException", id="wrong-secret"),
        pytest.param("AKIDOTHER", "s3cret", "UnrecognizedClientException", id="unknown-key"),
    ],
)
def test_bad_signatures_are_refused(secured: Server, key: str, secret: str, code: str) -> None:
    with pytest.raises(ClientError) as info:
        client(secured, key, secret).list_state_machines()
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unsigned_request_is_refused(secured: Server) -> None:
    response = httpx.post(
        secured.url + "/",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AWSStepFunctions.ListStateMachines",
        },
        content=b"{}",
    )
    assert response.status_code == 403
    assert response.json()["__type"].endswith("#MissingAuthenticationTokenException")


def test_serve_refuses_public_host_without_keys(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "statewise",
            "serve",
            "--host",
            "0.0.0.0",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in __import__("os").environ.items() if k != "STATEWISE_ACCESS_KEYS"},
        check=False,
    )
    assert result.returncode != 0
    assert "STATEWISE_ACCESS_KEYS" in result.stderr
