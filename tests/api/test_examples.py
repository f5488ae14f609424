"""The approval example's activity worker, against a real server."""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from .conftest import Server
from .test_executions import machine, wait_done

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "approval"


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem + "_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_approval_worker(server: Server) -> None:
    """An expense within the limit is paid, one above it rejected (and caught)."""
    worker = load(EXAMPLE / "worker.py")
    sfn: Any = server.client(read_timeout=70)
    activity = sfn.create_activity(name="expense-approval")["activityArn"]
    definition = (EXAMPLE / "definition.json").read_text()
    arn = machine(sfn, "approval", definition)
    runs = [
        sfn.start_execution(stateMachineArn=arn, input=json.dumps({"expense": {"amount": a}}))[
            "executionArn"
        ]
        for a in (120, 9000)
    ]
    thread = threading.Thread(target=lambda: [worker.work_once(sfn, activity) for _ in runs])
    thread.start()
    thread.join(timeout=30)
    paid, rejected = (json.loads(wait_done(sfn, r)["output"]) for r in runs)
    assert paid == {"expense": {"amount": 120}, "approvedBy": "approver-1", "status": "paid"}
    assert rejected["status"] == "rejected"
    assert rejected["reason"] == "9000 is above the limit of 500"
