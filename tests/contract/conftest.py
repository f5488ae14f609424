"""Backends for the Store contract suite: each test runs once per backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from statewise.store.memory import MemoryStore
from statewise.store.sqlite import SqliteStore
from tests.contract import Backend


def _backend(name: str, tmp_path: Path) -> Backend:
    match name:
        case "memory":
            return Backend(name, MemoryStore, persistent=False)
        case "sqlite":
            path = tmp_path / "statewise.db"
            return Backend(name, lambda: SqliteStore(path), persistent=True)
    raise AssertionError(f"no backend {name!r}")


# The skip is only for a store that does not exist yet. Once it does, a missing server must
# skip locally but fail under CI=true (.ci/run starts PostgreSQL), never pass silently.
_POSTGRES = pytest.param(
    "postgres",
    id="postgres",
    marks=pytest.mark.skip(reason="PostgreSQL store not implemented yet"),
)


@pytest.fixture(
    params=[pytest.param("memory", id="memory"), pytest.param("sqlite", id="sqlite"), _POSTGRES]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Every backend."""
    return _backend(request.param, tmp_path)


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), _POSTGRES])
def persistent_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Backends whose data outlives a store object (close, then open a new one)."""
    return _backend(request.param, tmp_path)
