"""Backends for the Store contract suite: each test runs once per backend.

PostgreSQL tests run against ``STATEWISE_TEST_POSTGRES`` (default: the machine's server on
127.0.0.1:5432), each in a schema of its own that the fixture creates and drops, so tests are
isolated from each other and can run in parallel. A server that cannot be reached skips them
locally, with the reason, but fails them under ``CI=true`` (.ci/run starts PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from statewise.store.memory import MemoryStore
from statewise.store.postgres import PostgresStore, redact
from statewise.store.sqlite import SqliteStore
from tests.contract import Backend

POSTGRES_URL = os.environ.get(
    "STATEWISE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


async def _sql(*statements: str) -> None:
    conn = await asyncpg.connect(POSTGRES_URL, timeout=5.0)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@functools.cache
def _unreachable() -> str | None:
    """Why the test server cannot be used, or None; asked once per test session."""
    try:
        asyncio.run(_sql("SELECT 1"))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def require_postgres() -> str:
    """The test server's URL; skips the test (fails it under CI=true) if it is down."""
    reason = _unreachable()
    if reason is not None:
        where = redact(POSTGRES_URL)
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {where} is unreachable under CI=true: {reason}")
        pytest.skip(f"PostgreSQL at {where} is unreachable (set STATEWISE_TEST_POSTGRES): {reason}")
    return POSTGRES_URL


@contextlib.contextmanager
def fresh_schema() -> Iterator[str]:
    """A new, empty schema on the test server, dropped with everything in it afterwards."""
    require_postgres()
    name = f"sw_test_{uuid.uuid4().hex[:16]}"
    asyncio.run(_sql(f"CREATE SCHEMA {name}"))
    try:
        yield name
    finally:
        asyncio.run(_sql(f"DROP SCHEMA {name} CASCADE"))


@contextlib.contextmanager
def _backend(name: str, tmp_path: Path) -> Iterator[Backend]:
    match name:
        case "memory":
            yield Backend(name, MemoryStore, persistent=False)
        case "sqlite":
            path = tmp_path / "statewise.db"
            yield Backend(name, lambda: SqliteStore(path), persistent=True)
        case "postgres":
            with fresh_schema() as schema:
                yield Backend(
                    name, lambda: PostgresStore(POSTGRES_URL, schema=schema), persistent=True
                )
        case _:
            raise AssertionError(f"no backend {name!r}")


_MEMORY = pytest.param("memory", id="memory")
_SQLITE = pytest.param("sqlite", id="sqlite")
_POSTGRES = pytest.param("postgres", id="postgres")


@pytest.fixture(params=[_MEMORY, _SQLITE, _POSTGRES])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Every backend."""
    with _backend(request.param, tmp_path) as made:
        yield made


@pytest.fixture(params=[_SQLITE, _POSTGRES])
def persistent_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Backends whose data outlives a store object (close, then open a new one)."""
    with _backend(request.param, tmp_path) as made:
        yield made


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the test server, for PostgreSQL-only tests."""
    with fresh_schema() as schema:
        yield schema
