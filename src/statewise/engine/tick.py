"""One scheduler tick's changes: everything computed in a tick lands in one commit."""

from __future__ import annotations

from dataclasses import dataclass, field

from statewise.engine.ports import TaskRequest
from statewise.store.base import Batch, DefinitionRecord, ExecutionRecord, WorkRecord
from statewise.tasktokens import TaskTokens


@dataclass(slots=True)
class Dispatch:
    """A task attempt to start once the tick has committed."""

    work: WorkRecord
    frame_id: int
    attempt: int
    request: TaskRequest

    @property
    def work_id(self) -> str:
        return self.work.id


@dataclass(slots=True)
class Tick:
    """Collects a tick's batch, the tasks to start after it and the executions it closed.

    Work added and deleted within the same tick never reaches the store: a frame that
    becomes ready and is stepped in the same tick costs no row. ``stored_definitions`` are
    the definition ids known to be in the store already (definitions are never deleted), so
    a thousand starts of one machine write its definition once, not a thousand times.
    """

    now: float
    owner: str
    lease_seconds: float
    stored_definitions: set[str] = field(default_factory=set)
    batch: Batch = field(default_factory=Batch)
    dispatches: list[Dispatch] = field(default_factory=list)
    closed: list[ExecutionRecord] = field(default_factory=list)
    _added: dict[str, WorkRecord] = field(default_factory=dict)
    _deleted: set[str] = field(default_factory=set)
    _dropped: set[str] = field(default_factory=set)
    # Signs the task tokens this tick's states see and hand out (``$$.Task.Token``).
    tokens: TaskTokens | None = None

    def add_definition(self, record: DefinitionRecord) -> None:
        """Store a definition with this tick, unless it is stored or added already."""
        if record.id in self.stored_definitions:
            return
        if all(d.id != record.id for d in self.batch.definitions):
            self.batch.definitions.append(record)

    def add_work(self, record: WorkRecord) -> WorkRecord:
        """Schedule a work item (replacing one with the same id)."""
        self._deleted.discard(record.id)
        self._added[record.id] = record
        return record

    def delete_work(self, work_id: str) -> None:
        """Remove a work item, whether it is stored or was added in this tick."""
        if self._added.pop(work_id, None) is None:
            self._deleted.add(work_id)

    def drop_execution(self, execution_arn: str) -> None:
        """Forget work this tick added for an execution that has closed.

        Noted here and applied once in :meth:`finish`: scanning the added work at every
        close would cost a tick that closes many executions quadratic time.
        """
        self._dropped.add(execution_arn)

    def pending(self, work_id: str) -> bool:
        """Whether this tick added ``work_id`` and has not removed it."""
        record = self._added.get(work_id)
        return record is not None and record.execution_arn not in self._dropped

    def discard_executions(self, execution_arns: set[str]) -> None:
        """Take every change of these executions out of the finished batch (starts that
        lost the race for their name), so the rest of the tick can commit without them."""
        gone = execution_arns
        batch = self.batch
        batch.new_executions[:] = [r for r in batch.new_executions if r.arn not in gone]
        batch.executions[:] = [r for r in batch.executions if r.arn not in gone]
        batch.frames[:] = [r for r in batch.frames if r.execution_arn not in gone]
        batch.deleted_frames[:] = [r for r in batch.deleted_frames if r[0] not in gone]
        batch.closed_executions[:] = [a for a in batch.closed_executions if a not in gone]
        batch.events[:] = [r for r in batch.events if r.execution_arn not in gone]
        # Work ids start with the execution ARN and a "#" (never part of a name).
        batch.deleted_work[:] = [w for w in batch.deleted_work if w.split("#", 1)[0] not in gone]
        batch.work[:] = [r for r in batch.work if r.execution_arn not in gone]
        self.dispatches[:] = [d for d in self.dispatches if d.work.execution_arn not in gone]
        self.closed[:] = [r for r in self.closed if r.arn not in gone]
        self._dropped.update(gone)

    def finish(self) -> Batch:
        """The batch to commit, with the tick's net work changes."""
        self.batch.deleted_work.extend(self._deleted)
        added = self._added.values()
        dropped = self._dropped
        if dropped:
            self.batch.work.extend(w for w in added if w.execution_arn not in dropped)
        else:
            self.batch.work.extend(added)
        return self.batch
