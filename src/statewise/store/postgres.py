"""PostgresStore: the Store for many nodes, on asyncpg with a connection pool.

Several ``statewise serve`` processes share one database; PostgreSQL is their coordinator.
``commit`` writes a scheduler tick in one transaction with one statement per table
(``postgres_tables.py``). ``claim_due`` leases due work with ``FOR UPDATE SKIP LOCKED``, so
concurrent claimers never wait on, nor get, each other's rows. A commit that adds work due
now sends ``NOTIFY statewise_work``; :meth:`PostgresStore.wait_for_work` (PostgreSQL only,
for now) is how an idle node hears it. State machines, versions, aliases and tags, and the
pool plumbing both halves share, are in ``postgres_resources.py`` (the base class).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from operator import attrgetter
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from statewise.store import columns
from statewise.store.base import (
    Batch,
    EventRecord,
    ExecutionPage,
    ExecutionRecord,
    ExecutionStatus,
    FrameRecord,
    StoreError,
    WorkRecord,
)
from statewise.store.columns import event_of, execution_of, frame_of, work_of
from statewise.store.memory import check_limit, decode_page_token, encode_page_token
from statewise.store.migrate import migrate_postgres
from statewise.store.postgres_resources import DRIVER_ERRORS, PostgresResources
from statewise.store.postgres_tables import (
    CHANNEL,
    CLOSED_CHANNEL,
    EVENTS,
    EXECUTIONS,
    FRAMES,
    WORK,
    commit_batch,
    wakes_a_node,
)

# An execution is held by a session-level advisory lock on the node's tick connection: the
# key is the arn hashed with the schema as seed, so schemas sharing a database never meet.
_KEY = "hashtextextended({}, hashtext(current_schema()))"
# SKIP LOCKED: rows another claimer (or a commit) holds are passed over, not waited for.
# A row a concurrent claim leased and committed meanwhile is re-checked against the WHERE
# (READ COMMITTED re-evaluates locked rows), so its new lease excludes it: never two owners.
# Of the due rows, only those whose execution this session can hold are leased; the lock
# is tried once per execution (a CTE with a volatile function is evaluated exactly once).
_CLAIM = (
    "WITH due AS (SELECT id, execution_arn FROM work "
    "WHERE due_at <= $3 AND (lease_until IS NULL OR lease_until < $3) "
    "ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED), "
    "held AS (SELECT arn FROM (SELECT DISTINCT execution_arn AS arn FROM due) AS d "
    f"WHERE pg_try_advisory_lock({_KEY.format('arn')})) "
    "UPDATE work SET lease_owner = $1, lease_until = $2 FROM due "
    "WHERE work.id = due.id AND due.execution_arn IN (SELECT arn FROM held) "
    "RETURNING " + ", ".join(f"work.{name.strip()}" for name in WORK.split(","))
)
_LOCK = (
    f"SELECT arn FROM unnest($1::text[]) AS arn WHERE pg_try_advisory_lock({_KEY.format('arn')})"
)
_UNLOCK = "SELECT pg_advisory_unlock_all()"
_RUNNING = f"SELECT {EXECUTIONS} FROM executions WHERE arn = ANY($1::text[]) AND status = 'RUNNING'"
_FRAMES_OF = (
    f"SELECT {FRAMES} FROM frames WHERE execution_arn = ANY($1::text[]) ORDER BY execution_arn, id"
)
_RENEW = (
    "UPDATE work SET lease_until = $3 WHERE id = ANY($1::text[]) AND lease_owner = $2 RETURNING id"
)
_Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record]"
_DUE_ORDER = attrgetter("due_at", "id")
# Delivered when the transaction commits (never for a rolled-back one).
_NOTIFY = f"SELECT pg_notify('{CHANNEL}', current_schema())"


def redact(url: str) -> str:
    """``url`` without its password, fit for an error message or a log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


