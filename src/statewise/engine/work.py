"""Claimed work items: what each kind of due item does to its execution."""

from __future__ import annotations

import logging

from statewise.asl.entropy import Entropy
from statewise.asl.errors import StatesError
from statewise.engine import history, steps, tasks
from statewise.engine.frames import FrameStatus
from statewise.engine.run import Run
from statewise.engine.tick import Tick
from statewise.store.base import ExecutionRecord, ExecutionStatus, WorkRecord

logger = logging.getLogger(__name__)


def attempt_of(item: WorkRecord) -> int:
    """The frame attempt a work item belongs to (the last part of its id)."""
    return int(item.id.rsplit("#", 1)[1])


def handle(run: Run, tick: Tick, item: WorkRecord, entropy: Entropy) -> ExecutionRecord | None:
    """Apply one claimed work item; returns the record when the execution closed."""
    if item.kind == "execution-timeout":
        tick.delete_work(item.id)
        run.emit(
            None,
            "ExecutionTimedOut",
            history.error_details(StatesError.TIMEOUT, None),
            previous=0,
            closing=True,
        )
        run.close(ExecutionStatus.TIMED_OUT, error=StatesError.TIMEOUT)
        return run.record
    frame = run.frames.get(item.frame_id)
    if frame is None:
        tick.delete_work(item.id)
        return None
    attempt = attempt_of(item)
    match item.kind:
        case "step":
            tick.delete_work(item.id)
            if frame.attempt == attempt:
                run.runnable.append(frame.id)
        case "timer":
            tick.delete_work(item.id)
            steps.timer_fired(run, frame, attempt, entropy)
        case "timeout" | "heartbeat":
            tick.delete_work(item.id)
            tasks.timed_out(run, frame, attempt, item.kind == "heartbeat", entropy)
        case "task":
            if frame.status is not FrameStatus.TASK or frame.attempt != attempt:
                # Not the frame's running attempt: nothing will run it, so it must not
                # stay leased and come back every lease period.
                tick.delete_work(item.id)
            # Otherwise claimed again after a restart or a lost lease: the attempt runs
            # once more after the commit (task invocations are at-least-once); it stays.
        case _:
            logger.warning("unknown work kind %s", item.kind)
            tick.delete_work(item.id)
    return None
