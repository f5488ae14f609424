"""The Store protocol and its records: everything the engine persists, nothing it computes.

The engine reads records, computes what changes, and hands the store one :class:`Batch` per
scheduler tick; ``commit`` applies a batch atomically (one transaction), which is how every
state transition lands exactly once together with its history events and new work.
JSON payloads travel as text (already serialised by the engine with orjson), so a store
never parses user data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class ExecutionStatus(StrEnum):
    """Execution statuses as the API reports them (X-1)."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


@dataclass(frozen=True, slots=True, kw_only=True)
class DefinitionRecord:
    """A definition text, stored once and shared by every execution that runs it.

    ``id`` is a content hash, so storing the same definition twice is a no-op.
    """

    id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionRecord:
    """One execution: identity, status and final result. Times are epoch seconds."""

    arn: str
    state_machine_arn: str
    name: str
    definition_id: str
    status: ExecutionStatus
    input: str
    start_date: float
    role_arn: str = ""
    stop_date: float | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    version_arn: str | None = None
    alias_arn: str | None = None
    trace_header: str | None = None
    # Id of the last history event written, so the next one is last_event_id + 1.
    last_event_id: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameRecord:
    """One scope of a running execution: the top level, a Parallel branch or a Map iteration.

    A frame is where its scope currently is (``state``, the state's raw ``input``) and what
    it waits for. ``data`` is the engine's own JSON text (retry counts, task attempt,
    fan-out bookkeeping); the store keeps it opaque.
    """

    execution_arn: str
    id: int
    parent_id: int | None
    index: int
    state: str
    input: str
    status: str
    data: str = "{}"


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord:
    """One history event; ``details`` is the JSON text of its ``...EventDetails`` object."""

    execution_arn: str
    id: int
    type: str
    timestamp: float
    previous_event_id: int
    details: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkRecord:
    """A unit of work due at ``due_at``: advance a frame, fire a timer, run a task.

    ``id`` is chosen by the engine (unique). ``kind`` and ``payload`` are the engine's;
    the store only orders by ``due_at`` and leases. ``lease_owner``/``lease_until`` are set
    by ``claim_due`` and cleared when the item is retried or released; an item is leased
    while ``lease_until`` is not None, an expired lease included.
    """

    id: str
    execution_arn: str
    frame_id: int
    kind: str
    due_at: float
    payload: str = "{}"
    lease_owner: str | None = None
    lease_until: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StateMachineRecord:
    """A state machine (API-1, API-2). Configurations are stored as the API's JSON text.

    ``revision_id`` changes with every update; ``update_date`` is None until the first
    update. ``status`` is ``ACTIVE`` or ``DELETING``.
    """

    arn: str
    name: str
    type: str
    definition: str
    role_arn: str
    creation_date: float
    revision_id: str
    status: str = "ACTIVE"
    update_date: float | None = None
    logging_configuration: str | None = None
    tracing_configuration: str | None = None
    encryption_configuration: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRecord:
    """An immutable published version of a state machine (API-7); ``arn`` ends ``:<n>``."""

    arn: str
    state_machine_arn: str
    version: int
    definition: str
    role_arn: str
    type: str
    revision_id: str
    creation_date: float
    description: str | None = None
    logging_configuration: str | None = None
    tracing_configuration: str | None = None
    encryption_configuration: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AliasRecord:
    """An alias routing starts to one or two versions by weight (API-10).

    ``routing`` is the JSON text of the API's routingConfiguration list.
    """

    arn: str
    state_machine_arn: str
    name: str
    routing: str
    creation_date: float
    description: str | None = None
    update_date: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityRecord:
    """An activity (API-26); ``encryption_configuration`` is the API's JSON text, if given."""

    arn: str
    name: str
    creation_date: float
    encryption_configuration: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityTaskRecord:
    """An activity task waiting for a worker's GetActivityTask (INT-9, API-30).

    One attempt of an activity Task state, put by the node whose engine dispatched it and
    taken by whichever node a worker polls. ``id`` is the engine's work id of the attempt's
    ``task`` item, so an attempt dispatched again (by another node, after the first one's
    lease expired) is still one task. The other fields are what committing the pickup and
    answering the worker need: the token, the input (JSON text) and the attempt it names.
    """

    id: str
    activity_arn: str
    execution_arn: str
    state_name: str
    frame_id: int
    attempt: int
    token: str
    input: str
    timeout_seconds: int
    heartbeat_seconds: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionRow:
    """One Lambda function as the registry keeps it, shared by every node.

    ``record`` is the registry's JSON text of the whole function (configuration, versions,
    aliases, concurrency, tags); the store keeps it opaque. ``revision`` is chosen by the
    writer and changes on every write, so a write can be made conditional on the revision
    the writer read (compare-and-set). ``updated`` is the writer's clock, epoch seconds.
    """

    name: str
    revision: str
    record: str
    updated: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourcePage:
    """A page of resources (state machines, versions or aliases) and the next token."""

    items: list[Any]
    next_token: str | None = None


