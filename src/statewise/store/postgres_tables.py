"""PostgresStore's hot tables in SQL: their columns, row readers, and how a Batch is written.

A whole batch is one SQL statement, so a commit costs one round trip and no BEGIN/COMMIT:
each table's change is a data-modifying CTE, each column's values travel as one array
parameter that ``unnest`` turns back into rows, and the statement is atomic on its own (any
error undoes every CTE). Measured on bench/store_commit.py's batches, one statement commits
1.4-2.3x faster than one statement per table in a transaction for 1-10 transitions, and
arrays beat ``executemany`` from 100 rows up and match ``COPY``, which cannot upsert.

The CTEs of one statement all see the same snapshot and cannot see each other's changes, so
Batch's order of application is resolved here first: each row is touched by at most one CTE
(the last upsert of a key, minus what a later delete or close removes), and updates of an
execution the same batch inserts are folded into the insert.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from statewise.store.base import (
    Batch,
    DuplicateExecution,
    ExecutionRecord,
    StoreError,
    WorkRecord,
)

if TYPE_CHECKING:
    from statewise.store.postgres_resources import Connection

_T = TypeVar("_T")
_K = TypeVar("_K")

# The channel every store of a database notifies on; the payload is the schema the work was
# added to, so stores in other schemas of the same database ignore it.
CHANNEL = "statewise_work"
# Sent by a commit that closes executions: whoever waits for one to close looks again.
CLOSED_CHANNEL = "statewise_closed"

# (column, PostgreSQL type) in record field order: the type casts the unnest() arrays.
_EXECUTION_COLUMNS = (
    ("arn", "text"),
    ("state_machine_arn", "text"),
    ("name", "text"),
    ("definition_id", "text"),
    ("status", "text"),
    ("input", "text"),
    ("start_date", "float8"),
    ("role_arn", "text"),
    ("stop_date", "float8"),
    ("output", "text"),
    ("error", "text"),
    ("cause", "text"),
    ("version_arn", "text"),
    ("alias_arn", "text"),
    ("trace_header", "text"),
    ("last_event_id", "int8"),
)
_FRAME_COLUMNS = (
    ("execution_arn", "text"),
    ("id", "int8"),
    ("parent_id", "int8"),
    ("idx", "int8"),
    ("state", "text"),
    ("input", "text"),
    ("status", "text"),
    ("data", "text"),
)
_EVENT_COLUMNS = (
    ("execution_arn", "text"),
    ("id", "int8"),
    ("type", "text"),
    ("timestamp", "float8"),
    ("previous_event_id", "int8"),
    ("details", "text"),
)
_WORK_COLUMNS = (
    ("id", "text"),
    ("execution_arn", "text"),
    ("frame_id", "int8"),
    ("kind", "text"),
    ("due_at", "float8"),
    ("payload", "text"),
    ("lease_owner", "text"),
    ("lease_until", "float8"),
)
_DEFINITION_COLUMNS = (("id", "text"), ("text", "text"))


def _names(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(name for name, _ in columns)


EXECUTIONS = _names(_EXECUTION_COLUMNS)
FRAMES = _names(_FRAME_COLUMNS)
EVENTS = _names(_EVENT_COLUMNS)
WORK = _names(_WORK_COLUMNS)

# attrgetter builds each row tuple in C; FrameRecord.index is the idx column.
_EXECUTION_ROW = attrgetter(*(name for name, _ in _EXECUTION_COLUMNS))
_FRAME_ROW = attrgetter(*("index" if name == "idx" else name for name, _ in _FRAME_COLUMNS))
_EVENT_ROW = attrgetter(*(name for name, _ in _EVENT_COLUMNS))
_WORK_ROW = attrgetter(*(name for name, _ in _WORK_COLUMNS))
_DEFINITION_ROW = attrgetter("id", "text")
_ARN = attrgetter("arn")
_ID = attrgetter("id")
_FRAME_KEY = attrgetter("execution_arn", "id")
_PAIR = itemgetter(0, 1)


class _Parameters:
    """Numbers the statement's ``$n`` placeholders in the order the arguments are built."""

    def __init__(self) -> None:
        self.count = 0

    def one(self, kind: str) -> str:
        self.count += 1
        return f"${self.count}::{kind}"

    def unnest(self, columns: Sequence[tuple[str, str]]) -> str:
        return "unnest(" + ", ".join(self.one(f"{kind}[]") for _, kind in columns) + ")"


