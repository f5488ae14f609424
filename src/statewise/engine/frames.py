"""Frames: where each scope of an execution is, in memory, and their stored form."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from statewise.store.base import FrameRecord
from statewise.types import JSON, json_text


class FrameStatus(StrEnum):
    """What a frame is doing."""

    READY = "READY"  # has a step work item: evaluate its current state
    TASK = "TASK"  # waiting for a task attempt's outcome
    WAIT = "WAIT"  # in a Wait state until its timer fires
    RETRY = "RETRY"  # backing off before re-running its state
    CHILDREN = "CHILDREN"  # a Parallel or Map waiting for its branches/iterations
    PENDING = "PENDING"  # a Map iteration not started yet (MaxConcurrency)
    DONE = "DONE"  # a finished branch/iteration holding its output until the join


@dataclass(slots=True, kw_only=True)
class Frame:
    """One scope of an execution (top level, branch or iteration), mutable while stepping.

    Attributes:
        id: unique within the execution; 0 is the top level.
        parent_id: the frame of the Parallel/Map state that started this one.
        index: the branch or iteration index within the parent.
        state: the current state's name.
        input: the current state's raw input.
        status: what the frame waits for.
        counts: the retriers' attempt counts in this visit to the state (RETRY-3).
        retry_count: ``$$.State.RetryCount``.
        attempt: increases with every task attempt or fan-out run, so late outcomes of an
            earlier attempt are recognised and dropped.
        entered_event: id of the state's ``...StateEntered`` event.
        last_event: id of the frame's latest event, the next event's ``previousEventId``.
        entered_time: when the current state was entered (epoch seconds).
        total, started, done, limit: fan-out bookkeeping of a CHILDREN frame (how many
            children, how many started and finished, how many may run at once).
        output: a DONE frame's result.
        wait_next, wait_output: where a WAIT frame goes when its timer fires.
        wait_assigned: the Wait state's assignments, applied when it exits (VAR-4).
        variables: the workflow variables this scope assigned (VAR-7: a branch or
            iteration reads its ancestors' too, see ``Run.variables``), stored with the
            frame so they survive restarts.
        last_frame_id: see below.
    """

    id: int
    parent_id: int | None = None
    index: int = 0
    state: str
    input: JSON = None
    status: FrameStatus = FrameStatus.READY
    counts: list[int] = field(default_factory=list)
    retry_count: int = 0
    attempt: int = 0
    entered_event: int = 0
    last_event: int = 0
    entered_time: float = 0.0
    total: int = 0
    started: int = 0
    done: int = 0
    limit: int = 0
    output: JSON = None
    wait_next: str | None = None
    wait_output: JSON = None
    wait_assigned: dict[str, JSON] | None = None
    variables: dict[str, JSON] = field(default_factory=dict)
    # An activity worker took the running attempt: a second pickup of it (its task offered
    # again by a node that took the attempt over meanwhile) is refused.
    picked_up: bool = False
    # Each variable's JSON size, filled as needed for the 10 MiB limit (VAR-8). Not stored.
    variable_sizes: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    # On the top-level frame only: the last frame id handed out, so ids are never reused
    # and a late outcome for a removed frame can never match a new one.
    last_frame_id: int = 0
    # ``input``'s JSON text when known (set with it on entering a state), so writing the
    # frame does not serialise again what the Entered event just did. Not stored.
    input_text: str | None = field(default=None, compare=False, repr=False)

    def to_record(self, execution_arn: str) -> FrameRecord:
        """The stored form; everything but identity and status goes into ``data``."""
        data: dict[str, Any] = {
            "c": self.counts,
            "r": self.retry_count,
            "a": self.attempt,
            "e": self.entered_event,
            "l": self.last_event,
            "t": self.entered_time,
        }
        if self.last_frame_id:
            data["f"] = self.last_frame_id
        if self.status is FrameStatus.CHILDREN:
            data["n"] = [self.total, self.started, self.done, self.limit]
        elif self.status is FrameStatus.DONE:
            data["o"] = self.output
        elif self.status is FrameStatus.WAIT:
            data["w"] = [self.wait_next, self.wait_output]
            if self.wait_assigned is not None:
                data["w"].append(self.wait_assigned)
        if self.variables:
            data["v"] = self.variables
        if self.picked_up:
            data["p"] = 1
        return FrameRecord(
            execution_arn=execution_arn,
            id=self.id,
            parent_id=self.parent_id,
            index=self.index,
            state=self.state,
            input=self.input_text if self.input_text is not None else json_text(self.input),
            status=self.status.value,
            data=orjson.dumps(data).decode(),
        )

    @classmethod
    def from_record(cls, record: FrameRecord) -> Frame:
        """Rebuild a frame from its stored form."""
        data = orjson.loads(record.data)
        frame = cls(
            id=record.id,
            parent_id=record.parent_id,
            index=record.index,
            state=record.state,
            input=orjson.loads(record.input),
            input_text=record.input,
            status=FrameStatus(record.status),
            counts=list(data.get("c", [])),
            retry_count=data.get("r", 0),
            attempt=data.get("a", 0),
            entered_event=data.get("e", 0),
            last_event=data.get("l", 0),
            entered_time=data.get("t", 0.0),
            last_frame_id=data.get("f", 0),
        )
        if "n" in data:
            frame.total, frame.started, frame.done, frame.limit = data["n"]
        if "o" in data:
            frame.output = data["o"]
        if "w" in data:
            frame.wait_next, frame.wait_output = data["w"][:2]
            if len(data["w"]) > 2:
                frame.wait_assigned = data["w"][2]
        if "v" in data:
            frame.variables = data["v"]
        frame.picked_up = "p" in data
        return frame
