"""In-process services with their engines running, a moto server and a local HTTP server."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from statewise.config import Settings
from statewise.services import Services
from statewise.store.base import EventRecord, ExecutionRecord
from statewise.store.memory import MemoryStore
from statewise.testing import all_events

ROLE = "arn:aws:iam::123456789012:role/statewise"
# botocore's credential chain must find something for calls to moto (any value works).
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's server (a stand-in for SQS, SNS, DynamoDB, EventBridge) on a free port."""
    for key, value in CREDENTIALS.items():
        os.environ.setdefault(key, value)
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/moto-api/", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@dataclass
class Recorded:
    """One request the local HTTP server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpServer:
    """A local HTTP endpoint: ``/status/<n>`` answers n, everything else echoes JSON."""

    url: str
    requests: list[Recorded] = field(default_factory=list)


@pytest.fixture(scope="session")
def http_server() -> Iterator[HttpServer]:
    server_state = HttpServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server_state.requests.append(
                Recorded(self.command, self.path, dict(self.headers.items()), body)
            )
            if self.path.startswith("/status/"):
                code = int(self.path.split("/")[2].split("?")[0])
                payload = json.dumps({"problem": f"status {code}"}).encode()
            elif self.path.startswith("/text"):
                code, payload = 200, b"plain words"
            else:
                code = 200
                payload = json.dumps(
                    {"method": self.command, "path": self.path, "body": body.decode()}
                ).encode()
            self.send_response(code)
            self.send_header(
                "Content-Type",
                "text/plain" if self.path.startswith("/text") else "application/json",
            )
            self.send_header("X-Echo", "yes")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server_state
    httpd.shutdown()
    httpd.server_close()


MakeServices = Callable[..., Awaitable[Services]]


@pytest.fixture
async def make_services(tmp_path: Path) -> AsyncIterator[MakeServices]:
    """Start in-process services (memory store, real time) with the given settings."""
    started: list[Services] = []

    async def make(**settings: Any) -> Services:
        services = Services(
            Settings(data_dir=tmp_path, store="memory://", **settings), store=MemoryStore()
        )
        await services.start()
        started.append(services)
        return services

    yield make
    for services in started:
        await services.stop()


@dataclass
class Finished:
    """An execution's final record and history."""

    execution: ExecutionRecord
    events: list[EventRecord]

    @property
    def status(self) -> str:
        return self.execution.status.value

    @property
    def output(self) -> Any:
        return None if self.execution.output is None else orjson.loads(self.execution.output)

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def details(self, event_type: str) -> dict[str, Any]:
        event = next(e for e in self.events if e.type == event_type)
        return dict(orjson.loads(event.details or "{}"))


async def create(services: Services, definition: dict[str, Any], name: str | None = None) -> str:
    record, _ = await services.machines.create(
        name=name or "m-" + uuid.uuid4().hex[:10],
        definition=json.dumps(definition),
        role_arn=ROLE,
    )
    return record.arn


async def start(
    services: Services, definition: dict[str, Any], input: Any = None, name: str | None = None
) -> str:
    machine = await create(services, definition)
    record = await services.executions.start(
        machine, name=name, input_text=json.dumps({} if input is None else input)
    )
    return record.arn


async def finish(services: Services, arn: str, timeout: float = 15) -> Finished:
    record = await asyncio.wait_for(services.engine.wait_for(arn), timeout)
    return Finished(record, await all_events(services.store, arn))


async def execute(
    services: Services, definition: dict[str, Any], input: Any = None, timeout: float = 15
) -> Finished:
    """Run one execution of ``definition`` to its end."""
    return await finish(services, await start(services, definition, input), timeout)


async def history(services: Services, arn: str) -> list[EventRecord]:
    return await all_events(services.store, arn)


async def until(
    check: Callable[[], Awaitable[bool]], timeout: float = 10, interval: float = 0.01
) -> None:
    """Wait until ``check`` holds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval)


def task(resource: str, **fields: Any) -> dict[str, Any]:
    """A one-state machine around a Task."""
    body = {"Type": "Task", "Resource": resource, **fields}
    if "Next" not in body:
        body["End"] = True
    return {"StartAt": "T", "States": {"T": body}}
