"""Activity tasks waiting for workers, and the workers' long polls (INT-9, API-30).

An activity Task state's attempt is a pending entry here until a worker's GetActivityTask
takes it. The pickup is committed by the engine (``ActivityStarted``, the heartbeat clock)
before the worker gets the token, so a worker's answer can never overtake its own pickup.
Entries are in memory only: the engine's task work item stays leased while one waits, so
after a restart the attempt is dispatched again and its entry comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson

from statewise.engine.ports import TaskFailed, TaskOutcome, TaskRequest
from statewise.errors import ActivityWorkerLimitExceeded

# at most 1,000 pollers per activity, each held at most 60 seconds.
MAX_POLLERS = 1000
POLL_SECONDS = 60.0

Starter = Callable[[TaskRequest, str | None], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class ActivityTask:
    """What a worker receives: the attempt's token and its input (JSON text)."""

    token: str
    input: str


class ActivityQueue:
    """Pending activity tasks by activity ARN; also the TaskRunner of activity states.

    Args:
        exists: whether an activity ARN names an existing activity.
    """

    def __init__(self, exists: Callable[[str], bool]) -> None:
        self._exists = exists
        self._pending: dict[str, deque[TaskRequest]] = {}
        self._arrived: dict[str, asyncio.Event] = {}
        self._pollers: dict[str, int] = {}
        self._start: Starter | None = None
        self._closed = asyncio.Event()

    def bind(self, start: Starter) -> None:
        """How a pickup is committed: ``start(request, worker_name)`` -> still running."""
        self._start = start

    def pending(self, activity_arn: str) -> int:
        """How many tasks of an activity wait for a worker."""
        return len(self._pending.get(activity_arn, ()))

    def _event(self, activity_arn: str) -> asyncio.Event:
        event = self._arrived.get(activity_arn)
        if event is None:
            event = self._arrived[activity_arn] = asyncio.Event()
        return event

    async def run(self, request: TaskRequest) -> TaskOutcome:
        """Queue the attempt for a worker; returns only if the activity does not exist."""
        arn = request.resource
        if not self._exists(arn):
            return TaskFailed("States.Runtime", f"The activity {arn} does not exist.")
        queue = self._pending.setdefault(arn, deque())
        queue.append(request)
        self._event(arn).set()
        try:
            # Nothing to return: the pickup ends this attempt's dispatch (the engine cancels
            # it), and the worker's SendTask* calls carry the outcome.
            await asyncio.get_running_loop().create_future()
        finally:
            with contextlib.suppress(ValueError):
                queue.remove(request)
        raise AssertionError("unreachable")  # pragma: no cover

    async def poll(
        self, activity_arn: str, worker_name: str | None, timeout: float = POLL_SECONDS
    ) -> ActivityTask | None:
        """A worker's long poll: the next task, or None when ``timeout`` passes first.

        Raises:
            ActivityWorkerLimitExceeded: too many workers poll this activity.
        """
        if self._pollers.get(activity_arn, 0) >= MAX_POLLERS:
            raise ActivityWorkerLimitExceeded(
                f"Activity worker limit exceeded: at most {MAX_POLLERS} workers may poll "
                f"'{activity_arn}' at once"
            )
        self._pollers[activity_arn] = self._pollers.get(activity_arn, 0) + 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while not self._closed.is_set():
                queue = self._pending.get(activity_arn)
                if queue:
                    request = queue.popleft()
                    if await self._take(request, worker_name):
                        return ActivityTask(request.token or "", _json(request))
                    continue
                event = self._event(activity_arn)
                event.clear()
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                closed = asyncio.ensure_future(self._closed.wait())
                arrived = asyncio.ensure_future(event.wait())
                try:
                    await asyncio.wait(
                        (closed, arrived), timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    closed.cancel()
                    arrived.cancel()
            return None
        finally:
            self._pollers[activity_arn] -= 1

    async def _take(self, request: TaskRequest, worker_name: str | None) -> bool:
        if self._start is None or request.token is None:
            return False
        return await self._start(request, worker_name)

    def close(self) -> None:
        """End every long poll (the server is stopping)."""
        self._closed.set()


def _json(request: TaskRequest) -> str:
    return orjson.dumps(request.payload).decode()
