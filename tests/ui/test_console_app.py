"""The console app in process: a long history is analysed over several short requests."""

from __future__ import annotations

import json

import httpx
import pytest

from statewise.api.app import create_app
from statewise.config import Settings
from statewise.services import Services
from statewise.ui import console
from tests.api.conftest import ROLE

COUNTER = {
    "StartAt": "Count",
    "States": {
        "Count": {
            "Type": "Pass",
            "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
            "Next": "Enough",
        },
        "Enough": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 60, "Next": "Done"}],
            "Default": "Count",
        },
        "Done": {"Type": "Succeed"},
    },
}


async def test_long_history_arrives_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "EVENT_BUDGET", 100)
    services = Services(Settings(store="memory://"))
    await services.start()
    try:
        machine, _ = await services.machines.create(
            name="count", definition=json.dumps(COUNTER), role_arn=ROLE
        )
        record = await services.executions.start(machine.arn, name="c", input_text='{"n": 0}')
        record = await services.executions.wait(record.arn, timeout=30)
        assert record.last_event_id == 244
        transport = httpx.ASGITransport(app=create_app(services, manage_lifecycle=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
            analysed = []
            while True:
                body = (await client.get("/console/api/executions/count/c")).json()
                if not body.get("partial"):
                    break
                analysed.append(body["analysed"])
            assert analysed == [100, 200]
            counts = {s["name"]: s["visitCount"] for s in body["steps"]}
            assert counts == {"Count": 60, "Enough": 60, "Done": 1}
            assert body["lastEventId"] == 244
            step = body["steps"][0]["id"]
            detail = (await client.get(f"/console/api/executions/count/c/steps/{step}")).json()
            assert json.loads(detail["output"]) == {"n": 60}
    finally:
        await services.stop()
