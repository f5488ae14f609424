"""One scheduler tick's changes: everything computed in a tick lands in one commit."""

from __future__ import annotations

from dataclasses import dataclass, field

from statewise.engine.ports import TaskRequest
from statewise.store.base import Batch, DefinitionRecord, ExecutionRecord, WorkRecord


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
        """Forget work this tick added for an execution that has closed."""
        for work_id in [k for k, w in self._added.items() if w.execution_arn == execution_arn]:
            del self._added[work_id]

    def pending(self, work_id: str) -> bool:
        """Whether this tick added ``work_id`` and has not removed it."""
        return work_id in self._added

    def discard_execution(self, execution_arn: str) -> None:
        """Take every change of one execution out of the finished batch (a start that lost
        the race for its name), so the rest of the tick can commit without it."""
        batch = self.batch
        prefix = execution_arn + "#"
        batch.new_executions[:] = [r for r in batch.new_executions if r.arn != execution_arn]
        batch.executions[:] = [r for r in batch.executions if r.arn != execution_arn]
        batch.frames[:] = [r for r in batch.frames if r.execution_arn != execution_arn]
        batch.deleted_frames[:] = [r for r in batch.deleted_frames if r[0] != execution_arn]
        batch.closed_executions[:] = [a for a in batch.closed_executions if a != execution_arn]
        batch.events[:] = [r for r in batch.events if r.execution_arn != execution_arn]
        batch.deleted_work[:] = [w for w in batch.deleted_work if not w.startswith(prefix)]
        batch.work[:] = [r for r in batch.work if r.execution_arn != execution_arn]
        self.dispatches[:] = [d for d in self.dispatches if d.work.execution_arn != execution_arn]
        self.closed[:] = [r for r in self.closed if r.arn != execution_arn]
        self.drop_execution(execution_arn)

    def finish(self) -> Batch:
        """The batch to commit, with the tick's net work changes."""
        self.batch.deleted_work.extend(self._deleted)
        self.batch.work.extend(self._added.values())
        return self.batch
