"""MemoryStore's shared-state methods: activities, their pending tasks, settings (schema
0003) and the Lambda function registry (schema 0004).

What every node of a database shares, kept apart from the execution hot path
in ``memory.py``. :class:`MemorySharedState` is a mixin;
:class:`~statewise.store.memory.MemoryStore` supplies ``_check`` (open and not closed) and
``_tags``, and calls ``_reset_shared`` whenever it resets its state.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from operator import attrgetter

from statewise.store.base import ActivityRecord, ActivityTaskRecord, FunctionRow, ResourcePage
from statewise.store.paging import (
    ACTIVITY_TOKEN,
    check_limit,
    decode_activity_token,
    resource_page,
)

_ACTIVITY_ORDER = attrgetter("name", "arn")


class MemorySharedState:
    """Activities, pending activity tasks, settings and functions in process memory."""

    _tags: dict[str, dict[str, str]]

    # Overridden by MemoryStore; defined so that the mixin type-checks on its own.
    def _check(self) -> None:
        raise NotImplementedError

    def _reset_shared(self) -> None:
        self._activities: dict[str, ActivityRecord] = {}
        # Pending tasks per activity; a dict keeps arrival order, and a put of a pending id
        # leaves it where it is, which the SQL seq column reproduces.
        self._activity_tasks: dict[str, dict[str, ActivityTaskRecord]] = {}
        self._activity_of_task: dict[str, str] = {}
        self._settings: dict[str, str] = {}
        self._functions: dict[str, FunctionRow] = {}
        # digest -> (zip, when it was stored)
        self._function_code: dict[str, tuple[bytes, float]] = {}

    # -- activities --------------------------------------------------------------------

    async def insert_activity(self, record: ActivityRecord) -> bool:
        self._check()
        if record.arn in self._activities:
            return False
        self._activities[record.arn] = record
        return True

    async def get_activity(self, arn: str) -> ActivityRecord | None:
        self._check()
        return self._activities.get(arn)

    async def list_activities(self, *, limit: int = 100, token: str | None = None) -> ResourcePage:
        self._check()
        check_limit(limit)
        after = decode_activity_token(token) if token is not None else None
        records = [
            record
            for record in self._activities.values()
            if after is None or (record.name, record.arn) > after
        ]
        page = heapq.nsmallest(limit + 1, records, key=_ACTIVITY_ORDER)
        return resource_page(page, limit, ACTIVITY_TOKEN, _ACTIVITY_ORDER)

    async def count_activities(self) -> int:
        self._check()
        return len(self._activities)

    async def delete_activity(self, arn: str) -> None:
        self._check()
        self._activities.pop(arn, None)
        self._tags.pop(arn, None)

    async def put_activity_task(self, record: ActivityTaskRecord) -> None:
        self._check()
        if record.id in self._activity_of_task:
            return
        self._activity_of_task[record.id] = record.activity_arn
        self._activity_tasks.setdefault(record.activity_arn, {})[record.id] = record

    async def take_activity_task(self, activity_arn: str) -> ActivityTaskRecord | None:
        self._check()
        pending = self._activity_tasks.get(activity_arn)
        if not pending:
            return None
        return self._drop_activity_task(next(iter(pending)))

    async def delete_activity_task(self, task_id: str) -> None:
        self._check()
        self._drop_activity_task(task_id)

    def _drop_activity_task(self, task_id: str) -> ActivityTaskRecord | None:
        activity_arn = self._activity_of_task.pop(task_id, None)
        if activity_arn is None:
            return None
        pending = self._activity_tasks[activity_arn]
        record = pending.pop(task_id)
        if not pending:
            del self._activity_tasks[activity_arn]
        return record

    async def count_activity_tasks(self, activity_arn: str) -> int:
        self._check()
        return len(self._activity_tasks.get(activity_arn, ()))

    # -- settings ----------------------------------------------------------------------

    async def ensure_setting(self, name: str, value: str) -> str:
        self._check()
        return self._settings.setdefault(name, value)

    # -- functions ---------------------------------------------------------------------

    async def get_function(self, name: str) -> FunctionRow | None:
        self._check()
        return self._functions.get(name)

    async def function_revisions(self) -> dict[str, str]:
        self._check()
        return {name: row.revision for name, row in self._functions.items()}

    async def put_function(
        self, name: str, *, revision: str, record: str, updated: float, expected: str | None
    ) -> bool:
        self._check()
        current = self._functions.get(name)
        if (current.revision if current is not None else None) != expected:
            return False
        self._functions[name] = FunctionRow(
            name=name, revision=revision, record=record, updated=updated
        )
        return True

    async def delete_function(self, name: str, *, expected: str) -> bool:
        self._check()
        current = self._functions.get(name)
        if current is None or current.revision != expected:
            return False
        del self._functions[name]
        return True

    async def put_function_code(self, digest: str, data: bytes, *, stored: float) -> None:
        self._check()
        self._function_code[digest] = (data, stored)

    async def get_function_code(self, digest: str) -> bytes | None:
        self._check()
        found = self._function_code.get(digest)
        return None if found is None else found[0]

    async def prune_function_code(self, keep: Sequence[str], *, stored_before: float) -> int:
        self._check()
        wanted = set(keep)
        gone = [
            digest
            for digest, (_, stored) in self._function_code.items()
            if digest not in wanted and stored < stored_before
        ]
        for digest in gone:
            del self._function_code[digest]
        return len(gone)