@dataclass(slots=True, kw_only=True)
class Batch:
    """Changes applied together by :meth:`Store.commit`.

    Order of application: definitions (insert, ignoring an existing id), new executions
    (insert; an existing arn makes the whole commit fail with DuplicateExecution),
    executions (update by arn; updating one that does not exist fails the commit with
    StoreError), frames (upsert by execution and id), deleted frames, events (insert; a
    duplicate id is an error), deleted work, new work (upsert by id), then closed executions
    (every frame and work item of each is deleted, including any this batch wrote).
    Deleting frames or work that does not exist is not an error.
    """

    definitions: list[DefinitionRecord] = field(default_factory=list)
    new_executions: list[ExecutionRecord] = field(default_factory=list)
    executions: list[ExecutionRecord] = field(default_factory=list)
    frames: list[FrameRecord] = field(default_factory=list)
    deleted_frames: list[tuple[str, int]] = field(default_factory=list)
    # Executions whose every frame and work item is removed (they finished or were stopped).
    closed_executions: list[str] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    deleted_work: list[str] = field(default_factory=list)
    work: list[WorkRecord] = field(default_factory=list)

    def empty(self) -> bool:
        """Whether the batch changes nothing."""
        return not (
            self.definitions
            or self.new_executions
            or self.executions
            or self.frames
            or self.deleted_frames
            or self.closed_executions
            or self.events
            or self.deleted_work
            or self.work
        )


class StoreError(Exception):
    """A storage failure; the batch it happened in was not applied."""


class DuplicateExecution(StoreError):
    """A batch inserted an execution whose ARN already exists; nothing was applied."""

    def __init__(self, arn: str) -> None:
        super().__init__(arn)
        self.arn = arn


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionPage:
    """A page of executions, newest first, with the token for the next page."""

    executions: list[ExecutionRecord]
    next_token: str | None = None