def _commit_statement() -> str:
    p = _Parameters()
    sets = {
        name: ", ".join(f"{column} = excluded.{column}" for column, _ in columns[skip:])
        for name, columns, skip in (("frames", _FRAME_COLUMNS, 2), ("work", _WORK_COLUMNS, 1))
    }
    parts = [
        f"definitions_in AS (INSERT INTO definitions (id, text) "
        f"SELECT * FROM {p.unnest(_DEFINITION_COLUMNS)} ON CONFLICT (id) DO NOTHING)",
        # A plain INSERT: an existing arn is a unique violation, which undoes the statement.
        f"executions_in AS (INSERT INTO executions ({EXECUTIONS}) "
        f"SELECT * FROM {p.unnest(_EXECUTION_COLUMNS)})",
        "executions_up AS (UPDATE executions AS e SET "
        + ", ".join(f"{name} = v.{name}" for name, _ in _EXECUTION_COLUMNS[1:])
        + f" FROM {p.unnest(_EXECUTION_COLUMNS)} AS v({EXECUTIONS}) "
        "WHERE e.arn = v.arn RETURNING 1)",
        f"frames_up AS (INSERT INTO frames ({FRAMES}) SELECT * FROM {p.unnest(_FRAME_COLUMNS)} "
        f"ON CONFLICT (execution_arn, id) DO UPDATE SET {sets['frames']})",
        f"frames_out AS (DELETE FROM frames AS f USING "
        f"{p.unnest((('execution_arn', 'text'), ('id', 'int8')))} AS d(execution_arn, id) "
        "WHERE f.execution_arn = d.execution_arn AND f.id = d.id)",
        f"events_in AS (INSERT INTO events ({EVENTS}) SELECT * FROM {p.unnest(_EVENT_COLUMNS)})",
        f"work_out AS (DELETE FROM work WHERE id = ANY({p.one('text[]')}))",
        f"work_up AS (INSERT INTO work ({WORK}) SELECT * FROM {p.unnest(_WORK_COLUMNS)} "
        f"ON CONFLICT (id) DO UPDATE SET {sets['work']})",
    ]
    closed = p.one("text[]")
    kept = p.one("text[]")
    parts += [
        f"frames_closed AS (DELETE FROM frames WHERE execution_arn = ANY({closed}))",
        # Not the rows work_up rewrites: two CTEs must never change one row.
        f"work_closed AS (DELETE FROM work WHERE execution_arn = ANY({closed}) "
        f"AND id <> ALL({kept}))",
    ]
    updates = p.one("int8")
    notify = p.one("bool")
    # Data-modifying CTEs run to completion whether or not the query reads them; the checks
    # below run after, and an error there undoes the whole statement. pg_notify is sent on
    # commit only, merged with any identical notification of the same transaction.
    return (
        "WITH "
        + ", ".join(parts)
        + f" SELECT CASE WHEN (SELECT count(*) FROM executions_up) <> {updates} "
        f"THEN statewise_abort('{UNKNOWN_EXECUTION}') END, "
        f"CASE WHEN {notify} THEN pg_notify('{CHANNEL}', current_schema()) END, "
        f"CASE WHEN cardinality({closed}) > 0 "
        f"THEN pg_notify('{CLOSED_CHANNEL}', current_schema()) END"
    )


# The message statewise_abort (0001_initial.sql) raises for an update of a missing execution.
UNKNOWN_EXECUTION = "statewise: update of unknown execution"
_COMMIT = _commit_statement()


def _arrays(rows: Iterable[_T], getter: Callable[[_T], tuple[Any, ...]], width: int) -> list[Any]:
    """Rows turned into one array per column, the arguments of an ``unnest``."""
    columns = list(zip(*map(getter, rows), strict=True))
    return columns or [()] * width


def _last_by(rows: Iterable[_T], key: Callable[[_T], _K]) -> dict[_K, _T]:
    """The last row for each key: the contract applies a batch's records in order, so the
    last one is what must remain (and one statement cannot change a row twice)."""
    return {key(row): row for row in rows}


