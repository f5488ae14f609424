"""MemoryStore: the Store contract on plain dicts, for tests and Express executions.

It is the reference the other backends are compared with (the contract suite runs random
batches against it and SQLite and expects the same observable state), so it keeps every rule
a database would enforce: a commit validates the whole batch before it changes anything, and
only frozen records go in or out. Activities, their pending tasks and settings are in
``memory_shared.py`` (a mixin); listing tokens in ``paging.py``.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import heapq
from collections import Counter
from collections.abc import Sequence
from operator import attrgetter

from statewise.store.base import (
    AliasRecord,
    Batch,
    DuplicateExecution,
    EventRecord,
    ExecutionPage,
    ExecutionRecord,
    ExecutionStatus,
    FrameRecord,
    ResourcePage,
    StateMachineRecord,
    StoreError,
    VersionRecord,
    WorkRecord,
)
from statewise.store.memory_shared import MemorySharedState
from statewise.store.paging import (
    ALIAS_TOKEN,
    MACHINE_TOKEN,
    VERSION_TOKEN,
    decode_alias_token,
    decode_machine_token,
    decode_version_token,
    resource_page,
)

# Still importable from here, where they were defined before paging.py existed.
from statewise.store.paging import check_limit as check_limit
from statewise.store.paging import decode_page_token as decode_page_token
from statewise.store.paging import encode_page_token as encode_page_token
from statewise.store.paging import encode_resource_token as encode_resource_token

_DUE_ORDER = attrgetter("due_at", "id")
_MACHINE_ORDER = attrgetter("name", "arn")
_VERSION_ORDER = attrgetter("version", "arn")
_ALIAS_ORDER = attrgetter("creation_date", "arn")


class _History:
    """One execution's events, kept sorted by id so reads are slices, not sorts."""

    __slots__ = ("ids", "records")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.records: list[EventRecord] = []

    def __contains__(self, event_id: int) -> bool:
        position = bisect.bisect_left(self.ids, event_id)
        return position < len(self.ids) and self.ids[position] == event_id

    def add(self, event: EventRecord) -> None:
        # The engine appends ids in order, so this is an append; bisect keeps it right anyway.
        position = bisect.bisect_left(self.ids, event.id)
        self.ids.insert(position, event.id)
        self.records.insert(position, event)


