"""The phone-appointment example runs as its README says (against moto's SQS)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from statewise.services import Services

from .conftest import MakeServices, create, finish, history, until

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "phone-appointment"


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem + "_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Engine:
    """boto3's send_task_success, answered by the in-process engine."""

    def __init__(self, services: Services, loop: asyncio.AbstractEventLoop) -> None:
        self.services = services
        self.loop = loop

    def send_task_success(self, *, taskToken: str, output: str) -> None:
        future = asyncio.run_coroutine_threadsafe(
            self.services.engine.send_task_success(taskToken, output), self.loop
        )
        future.result(timeout=10)


@pytest.fixture
async def aws(make_services: MakeServices, moto_url: str) -> Services:
    return await make_services(aws_endpoint=moto_url)


async def run(
    services: Services, moto_url: str, definition: dict[str, Any], answer: str | None
) -> Any:
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="sms-" + uuid.uuid4().hex[:8])["QueueUrl"]
    machine = await create(services, definition)
    record = await services.executions.start(
        machine,
        name=None,
        input_text=json.dumps({"phone": "+15550100", "slot": "June 3", "queueUrl": queue_url}),
    )

    async def submitted() -> bool:
        return any(e.type == "TaskSubmitted" for e in await history(services, record.arn))

    if answer is not None:
        await until(submitted)
        reply = load(EXAMPLE / "reply.py")
        engine = _Engine(services, asyncio.get_running_loop())
        request = await asyncio.to_thread(reply.reply, sqs, engine, queue_url, answer, 1)
        assert request["text"] == "Reply YES to confirm your appointment on June 3"
    return (await finish(services, record.arn)).output


@pytest.mark.parametrize(
    ("answer", "status"),
    [pytest.param("YES", "confirmed", id="yes"), pytest.param("NO", "cancelled", id="no")],
)
async def test_reply_decides(aws: Services, moto_url: str, answer: str, status: str) -> None:
    definition = json.loads((EXAMPLE / "definition.json").read_text())
    output = await run(aws, moto_url, definition, answer)
    assert output["status"] == status


async def test_no_reply_times_out(aws: Services, moto_url: str) -> None:
    """The 24-hour wait, shortened to a second: the timeout is caught (NoReply)."""
    definition = json.loads((EXAMPLE / "definition.json").read_text())
    definition["States"]["AskByText"]["TimeoutSeconds"] = 1
    output = await run(aws, moto_url, definition, None)
    assert output["status"] == "no-reply"
