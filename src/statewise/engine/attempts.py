"""Task attempts running on this node: their coroutines, leases and outcomes.

The scheduler dispatches an attempt after the commit that scheduled it; from then on the
attempt runs off the tick, holding the lease of its task work item, which is renewed
before it lapses. Its outcome is queued here for the next tick. An attempt ends early when
its task item goes (a timeout, an activity pickup, a callback), when its execution
closes, or when its lease is lost to another node that took the attempt over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from statewise.engine.ports import TaskFailed, TaskOutcome, TaskRequest, TaskRunner, TaskSubmitted
from statewise.engine.tick import Dispatch
from statewise.store.base import Store, WorkRecord

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Outcome:
    """What an attempt came to, for the next tick to apply."""

    work_id: str
    execution_arn: str
    frame_id: int
    attempt: int
    outcome: TaskOutcome
    # A job's submission (``.sync``): recorded while the attempt goes on running.
    keep: bool = False


class Attempts:
    """The attempts in flight on this node.

    Args:
        runner: what runs Task states.
        wake: called when an outcome arrives (wakes the scheduler loop).
    """

    def __init__(self, runner: TaskRunner, wake: Callable[[], None]) -> None:
        self.runner = runner
        self._wake = wake
        # Outcomes waiting for the next tick, in arrival order.
        self.outcomes: list[Outcome] = []
        self._running: dict[str, asyncio.Task[None]] = {}
        self._leases: dict[str, WorkRecord] = {}
        self._requests: dict[str, TaskRequest] = {}
        self._cancels: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._running)

    def running(self, work_id: str) -> bool:
        return work_id in self._running

    def lease(self, work_id: str) -> WorkRecord | None:
        """The task item an attempt holds, as this node last wrote it."""
        return self._leases.get(work_id)

    def keep(self, item: WorkRecord) -> None:
        """Note the task item as rewritten by a tick (its lease goes on)."""
        self._leases[item.id] = item

    def release(self, work_id: str) -> None:
        """The attempt's outcome is being applied: its lease needs no more renewing."""
        self._leases.pop(work_id, None)

    def dispatch(self, dispatch: Dispatch) -> None:
        self._leases[dispatch.work_id] = dispatch.work
        self._requests[dispatch.work_id] = dispatch.request
        self._running[dispatch.work_id] = asyncio.create_task(
            self._run(dispatch), name=f"task {dispatch.work_id}"
        )

    async def renew(self, store: Store, owner: str, lease_seconds: float, now: float) -> bool:
        """Renew the leases due within a third of their time; returns whether any was due.

        An attempt whose lease was lost (this node stalled past it, and another node
        claimed the item and runs the attempt now) stops here without a word, and without
        the runner's cancel: its outcome belongs to the other node.
        """
        horizon = now + lease_seconds / 3
        due = [
            work_id
            for work_id, item in self._leases.items()
            if item.lease_until is not None and item.lease_until <= horizon
        ]
        if not due:
            return False
        until = now + lease_seconds
        held = await store.renew_leases(owner, due, until)
        for work_id in due:
            item = self._leases.get(work_id)
            if item is None:
                continue
            if work_id in held:
                self._leases[work_id] = replace(item, lease_until=until)
                continue
            self._leases.pop(work_id, None)
            self._requests.pop(work_id, None)
            running = self._running.pop(work_id, None)
            if running is not None:
                logger.warning("lost the lease of %s; another node runs it", work_id)
                running.cancel()
        return True

    def end(self, deleted: set[str], closed: set[str]) -> None:
        """Stop attempts that are over: their task item went (timed out, taken by an
        activity worker, answered by callback) or their execution closed."""
        ended = set(deleted)
        if closed:
            ended.update(w for w in (*self._running, *self._leases) if w.split("#")[0] in closed)
        for work_id in ended:
            self._leases.pop(work_id, None)
            request = self._requests.pop(work_id, None)
            running = self._running.pop(work_id, None)
            if running is None:
                continue
            running.cancel()
            cancel = getattr(self.runner, "cancel", None)
            if cancel is not None and request is not None:
                # Best effort, off the tick (INT-2: a .sync child is stopped with its parent).
                job = asyncio.create_task(_cancel(cancel, request))
                self._cancels.add(job)
                job.add_done_callback(self._cancels.discard)

    async def stop(self) -> None:
        """Abandon every running attempt (their work stays durable)."""
        running = list(self._running.values())
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._running.clear()
        self._requests.clear()

    async def _run(self, dispatch: Dispatch) -> None:
        request = dispatch.request
        try:
            outcome = await self.runner.run(request)
            if isinstance(outcome, TaskSubmitted) and outcome.result is not None:
                # A job (.sync): its submission is recorded now, its end when it comes.
                if not request.submitted:
                    self._report(dispatch, TaskSubmitted(outcome.output), keep=True)
                outcome = await outcome.result()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a runner bug must not leave the task hanging forever
            logger.exception("task runner failed for %s", dispatch.work_id)
            outcome = TaskFailed("States.TaskFailed", f"{type(exc).__name__}: {exc}")
        finally:
            self._running.pop(dispatch.work_id, None)
            self._requests.pop(dispatch.work_id, None)
        self._report(dispatch, outcome)

    def _report(self, dispatch: Dispatch, outcome: TaskOutcome, *, keep: bool = False) -> None:
        self.outcomes.append(
            Outcome(
                dispatch.work_id,
                dispatch.work.execution_arn,
                dispatch.frame_id,
                dispatch.attempt,
                outcome,
                keep,
            )
        )
        self._wake()


async def _cancel(cancel: Callable[[TaskRequest], Any], request: TaskRequest) -> None:
    try:
        await cancel(request)
    except Exception:
        logger.exception("cancelling %s failed", request.execution_arn)
