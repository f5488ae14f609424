"""A running execution in memory: its frames, its events, and how decisions move it on.

A :class:`Run` is loaded (or created) when the scheduler has work for the execution, is
stepped by ``steps``, and at the end of the tick writes what changed into the tick's batch.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from statewise.asl.model import (
    AnyState,
    Branch,
    MapState,
    ParallelState,
    QueryLanguage,
    StateMachine,
    TaskState,
)
from statewise.asl.timestamps import format_timestamp
from statewise.asl.variables import check_total
from statewise.engine import history
from statewise.engine.frames import Frame, FrameStatus
from statewise.engine.records import new_event
from statewise.engine.tick import Tick
from statewise.store.base import EventRecord, ExecutionRecord, ExecutionStatus, WorkRecord
from statewise.types import JSON, json_text

logger = logging.getLogger(__name__)

# Every kind of work item a frame can have; at most one of each per attempt.
WORK_KINDS = ("step", "timer", "task", "timeout", "heartbeat")


class HistoryLimitReached(Exception):
    """The next event would pass the 25,000-event cap; the execution fails (HIST-7)."""


class Closed(Exception):
    """The execution closed while stepping; nothing more happens to it in this tick."""


@dataclass(slots=True)
class Compiled:
    """A machine with every state reachable by name, and each nested scope by state.

    Attributes:
        events: each state's history event types and details text (built once).
        needs_context: the states whose evaluation may read the context object; the
            others are evaluated without building one (see :func:`_context_readers`).
    """

    machine: StateMachine
    states: dict[str, AnyState]
    scopes: dict[str, tuple[Branch, ...]]
    events: dict[str, history.StateEvents] = field(default_factory=dict)
    needs_context: frozenset[str] = frozenset()

    @classmethod
    def of(cls, machine: StateMachine, definition: str | None = None) -> Compiled:
        """Index ``machine``; ``definition`` is its text, to see which states read ``$$``
        (without it every state gets its context object)."""
        states: dict[str, AnyState] = {}
        scopes: dict[str, tuple[Branch, ...]] = {}

        def visit(table: dict[str, AnyState]) -> None:
            for name, state in table.items():
                states[name] = state
                if isinstance(state, ParallelState):
                    scopes[name] = state.branches
                elif isinstance(state, MapState):
                    scopes[name] = (state.processor,)
                for branch in scopes.get(name, ()):
                    visit(branch.states)

        visit(machine.states)
        events = {name: history.state_events(state.type, name) for name, state in states.items()}
        readers = _context_readers(states, definition)
        return cls(machine, states, scopes, events, readers)


def _context_readers(states: dict[str, AnyState], definition: str | None) -> frozenset[str]:
    """The states whose evaluation may read the context object.

    Only a path, template or intrinsic written with ``$$`` reads it (JSONata, ``$states``),
    so a state whose own definition text has neither needs none: most states, and building
    a context object per state was a good part of a Pass state's cost. Anything unsure (no
    definition text, a state not found in it, JSONata) counts as a reader.
    """
    if definition is None:
        return frozenset(states)
    raw: dict[str, str] = {}

    def visit(table: Any) -> None:
        if not isinstance(table, dict):
            return
        for name, body in table.items():
            if not isinstance(body, dict):
                continue
            raw[name] = orjson.dumps(body).decode()
            for branch in body.get("Branches") or ():
                if isinstance(branch, dict):
                    visit(branch.get("States"))
            for key in ("ItemProcessor", "Iterator"):
                processor = body.get(key)
                if isinstance(processor, dict):
                    visit(processor.get("States"))

    try:
        top = orjson.loads(definition)
    except orjson.JSONDecodeError:
        return frozenset(states)
    if not isinstance(top, dict) or top.get("QueryLanguage", "JSONPath") != "JSONPath":
        return frozenset(states)
    visit(top.get("States"))
    return frozenset(
        name
        for name, state in states.items()
        if name not in raw
        or "$$" in raw[name]
        or "$states" in raw[name]
        or state.query_language is not QueryLanguage.JSONPATH
    )


@dataclass(slots=True)
class Run:
    """One execution being stepped in this node.

    Attributes:
        record: the execution row as it will be written.
        compiled: its state machine.
        frames: the live frames by id.
        tick: the tick whose batch collects this run's changes.
    """

    record: ExecutionRecord
    compiled: Compiled
    frames: dict[int, Frame]
    tick: Tick
    express: bool = False
    execution_input: JSON = None
    dirty: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    runnable: list[int] = field(default_factory=list)
    changed: bool = False
    # Not in the store yet: the first flush inserts the row instead of updating it.
    new: bool = False
    # The last event id, kept apart from the record so that emitting costs no copy.
    last_event_id: int = -1
    _context: dict[str, Any] | None = None
    # Read on every event: the record's arn (it never changes), the tick's time and events.
    arn: str = field(init=False)
    _now: float = field(init=False)
    _events: list[EventRecord] = field(init=False)

    def __post_init__(self) -> None:
        if self.last_event_id < 0:
            self.last_event_id = self.record.last_event_id
        self.arn = self.record.arn
        self._now = self.tick.now
        self._events = self.tick.batch.events

    # --- identity and bookkeeping -------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.record.status is not ExecutionStatus.RUNNING

    def new_frame_id(self) -> int:
        """A frame id never used before in this execution."""
        root = self.frames[0]
        root.last_frame_id += 1
        self.touch(root)
        return root.last_frame_id

    def touch(self, frame: Frame) -> None:
        """Mark a frame to be written at the end of the tick."""
        self.dirty.add(frame.id)

    # --- workflow variables (VAR-4, VAR-7, VAR-8) ------------------------------------------

    def variables(self, frame: Frame) -> Mapping[str, JSON]:
        """The variables a frame's state reads: its own scope, then its ancestors' (VAR-7).

        A Distributed Map's iterations read nothing from outside (VAR-7, ASL-DMAP-8).
        """
        if frame.parent_id is None:
            return frame.variables
        scopes = [frame.variables]
        current = frame
        while current.parent_id is not None:
            parent = self.frames[current.parent_id]
            state = self.compiled.states[parent.state]
            if isinstance(state, MapState) and state.distributed:
                break
            scopes.append(parent.variables)
            current = parent
        return ChainMap(*scopes)

    def assign(self, frame: Frame, state: str, assigned: Mapping[str, JSON]) -> None:
        """Apply one state's assignments to the frame's own scope, all at once (VAR-4).

        Raises:
            FailureError: States.DataLimitExceeded when the execution's variables would pass
                10 MiB (VAR-8).
        """
        if not assigned:
            return
        sizes = {name: len(json_text(value)) for name, value in assigned.items()}
        total = sum(sizes.values())
        for other in self.frames.values():
            known = other.variable_sizes
            for name, value in other.variables.items():
                if other is frame and name in sizes:
                    continue  # replaced by this assignment
                size = known.get(name)
                if size is None:
                    size = known[name] = len(json_text(value))
                total += size
        check_total(state, total)
        frame.variables = {**frame.variables, **assigned}
        frame.variable_sizes.update(sizes)
        self.touch(frame)

    def remove(self, frame: Frame) -> None:
        """Forget a frame (and its descendants) and every work item of theirs."""
        for child in [f for f in self.frames.values() if f.parent_id == frame.id]:
            self.remove(child)
        for kind in WORK_KINDS:
            self.unschedule(frame, kind)
        self.frames.pop(frame.id, None)
        self.dirty.discard(frame.id)
        self.removed.add(frame.id)

    # --- work items ----------------------------------------------------------------------

    def work_id(self, frame: Frame, kind: str) -> str:
        return f"{self.arn}#{frame.id}#{kind}#{frame.attempt}"

    def schedule(
        self,
        frame: Frame,
        kind: str,
        due_at: float,
        payload: JSON = None,
        *,
        leased: bool = False,
    ) -> WorkRecord:
        """Add a work item for ``frame``; ``leased`` items start out claimed by this node."""
        work_id = self.work_id(frame, kind)
        return self.tick.add_work(
            WorkRecord(
                id=work_id,
                execution_arn=self.arn,
                frame_id=frame.id,
                kind=kind,
                due_at=due_at,
                payload="{}" if payload is None else json_text(payload),
                lease_owner=self.tick.owner if leased else None,
                lease_until=self.tick.now + self.tick.lease_seconds if leased else None,
            )
        )

    def unschedule(self, frame: Frame, kind: str) -> None:
        self.tick.delete_work(self.work_id(frame, kind))

    def make_ready(self, frame: Frame) -> None:
        """Queue the frame's current state for evaluation, durably."""
        frame.status = FrameStatus.READY
        self.touch(frame)
        self.schedule(frame, "step", self.tick.now)
        self.runnable.append(frame.id)

    # --- history -------------------------------------------------------------------------

    def emit(
        self,
        frame: Frame | None,
        event_type: str,
        details: dict[str, Any] | str | None = None,
        *,
        previous: int | None = None,
        closing: bool = False,
    ) -> int:
        """Append an event; ``previous`` defaults to the frame's last event (HIST-2).

        ``details`` is the details object, or its JSON text when the caller has it already.
        """
        event_id = self.last_event_id + 1
        if event_id >= history.MAX_EVENTS and not closing:
            raise HistoryLimitReached
        if previous is None:
            previous = frame.last_event if frame is not None else 0
        if details is not None and type(details) is not str:
            details = json_text(details)
        self._events.append(new_event(self.arn, event_id, event_type, self._now, previous, details))
        self.last_event_id = event_id
        self.changed = True
        if frame is not None:
            frame.last_event = event_id
            self.dirty.add(frame.id)
        return event_id

    # --- context object ------------------------------------------------------------------

    def context(self, frame: Frame, state: AnyState, *, task: bool = False) -> dict[str, Any]:
        """The context object ``$$`` for a state (CTX-1..CTX-4)."""
        if self._context is None:
            record = self.record
            self._context = {
                "Execution": {
                    "Id": record.arn,
                    "Input": self.execution_input,
                    "Name": record.name,
                    "RoleArn": record.role_arn,
                    "StartTime": format_timestamp_epoch(record.start_date),
                    "RedriveCount": 0,
                },
                "StateMachine": {
                    "Id": record.state_machine_arn,
                    "Name": record.state_machine_arn.rsplit(":", 1)[-1],
                },
            }
        state_context: dict[str, Any] = {
            "EnteredTime": format_timestamp_epoch(frame.entered_time),
            "Name": state.name,
        }
        if task:
            state_context["RetryCount"] = frame.retry_count
        shared = self._context
        context = {
            "Execution": shared["Execution"],
            "StateMachine": shared["StateMachine"],
            "State": state_context,
        }
        tokens = self.tick.tokens
        if (
            task
            and tokens is not None
            and frame.status is FrameStatus.READY
            and isinstance(state, TaskState)
            and state.resource.endswith(".waitForTaskToken")
        ):
            # CTX-5: the token of the attempt about to be scheduled, new for every attempt.
            token = tokens.issue(self.arn, frame.id, frame.attempt + 1, self.record.start_date)
            context["Task"] = {"Token": token}
        return context

    # --- closing -------------------------------------------------------------------------

    def close(
        self,
        status: ExecutionStatus,
        *,
        output: JSON = None,
        output_text: str | None = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        """Finish the execution: its row gets the result, its frames and work go away.

        ``output_text`` is ``output``'s JSON when the caller has serialised it already.
        """
        if status is ExecutionStatus.SUCCEEDED and output_text is None:
            output_text = json_text(output)
        self.record = dataclasses.replace(
            self.record,
            last_event_id=self.last_event_id,
            status=status,
            stop_date=self.tick.now,
            output=output_text if status is ExecutionStatus.SUCCEEDED else None,
            error=error,
            cause=cause,
        )
        self.changed = True
        for frame in list(self.frames.values()):
            self.removed.add(frame.id)
        self.frames.clear()
        self.dirty.clear()
        self.runnable.clear()
        self.tick.drop_execution(self.arn)
        self.tick.closed.append(self.record)

    def flush(self) -> None:
        """Write this run's changes into the tick's batch."""
        batch = self.tick.batch
        if self.closed:
            batch.closed_executions.append(self.arn)
        else:
            batch.frames.extend(self.frames[i].to_record(self.arn) for i in sorted(self.dirty))
            batch.deleted_frames.extend((self.arn, i) for i in sorted(self.removed))
        if self.changed:
            if self.record.last_event_id != self.last_event_id:
                self.record = dataclasses.replace(self.record, last_event_id=self.last_event_id)
            (batch.new_executions if self.new else batch.executions).append(self.record)
            self.new = False
        self.dirty.clear()
        self.removed.clear()
        self.changed = False


@functools.lru_cache(maxsize=4096)
def format_timestamp_epoch(seconds: float) -> str:
    """Epoch seconds as the context object's ISO-8601 text with milliseconds.

    Cached: every state entered in one tick shares the tick's time.
    """
    return format_timestamp(datetime.fromtimestamp(seconds, tz=UTC))
