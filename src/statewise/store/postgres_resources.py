"""PostgresStore's plumbing and resource methods: state machines, versions, aliases, tags,
activities, their pending tasks, settings, and Lambda functions with their code.

The resource methods live apart from the execution hot path in ``postgres.py`` because they
share nothing with it but the connection pool: each call is one small statement or
transaction, not a batch. :class:`PostgresResources` is the base of
:class:`~statewise.store.postgres.PostgresStore`, which owns the pool and its lifecycle; the
base holds what both halves use to reach it (``_connection``, ``_fetch``, ``_execute``), so
that every driver error becomes a :class:`StoreError` in one place.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import asyncpg

from statewise.store import columns
from statewise.store.base import (
    ActivityRecord,
    ActivityTaskRecord,
    AliasRecord,
    FunctionRow,
    ResourcePage,
    StateMachineRecord,
    StoreError,
    VersionRecord,
)
from statewise.store.paging import (
    ACTIVITY_TOKEN,
    ALIAS_TOKEN,
    MACHINE_TOKEN,
    VERSION_TOKEN,
    check_limit,
    decode_activity_token,
    decode_alias_token,
    decode_machine_token,
    decode_version_token,
    resource_page,
)

if TYPE_CHECKING:
    # The stubs make it generic; at run time it is not subscriptable.
    from asyncpg.pool import PoolConnectionProxy

    # A pooled connection or one of the store's own (the listener's, the tick's).
    Connection: TypeAlias = PoolConnectionProxy[asyncpg.Record] | asyncpg.Connection[asyncpg.Record]

_T = TypeVar("_T")

# What the driver raises: server errors, a broken or closed connection, a failed connect.
# TimeoutError (a pool or connect timeout) is an OSError.
DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)

# Column order is the record's field order, so a row maps onto the record by position;
# the statements both dialects share are built once, in columns.py.
_SQL = columns.statements(lambda n: f"${n}")

# Every column, as MemoryStore replaces the whole record; arn is $1 for the WHERE.
_UPDATE_MACHINE = (
    "UPDATE state_machines SET "
    + ", ".join(f"{name} = ${n}" for n, name in enumerate(columns.MACHINE_FIELDS[1:], start=2))
    + " WHERE arn = $1"
)
# One statement, so atomic: the version's number counts as used by its machine.
_INSERT_COUNTED_VERSION = (
    f"WITH added AS ({_SQL.insert_version} RETURNING state_machine_arn, version) "
    "UPDATE state_machines AS m SET last_version = greatest(m.last_version, added.version) "
    "FROM added WHERE m.arn = added.state_machine_arn"
)
# The UPDATE locks the machine's row until the transaction ends, so concurrent publishers
# of one machine, on any nodes, take turns; a waiting one re-reads the row it waited for,
# hence the count its predecessor left. Versions inserted before their machine existed
# count too, so the number never clashes with one of the machine's own versions.
_NEXT_VERSION = (
    "UPDATE state_machines SET last_version = greatest(last_version, coalesce("
    "(SELECT max(version) FROM versions WHERE state_machine_arn = $1), 0)) + 1 "
    "WHERE arn = $1 RETURNING last_version"
)
# SKIP LOCKED: a row another poller (on any node) is taking is passed over, not waited
# for, so concurrent polls of one activity each get a different task or none.
_TAKE_ACTIVITY_TASK = (
    "DELETE FROM activity_tasks WHERE seq = ("
    "SELECT seq FROM activity_tasks WHERE activity_arn = $1 ORDER BY seq LIMIT 1 "
    f"FOR UPDATE SKIP LOCKED) RETURNING {columns.ACTIVITY_TASK_COLUMNS}"
)
# The revision read is part of the WHERE: a row another node changed since is left alone
# (a concurrent UPDATE waits for the first, then re-checks the WHERE on the new row).
_REPLACE_FUNCTION = (
    "UPDATE functions SET revision = $2, record = $3, updated = $4 "
    "WHERE name = $1 AND revision = $5"
)
_PUT_CODE = (
    "INSERT INTO function_code (digest, zip, stored) VALUES ($1, $2, $3) "
    "ON CONFLICT (digest) DO UPDATE SET stored = greatest(function_code.stored, excluded.stored)"
)
_PRUNE_CODE = "DELETE FROM function_code WHERE stored < $2 AND NOT (digest = ANY($1::text[]))"


def changed(status: str) -> int:
    """The row count of a command status such as ``UPDATE 3`` or ``INSERT 0 1``."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresResources:
    """The resource half of the Store protocol, on the pool that ``_ready`` hands out."""

    # Overridden by PostgresStore; defined so that the base type-checks on its own.
    def _ready(self) -> asyncpg.Pool[asyncpg.Record]:
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """A pooled connection; any driver error in the block is raised as a StoreError."""
        pool = self._ready()
        try:
            async with pool.acquire() as conn:
                yield conn
        except DRIVER_ERRORS as exc:
            raise StoreError(f"postgres: {exc}") from exc

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self._connection() as conn:
            return await conn.fetch(sql, *args)

    async def _execute(self, sql: str, *args: Any) -> int:
        """One statement, committed on its own; how many rows it changed."""
        async with self._connection() as conn:
            return changed(await conn.execute(sql, *args))

    async def _get(self, sql: str, arn: str, record: Callable[[asyncpg.Record], _T]) -> _T | None:
        rows = await self._fetch(sql, arn)
        return record(rows[0]) if rows else None

    # -- state machines ----------------------------------------------------------------

    async def insert_state_machine(self, record: StateMachineRecord) -> bool:
        return await self._execute(_SQL.insert_machine, *columns.MACHINE_ROW(record)) == 1

    async def update_state_machine(self, record: StateMachineRecord) -> None:
        if await self._execute(_UPDATE_MACHINE, *columns.MACHINE_ROW(record)) == 0:
            raise StoreError(f"update of unknown state machine {record.arn}")

    async def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        sql = f"SELECT {columns.MACHINE_COLUMNS} FROM state_machines WHERE arn = $1"
        return await self._get(sql, arn, columns.machine_of)

    async def list_state_machines(
        self, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        check_limit(limit)
        if token is None:
            sql = (
                f"SELECT {columns.MACHINE_COLUMNS} FROM state_machines ORDER BY name, arn LIMIT $1"
            )
            rows = await self._fetch(sql, limit + 1)
        else:
            # Keyset pagination on the (name, arn) index: page N costs what page 1 does, and
            # rows added or deleted between pages cannot shift what a token points after.
            sql = (
                f"SELECT {columns.MACHINE_COLUMNS} FROM state_machines "
                "WHERE (name, arn) > ($1, $2) "
                "ORDER BY name, arn LIMIT $3"
            )
            rows = await self._fetch(sql, *decode_machine_token(token), limit + 1)
        records = [columns.machine_of(row) for row in rows]
        return resource_page(records, limit, MACHINE_TOKEN, columns.MACHINE_ORDER)

    async def delete_state_machine(self, arn: str) -> None:
        async with self._connection() as conn, conn.transaction():
            for sql in _SQL.cascade:
                await conn.execute(sql, arn)

    # -- versions ----------------------------------------------------------------------

    async def insert_version(self, record: VersionRecord) -> None:
        try:
            await self._execute(_INSERT_COUNTED_VERSION, *columns.VERSION_ROW(record))
        except StoreError as exc:
            if isinstance(exc.__cause__, asyncpg.UniqueViolationError):
                raise StoreError(f"version {record.arn} exists") from exc.__cause__
            raise

    async def insert_next_version(self, record: VersionRecord) -> VersionRecord:
        machine_arn = record.state_machine_arn
        async with self._connection() as conn, conn.transaction():
            number = await conn.fetchval(_NEXT_VERSION, machine_arn)
            if number is None:
                raise StoreError(f"version of unknown state machine {machine_arn}")
            numbered = dataclasses.replace(record, arn=f"{machine_arn}:{number}", version=number)
            try:
                await conn.execute(_SQL.insert_version, *columns.VERSION_ROW(numbered))
            except asyncpg.UniqueViolationError as exc:
                raise StoreError(f"version {numbered.arn} exists") from exc
        return numbered

    async def count_versions(self, state_machine_arn: str) -> int:
        sql = "SELECT count(*) FROM versions WHERE state_machine_arn = $1"
        rows = await self._fetch(sql, state_machine_arn)
        return int(rows[0][0])

    async def get_version(self, arn: str) -> VersionRecord | None:
        sql = f"SELECT {columns.VERSION_COLUMNS} FROM versions WHERE arn = $1"
        return await self._get(sql, arn, columns.version_of)

    async def list_versions(
        self, state_machine_arn: str, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        check_limit(limit)
        sql = f"SELECT {columns.VERSION_COLUMNS} FROM versions WHERE state_machine_arn = $1"
        args: list[Any] = [state_machine_arn]
        if token is not None:
            sql += " AND (version, arn) < ($2, $3)"
            args.extend(decode_version_token(token))
        sql += f" ORDER BY version DESC, arn DESC LIMIT ${len(args) + 1}"
        records = [columns.version_of(row) for row in await self._fetch(sql, *args, limit + 1)]
        return resource_page(records, limit, VERSION_TOKEN, columns.VERSION_ORDER)

    async def delete_version(self, arn: str) -> None:
        await self._delete_with_tags("versions", arn)

    async def _delete_with_tags(self, table: str, arn: str) -> None:
        # ``table`` is one of three literals from this module, never caller input.
        async with self._connection() as conn, conn.transaction():
            await conn.execute(f"DELETE FROM {table} WHERE arn = $1", arn)
            await conn.execute("DELETE FROM tags WHERE resource_arn = $1", arn)

    # -- aliases -----------------------------------------------------------------------

    async def put_alias(self, record: AliasRecord) -> None:
        await self._execute(_SQL.upsert_alias, *columns.ALIAS_ROW(record))

    async def get_alias(self, arn: str) -> AliasRecord | None:
        sql = f"SELECT {columns.ALIAS_COLUMNS} FROM aliases WHERE arn = $1"
        return await self._get(sql, arn, columns.alias_of)

    async def list_aliases(
        self, state_machine_arn: str, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        check_limit(limit)
        sql = f"SELECT {columns.ALIAS_COLUMNS} FROM aliases WHERE state_machine_arn = $1"
        args: list[Any] = [state_machine_arn]
        if token is not None:
            sql += " AND (creation_date, arn) < ($2, $3)"
            args.extend(decode_alias_token(token))
        sql += f" ORDER BY creation_date DESC, arn DESC LIMIT ${len(args) + 1}"
        records = [columns.alias_of(row) for row in await self._fetch(sql, *args, limit + 1)]
        return resource_page(records, limit, ALIAS_TOKEN, columns.ALIAS_ORDER)

    async def delete_alias(self, arn: str) -> None:
        await self._delete_with_tags("aliases", arn)

    # -- tags --------------------------------------------------------------------------

    async def get_tags(self, resource_arn: str) -> dict[str, str]:
        sql = "SELECT key, value FROM tags WHERE resource_arn = $1 ORDER BY seq"
        return {row[0]: row[1] for row in await self._fetch(sql, resource_arn)}

    async def tag(self, resource_arn: str, tags: dict[str, str]) -> None:
        self._ready()
        if not tags:
            return
        rows = [(resource_arn, key, value) for key, value in tags.items()]
        # One row per statement, in dict order, so new keys draw increasing seq values: a
        # multi-row INSERT does not promise the order it evaluates the identity default in.
        async with self._connection() as conn, conn.transaction():
            await conn.executemany(_SQL.upsert_tag, rows)

    async def untag(self, resource_arn: str, keys: Sequence[str]) -> None:
        self._ready()
        if not keys:
            return
        sql = "DELETE FROM tags WHERE resource_arn = $1 AND key = ANY($2::text[])"
        await self._execute(sql, resource_arn, list(keys))

    # -- activities --------------------------------------------------------------------

    async def insert_activity(self, record: ActivityRecord) -> bool:
        return await self._execute(_SQL.insert_activity, *columns.ACTIVITY_ROW(record)) == 1

    async def get_activity(self, arn: str) -> ActivityRecord | None:
        sql = f"SELECT {columns.ACTIVITY_COLUMNS} FROM activities WHERE arn = $1"
        return await self._get(sql, arn, columns.activity_of)

    async def list_activities(self, *, limit: int = 100, token: str | None = None) -> ResourcePage:
        check_limit(limit)
        sql = f"SELECT {columns.ACTIVITY_COLUMNS} FROM activities"
        args: list[Any] = []
        if token is not None:
            sql += " WHERE (name, arn) > ($1, $2)"
            args.extend(decode_activity_token(token))
        sql += f" ORDER BY name, arn LIMIT ${len(args) + 1}"
        records = [columns.activity_of(row) for row in await self._fetch(sql, *args, limit + 1)]
        return resource_page(records, limit, ACTIVITY_TOKEN, columns.ACTIVITY_ORDER)

    async def count_activities(self) -> int:
        rows = await self._fetch("SELECT count(*) FROM activities")
        return int(rows[0][0])

    async def delete_activity(self, arn: str) -> None:
        await self._delete_with_tags("activities", arn)

    async def put_activity_task(self, record: ActivityTaskRecord) -> None:
        await self._execute(_SQL.put_activity_task, *columns.ACTIVITY_TASK_ROW(record))

    async def take_activity_task(self, activity_arn: str) -> ActivityTaskRecord | None:
        rows = await self._fetch(_TAKE_ACTIVITY_TASK, activity_arn)
        return columns.activity_task_of(rows[0]) if rows else None

    async def delete_activity_task(self, task_id: str) -> None:
        await self._execute("DELETE FROM activity_tasks WHERE id = $1", task_id)

    async def count_activity_tasks(self, activity_arn: str) -> int:
        rows = await self._fetch(
            "SELECT count(*) FROM activity_tasks WHERE activity_arn = $1", activity_arn
        )
        return int(rows[0][0])

    # -- settings ----------------------------------------------------------------------

    async def ensure_setting(self, name: str, value: str) -> str:
        async with self._connection() as conn:
            # Two statements, each with a snapshot of its own: when another node's insert
            # won the race, ours waited for it and did nothing, and only a statement that
            # starts after that can see the winner's row.
            await conn.execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                name,
                value,
            )
            stored = await conn.fetchval("SELECT value FROM settings WHERE name = $1", name)
        return str(stored)

    # -- functions ---------------------------------------------------------------------

    async def get_function(self, name: str) -> FunctionRow | None:
        sql = f"SELECT {columns.FUNCTION_COLUMNS} FROM functions WHERE name = $1"
        return await self._get(sql, name, columns.function_of)

    async def function_revisions(self) -> dict[str, str]:
        rows = await self._fetch("SELECT name, revision FROM functions")
        return {row[0]: row[1] for row in rows}

    async def put_function(
        self, name: str, *, revision: str, record: str, updated: float, expected: str | None
    ) -> bool:
        values = (name, revision, record, updated)
        if expected is None:
            return await self._execute(_SQL.insert_function, *values) == 1
        return await self._execute(_REPLACE_FUNCTION, *values, expected) == 1

    async def delete_function(self, name: str, *, expected: str) -> bool:
        sql = "DELETE FROM functions WHERE name = $1 AND revision = $2"
        return await self._execute(sql, name, expected) == 1

    async def put_function_code(self, digest: str, data: bytes, *, stored: float) -> None:
        await self._execute(_PUT_CODE, digest, data, stored)

    async def get_function_code(self, digest: str) -> bytes | None:
        async with self._connection() as conn:
            data = await conn.fetchval("SELECT zip FROM function_code WHERE digest = $1", digest)
        return None if data is None else bytes(data)

    async def prune_function_code(self, keep: Sequence[str], *, stored_before: float) -> int:
        return await self._execute(_PRUNE_CODE, list(keep), stored_before)
