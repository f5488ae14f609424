"""The Functions pages in a real browser: the list, one function, its invocations and logs."""

from __future__ import annotations

import json
from typing import Any

from tests.api.lambda_helpers import PYTHON, create_python, lambda_client
from tests.ui.conftest import FILLS, ConsoleServer, screenshot_dir

GREETER = """
def handler(event, context):
    print("greeting", event.get("name"))
    if event.get("fail"):
        raise RuntimeError("the greeting failed")
    return {"greeting": "hello " + event.get("name", "")}
"""

SMS = """
import logging, time

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    logger.info("sending an SMS to %s", event["phone"])
    time.sleep(event.get("delay", 0))
    if not event["phone"].startswith("+"):
        raise ValueError(f"not a phone number: {event['phone']}")
    logger.info("queued message %s", context.aws_request_id[:8])
    return {"status": "queued"}
"""


def _fill(locator: Any) -> str:
    value: str = locator.evaluate("e => getComputedStyle(e).backgroundColor")
    return value


def test_functions_list_then_one_function(page: Any, console: ConsoleServer, name: str) -> None:
    client = lambda_client(console)  # type: ignore[arg-type]
    create_python(client, name, GREETER, MemorySize=512, Timeout=7)
    hostile = "<script>window.__xss=1</script><img src=x onerror=window.__xss=2>"
    ok = client.invoke(FunctionName=name, Payload=json.dumps({"name": hostile}))
    failed = client.invoke(FunctionName=name, Payload=json.dumps({"fail": True}))
    assert failed["FunctionError"] == "Unhandled"

    page.goto("/console")
    page.locator("header nav a", has_text="Functions").click()
    page.wait_for_url("**/console/functions")
    row = page.locator(f'#functions tr[data-name="{name}"]')
    cells = row.locator("td").all_text_contents()
    assert cells[1:3] == [PYTHON, "app.handler"]
    assert cells[4:6] == ["512 MB", "7 s"]
    assert row.locator('[data-count="invocations"]').text_content() == "2"
    assert row.locator('[data-count="errors"]').text_content() == "1"
    assert row.locator("time").first.get_attribute("datetime")

    row.locator("a").click()
    page.wait_for_url(f"**/console/functions/{name}")
    assert page.locator("h1").text_content() == name
    assert "512 MB" in page.locator("#configuration").text_content()
    runs = page.locator("#invocations details.invocation")
    assert runs.evaluate_all("rows => rows.map(r => r.dataset.status)") == ["FAILED", "SUCCEEDED"]
    assert runs.evaluate_all("rows => rows.map(r => r.dataset.requestId)") == [
        failed["ResponseMetadata"]["RequestId"],
        ok["ResponseMetadata"]["RequestId"],
    ]
    error, success = runs.nth(0), runs.nth(1)
    assert _fill(error.locator(".badge")) == FILLS["failed"]
    assert _fill(success.locator(".badge")) == FILLS["succeeded"]
    assert error.locator(".error-type").text_content() == "RuntimeError"
    assert "ms" in success.locator("summary .num").text_content()

    # Logs open one invocation at a time, and a log is text whatever it contains.
    log = success.locator("pre.log")
    assert not log.is_visible()
    success.locator("summary").click()
    assert log.is_visible()
    text = log.text_content()
    assert f"greeting {hostile}" in text
    assert text.startswith("START RequestId: " + ok["ResponseMetadata"]["RequestId"])
    assert "REPORT RequestId" in text and "Init Duration" in text
    assert log.locator("script, img").count() == 0
    assert page.evaluate("window.__xss") is None
    assert not error.locator("pre.log").is_visible()
    error.locator("summary").click()
    assert "RuntimeError: the greeting failed" in error.locator("pre.log").text_content()
    assert "the greeting failed" in error.locator(".problem").text_content()

    page.locator(".crumbs a").click()
    page.wait_for_url("**/console/functions")


def test_functions_screenshots(page: Any, console: ConsoleServer, tmp_path: Any) -> None:
    """The README's picture of a function's page, with one failed invocation opened."""
    client = lambda_client(console)  # type: ignore[arg-type]
    create_python(
        client,
        "send-sms",
        SMS,
        Description="Sends the appointment confirmation SMS",
        MemorySize=256,
        Timeout=10,
        Environment={"Variables": {"SMS_SENDER": "Clinic", "STAGE": "dev"}},
    )
    events = [
        {"phone": "+15550100"},
        {"phone": "+15550101", "delay": 0.12},
        {"phone": "555-0102"},
        {"phone": "+15550103", "delay": 0.03},
        {"phone": "+15550104"},
    ]
    for event in events:
        client.invoke(FunctionName="send-sms", Payload=json.dumps(event))
    target = screenshot_dir(tmp_path)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/console/functions/send-sms")
    failed = page.locator('#invocations details[data-status="FAILED"]')
    failed.locator("summary").click()
    assert failed.locator("pre.log").is_visible()
    page.screenshot(path=str(target / "console-functions.png"), full_page=True)
    assert (target / "console-functions.png").stat().st_size > 10_000
