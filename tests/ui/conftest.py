"""Console test fixtures: a real server process and Debian's chromium driven by Playwright.

The browser is never downloaded: Playwright (Python, pinned in the dev extra) drives
``/usr/bin/chromium``. Without it the browser tests skip locally and fail under CI, where
``.ci/run`` installs it.
"""

from __future__ import annotations

import json
import os
import shutil
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

from tests.api.conftest import ROLE, free_port
from tests.ui import workflows

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("STATEWISE_CHROMIUM", "/usr/bin/chromium")
# As root on a machine without a network: no sandbox, no GPU, nothing phoning home.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ConsoleServer:
    """``python -m tests.ui.app_server``: the real app, with the test workflows' functions."""

    def __init__(self, data_dir: Path, access_keys: str = "") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(data_dir / "server.log", "wb")  # closed in stop()
        command = [sys.executable, "-m", "tests.ui.app_server", "--port", str(self.port)]
        command += ["--data-dir", str(data_dir), "--access-keys", access_keys]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.close()
                raise RuntimeError((data_dir / "server.log").read_text())
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("console server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def client(self, key: str = "test", secret: str = "test") -> Any:
        return boto3.client(
            "stepfunctions",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )


def wait_done(sfn: Any, arn: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.05)


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    server = ConsoleServer(tmp_path_factory.mktemp("console"))
    yield server
    server.stop()


# The appointment executions every test looks at, by name, with the input each gets.
RUNS = {
    "booked": workflows.booking(),
    "declined": workflows.booking(reply="no"),
    "slot-taken": workflows.booking(slot="taken"),
    "sms-fails": workflows.booking(phone="bad-number"),
    "escaped": workflows.booking(
        patient="<script>window.__xss=1</script><img src=x onerror=window.__xss=2>"
    ),
}


@pytest.fixture(scope="session")
def appointments(console: ConsoleServer) -> dict[str, dict[str, Any]]:
    """The appointment machine and its finished executions, made through the API."""
    sfn = console.client()
    definition = json.dumps(workflows.APPOINTMENT)
    machine = sfn.create_state_machine(name="appointments", definition=definition, roleArn=ROLE)
    arns = {
        name: sfn.start_execution(
            stateMachineArn=machine["stateMachineArn"], name=name, input=value
        )["executionArn"]
        for name, value in RUNS.items()
    }
    return {name: wait_done(sfn, arn) for name, arn in arns.items()}


# Per module, not per session: Playwright's sync API keeps an event loop running while it
# is open, and the asyncio tests that follow need the thread to themselves.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        reason = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: the console's browser tests need it under CI")
        pytest.skip(f"{reason}; the console's browser tests are skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser_context(browser: Any, console: ConsoleServer) -> Iterator[Any]:
    # One context per module: a new page per test is enough isolation on a console without
    # a login, and far cheaper than a new context.
    context = browser.new_context(viewport={"width": 1400, "height": 950}, base_url=console.url)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A fresh browser page on the console; any script error or CSP report fails the test."""
    opened = browser_context.new_page()
    problems: list[str] = []

    def on_console(message: Any) -> None:
        # A 400 is an action the server refused, which the page shows (and tests check).
        if message.type == "error" and "status of 400" not in message.text:
            problems.append(f"console {message.type}: {message.text}")

    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on("console", on_console)
    yield opened
    opened.close()
    assert problems == []


@pytest.fixture
def name() -> str:
    return "ui-" + uuid.uuid4().hex[:10]


def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: ``docs/`` when STATEWISE_SCREENSHOTS=1, else a temporary dir."""
    if os.environ.get("STATEWISE_SCREENSHOTS") == "1":
        return ROOT / "docs"
    return tmp_path


# The fill of a graph node per status, as console.css defines them.
FILLS = {
    "succeeded": "rgb(227, 244, 225)",
    "failed": "rgb(253, 226, 225)",
    "caught": "rgb(255, 240, 214)",
    "running": "rgb(221, 233, 251)",
    "aborted": "rgb(236, 236, 236)",
    "none": "rgb(255, 255, 255)",
}


def node(page: Any, state: str) -> Any:
    return page.locator(f'#graph g.node[data-state="{state}"]')


# A Parallel or Map not reached is drawn as a light grey frame rather than white.
CONTAINER_NONE = "rgb(243, 245, 247)"


def look_of(page: Any, state: str) -> tuple[str, str]:
    """A node's status and the fill it is drawn with (containers not reached: white)."""
    found = node(page, state)
    fill = found.locator(":scope > rect.shape").evaluate("e => getComputedStyle(e).fill")
    status = found.get_attribute("data-status")
    if status == "none" and fill == CONTAINER_NONE:
        fill = FILLS["none"]
    return status, fill


def open_execution(page: Any, machine: str, execution: str) -> None:
    page.goto(f"/console/executions/{machine}/{execution}")
    page.wait_for_selector("main[data-ready=true]")