class MemoryStore(MemorySharedState):
    """The Store protocol in process memory; nothing survives :meth:`close`."""

    def __init__(self) -> None:
        self._opened = False
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        self._definitions: dict[str, str] = {}
        self._executions: dict[str, ExecutionRecord] = {}
        self._by_machine: dict[str, set[str]] = {}
        self._frames: dict[str, dict[int, FrameRecord]] = {}
        self._events: dict[str, _History] = {}
        self._work: dict[str, WorkRecord] = {}
        self._work_by_execution: dict[str, set[str]] = {}
        self._machines: dict[str, StateMachineRecord] = {}
        self._versions: dict[str, VersionRecord] = {}
        self._versions_by_machine: dict[str, set[str]] = {}
        self._aliases: dict[str, AliasRecord] = {}
        self._aliases_by_machine: dict[str, set[str]] = {}
        # Plain dicts keep insertion order, and an overwrite keeps a key's place: the order
        # get_tags promises, and the one the SQLite seq column reproduces.
        self._tags: dict[str, dict[str, str]] = {}
        # The highest version number each machine ever had (the SQL last_version column),
        # kept only while the machine exists, as the column lives on the machine's row.
        self._last_version: dict[str, int] = {}
        self._reset_shared()

    def _check(self) -> None:
        if self._closed:
            raise StoreError("store is closed")
        if not self._opened:
            raise StoreError("store is not open; call open() first")

    async def open(self) -> None:
        if self._closed:
            raise StoreError("store is closed")
        self._opened = True

    async def close(self) -> None:
        self._closed = True
        self._reset()  # a closed store holds nothing, so it frees its memory at once

    # -- writes ------------------------------------------------------------------------

    async def commit(self, batch: Batch) -> None:
        self._check()
        # Validate everything first (in the order a database would hit the errors), so a
        # failing batch leaves no trace; the mutations below cannot fail.
        self._validate(batch)
        for definition in batch.definitions:
            self._definitions.setdefault(definition.id, definition.text)
        for execution in batch.new_executions:
            self._put_execution(execution)
        for execution in batch.executions:
            self._put_execution(execution)
        for frame in batch.frames:
            self._frames.setdefault(frame.execution_arn, {})[frame.id] = frame
        for execution_arn, frame_id in batch.deleted_frames:
            self._delete_frame(execution_arn, frame_id)
        for event in batch.events:
            history = self._events.get(event.execution_arn)
            if history is None:
                history = self._events[event.execution_arn] = _History()
            history.add(event)
        for work_id in batch.deleted_work:
            self._delete_work(work_id)
        for item in batch.work:
            self._put_work(item)
        for execution_arn in batch.closed_executions:
            self._frames.pop(execution_arn, None)
            for work_id in list(self._work_by_execution.get(execution_arn, ())):
                self._delete_work(work_id)

    def _validate(self, batch: Batch) -> None:
        new: set[str] = set()
        for execution in batch.new_executions:
            if execution.arn in self._executions or execution.arn in new:
                raise DuplicateExecution(execution.arn)
            new.add(execution.arn)
        for execution in batch.executions:
            if execution.arn not in self._executions and execution.arn not in new:
                raise StoreError(f"update of unknown execution {execution.arn}")
        added: set[tuple[str, int]] = set()
        for event in batch.events:
            key = (event.execution_arn, event.id)
            history = self._events.get(event.execution_arn)
            if key in added or (history is not None and event.id in history):
                raise StoreError(f"duplicate history event {event.id} of {event.execution_arn}")
            added.add(key)

    def _put_execution(self, execution: ExecutionRecord) -> None:
        old = self._executions.get(execution.arn)
        if old is not None and old.state_machine_arn != execution.state_machine_arn:
            self._by_machine[old.state_machine_arn].discard(execution.arn)
        self._executions[execution.arn] = execution
        self._by_machine.setdefault(execution.state_machine_arn, set()).add(execution.arn)

    def _delete_frame(self, execution_arn: str, frame_id: int) -> None:
        frames = self._frames.get(execution_arn)
        if frames is not None:
            frames.pop(frame_id, None)
            if not frames:
                del self._frames[execution_arn]

    def _put_work(self, item: WorkRecord) -> None:
        old = self._work.get(item.id)
        if old is not None and old.execution_arn != item.execution_arn:
            self._unindex_work(old)
        self._work[item.id] = item
        self._work_by_execution.setdefault(item.execution_arn, set()).add(item.id)

    def _delete_work(self, work_id: str) -> None:
        old = self._work.pop(work_id, None)
        if old is not None:
            self._unindex_work(old)

    def _unindex_work(self, item: WorkRecord) -> None:
        ids = self._work_by_execution[item.execution_arn]
        ids.discard(item.id)
        if not ids:
            del self._work_by_execution[item.execution_arn]

    # -- reads -------------------------------------------------------------------------

    async def get_definition(self, definition_id: str) -> str | None:
        self._check()
        return self._definitions.get(definition_id)

    async def get_execution(self, arn: str) -> ExecutionRecord | None:
        self._check()
        return self._executions.get(arn)

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
        self._check()
        check_limit(limit)
        after = decode_page_token(token) if token is not None else None
        records = [self._executions[arn] for arn in self._by_machine.get(state_machine_arn, ())]
        records = [
            record
            for record in records
            if (status is None or record.status == status)
            and (version_arn is None or record.version_arn == version_arn)
            and (alias_arn is None or record.alias_arn == alias_arn)
            and (after is None or (record.start_date, record.arn) < after)
        ]
        page = heapq.nlargest(limit + 1, records, key=attrgetter("start_date", "arn"))
        if len(page) <= limit:
            return ExecutionPage(executions=page)
        last = page[limit - 1]
        return ExecutionPage(
            executions=page[:limit], next_token=encode_page_token(last.start_date, last.arn)
        )

    async def count_executions(self, state_machine_arn: str) -> dict[ExecutionStatus, int]:
        self._check()
        arns = self._by_machine.get(state_machine_arn, ())
        counts = Counter(ExecutionStatus(self._executions[arn].status) for arn in arns)
        return dict(counts)

    async def load_running(
        self, arns: Sequence[str]
    ) -> dict[str, tuple[ExecutionRecord, list[FrameRecord]]]:
        self._check()
        loaded = {}
        for arn in arns:
            record = self._executions.get(arn)
            if record is not None and record.status is ExecutionStatus.RUNNING:
                frames = self._frames.get(arn, {})
                loaded[arn] = (record, [frames[frame_id] for frame_id in sorted(frames)])
        return loaded

    async def get_frames(self, execution_arn: str) -> list[FrameRecord]:
        self._check()
        frames = self._frames.get(execution_arn, {})
        return [frames[frame_id] for frame_id in sorted(frames)]

    async def get_work(self, execution_arn: str) -> list[WorkRecord]:
        self._check()
        ids = self._work_by_execution.get(execution_arn, ())
        return sorted((self._work[work_id] for work_id in ids), key=_DUE_ORDER)

    async def get_events(
        self,
        execution_arn: str,
        *,
        after_id: int = 0,
        limit: int = 1000,
        reverse: bool = False,
    ) -> list[EventRecord]:
        self._check()
        history = self._events.get(execution_arn)
        if history is None or limit < 1:
            return []
        if not reverse:
            start = bisect.bisect_right(history.ids, after_id)
            return history.records[start : start + limit]
        end = len(history.ids) if after_id == 0 else bisect.bisect_left(history.ids, after_id)
        return history.records[max(0, end - limit) : end][::-1]

    async def execution_arns_with_work(self, arns: Sequence[str]) -> set[str]:
        self._check()
        return {arn for arn in arns if arn in self._work_by_execution}

    # -- scheduling --------------------------------------------------------------------

    async def claim_due(
        self, *, now: float, limit: int, owner: str, lease_seconds: float
    ) -> list[WorkRecord]:
        self._check()
        if limit < 1:
            return []
        due = [
            item
            for item in self._work.values()
            if item.due_at <= now and (item.lease_until is None or item.lease_until < now)
        ]
        claimed = [
            dataclasses.replace(item, lease_owner=owner, lease_until=now + lease_seconds)
            for item in heapq.nsmallest(limit, due, key=_DUE_ORDER)
        ]
        for item in claimed:
            self._work[item.id] = item
        return claimed

    async def next_due(self) -> float | None:
        self._check()
        return min(
            (item.due_at for item in self._work.values() if item.lease_until is None),
            default=None,
        )

    async def release_leases(self, owner: str) -> int:
        self._check()
        held = [item for item in self._work.values() if item.lease_owner == owner]
        for item in held:
            self._work[item.id] = dataclasses.replace(item, lease_owner=None, lease_until=None)
        return len(held)

    async def renew_leases(self, owner: str, ids: Sequence[str], until: float) -> set[str]:
        self._check()
        renewed: set[str] = set()
        for work_id in ids:
            item = self._work.get(work_id)
            if item is not None and item.lease_owner == owner:
                self._work[work_id] = dataclasses.replace(item, lease_until=until)
                renewed.add(work_id)
        return renewed

    async def lease_counts(self, now: float) -> dict[str, tuple[int, int]]:
        self._check()
        counts: dict[str, tuple[int, int]] = {}
        for item in self._work.values():
            if item.lease_owner is not None and item.lease_until is not None:
                held, lapsed = counts.get(item.lease_owner, (0, 0))
                counts[item.lease_owner] = (held + 1, lapsed + (item.lease_until < now))
        return counts

    # One process: no other node to keep out, nothing to hear from.

    async def lock_executions(self, arns: Sequence[str]) -> set[str]:
        self._check()
        return set(arns)

    async def unlock_executions(self) -> None:
        self._check()

    async def wait_for_closes(self, timeout: float) -> bool:
        self._check()
        await asyncio.sleep(timeout)
        return False

    async def wait_for_work(self, timeout: float) -> bool:
        self._check()
        await asyncio.sleep(timeout)
        return False

    # -- resources ---------------------------------------------------------------------

    async def insert_state_machine(self, record: StateMachineRecord) -> bool:
        self._check()
        if record.arn in self._machines:
            return False
        self._machines[record.arn] = record
        return True

    async def update_state_machine(self, record: StateMachineRecord) -> None:
        self._check()
        if record.arn not in self._machines:
            raise StoreError(f"update of unknown state machine {record.arn}")
        self._machines[record.arn] = record

    async def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        self._check()
        return self._machines.get(arn)

    async def list_state_machines(
        self, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        self._check()
        check_limit(limit)
        after = decode_machine_token(token) if token is not None else None
        records = [
            record
            for record in self._machines.values()
            if after is None or (record.name, record.arn) > after
        ]
        page = heapq.nsmallest(limit + 1, records, key=_MACHINE_ORDER)
        return resource_page(page, limit, MACHINE_TOKEN, _MACHINE_ORDER)

    async def delete_state_machine(self, arn: str) -> None:
        self._check()
        # Dependants go even when the machine row is already gone, so a retried delete
        # finishes a cascade that an earlier one did not.
        for version_arn in list(self._versions_by_machine.get(arn, ())):
            self._delete_version(version_arn)
        for alias_arn in list(self._aliases_by_machine.get(arn, ())):
            self._delete_alias(alias_arn)
        self._machines.pop(arn, None)
        self._last_version.pop(arn, None)
        self._tags.pop(arn, None)

    async def insert_version(self, record: VersionRecord) -> None:
        self._check()
        if record.arn in self._versions:
            raise StoreError(f"version {record.arn} exists")
        self._add_version(record)

    def _add_version(self, record: VersionRecord) -> None:
        self._versions[record.arn] = record
        self._versions_by_machine.setdefault(record.state_machine_arn, set()).add(record.arn)
        machine_arn = record.state_machine_arn
        # As the SQL UPDATE of the machine's row: nothing to count on for a missing machine.
        if machine_arn in self._machines:
            self._last_version[machine_arn] = max(
                self._last_version.get(machine_arn, 0), record.version
            )

    async def insert_next_version(self, record: VersionRecord) -> VersionRecord:
        self._check()
        machine_arn = record.state_machine_arn
        if machine_arn not in self._machines:
            raise StoreError(f"version of unknown state machine {machine_arn}")
        # Versions inserted before their machine existed count too, so that the number
        # chosen never clashes with one of the machine's own versions.
        arns = self._versions_by_machine.get(machine_arn, ())
        used = max((self._versions[arn].version for arn in arns), default=0)
        number = max(self._last_version.get(machine_arn, 0), used) + 1
        numbered = dataclasses.replace(record, arn=f"{machine_arn}:{number}", version=number)
        if numbered.arn in self._versions:
            raise StoreError(f"version {numbered.arn} exists")
        self._add_version(numbered)
        return numbered

    async def count_versions(self, state_machine_arn: str) -> int:
        self._check()
        return len(self._versions_by_machine.get(state_machine_arn, ()))

    async def get_version(self, arn: str) -> VersionRecord | None:
        self._check()
        return self._versions.get(arn)

    async def list_versions(
        self, state_machine_arn: str, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        self._check()
        check_limit(limit)
        after = decode_version_token(token) if token is not None else None
        arns = self._versions_by_machine.get(state_machine_arn, ())
        records = [
            self._versions[arn]
            for arn in arns
            if after is None or (self._versions[arn].version, arn) < after
        ]
        page = heapq.nlargest(limit + 1, records, key=_VERSION_ORDER)
        return resource_page(page, limit, VERSION_TOKEN, _VERSION_ORDER)

    async def delete_version(self, arn: str) -> None:
        self._check()
        self._delete_version(arn)

    def _delete_version(self, arn: str) -> None:
        old = self._versions.pop(arn, None)
        if old is not None:
            _unindex(self._versions_by_machine, old.state_machine_arn, arn)
        self._tags.pop(arn, None)

    async def put_alias(self, record: AliasRecord) -> None:
        self._check()
        old = self._aliases.get(record.arn)
        if old is not None and old.state_machine_arn != record.state_machine_arn:
            _unindex(self._aliases_by_machine, old.state_machine_arn, record.arn)
        self._aliases[record.arn] = record
        self._aliases_by_machine.setdefault(record.state_machine_arn, set()).add(record.arn)

    async def get_alias(self, arn: str) -> AliasRecord | None:
        self._check()
        return self._aliases.get(arn)

    async def list_aliases(
        self, state_machine_arn: str, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        self._check()
        check_limit(limit)
        after = decode_alias_token(token) if token is not None else None
        arns = self._aliases_by_machine.get(state_machine_arn, ())
        records = [
            self._aliases[arn]
            for arn in arns
            if after is None or (self._aliases[arn].creation_date, arn) < after
        ]
        page = heapq.nlargest(limit + 1, records, key=_ALIAS_ORDER)
        return resource_page(page, limit, ALIAS_TOKEN, _ALIAS_ORDER)

    async def delete_alias(self, arn: str) -> None:
        self._check()
        self._delete_alias(arn)

    def _delete_alias(self, arn: str) -> None:
        old = self._aliases.pop(arn, None)
        if old is not None:
            _unindex(self._aliases_by_machine, old.state_machine_arn, arn)
        self._tags.pop(arn, None)

    async def get_tags(self, resource_arn: str) -> dict[str, str]:
        self._check()
        # A copy: the caller may change what it got without changing the store.
        return dict(self._tags.get(resource_arn, {}))

    async def tag(self, resource_arn: str, tags: dict[str, str]) -> None:
        self._check()
        if tags:
            self._tags.setdefault(resource_arn, {}).update(tags)

    async def untag(self, resource_arn: str, keys: Sequence[str]) -> None:
        self._check()
        held = self._tags.get(resource_arn)
        if held is None:
            return
        for key in keys:
            held.pop(key, None)
        if not held:
            del self._tags[resource_arn]


def _unindex(index: dict[str, set[str]], machine_arn: str, arn: str) -> None:
    arns = index[machine_arn]
    arns.discard(arn)
    if not arns:
        del index[machine_arn]