def wakes_a_node(batch: Batch, now: float) -> bool:
    """Whether ``batch`` makes work claimable at ``now``: due, unleased, not closed at once.

    Renewed leases (work rewritten with a future ``lease_until``) wake nobody.
    """
    if not batch.work:
        return False
    closed = set(batch.closed_executions)
    return any(
        item.due_at <= now
        and (item.lease_until is None or item.lease_until < now)
        and item.execution_arn not in closed
        for item in batch.work
    )


def _arguments(batch: Batch, notify: bool) -> list[Any]:
    """The commit statement's arguments: Batch's order of application, resolved per row."""
    closed = set(batch.closed_executions)
    inserts = _last_by(batch.new_executions, _ARN)
    updates: dict[str, ExecutionRecord] = {}
    for execution in batch.executions:
        # Inserted, then updated: the row goes in as it ends up.
        (inserts if execution.arn in inserts else updates)[execution.arn] = execution
    deleted_frames = set(batch.deleted_frames)
    frames = [
        frame
        for key, frame in _last_by(batch.frames, _FRAME_KEY).items()
        if key not in deleted_frames and frame.execution_arn not in closed
    ]
    work: list[WorkRecord] = []
    deleted_work = set(batch.deleted_work)
    for item in _last_by(batch.work, _ID).values():
        if item.execution_arn in closed:
            # Rewritten into an execution the batch closes: deleted, as closing comes last.
            deleted_work.add(item.id)
        else:
            work.append(item)
    kept = [item.id for item in work]
    deleted_work.difference_update(kept)
    return [
        *_arrays(batch.definitions, _DEFINITION_ROW, 2),
        *_arrays(inserts.values(), _EXECUTION_ROW, len(_EXECUTION_COLUMNS)),
        *_arrays(updates.values(), _EXECUTION_ROW, len(_EXECUTION_COLUMNS)),
        *_arrays(frames, _FRAME_ROW, len(_FRAME_COLUMNS)),
        *_arrays(deleted_frames, _PAIR, 2),
        *_arrays(batch.events, _EVENT_ROW, len(_EVENT_COLUMNS)),
        list(deleted_work),
        *_arrays(work, _WORK_ROW, len(_WORK_COLUMNS)),
        list(closed),
        kept,
        len(updates),
        notify,
    ]


async def commit_batch(conn: Connection, batch: Batch, *, notify: bool) -> None:
    """Apply ``batch`` atomically in one statement; ``notify`` wakes idle nodes.

    Raises:
        DuplicateExecution: a new execution's arn exists (or is new twice); nothing applied.
        StoreError: a duplicate history event or an update of an unknown execution.
        asyncpg.PostgresError: anything else the server refused; nothing applied.
    """
    arns = [execution.arn for execution in batch.new_executions]
    if len(set(arns)) != len(arns):  # found without a round trip, and sure to fail
        raise await _diagnose(conn, batch, StoreError("a new execution is in the batch twice"))
    try:
        await conn.execute(_COMMIT, *_arguments(batch, notify))
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name not in ("executions_pkey", "events_pkey"):
            raise
        raise await _diagnose(conn, batch, exc) from exc
    except asyncpg.RaiseError as exc:
        if exc.message != UNKNOWN_EXECUTION:
            raise
        raise await _diagnose(conn, batch, exc) from exc


async def _diagnose(conn: Connection, batch: Batch, error: Exception) -> StoreError:
    """The error a failed batch reports, found after the statement was undone.

    The CTEs of the statement fail in whatever order the server runs them, so the first
    error is not necessarily the one MemoryStore reports; this checks in its order instead:
    a duplicate new execution, then an update of an unknown one, then a duplicate event.
    Executions are never deleted, so an arn that clashed is still there to be found.
    """
    new = [execution.arn for execution in batch.new_executions]
    updated = [execution.arn for execution in batch.executions]
    rows = await conn.fetch(
        "SELECT arn FROM executions WHERE arn = ANY($1::text[])", [*new, *updated]
    )
    existing = {row[0] for row in rows}
    seen: set[str] = set()
    for arn in new:
        if arn in existing or arn in seen:
            return DuplicateExecution(arn)
        seen.add(arn)
    for arn in updated:
        if arn not in existing and arn not in seen:
            return StoreError(f"update of unknown execution {arn}")
    if isinstance(error, asyncpg.UniqueViolationError):
        return StoreError(f"duplicate history event: {error.detail}")
    # Only a race gets here: the execution an update missed was inserted by another node
    # after this statement ran.
    return StoreError(f"commit failed: {error}")
