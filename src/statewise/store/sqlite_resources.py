"""SqliteStore's resource methods: state machines, versions, aliases and tags (schema 0002);
activities, their pending tasks and settings (schema 0003); Lambda functions and their code
(schema 0004).

They live apart from the execution hot path in ``sqlite.py`` because they share nothing with
it but the worker thread: each call is one small statement or transaction, not a batch.
:class:`SqliteResources` is a mixin; :class:`~statewise.store.sqlite.SqliteStore` supplies
``_run`` (run a function on the worker thread that owns the connection) and ``_transact``
(the same, inside one ``BEGIN IMMEDIATE`` transaction).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Sequence
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

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

_T = TypeVar("_T")

# Column order is the record's field order, so a row maps onto the record by position;
# the statements both dialects share are built once, in columns.py.
_SQL = columns.statements(lambda n: f"?{n}")

# Every column but arn, as MemoryStore replaces the whole record; arn goes last for WHERE.
_UPDATE_MACHINE = (
    "UPDATE state_machines SET "
    + ", ".join(f"{name} = ?" for name in columns.MACHINE_FIELDS[1:])
    + " WHERE arn = ?"
)
_UPDATE_MACHINE_ROW = attrgetter(*columns.MACHINE_FIELDS[1:], "arn")
# A version's number counts as used by its machine, whichever way it was inserted.
_COUNT_VERSION = "UPDATE state_machines SET last_version = max(last_version, ?) WHERE arn = ?"
# Versions inserted before their machine existed count too, so the number chosen never
# clashes with one of the machine's own versions.
_NEXT_VERSION = (
    "SELECT max(last_version, coalesce("
    "(SELECT max(version) FROM versions WHERE state_machine_arn = ?1), 0)) + 1 "
    "FROM state_machines WHERE arn = ?1"
)
_TAKE_ACTIVITY_TASK = (
    "DELETE FROM activity_tasks WHERE seq = ("
    "SELECT seq FROM activity_tasks WHERE activity_arn = ? ORDER BY seq LIMIT 1) "
    f"RETURNING {columns.ACTIVITY_TASK_COLUMNS}"
)
# The revision read is part of the WHERE: a row another writer changed since is left alone.
_REPLACE_FUNCTION = (
    "UPDATE functions SET revision = ?, record = ?, updated = ? WHERE name = ? AND revision = ?"
)
_PUT_CODE = (
    "INSERT INTO function_code (digest, zip, stored) VALUES (?, ?, ?) "
    "ON CONFLICT (digest) DO UPDATE SET stored = max(stored, excluded.stored)"
)


def _insert_version(conn: sqlite3.Connection, record: VersionRecord) -> None:
    """Insert a version and count its number as used; the caller owns the transaction."""
    try:
        conn.execute(_SQL.insert_version, columns.VERSION_ROW(record))
    except sqlite3.IntegrityError as exc:
        if exc.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
            raise  # another constraint (NOT NULL): _run reports it as a StoreError
        raise StoreError(f"version {record.arn} exists") from exc
    conn.execute(_COUNT_VERSION, (record.version, record.state_machine_arn))


def _fetch(
    sql: str, params: Sequence[Any], record: Callable[[Any], _T]
) -> Callable[[sqlite3.Connection], list[_T]]:
    def read(conn: sqlite3.Connection) -> list[_T]:
        return [record(row) for row in conn.execute(sql, params)]

    return read


class SqliteResources:
    """The resource half of the Store protocol, on the connection ``_run`` hands out."""

    # Overridden by SqliteStore; defined so that the mixin type-checks on its own.
    async def _run(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        raise NotImplementedError

    async def _transact(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        raise NotImplementedError

    async def _execute(self, sql: str, params: Sequence[Any]) -> int:
        """One statement in its own transaction; how many rows it changed."""
        return await self._transact(lambda conn: conn.execute(sql, params).rowcount)

    async def _get(self, sql: str, arn: str, record: Callable[[Any], _T]) -> _T | None:
        found = await self._run(_fetch(sql, (arn,), record))
        return found[0] if found else None

    # -- state machines ----------------------------------------------------------------

    async def insert_state_machine(self, record: StateMachineRecord) -> bool:
        return await self._execute(_SQL.insert_machine, columns.MACHINE_ROW(record)) == 1

    async def update_state_machine(self, record: StateMachineRecord) -> None:
        if await self._execute(_UPDATE_MACHINE, _UPDATE_MACHINE_ROW(record)) == 0:
            raise StoreError(f"update of unknown state machine {record.arn}")

    async def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        sql = f"SELECT {columns.MACHINE_COLUMNS} FROM state_machines WHERE arn = ?"
        return await self._get(sql, arn, columns.machine_of)

    async def list_state_machines(
        self, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        check_limit(limit)
        sql = f"SELECT {columns.MACHINE_COLUMNS} FROM state_machines"
        params: list[Any] = []
        if token is not None:
            # Keyset pagination on the (name, arn) index: page N costs what page 1 does, and
            # rows added or deleted between pages cannot shift what a token points after.
            sql += " WHERE (name, arn) > (?, ?)"
            params.extend(decode_machine_token(token))
        sql += " ORDER BY name, arn LIMIT ?"
        params.append(limit + 1)
        records = await self._run(_fetch(sql, params, columns.machine_of))
        return resource_page(records, limit, MACHINE_TOKEN, columns.MACHINE_ORDER)

    async def delete_state_machine(self, arn: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            for sql in _SQL.cascade:
                conn.execute(sql, (arn,))

        await self._transact(delete)

    # -- versions ----------------------------------------------------------------------

    async def insert_version(self, record: VersionRecord) -> None:
        await self._transact(lambda conn: _insert_version(conn, record))

    async def insert_next_version(self, record: VersionRecord) -> VersionRecord:
        def insert(conn: sqlite3.Connection) -> VersionRecord:
            # One BEGIN IMMEDIATE transaction: no other writer runs between the read of
            # the count and the insert (SQLite has one writer at a time).
            row = conn.execute(_NEXT_VERSION, (record.state_machine_arn,)).fetchone()
            if row is None:
                raise StoreError(f"version of unknown state machine {record.state_machine_arn}")
            number = int(row[0])
            numbered = dataclasses.replace(
                record, arn=f"{record.state_machine_arn}:{number}", version=number
            )
            _insert_version(conn, numbered)
            return numbered

        return await self._transact(insert)

    async def count_versions(self, state_machine_arn: str) -> int:
        sql = "SELECT count(*) FROM versions WHERE state_machine_arn = ?"
        found = await self._run(_fetch(sql, (state_machine_arn,), itemgetter(0)))
        return int(found[0])

    async def get_version(self, arn: str) -> VersionRecord | None:
        sql = f"SELECT {columns.VERSION_COLUMNS} FROM versions WHERE arn = ?"
        return await self._get(sql, arn, columns.version_of)

    async def list_versions(
        self, state_machine_arn: str, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        check_limit(limit)
        sql = f"SELECT {columns.VERSION_COLUMNS} FROM versions WHERE state_machine_arn = ?"
        params: list[Any] = [state_machine_arn]
        if token is not None:
            sql += " AND (version, arn) < (?, ?)"
            params.extend(decode_version_token(token))
        sql += " ORDER BY version DESC, arn DESC LIMIT ?"
        params.append(limit + 1)
        records = await self._run(_fetch(sql, params, columns.version_of))
        return resource_page(records, limit, VERSION_TOKEN, columns.VERSION_ORDER)

    async def delete_version(self, arn: str) -> None:
        await self._delete_with_tags("versions", arn)

    async def _delete_with_tags(self, table: str, arn: str) -> None:
        # ``table`` is one of three literals from this module, never caller input.
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute(f"DELETE FROM {table} WHERE arn = ?", (arn,))
            conn.execute("DELETE FROM tags WHERE resource_arn = ?", (arn,))

        await self._transact(delete)

    # -- aliases -----------------------------------------------------------------------

    async def put_alias(self, record: AliasRecord) -> None:
        await self._execute(_SQL.upsert_alias, columns.ALIAS_ROW(record))

    async def get_alias(self, arn: str) -> AliasRecord | None:
        sql = f"SELECT {columns.ALIAS_COLUMNS} FROM aliases WHERE arn = ?"
        return await self._get(sql, arn, columns.alias_of)

    async def list_aliases(
        self, state_machine_arn: str, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        check_limit(limit)
        sql = f"SELECT {columns.ALIAS_COLUMNS} FROM aliases WHERE state_machine_arn = ?"
        params: list[Any] = [state_machine_arn]
        if token is not None:
            sql += " AND (creation_date, arn) < (?, ?)"
            params.extend(decode_alias_token(token))
        sql += " ORDER BY creation_date DESC, arn DESC LIMIT ?"
        params.append(limit + 1)
        records = await self._run(_fetch(sql, params, columns.alias_of))
        return resource_page(records, limit, ALIAS_TOKEN, columns.ALIAS_ORDER)

    async def delete_alias(self, arn: str) -> None:
        await self._delete_with_tags("aliases", arn)

    # -- tags --------------------------------------------------------------------------

    async def get_tags(self, resource_arn: str) -> dict[str, str]:
        sql = "SELECT key, value FROM tags WHERE resource_arn = ? ORDER BY seq"
        pairs = await self._run(_fetch(sql, (resource_arn,), itemgetter(0, 1)))
        return dict(pairs)

    async def tag(self, resource_arn: str, tags: dict[str, str]) -> None:
        if not tags:
            return
        rows = [(resource_arn, key, value) for key, value in tags.items()]
        # In dict order, so new keys get increasing seq values: insertion order on read.
        await self._transact(lambda conn: conn.executemany(_SQL.upsert_tag, rows))

    async def untag(self, resource_arn: str, keys: Sequence[str]) -> None:
        if not keys:
            return
        rows = [(resource_arn, key) for key in keys]
        sql = "DELETE FROM tags WHERE resource_arn = ? AND key = ?"
        await self._transact(lambda conn: conn.executemany(sql, rows))

    # -- activities --------------------------------------------------------------------

    async def insert_activity(self, record: ActivityRecord) -> bool:
        return await self._execute(_SQL.insert_activity, columns.ACTIVITY_ROW(record)) == 1

    async def get_activity(self, arn: str) -> ActivityRecord | None:
        sql = f"SELECT {columns.ACTIVITY_COLUMNS} FROM activities WHERE arn = ?"
        return await self._get(sql, arn, columns.activity_of)

    async def list_activities(self, *, limit: int = 100, token: str | None = None) -> ResourcePage:
        check_limit(limit)
        sql = f"SELECT {columns.ACTIVITY_COLUMNS} FROM activities"
        params: list[Any] = []
        if token is not None:
            sql += " WHERE (name, arn) > (?, ?)"
            params.extend(decode_activity_token(token))
        sql += " ORDER BY name, arn LIMIT ?"
        params.append(limit + 1)
        records = await self._run(_fetch(sql, params, columns.activity_of))
        return resource_page(records, limit, ACTIVITY_TOKEN, columns.ACTIVITY_ORDER)

    async def count_activities(self) -> int:
        found = await self._run(_fetch("SELECT count(*) FROM activities", (), itemgetter(0)))
        return int(found[0])

    async def delete_activity(self, arn: str) -> None:
        await self._delete_with_tags("activities", arn)

    async def put_activity_task(self, record: ActivityTaskRecord) -> None:
        await self._execute(_SQL.put_activity_task, columns.ACTIVITY_TASK_ROW(record))

    async def take_activity_task(self, activity_arn: str) -> ActivityTaskRecord | None:
        def take(conn: sqlite3.Connection) -> ActivityTaskRecord | None:
            # fetchone inside the transaction: RETURNING rows must be stepped before COMMIT.
            row = conn.execute(_TAKE_ACTIVITY_TASK, (activity_arn,)).fetchone()
            return None if row is None else columns.activity_task_of(row)

        return await self._transact(take)

    async def delete_activity_task(self, task_id: str) -> None:
        await self._execute("DELETE FROM activity_tasks WHERE id = ?", (task_id,))

    async def count_activity_tasks(self, activity_arn: str) -> int:
        sql = "SELECT count(*) FROM activity_tasks WHERE activity_arn = ?"
        found = await self._run(_fetch(sql, (activity_arn,), itemgetter(0)))
        return int(found[0])

    # -- settings ----------------------------------------------------------------------

    async def ensure_setting(self, name: str, value: str) -> str:
        def ensure(conn: sqlite3.Connection) -> str:
            conn.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                (name, value),
            )
            row = conn.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
            return str(row[0])

        return await self._transact(ensure)

    # -- functions ---------------------------------------------------------------------

    async def get_function(self, name: str) -> FunctionRow | None:
        sql = f"SELECT {columns.FUNCTION_COLUMNS} FROM functions WHERE name = ?"
        return await self._get(sql, name, columns.function_of)

    async def function_revisions(self) -> dict[str, str]:
        pairs = await self._run(
            _fetch("SELECT name, revision FROM functions", (), itemgetter(0, 1))
        )
        return dict(pairs)

    async def put_function(
        self, name: str, *, revision: str, record: str, updated: float, expected: str | None
    ) -> bool:
        if expected is None:
            return await self._execute(_SQL.insert_function, (name, revision, record, updated)) == 1
        params = (revision, record, updated, name, expected)
        return await self._execute(_REPLACE_FUNCTION, params) == 1

    async def delete_function(self, name: str, *, expected: str) -> bool:
        sql = "DELETE FROM functions WHERE name = ? AND revision = ?"
        return await self._execute(sql, (name, expected)) == 1

    async def put_function_code(self, digest: str, data: bytes, *, stored: float) -> None:
        await self._execute(_PUT_CODE, (digest, data, stored))

    async def get_function_code(self, digest: str) -> bytes | None:
        sql = "SELECT zip FROM function_code WHERE digest = ?"
        found = await self._run(_fetch(sql, (digest,), itemgetter(0)))
        return bytes(found[0]) if found else None

    async def prune_function_code(self, keep: Sequence[str], *, stored_before: float) -> int:
        wanted = set(keep)

        def prune(conn: sqlite3.Connection) -> int:
            # Few packages, and the keep set may exceed a statement's parameter limit:
            # choose in Python, delete by key.
            rows = conn.execute(
                "SELECT digest FROM function_code WHERE stored < ?", (stored_before,)
            )
            gone = [(digest,) for (digest,) in rows.fetchall() if digest not in wanted]
            conn.executemany("DELETE FROM function_code WHERE digest = ?", gone)
            return len(gone)

        return await self._transact(prune)
