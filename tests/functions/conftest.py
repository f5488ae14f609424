"""Fixtures for the function runtime: zips built in the test, a service in a temp dir."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from statewise.functions.service import FunctionService

ROLE = "arn:aws:iam::123456789012:role/statewise"
PYTHON = "python3.11"


def zipped(files: Mapping[str, str | bytes], modes: Mapping[str, int] | None = None) -> bytes:
    """A deployment package; ``modes`` sets Unix permission bits per member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            mode = (modes or {}).get(name, 0o644)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def settings(handler: str = "app.handler", **extra: object) -> dict[str, object]:
    return {"runtime": PYTHON, "handler": handler, "role": ROLE, **extra}


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[FunctionService]:
    functions = FunctionService(tmp_path / "functions", event_retry_delays=(0.05, 0.05))
    await functions.start()
    yield functions
    await functions.stop()