class Store(Protocol):
    """Durable storage for executions, their frames, history and due work."""

    async def open(self) -> None:
        """Create or migrate the schema; safe to call on an existing store."""
        ...

    async def close(self) -> None:
        """Release connections; further calls are errors."""
        ...

    async def commit(self, batch: Batch) -> None:
        """Apply every change in ``batch`` atomically, durably, or none of them.

        Raises:
            DuplicateExecution: a new execution's ARN exists; nothing was applied.
            StoreError: nothing of the batch was applied.
        """
        ...

    async def get_definition(self, definition_id: str) -> str | None:
        """The definition text for an id, or None."""
        ...

    async def get_execution(self, arn: str) -> ExecutionRecord | None:
        """One execution, or None."""
        ...

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
        """Executions of a state machine, newest ``start_date`` first (ties: arn).

        ``version_arn``/``alias_arn`` keep only executions started through that version or
        alias (API-20).
        """
        ...

    async def count_executions(self, state_machine_arn: str) -> dict[ExecutionStatus, int]:
        """How many executions of a state machine are in each status (absent: zero)."""
        ...

    async def load_running(
        self, arns: Sequence[str]
    ) -> dict[str, tuple[ExecutionRecord, list[FrameRecord]]]:
        """Those of ``arns`` that are RUNNING, each with its frames in id order, in one read
        (a tick loads every execution it touches at once)."""
        ...

    async def get_frames(self, execution_arn: str) -> list[FrameRecord]:
        """Every frame of an execution, by id."""
        ...

    async def get_work(self, execution_arn: str) -> list[WorkRecord]:
        """Every pending work item of an execution, by due time."""
        ...

    async def get_events(
        self,
        execution_arn: str,
        *,
        after_id: int = 0,
        limit: int = 1000,
        reverse: bool = False,
    ) -> list[EventRecord]:
        """History events in id order (or reverse), starting after ``after_id``.

        With ``reverse``, ``after_id`` 0 means "from the last event" and otherwise events
        with ids below ``after_id`` are returned, highest first.
        """
        ...

    async def claim_due(
        self, *, now: float, limit: int, owner: str, lease_seconds: float
    ) -> list[WorkRecord]:
        """Lease up to ``limit`` work items due at ``now`` or earlier, earliest first.

        An item is claimable when it has no lease or its lease expired before ``now``. The
        returned records carry the new lease. Items are claimed only with their execution
        held (see :meth:`lock_executions`): those of executions another node holds are
        passed over.
        """
        ...

    async def next_due(self) -> float | None:
        """The earliest ``due_at`` among unleased work items, or None when there is none."""
        ...

    async def release_leases(self, owner: str) -> int:
        """Clear every lease held by ``owner`` (a node restarting); returns how many."""
        ...

    async def renew_leases(self, owner: str, ids: Sequence[str], until: float) -> set[str]:
        """Extend ``owner``'s leases of ``ids`` to ``until``; returns the ids renewed.

        An id missing from the answer is no longer this owner's: the item was removed, or
        its lease lapsed and another node claimed it. Never takes a lease over.
        """
        ...

    async def lease_counts(self, now: float) -> dict[str, tuple[int, int]]:
        """Per lease owner (node): how many work items it holds, and how many of those
        leases lapsed before ``now`` (a dead node's, waiting to be taken over)."""
        ...

    # --- many nodes on one store ------------------------------------------------------------
    # A scheduler tick holds every execution it changes, from before it reads them until
    # after its commit, so that two nodes never step one execution at once. Stores that
    # only one process uses (memory, SQLite) hold nothing and grant everything.

    async def lock_executions(self, arns: Sequence[str]) -> set[str]:
        """Hold ``arns`` for this store's current tick, without waiting; returns those held.

        An arn another node holds is left out; its caller retries in a later tick.
        ``claim_due`` holds the executions of the items it returns in the same way. Held
        executions stay held until :meth:`unlock_executions`; a commit made while holding
        them fails if the hold was lost meanwhile (the node's session ended), so a node that
        lost its hold can never overwrite what another node did since.
        """
        ...

    async def unlock_executions(self) -> None:
        """Let go of every execution held for the current tick."""
        ...

    async def wait_for_closes(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds to hear that another node closed executions.

        True is a hint to look again at the executions one waits for; False means
        ``timeout`` passed. A store only one process writes hears nothing and just sleeps.
        """
        ...

    async def wait_for_work(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds to hear that another node made work due now.

        True is a hint to claim (possibly spurious); False means ``timeout`` passed. A store
        only one process writes hears nothing and just sleeps.
        """
        ...

    async def execution_arns_with_work(self, arns: Sequence[str]) -> set[str]:
        """Which of ``arns`` have at least one work item (for consistency checks)."""
        ...

    # --- resources: state machines, versions, aliases, tags -------------------------------
    # These change rarely and one at a time, so each call is its own transaction.

    async def insert_state_machine(self, record: StateMachineRecord) -> bool:
        """Insert a state machine; False (and no change) when the arn exists already."""
        ...

    async def update_state_machine(self, record: StateMachineRecord) -> None:
        """Replace an existing state machine's row (StoreError if it does not exist)."""
        ...

    async def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        """A state machine by its unqualified arn, or None."""
        ...

    async def list_state_machines(
        self, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        """State machines ordered by name (then arn), with an opaque next token."""
        ...

    async def delete_state_machine(self, arn: str) -> None:
        """Delete a state machine with its versions, aliases and their tags (not an error
        when absent). Executions and their history stay."""
        ...

    async def insert_version(self, record: VersionRecord) -> None:
        """Insert a published version (StoreError if its arn exists).

        Its number counts as used by its machine (see :meth:`insert_next_version`).
        """
        ...

    async def insert_next_version(self, record: VersionRecord) -> VersionRecord:
        """Insert ``record`` as its machine's next version, numbered atomically; returns it.

        The number is one more than the highest the machine ever had, deleted versions
        included (AWS never reuses one), and the arn is ``<state machine arn>:<number>``:
        ``record.version`` and ``record.arn`` are ignored. The count lives on the machine's
        row, so it starts again for a machine created anew after a delete.

        Raises:
            StoreError: the state machine does not exist, or the arn is taken; no change.
        """
        ...

    async def count_versions(self, state_machine_arn: str) -> int:
        """How many versions of a machine exist (the 1,000-version quota counts these)."""
        ...

    async def get_version(self, arn: str) -> VersionRecord | None:
        """A version by its arn, or None."""
        ...

    async def list_versions(
        self, state_machine_arn: str, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        """A machine's versions, newest (highest number) first."""
        ...

    async def delete_version(self, arn: str) -> None:
        """Delete a version and its tags (not an error when absent)."""
        ...

    async def put_alias(self, record: AliasRecord) -> None:
        """Insert or replace an alias by arn."""
        ...

    async def get_alias(self, arn: str) -> AliasRecord | None:
        """An alias by its arn, or None."""
        ...

    async def list_aliases(
        self, state_machine_arn: str, *, limit: int = 100, token: str | None = None
    ) -> ResourcePage:
        """A machine's aliases, newest creation first."""
        ...

    async def delete_alias(self, arn: str) -> None:
        """Delete an alias and its tags (not an error when absent)."""
        ...

    async def get_tags(self, resource_arn: str) -> dict[str, str]:
        """The tags of any resource arn (empty when none), in insertion order."""
        ...

    async def tag(self, resource_arn: str, tags: dict[str, str]) -> None:
        """Add or overwrite tags on a resource."""
        ...

    async def untag(self, resource_arn: str, keys: Sequence[str]) -> None:
        """Remove tags by key (absent keys are ignored)."""
        ...

    # --- activities and their pending tasks (API-26..API-30, INT-9) ---------------------
    # In the store, not a node's memory, so that every node sees every activity and a
    # worker polling any node gets a task scheduled by any node's engine.

    async def insert_activity(self, record: ActivityRecord) -> bool:
        """Insert an activity; False (and no change) when the arn exists already."""
        ...

    async def get_activity(self, arn: str) -> ActivityRecord | None:
        """An activity by its arn, or None."""
        ...

    async def list_activities(self, *, limit: int = 100, token: str | None = None) -> ResourcePage:
        """Activities ordered by name (then arn), with an opaque next token."""
        ...

    async def count_activities(self) -> int:
        """How many activities exist (for the quota on them)."""
        ...

    async def delete_activity(self, arn: str) -> None:
        """Delete an activity and its tags (not an error when absent). Its pending tasks
        stay: their attempts still wait, and end by their own timeouts."""
        ...

    async def put_activity_task(self, record: ActivityTaskRecord) -> None:
        """Queue an activity task; a task whose id is pending already keeps its place and
        its fields (putting one attempt twice is one task)."""
        ...

    async def take_activity_task(self, activity_arn: str) -> ActivityTaskRecord | None:
        """Remove and return the activity's oldest pending task, or None when there is none.

        Atomic: concurrent takers, on any node, never get the same task.
        """
        ...

    async def delete_activity_task(self, task_id: str) -> None:
        """Drop a pending task (its attempt is over); not an error when absent."""
        ...

    async def count_activity_tasks(self, activity_arn: str) -> int:
        """How many tasks of an activity are pending."""
        ...

    # --- settings shared by every node ------------------------------------------------

    async def ensure_setting(self, name: str, value: str) -> str:
        """The value stored under ``name``; ``value`` is stored first when there is none.

        The first writer wins, so nodes starting at once on one database all get the same
        value (the task token key is one).
        """
        ...

    # --- the Lambda function registry (schema 0004) ------------------------------------
    # In the store, so that a function created, changed or deleted on one node is the
    # function on every node. Each function is one row written whole, conditionally on the
    # revision its writer read; code packages are rows of their own, by content.

    async def get_function(self, name: str) -> FunctionRow | None:
        """A function by name, or None."""
        ...

    async def function_revisions(self) -> dict[str, str]:
        """Every function's name and current revision (how a node sees what changed)."""
        ...

    async def put_function(
        self, name: str, *, revision: str, record: str, updated: float, expected: str | None
    ) -> bool:
        """Write a function's row (the fields of :class:`FunctionRow`) if nobody else wrote
        it since the caller read it.

        With ``expected`` None the row is inserted only when no function has its name;
        otherwise it replaces the stored row only when that row's revision is ``expected``.
        False (and no change) when the condition does not hold: the caller reads again.
        """
        ...

    async def delete_function(self, name: str, *, expected: str) -> bool:
        """Delete a function whose revision is ``expected``; False (no change) otherwise,
        a function already gone included."""
        ...

    async def put_function_code(self, digest: str, data: bytes, *, stored: float) -> None:
        """Keep a deployment package under ``digest`` (the hex SHA-256 of ``data``).

        Putting a package that is there already marks it stored at ``stored`` again, so a
        package being reused is not pruned (see :meth:`prune_function_code`).
        """
        ...

    async def get_function_code(self, digest: str) -> bytes | None:
        """A deployment package by digest, or None."""
        ...

    async def prune_function_code(self, keep: Sequence[str], *, stored_before: float) -> int:
        """Delete the packages not in ``keep`` stored before ``stored_before``; how many.

        The time bound protects a package uploaded for a function whose row is not written
        yet (a create or update in flight on another node).
        """
        ...
