"""A real ``statewise serve`` process on a free loopback port, driven by boto3."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process and how to reach it."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        env = {**os.environ, **(extra_env or {})}
        self.log = open(data_dir / "server.log", "wb")  # closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "statewise",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(data_dir / 'server.log').read_text()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def client(self, **config: Any) -> Any:
        return boto3.client(
            "stepfunctions",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, inject_host_prefix=False, **config),
        )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client()


@pytest.fixture
def name() -> str:
    """A unique resource name per test."""
    return "t-" + uuid.uuid4().hex[:12]


ROLE = "arn:aws:iam::123456789012:role/statewise"
