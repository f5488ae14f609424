"""SqliteStore: the embedded default Store, stdlib sqlite3 in WAL mode on one worker thread.

Every database call runs on a single dedicated thread that owns the one connection, so the
event loop never blocks on disk and there is exactly one writer (SQLite allows one anyway;
queueing here is cheaper than contending for its lock). ``commit`` writes a whole scheduler
tick in one ``BEGIN IMMEDIATE`` transaction with one ``executemany`` per table, which is what
makes thousands of durable transitions per second possible with ``synchronous=FULL``.
State machines, versions, aliases and tags are in ``sqlite_resources.py`` (a mixin).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from operator import attrgetter
from typing import Any, TypeVar

from statewise.store import columns
from statewise.store.base import (
    Batch,
    DuplicateExecution,
    EventRecord,
    ExecutionPage,
    ExecutionRecord,
    ExecutionStatus,
    FrameRecord,
    StoreError,
    WorkRecord,
)
from statewise.store.memory import check_limit, decode_page_token, encode_page_token
from statewise.store.migrate import migrate_sqlite
from statewise.store.sqlite_resources import SqliteResources

_T = TypeVar("_T")

_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
# SQLite's default limit on ``?`` parameters is 32766 since 3.32 but 999 before; stay below.
_IN_CHUNK = 500

# Column lists and row getters: attrgetter builds each row tuple in C, so a commit costs no
# Python bytecode per row beyond the executemany loop itself.
_EXECUTION_FIELDS = (
    "arn",
    "state_machine_arn",
    "name",
    "definition_id",
    "status",
    "input",
    "start_date",
    "role_arn",
    "stop_date",
    "output",
    "error",
    "cause",
    "version_arn",
    "alias_arn",
    "trace_header",
    "last_event_id",
)
_EXECUTION_COLUMNS = ", ".join(_EXECUTION_FIELDS)
_EXECUTION_ROW = attrgetter(*_EXECUTION_FIELDS)
# The update sets every column, as MemoryStore replaces the whole record; arn goes last for
# the WHERE clause.
_EXECUTION_UPDATE_ROW = attrgetter(*_EXECUTION_FIELDS[1:], "arn")
_FRAME_COLUMNS = "execution_arn, id, parent_id, idx, state, input, status, data"
_FRAME_ROW = attrgetter(
    "execution_arn", "id", "parent_id", "index", "state", "input", "status", "data"
)
_EVENT_COLUMNS = "execution_arn, id, type, timestamp, previous_event_id, details"
_EVENT_ROW = attrgetter("execution_arn", "id", "type", "timestamp", "previous_event_id", "details")
_WORK_COLUMNS = "id, execution_arn, frame_id, kind, due_at, payload, lease_owner, lease_until"
_WORK_ROW = attrgetter(
    "id", "execution_arn", "frame_id", "kind", "due_at", "payload", "lease_owner", "lease_until"
)
_DEFINITION_ROW = attrgetter("id", "text")
_LEASE_COUNTS = columns.LEASE_COUNTS.format("?")
_RUNNING = f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE arn = ? AND status = 'RUNNING'"
_FRAMES_OF = f"SELECT {_FRAME_COLUMNS} FROM frames WHERE execution_arn = ? ORDER BY id"
_DUE_ORDER = attrgetter("due_at", "id")

_INSERT_DEFINITION = "INSERT INTO definitions (id, text) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"
_INSERT_EXECUTION = f"INSERT INTO executions ({_EXECUTION_COLUMNS}) VALUES ({', '.join('?' * 16)})"
_UPDATE_EXECUTION = (
    "UPDATE executions SET "
    + ", ".join(f"{name} = ?" for name in _EXECUTION_FIELDS[1:])
    + " WHERE arn = ?"
)
_UPSERT_FRAME = (
    f"INSERT INTO frames ({_FRAME_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (execution_arn, id) DO UPDATE SET parent_id = excluded.parent_id, "
    "idx = excluded.idx, state = excluded.state, input = excluded.input, "
    "status = excluded.status, data = excluded.data"
)
_DELETE_FRAME = "DELETE FROM frames WHERE execution_arn = ? AND id = ?"
_INSERT_EVENT = f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
_DELETE_WORK = "DELETE FROM work WHERE id = ?"
_UPSERT_WORK = (
    f"INSERT INTO work ({_WORK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET execution_arn = excluded.execution_arn, "
    "frame_id = excluded.frame_id, kind = excluded.kind, due_at = excluded.due_at, "
    "payload = excluded.payload, lease_owner = excluded.lease_owner, "
    "lease_until = excluded.lease_until"
)
_CLOSE_FRAMES = "DELETE FROM frames WHERE execution_arn = ?"
_CLOSE_WORK = "DELETE FROM work WHERE execution_arn = ?"
_CLAIM = (
    "UPDATE work SET lease_owner = ?, lease_until = ? WHERE id IN ("
    "SELECT id FROM work WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
    f"ORDER BY due_at, id LIMIT ?) RETURNING {_WORK_COLUMNS}"
)


def _exists(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> bool:
    return conn.execute(sql, params).fetchone() is not None


def _insert_all(
    conn: sqlite3.Connection,
    sql: str,
    rows: Sequence[_T],
    getter: Callable[[_T], Any],
    error: Callable[[_T], StoreError],
) -> None:
    """``executemany`` an INSERT; a primary-key clash raises ``error(offending record)``.

    Every row before the failing one was inserted, so the growth of ``total_changes`` is the
    failing row's index: an exact answer at no cost to a commit that succeeds.
    """
    before = conn.total_changes
    try:
        conn.executemany(sql, map(getter, rows))
    except sqlite3.IntegrityError as exc:
        failed = conn.total_changes - before
        if exc.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY" or failed >= len(rows):
            raise  # another constraint (NOT NULL): _run reports it as a StoreError
        raise error(rows[failed]) from exc


def _duplicate_event(event: EventRecord) -> StoreError:
    return StoreError(f"duplicate history event {event.id} of {event.execution_arn}")


def _duplicate_execution(execution: ExecutionRecord) -> StoreError:
    return DuplicateExecution(execution.arn)


def _apply(conn: sqlite3.Connection, batch: Batch) -> None:
    """Write a batch in Batch's documented order; the caller owns the transaction."""
    if batch.definitions:
        conn.executemany(_INSERT_DEFINITION, map(_DEFINITION_ROW, batch.definitions))
    if batch.new_executions:
        _insert_all(
            conn, _INSERT_EXECUTION, batch.new_executions, _EXECUTION_ROW, _duplicate_execution
        )
    if batch.executions:
        updated = conn.executemany(_UPDATE_EXECUTION, map(_EXECUTION_UPDATE_ROW, batch.executions))
        # executemany sums the rows each UPDATE matched; a shortfall is an unknown arn.
        if updated.rowcount != len(batch.executions):
            for execution in batch.executions:
                if not _exists(conn, "SELECT 1 FROM executions WHERE arn = ?", (execution.arn,)):
                    raise StoreError(f"update of unknown execution {execution.arn}")
            raise StoreError("execution update matched an unexpected number of rows")
    if batch.frames:
        conn.executemany(_UPSERT_FRAME, map(_FRAME_ROW, batch.frames))
    if batch.deleted_frames:
        conn.executemany(_DELETE_FRAME, batch.deleted_frames)
    if batch.events:
        _insert_all(conn, _INSERT_EVENT, batch.events, _EVENT_ROW, _duplicate_event)
    if batch.deleted_work:
        conn.executemany(_DELETE_WORK, ((work_id,) for work_id in batch.deleted_work))
    if batch.work:
        conn.executemany(_UPSERT_WORK, map(_WORK_ROW, batch.work))
    if batch.closed_executions:
        # Last, so that nothing of a closed execution survives the commit, even work or
        # frames the same batch wrote for it.
        closed = [(arn,) for arn in batch.closed_executions]
        conn.executemany(_CLOSE_FRAMES, closed)
        conn.executemany(_CLOSE_WORK, closed)


