"""Engine tests run over every durable store the engine supports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from statewise.store.base import Store
from statewise.store.memory import MemoryStore
from statewise.store.sqlite import SqliteStore


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    backend: Store = (
        MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "statewise.db")
    )
    await backend.open()
    yield backend
    await backend.close()
