"""Column lists and row readers shared by the SQL backends.

Each table's columns are its record's fields in declaration order, so a row maps onto the
record by position and both dialects build their statements from the same lists.
"""

from __future__ import annotations

from dataclasses import fields
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
