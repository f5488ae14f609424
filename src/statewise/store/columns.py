"""Column lists and row readers shared by the SQL backends.

Each table's columns are its record's fields in declaration order, so a row maps onto the
record by position and both dialects build their statements from the same lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

from statewise.store.base import (
    ActivityRecord,
    ActivityTaskRecord,
    AliasRecord,
    EventRecord,
    ExecutionRecord,
    ExecutionStatus,
    FrameRecord,
    FunctionRow,
    StateMachineRecord,
    VersionRecord,
    WorkRecord,
)

MACHINE_FIELDS = tuple(f.name for f in fields(StateMachineRecord))
VERSION_FIELDS = tuple(f.name for f in fields(VersionRecord))
ALIAS_FIELDS = tuple(f.name for f in fields(AliasRecord))
MACHINE_COLUMNS = ", ".join(MACHINE_FIELDS)
VERSION_COLUMNS = ", ".join(VERSION_FIELDS)
ALIAS_COLUMNS = ", ".join(ALIAS_FIELDS)
MACHINE_ROW = attrgetter(*MACHINE_FIELDS)
VERSION_ROW = attrgetter(*VERSION_FIELDS)
ALIAS_ROW = attrgetter(*ALIAS_FIELDS)
ACTIVITY_FIELDS = tuple(f.name for f in fields(ActivityRecord))
ACTIVITY_TASK_FIELDS = tuple(f.name for f in fields(ActivityTaskRecord))
ACTIVITY_COLUMNS = ", ".join(ACTIVITY_FIELDS)
ACTIVITY_TASK_COLUMNS = ", ".join(ACTIVITY_TASK_FIELDS)
ACTIVITY_ROW = attrgetter(*ACTIVITY_FIELDS)
ACTIVITY_TASK_ROW = attrgetter(*ACTIVITY_TASK_FIELDS)
FUNCTION_FIELDS = tuple(f.name for f in fields(FunctionRow))
FUNCTION_COLUMNS = ", ".join(FUNCTION_FIELDS)
# The keys each listing is ordered by (name; newest version; newest alias; name).
MACHINE_ORDER = attrgetter("name", "arn")
VERSION_ORDER = attrgetter("version", "arn")
ALIAS_ORDER = attrgetter("creation_date", "arn")
ACTIVITY_ORDER = attrgetter("name", "arn")


def machine_of(row: Any) -> StateMachineRecord:
    return StateMachineRecord(**dict(zip(MACHINE_FIELDS, row, strict=True)))


def version_of(row: Any) -> VersionRecord:
    return VersionRecord(**dict(zip(VERSION_FIELDS, row, strict=True)))


def alias_of(row: Any) -> AliasRecord:
    return AliasRecord(**dict(zip(ALIAS_FIELDS, row, strict=True)))


def activity_of(row: Any) -> ActivityRecord:
    return ActivityRecord(**dict(zip(ACTIVITY_FIELDS, row, strict=True)))


def activity_task_of(row: Any) -> ActivityTaskRecord:
    return ActivityTaskRecord(**dict(zip(ACTIVITY_TASK_FIELDS, row, strict=True)))


def execution_of(row: Any) -> ExecutionRecord:
    return ExecutionRecord(
        arn=row[0],
        state_machine_arn=row[1],
        name=row[2],
        definition_id=row[3],
        status=ExecutionStatus(row[4]),
        input=row[5],
        start_date=row[6],
        role_arn=row[7],
        stop_date=row[8],
        output=row[9],
        error=row[10],
        cause=row[11],
        version_arn=row[12],
        alias_arn=row[13],
        trace_header=row[14],
        last_event_id=row[15],
    )


def frame_of(row: Any) -> FrameRecord:
    return FrameRecord(
        execution_arn=row[0],
        id=row[1],
        parent_id=row[2],
        index=row[3],
        state=row[4],
        input=row[5],
        status=row[6],
        data=row[7],
    )


def event_of(row: Any) -> EventRecord:
    return EventRecord(
        execution_arn=row[0],
        id=row[1],
        type=row[2],
        timestamp=row[3],
        previous_event_id=row[4],
        details=row[5],
    )


def work_of(row: Any) -> WorkRecord:
    return WorkRecord(
        id=row[0],
        execution_arn=row[1],
        frame_id=row[2],
        kind=row[3],
        due_at=row[4],
        payload=row[5],
        lease_owner=row[6],
        lease_until=row[7],
    )


# Leases per owner, lapsed ones counted apart; valid in SQLite and PostgreSQL alike, with the
# dialect's placeholder for the moment.
LEASE_COUNTS = (
    "SELECT lease_owner, count(*), count(*) FILTER (WHERE lease_until < {}) FROM work "
    "WHERE lease_owner IS NOT NULL GROUP BY lease_owner"
)


def function_of(row: Any) -> FunctionRow:
    return FunctionRow(**dict(zip(FUNCTION_FIELDS, row, strict=True)))


@dataclass(frozen=True, slots=True)
class Statements:
    """The resource statements SQLite and PostgreSQL share, in one dialect's placeholders.

    What differs between the dialects (locking, ``greatest``/``max``, numbering versions)
    stays in each backend.
    """

    insert_machine: str
    insert_version: str
    insert_activity: str
    # A pending id keeps its row, hence its seq, hence its place in the queue.
    put_activity_task: str
    upsert_alias: str
    # Overwriting keeps the row, hence its seq, hence the key's place in insertion order.
    upsert_tag: str
    insert_function: str
    # Tags first: they are found through the version and alias rows deleted next.
    cascade: tuple[str, ...]


def statements(mark: Callable[[int], str]) -> Statements:
    """The shared statements with ``mark(n)`` as the n-th placeholder (``$n``, ``?n``)."""

    def marks(names: tuple[str, ...]) -> str:
        return ", ".join(mark(n) for n in range(1, len(names) + 1))

    arn = mark(1)
    return Statements(
        insert_machine=f"INSERT INTO state_machines ({MACHINE_COLUMNS}) "
        f"VALUES ({marks(MACHINE_FIELDS)}) ON CONFLICT (arn) DO NOTHING",
        insert_version=f"INSERT INTO versions ({VERSION_COLUMNS}) VALUES ({marks(VERSION_FIELDS)})",
        insert_activity=f"INSERT INTO activities ({ACTIVITY_COLUMNS}) "
        f"VALUES ({marks(ACTIVITY_FIELDS)}) ON CONFLICT (arn) DO NOTHING",
        put_activity_task=f"INSERT INTO activity_tasks ({ACTIVITY_TASK_COLUMNS}) "
        f"VALUES ({marks(ACTIVITY_TASK_FIELDS)}) ON CONFLICT (id) DO NOTHING",
        upsert_alias=f"INSERT INTO aliases ({ALIAS_COLUMNS}) VALUES ({marks(ALIAS_FIELDS)}) "
        "ON CONFLICT (arn) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in ALIAS_FIELDS[1:]),
        upsert_tag="INSERT INTO tags (resource_arn, key, value) "
        f"VALUES ({marks(('resource_arn', 'key', 'value'))}) "
        "ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
        insert_function=f"INSERT INTO functions ({FUNCTION_COLUMNS}) "
        f"VALUES ({marks(FUNCTION_FIELDS)}) ON CONFLICT (name) DO NOTHING",
        cascade=(
            "DELETE FROM tags WHERE resource_arn IN ("
            f"SELECT arn FROM versions WHERE state_machine_arn = {arn} "
            f"UNION ALL SELECT arn FROM aliases WHERE state_machine_arn = {arn} "
            f"UNION ALL SELECT {arn})",
            f"DELETE FROM versions WHERE state_machine_arn = {arn}",
            f"DELETE FROM aliases WHERE state_machine_arn = {arn}",
            f"DELETE FROM state_machines WHERE arn = {arn}",
        ),
    )