def _in_transaction(conn: sqlite3.Connection, body: Callable[[], _T]) -> _T:
    """Run ``body`` in ``BEGIN IMMEDIATE ... COMMIT``; roll back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = body()
        conn.execute("COMMIT")
    except BaseException:
        # A failed COMMIT or some I/O errors end the transaction themselves; rolling back
        # then would raise "no transaction is active" and hide the real error.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


class SqliteStore(SqliteResources):
    """The Store protocol on one SQLite file (or ``":memory:"``)."""

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "FULL") -> None:
        mode = synchronous.upper()
        if mode not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, not {mode!r}")
        self._path = os.fspath(path)
        self._synchronous = mode
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        # Created, used and closed only on the worker thread (sqlite3 enforces this).
        self._conn: sqlite3.Connection | None = None

    # -- plumbing ----------------------------------------------------------------------

    async def _run(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``fn(connection)`` on the worker thread; sqlite errors become StoreError."""
        if self._closed:
            raise StoreError("store is closed")
        if self._executor is None:
            raise StoreError("store is not open; call open() first")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, self._on_worker, fn)
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite ({self._path}): {exc}") from exc

    async def _transact(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``fn(connection)`` on the worker thread in one ``BEGIN IMMEDIATE`` transaction."""
        return await self._run(lambda conn: _in_transaction(conn, lambda: fn(conn)))

    def _on_worker(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        if self._conn is None:
            raise StoreError("store connection is closed")
        return fn(self._conn)

    def _connect(self) -> None:
        # isolation_level=None: the sqlite3 module never opens transactions behind our back;
        # every write is an explicit BEGIN IMMEDIATE, so lock errors surface at BEGIN.
        conn = sqlite3.connect(self._path, isolation_level=None, timeout=5.0)
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode not in ("wal", "memory"):
                raise StoreError(f"cannot use WAL journal mode on {self._path} (got {mode!r})")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            migrate_sqlite(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            # SQLite's advice for long-lived connections: refresh planner stats on close.
            conn.execute("PRAGMA optimize")
        finally:
            conn.close()

    # -- lifecycle ---------------------------------------------------------------------

    async def open(self) -> None:
        if self._closed:
            raise StoreError("store is closed")
        if self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="statewise-sqlite")
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._connect)
        except sqlite3.Error as exc:
            self._abandon()
            raise StoreError(f"sqlite ({self._path}): {exc}") from exc
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is None:
            return
        try:
            # Queued behind every call already submitted, so those finish first.
            await asyncio.get_running_loop().run_in_executor(executor, self._disconnect)
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite ({self._path}): {exc}") from exc
        finally:
            executor.shutdown(wait=False)

    # -- writes ------------------------------------------------------------------------

    async def commit(self, batch: Batch) -> None:
        """Apply ``batch`` in one transaction.

        A caller cancelled while waiting cannot tell whether the batch landed: once the worker
        has started it, it runs to COMMIT or ROLLBACK regardless.
        """
        if batch.empty():
            return

        def work(conn: sqlite3.Connection) -> None:
            _in_transaction(conn, lambda: _apply(conn, batch))

        await self._run(work)

    # -- reads -------------------------------------------------------------------------

    async def get_definition(self, definition_id: str) -> str | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT text FROM definitions WHERE id = ?", (definition_id,)
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._run(read)

    async def get_execution(self, arn: str) -> ExecutionRecord | None:
        def read(conn: sqlite3.Connection) -> ExecutionRecord | None:
            row = conn.execute(
                f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE arn = ?", (arn,)
            ).fetchone()
            return None if row is None else columns.execution_of(row)

        return await self._run(read)

    async def list_executions(
        self,
        state_machine_arn: str,
        *,
        status: ExecutionStatus | None = None,
        limit: int = 100,
        token: str | None = None,
        version_arn: str | None = None,
        alias_arn: str | None = None,
    ) -> ExecutionPage:
        check_limit(limit)
        sql = f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE state_machine_arn = ?"
        params: list[Any] = [state_machine_arn]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        # Served by the partial indexes of 0002: `= ?` implies the IS NOT NULL they require.
        if version_arn is not None:
            sql += " AND version_arn = ?"
            params.append(version_arn)
        if alias_arn is not None:
            sql += " AND alias_arn = ?"
            params.append(alias_arn)
        if token is not None:
            # Keyset pagination: a row value comparison the (machine, start_date, arn) index
            # serves as a range, so page N costs the same as page 1.
            sql += " AND (start_date, arn) < (?, ?)"
            params.extend(decode_page_token(token))
        sql += " ORDER BY start_date DESC, arn DESC LIMIT ?"
        # One row more than asked tells whether another page exists, so the last page never
        # carries a token that leads to an empty page.
        params.append(limit + 1)

        def read(conn: sqlite3.Connection) -> list[ExecutionRecord]:
            return [columns.execution_of(row) for row in conn.execute(sql, params)]

        records = await self._run(read)
        if len(records) <= limit:
            return ExecutionPage(executions=records)
        last = records[limit - 1]
        return ExecutionPage(
            executions=records[:limit], next_token=encode_page_token(last.start_date, last.arn)
        )

    async def count_executions(self, state_machine_arn: str) -> dict[ExecutionStatus, int]:
        def read(conn: sqlite3.Connection) -> dict[ExecutionStatus, int]:
            rows = conn.execute(
                "SELECT status, count(*) FROM executions WHERE state_machine_arn = ? "
                "GROUP BY status",
                (state_machine_arn,),
            )
            return {ExecutionStatus(status): count for status, count in rows}

        return await self._run(read)

    async def load_running(
        self, arns: Sequence[str]
    ) -> dict[str, tuple[ExecutionRecord, list[FrameRecord]]]:
        wanted = list(dict.fromkeys(arns))

        def read(conn: sqlite3.Connection) -> dict[str, tuple[ExecutionRecord, list[FrameRecord]]]:
            # One thread hop for the whole tick; each lookup is a primary-key probe.
            loaded = {}
            for arn in wanted:
                row = conn.execute(_RUNNING, (arn,)).fetchone()
                if row is None:
                    continue
                frames = [columns.frame_of(f) for f in conn.execute(_FRAMES_OF, (arn,))]
                loaded[arn] = (columns.execution_of(row), frames)
            return loaded

        return await self._run(read) if wanted else {}

    async def get_frames(self, execution_arn: str) -> list[FrameRecord]:
        def read(conn: sqlite3.Connection) -> list[FrameRecord]:
            rows = conn.execute(
                f"SELECT {_FRAME_COLUMNS} FROM frames WHERE execution_arn = ? ORDER BY id",
                (execution_arn,),
            )
            return [columns.frame_of(row) for row in rows]

        return await self._run(read)

    async def get_work(self, execution_arn: str) -> list[WorkRecord]:
        def read(conn: sqlite3.Connection) -> list[WorkRecord]:
            rows = conn.execute(
                f"SELECT {_WORK_COLUMNS} FROM work WHERE execution_arn = ? ORDER BY due_at, id",
                (execution_arn,),
            )
            return [columns.work_of(row) for row in rows]

        return await self._run(read)

    async def get_events(
        self,
        execution_arn: str,
        *,
        after_id: int = 0,
        limit: int = 1000,
        reverse: bool = False,
    ) -> list[EventRecord]:
        if limit < 1:
            # SQLite reads a negative LIMIT as "no limit"; an empty answer is what was asked.
            return []
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE execution_arn = ?"
        params: tuple[Any, ...]
        if not reverse:
            sql += " AND id > ? ORDER BY id LIMIT ?"
            params = (execution_arn, after_id, limit)
        elif after_id == 0:
            sql += " ORDER BY id DESC LIMIT ?"
            params = (execution_arn, limit)
        else:
            sql += " AND id < ? ORDER BY id DESC LIMIT ?"
            params = (execution_arn, after_id, limit)

        def read(conn: sqlite3.Connection) -> list[EventRecord]:
            return [columns.event_of(row) for row in conn.execute(sql, params)]

        return await self._run(read)

    async def execution_arns_with_work(self, arns: Sequence[str]) -> set[str]:
        def read(conn: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(arns), _IN_CHUNK):
                chunk = list(arns[start : start + _IN_CHUNK])
                marks = ", ".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT DISTINCT execution_arn FROM work WHERE execution_arn IN ({marks})",
                    chunk,
                )
                found.update(row[0] for row in rows)
            return found

        if not arns:
            return set()
        return await self._run(read)

    # -- scheduling --------------------------------------------------------------------

    async def claim_due(
        self, *, now: float, limit: int, owner: str, lease_seconds: float
    ) -> list[WorkRecord]:
        if limit < 1:
            return []
        params = (owner, now + lease_seconds, now, now, limit)

        def claim(conn: sqlite3.Connection) -> list[WorkRecord]:
            # fetchall inside the transaction: RETURNING rows must be stepped before COMMIT.
            return _in_transaction(
                conn,
                lambda: [columns.work_of(row) for row in conn.execute(_CLAIM, params).fetchall()],
            )

        # RETURNING gives rows in no promised order; the contract is earliest first.
        return sorted(await self._run(claim), key=_DUE_ORDER)

    async def next_due(self) -> float | None:
        def read(conn: sqlite3.Connection) -> float | None:
            row = conn.execute(
                "SELECT due_at FROM work WHERE lease_until IS NULL ORDER BY due_at, id LIMIT 1"
            ).fetchone()
            return None if row is None else float(row[0])

        return await self._run(read)

    async def release_leases(self, owner: str) -> int:
        def release(conn: sqlite3.Connection) -> int:
            def body() -> int:
                cursor = conn.execute(
                    "UPDATE work SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
                    (owner,),
                )
                return cursor.rowcount

            return _in_transaction(conn, body)

        return await self._run(release)

    async def renew_leases(self, owner: str, ids: Sequence[str], until: float) -> set[str]:
        if not ids:
            return set()

        def renew(conn: sqlite3.Connection) -> set[str]:
            sql = "UPDATE work SET lease_until = ? WHERE id = ? AND lease_owner = ? RETURNING id"

            def body() -> set[str]:
                return {
                    row[0]
                    for work_id in ids
                    for row in conn.execute(sql, (until, work_id, owner)).fetchall()
                }

            return _in_transaction(conn, body)

        return await self._run(renew)

    async def lease_counts(self, now: float) -> dict[str, tuple[int, int]]:
        def read(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
            rows = conn.execute(_LEASE_COUNTS, (now,)).fetchall()
            return {row[0]: (int(row[1]), int(row[2])) for row in rows}

        return await self._run(read)

    # One process per database file: no other node to keep out, nothing to hear from.

    async def lock_executions(self, arns: Sequence[str]) -> set[str]:
        return set(arns)

    async def unlock_executions(self) -> None:
        return None

    async def wait_for_closes(self, timeout: float) -> bool:
        await asyncio.sleep(timeout)
        return False

    async def wait_for_work(self, timeout: float) -> bool:
        await asyncio.sleep(timeout)
        return False
