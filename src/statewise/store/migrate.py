"""Numbered, append-only schema migrations, shared by every SQL dialect.

Migrations live as package data in ``statewise/store/sql/<dialect>/NNNN_name.sql`` and are
found through :mod:`importlib.resources`, so they work from a source tree, a wheel or a zip.
The dialect-neutral part (loading, ordering, deciding what is missing) is here once; each
dialect supplies only how to run a script inside one transaction: ``migrate_sqlite`` and
``migrate_postgres`` below, over ``sql/sqlite/`` and ``sql/postgres/`` with the same numbering.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from statewise.store.base import StoreError

if TYPE_CHECKING:
    # Only for annotations: asyncpg is the optional ``postgres`` extra, and SQLite users
    # import this module without it.
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

# Every dialect's bookkeeping table; this DDL is valid in SQLite and PostgreSQL alike.
SCHEMA_VERSION_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
)

_FILE_NAME = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql")


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    """One migration script: ``version`` counts up from 1 without gaps."""

    version: int
    name: str
    sql: str


@functools.cache
def load(dialect: str) -> tuple[Migration, ...]:
    """Every migration of a dialect, in version order.

    Raises:
        StoreError: no migrations, a misnamed file, or versions that are not 1, 2, ... N.
    """
    folder = resources.files("statewise.store") / "sql" / dialect
    if not folder.is_dir():
        raise StoreError(f"no migrations for SQL dialect {dialect!r}")
    found: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.fullmatch(entry.name)
        if match is None:
            raise StoreError(f"migration file {dialect}/{entry.name} is not named NNNN_name.sql")
        found.append(
            Migration(
                version=int(match["version"]),
                name=match["name"],
                sql=entry.read_text(encoding="utf-8"),
            )
        )
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(f"{dialect} migrations must be numbered 1..N without gaps: {versions}")
    return tuple(found)


def pending(available: Iterable[Migration], applied: Iterable[int]) -> list[Migration]:
    """The migrations still to run, in order, given the versions a database has applied.

    Raises:
        StoreError: the database has a version this code does not know (it was migrated by
            a newer statewise), or its versions have a gap.
    """
    ordered = list(available)
    done = sorted(set(applied))
    known = len(ordered)
    if done and done[-1] > known:
        raise StoreError(
            f"database schema version {done[-1]} is newer than this statewise (knows {known})"
        )
    # Migrations run strictly in order in one transaction each, so a gap means the
    # bookkeeping was edited by hand; refusing is safer than guessing what ran.
    if done != list(range(1, len(done) + 1)):
        raise StoreError(f"database schema versions have a gap: {done}")
    return ordered[len(done) :]


def sqlite_statements(script: str) -> list[str]:
    """Split a script into statements, respecting strings, comments and trigger bodies.

    ``Connection.executescript`` would commit the caller's transaction first, so a migration
    and its ``schema_version`` row could land separately; splitting keeps them in one.
    """
    statements: list[str] = []
    start = 0
    for position, char in enumerate(script):
        if char != ";":
            continue
        candidate = script[start : position + 1]
        if sqlite3.complete_statement(candidate):
            statements.append(candidate.strip())
            start = position + 1
    rest = "\n".join(
        line for line in script[start:].splitlines() if not line.strip().startswith("--")
    )
    if rest.strip():
        raise StoreError(f"migration script ends without ';': {rest.strip()[:80]!r}")
    return statements


def migrate_sqlite(conn: sqlite3.Connection) -> list[int]:
    """Apply the missing SQLite migrations in one ``BEGIN IMMEDIATE`` transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``). The write lock is taken
    before reading ``schema_version``, so two processes opening one new file cannot both
    migrate it. Returns the versions applied (empty when the schema was current).

    Raises:
        StoreError: a migration failed (nothing of it was applied) or the schema is unknown.
    """
    available = load("sqlite")
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(SCHEMA_VERSION_DDL)
        applied = [row[0] for row in conn.execute("SELECT version FROM schema_version")]
        todo = pending(available, applied)
        for migration in todo:
            try:
                for statement in sqlite_statements(migration.sql):
                    conn.execute(statement)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"sqlite migration {migration.version:04d}_{migration.name} failed: {exc}"
                ) from exc
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"sqlite migration failed: {exc}") from exc
        raise
    return [migration.version for migration in todo]


# The advisory lock's first key, "swmg" in ASCII: one fixed number for statewise migrations,
# so no other application's advisory locks collide with it. The second key is the schema's
# hash, so stores in different schemas of one database migrate without waiting for each other.
POSTGRES_MIGRATION_LOCK = 0x73776D67


async def migrate_postgres(
    conn: asyncpg.Connection[Any] | PoolConnectionProxy[Any],
) -> list[int]:
    """Apply the missing PostgreSQL migrations to the current schema in one transaction.

    Every node of a cluster runs this when it starts, possibly at the same moment: the
    transaction first takes an advisory lock (released by its COMMIT or ROLLBACK), so one
    node migrates while the others wait, then find the schema current and apply nothing.
    DDL is transactional in PostgreSQL, so a failed migration leaves no half-made table.
    Returns the versions applied (empty when the schema was current).

    Raises:
        StoreError: a migration failed (nothing of it was applied) or the schema is unknown.
    """
    import asyncpg  # the caller holds an asyncpg connection, so the extra is installed

    available = load("postgres")
    try:
        async with conn.transaction():
            # Before anything reads or creates schema_version: CREATE TABLE IF NOT EXISTS
            # itself races (a unique violation in the catalog) when two sessions run it.
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))",
                POSTGRES_MIGRATION_LOCK,
            )
            await conn.execute(SCHEMA_VERSION_DDL)
            applied = [row[0] for row in await conn.fetch("SELECT version FROM schema_version")]
            todo = pending(available, applied)
            for migration in todo:
                try:
                    # No arguments: the simple query protocol runs a multi-statement script.
                    await conn.execute(migration.sql)
                except asyncpg.PostgresError as exc:
                    raise StoreError(
                        f"postgres migration {migration.version:04d}_{migration.name} failed: {exc}"
                    ) from exc
                await conn.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    time.time(),
                )
    except asyncpg.PostgresError as exc:
        raise StoreError(f"postgres migration failed: {exc}") from exc
    return [migration.version for migration in todo]