async def _keep_session(_conn: object) -> None:
    """The pool's reset on release: nothing beyond asyncpg's own rollback of an open
    transaction. Pooled connections never change session state (no SET, LISTEN, session
    advisory lock or held cursor; the listener has a connection of its own), so the default
    reset query would only add a round trip to every call (measured: 150 us of each)."""


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresStore(PostgresResources):
    """The Store protocol on a PostgreSQL database (one schema of it).

    ``url`` is a libpq-style ``postgresql://user:password@host:port/database`` URL (query
    parameters as asyncpg accepts them). ``schema``, when given, must exist; every table is
    created and used there (the default is the server's search_path, normally ``public``).
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float = 10.0,
    ) -> None:
        if not 1 <= min_size <= max_size:
            raise ValueError(f"need 1 <= min_size <= max_size, not {min_size}, {max_size}")
        self._url = url
        self._settings = {} if schema is None else {"search_path": _quote_identifier(schema)}
        self._min_size = min_size
        self._max_size = max_size
        self._connect_timeout = connect_timeout
        self._pool: asyncpg.Pool[asyncpg.Record] | None = None
        self._closed = False
        # LISTEN needs a connection of its own for as long as it listens, outside the pool.
        self._listener: asyncpg.Connection[asyncpg.Record] | None = None
        self._listen_schema: str | None = None
        self._wakeup: asyncio.Event | None = None
        self._closes: asyncio.Event | None = None
        # The tick's own connection, outside the pool: it holds the executions a tick
        # locks (session advisory locks), and the tick's commit goes through it, so a
        # commit can only land while the locks it relies on are still held.
        self._tick: asyncpg.Connection[asyncpg.Record] | None = None
        self._tick_guard = asyncio.Lock()
        # Whether the tick connection holds executions now, and whether a hold of the
        # current tick was lost (its commit must fail; cleared when the tick ends).
        self._holds = False
        self._hold_lost = False

    # -- plumbing ----------------------------------------------------------------------

    def _ready(self) -> asyncpg.Pool[asyncpg.Record]:
        if self._closed:
            raise StoreError("store is closed")
        if self._pool is None:
            raise StoreError("store is not open; call open() first")
        return self._pool

    def _failure(self, exc: BaseException) -> StoreError:
        return StoreError(f"postgres ({redact(self._url)}): {exc}")

    # -- lifecycle ---------------------------------------------------------------------

    async def open(self) -> None:
        if self._closed:
            raise StoreError("store is closed")
        if self._pool is not None:
            return
        try:
            pool = await asyncpg.create_pool(
                self._url,
                min_size=self._min_size,
                max_size=self._max_size,
                timeout=self._connect_timeout,
                server_settings=self._settings,
                reset=_keep_session,
            )
        except DRIVER_ERRORS as exc:
            raise self._failure(exc) from exc
        try:
            async with pool.acquire() as conn:
                await migrate_postgres(conn)
        except BaseException as exc:
            pool.terminate()
            if isinstance(exc, DRIVER_ERRORS):
                raise self._failure(exc) from exc
            raise
        self._pool = pool

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        pool, self._pool = self._pool, None
        listener, self._listener = self._listener, None
        tick, self._tick = self._tick, None
        self._holds = False
        if self._wakeup is not None:
            self._wakeup.set()  # a waiter returns now rather than at its timeout
        if self._closes is not None:
            self._closes.set()
        try:
            if listener is not None and not listener.is_closed():
                await listener.close()
            if tick is not None and not tick.is_closed():
                await tick.close()  # any locks it still holds go with it
            if pool is not None:
                # Waits for connections in use to come back, so running calls finish first.
                await pool.close()
        except DRIVER_ERRORS as exc:
            raise self._failure(exc) from exc

    # -- writes ------------------------------------------------------------------------

    async def commit(self, batch: Batch) -> None:
        """Apply ``batch`` in one statement; notify idle nodes if it adds work due now.

        A caller cancelled while waiting cannot tell whether the batch landed: the statement
        may have reached the server.
        """
        self._ready()
        if batch.empty():
            return
        notify = wakes_a_node(batch, time.time())
        async with self._ticking(holding=True) as conn:
            await commit_batch(conn, batch, notify=notify)

    # -- reads -------------------------------------------------------------------------

    async def get_definition(self, definition_id: str) -> str | None:
        rows = await self._fetch("SELECT text FROM definitions WHERE id = $1", definition_id)
        return str(rows[0][0]) if rows else None

    async def get_execution(self, arn: str) -> ExecutionRecord | None:
        sql = f"SELECT {EXECUTIONS} FROM executions WHERE arn = $1"
        rows = await self._fetch(sql, arn)
        return execution_of(rows[0]) if rows else None

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
        args: list[Any] = [state_machine_arn]

        def bind(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        sql = f"SELECT {EXECUTIONS} FROM executions WHERE state_machine_arn = $1"
        if status is not None:
            sql += f" AND status = {bind(str(status))}"
        # Served by the partial indexes of 0002: `= $n` implies the IS NOT NULL they require.
        if version_arn is not None:
            sql += f" AND version_arn = {bind(version_arn)}"
        if alias_arn is not None:
            sql += f" AND alias_arn = {bind(alias_arn)}"
        if token is not None:
            # Keyset pagination: a row comparison the (machine, start_date, arn) index
            # serves as a range, so page N costs the same as page 1.
            start_date, arn = decode_page_token(token)
            sql += f" AND (start_date, arn) < ({bind(start_date)}, {bind(arn)})"
        # One row more than asked tells whether another page exists, so the last page never
        # carries a token that leads to an empty page.
        sql += f" ORDER BY start_date DESC, arn DESC LIMIT {bind(limit + 1)}"
        records = [execution_of(row) for row in await self._fetch(sql, *args)]
        if len(records) <= limit:
            return ExecutionPage(executions=records)
        last = records[limit - 1]
        return ExecutionPage(
            executions=records[:limit], next_token=encode_page_token(last.start_date, last.arn)
        )

    async def count_executions(self, state_machine_arn: str) -> dict[ExecutionStatus, int]:
        sql = "SELECT status, count(*) FROM executions WHERE state_machine_arn = $1 GROUP BY status"
        rows = await self._fetch(sql, state_machine_arn)
        return {ExecutionStatus(row[0]): row[1] for row in rows}

    async def load_running(
        self, arns: Sequence[str]
    ) -> dict[str, tuple[ExecutionRecord, list[FrameRecord]]]:
        if not arns:
            self._ready()
            return {}
        wanted = list(dict.fromkeys(arns))
        # Two statements for the whole tick, however many executions, on one connection.
        async with self._connection() as conn:
            rows = await conn.fetch(_RUNNING, wanted)
            running = [row[0] for row in rows]
            frame_rows = await conn.fetch(_FRAMES_OF, running) if running else []
        frames: dict[str, list[FrameRecord]] = {arn: [] for arn in running}
        for row in frame_rows:
            frames[row[0]].append(frame_of(row))
        return {row[0]: (execution_of(row), frames[row[0]]) for row in rows}

    async def get_frames(self, execution_arn: str) -> list[FrameRecord]:
        sql = f"SELECT {FRAMES} FROM frames WHERE execution_arn = $1 ORDER BY id"
        return [frame_of(row) for row in await self._fetch(sql, execution_arn)]

    async def get_work(self, execution_arn: str) -> list[WorkRecord]:
        sql = f"SELECT {WORK} FROM work WHERE execution_arn = $1 ORDER BY due_at, id"
        return [work_of(row) for row in await self._fetch(sql, execution_arn)]

    async def get_events(
        self,
        execution_arn: str,
        *,
        after_id: int = 0,
        limit: int = 1000,
        reverse: bool = False,
    ) -> list[EventRecord]:
        self._ready()
        if limit < 1:
            return []  # PostgreSQL rejects a negative LIMIT; an empty answer is what was asked
        sql = f"SELECT {EVENTS} FROM events WHERE execution_arn = $1"
        args: tuple[Any, ...]
        if not reverse:
            sql += " AND id > $2 ORDER BY id LIMIT $3"
            args = (execution_arn, after_id, limit)
        elif after_id == 0:
            sql += " ORDER BY id DESC LIMIT $2"
            args = (execution_arn, limit)
        else:
            sql += " AND id < $2 ORDER BY id DESC LIMIT $3"
            args = (execution_arn, after_id, limit)
        return [event_of(row) for row in await self._fetch(sql, *args)]

    async def execution_arns_with_work(self, arns: Sequence[str]) -> set[str]:
        self._ready()
        if not arns:
            return set()
        # One array parameter, however many arns: no chunking as SQLite's ? limit needs.
        sql = "SELECT DISTINCT execution_arn FROM work WHERE execution_arn = ANY($1::text[])"
        return {row[0] for row in await self._fetch(sql, list(arns))}

    # -- scheduling --------------------------------------------------------------------

    async def claim_due(
        self, *, now: float, limit: int, owner: str, lease_seconds: float
    ) -> list[WorkRecord]:
        self._ready()
        if limit < 1:
            return []
        async with self._ticking() as conn:
            rows = await conn.fetch(_CLAIM, owner, now + lease_seconds, now, limit)
            if rows:
                self._holds = True
        # RETURNING gives rows in no promised order; the contract is earliest first.
        return sorted((work_of(row) for row in rows), key=_DUE_ORDER)

    async def next_due(self) -> float | None:
        sql = "SELECT due_at FROM work WHERE lease_until IS NULL ORDER BY due_at, id LIMIT 1"
        rows = await self._fetch(sql)
        return None if not rows else float(rows[0][0])

    async def release_leases(self, owner: str) -> int:
        """Clear ``owner``'s leases; idle nodes are notified if any released item is due."""
        sql = (
            "UPDATE work SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 "
            "RETURNING due_at"
        )
        async with self._connection() as conn, conn.transaction():
            rows = await conn.fetch(sql, owner)
            now = time.time()
            if any(row[0] <= now for row in rows):
                await conn.execute(_NOTIFY)
        return len(rows)

    async def renew_leases(self, owner: str, ids: Sequence[str], until: float) -> set[str]:
        self._ready()
        if not ids:
            return set()
        rows = await self._fetch(_RENEW, list(ids), owner, until)
        return {row[0] for row in rows}

    async def lease_counts(self, now: float) -> dict[str, tuple[int, int]]:
        rows = await self._fetch(columns.LEASE_COUNTS.format("$1"), now)
        return {row[0]: (int(row[1]), int(row[2])) for row in rows}

    # -- holding executions for a tick -------------------------------------------------

    async def lock_executions(self, arns: Sequence[str]) -> set[str]:
        self._ready()
        if not arns:
            return set()
        async with self._ticking() as conn:
            rows = await conn.fetch(_LOCK, list(dict.fromkeys(arns)))
            if rows:
                self._holds = True
        return {row[0] for row in rows}

    async def unlock_executions(self) -> None:
        self._ready()
        try:
            if self._holds:
                async with self._ticking() as conn:
                    if self._holds:  # not if the locks just died with their connection
                        await conn.execute(_UNLOCK)
                    self._holds = False
        finally:
            self._hold_lost = False  # the tick is over: the next one starts afresh

    @contextlib.asynccontextmanager
    async def _ticking(self, *, holding: bool = False) -> AsyncIterator[_Conn]:
        """The tick connection, (re)connected when needed, one caller at a time.

        With ``holding``, a caller relying on held executions (a commit) gets the
        connection that holds them or a StoreError if it was lost: a new connection would
        hold nothing, and the commit could overwrite what another node did since.
        """
        async with self._tick_guard:
            conn = self._tick
            if self._holds and (conn is None or conn.is_closed()):
                # The locks died with the connection; nothing to release, and nothing this
                # tick did under them may be committed, even through a new connection
                # that holds other executions since.
                self._holds = False
                self._hold_lost = True
            if holding and self._hold_lost:
                raise StoreError("lost the hold of this tick's executions")
            if conn is None or conn.is_closed():
                conn = self._tick = await self._connect()
            try:
                yield conn
            except DRIVER_ERRORS as exc:
                if conn.is_closed() and self._holds:
                    self._holds = False
                    self._hold_lost = True
                raise self._failure(exc) from exc

    async def _connect(self) -> asyncpg.Connection[asyncpg.Record]:
        try:
            conn = await asyncpg.connect(
                self._url, timeout=self._connect_timeout, server_settings=self._settings
            )
        except DRIVER_ERRORS as exc:
            raise self._failure(exc) from exc
        if self._closed:  # closed while connecting: do not leave the connection behind
            conn.terminate()
            raise StoreError("store is closed")
        return conn

    # -- wake-ups ----------------------------------------------------------------------

    async def wait_for_work(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a commit that makes work claimable now.

        Any store on this database and schema wakes it, in this process or another:
        ``commit`` and ``release_leases`` send ``NOTIFY statewise_work`` when they add due,
        unleased work. Returns True when woken,
        False after ``timeout``. A True is a hint to claim, not a promise of work: it may be
        spurious (the work was claimed by another node first). The first call only starts
        listening (on a dedicated connection) and returns True at once, because work
        committed before then could not be heard; so does a call after the listening
        connection was lost. A notification that arrives between two calls is kept, so the
        next call returns at once. Meant for one waiter per store: the scheduler loop.

        Raises:
            StoreError: the store is not open, or listening failed.
        """
        self._ready()
        if self._listener is None or self._listener.is_closed() or self._wakeup is None:
            await self._listen()
            return True
        if not self._wakeup.is_set():
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            except TimeoutError:
                return False
        self._wakeup.clear()
        return True

    async def wait_for_closes(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds to hear of a commit that closed executions.

        Heard on the connection :meth:`wait_for_work` listens on; until that listens
        (the scheduler loop starts it), this waits ``timeout`` and answers True, since a
        close could not have been heard.
        """
        self._ready()
        closes = self._closes
        if self._listener is None or self._listener.is_closed() or closes is None:
            await asyncio.sleep(timeout)
            return True
        if not closes.is_set():
            try:
                await asyncio.wait_for(closes.wait(), timeout)
            except TimeoutError:
                return False
        closes.clear()
        return True

    async def _listen(self) -> None:
        old, self._listener = self._listener, None
        if old is not None:
            old.terminate()
        if self._closes is not None:
            self._closes.set()  # what was missed meanwhile is looked for again
        wakeup = self._wakeup = asyncio.Event()
        closes = self._closes = asyncio.Event()
        try:
            conn = await asyncpg.connect(
                self._url, timeout=self._connect_timeout, server_settings=self._settings
            )
        except DRIVER_ERRORS as exc:
            raise self._failure(exc) from exc
        try:
            self._listen_schema = await conn.fetchval("SELECT current_schema()")

            def heard(_conn: object, _pid: int, _channel: str, payload: object) -> None:
                if payload == self._listen_schema:
                    wakeup.set()

            def closed(_conn: object, _pid: int, _channel: str, payload: object) -> None:
                if payload == self._listen_schema:
                    closes.set()

            def lost(_conn: object) -> None:
                wakeup.set()  # the waiter returns, and its next call listens again
                closes.set()

            await conn.add_listener(CHANNEL, heard)
            await conn.add_listener(CLOSED_CHANNEL, closed)
            conn.add_termination_listener(lost)
        except BaseException as exc:
            conn.terminate()
            if isinstance(exc, DRIVER_ERRORS):
                raise self._failure(exc) from exc
            raise
        if self._closed:  # closed while connecting: do not leave the connection behind
            conn.terminate()
            raise StoreError("store is closed")
        self._listener = conn
