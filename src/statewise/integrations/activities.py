"""Activity tasks waiting for workers, and the workers' long polls (INT-9, API-30).

An activity Task state's attempt is a pending task in the store until a worker's
GetActivityTask takes it, so a worker polling any node gets a task that any node's engine
scheduled. The pickup is committed by the engine (``ActivityStarted``, the heartbeat clock)
before the worker gets the token, so a worker's answer can never overtake its own pickup.

A task is keyed by the engine's work id of the attempt, so an attempt that is dispatched
again (after a restart, or by another node once the first one's lease expired) is still one
task. Rows of attempts that ended meanwhile (timed out, execution stopped) are harmless:
taking one commits nothing (the engine answers that the attempt is over) and it is dropped.

Long polls are woken at once by tasks this node puts; tasks put by other nodes are found by
looking at the store every :data:`LOOK_SECONDS` while anyone polls. One look per activity
per interval wakes one poller, not all of them, so idle pollers cost no database load.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson

from statewise.engine.ports import TaskFailed, TaskOutcome, TaskRequest
from statewise.errors import ActivityWorkerLimitExceeded
from statewise.store.base import ActivityTaskRecord, Store, StoreError

logger = logging.getLogger(__name__)

# at most 1,000 pollers per activity (here: per node), each held at most
# 60 seconds.
MAX_POLLERS = 1000
# How often a task no worker has picked up is put in the store again (see run).
REOFFER_SECONDS = 30.0
POLL_SECONDS = 60.0
# How often an activity with pollers on this node looks in the store for tasks another
# node put: the most such a task waits for a poller that is already waiting.
LOOK_SECONDS = 0.2
# Backoff while the store cannot be reached to queue a task: the attempt waits anyway.
_RETRY_SECONDS = (0.1, 5.0)

Starter = Callable[[TaskRequest, str | None], Awaitable[bool]]


def task_id(request: TaskRequest) -> str:
    """The engine's work id of the attempt's ``task`` item (``Run.work_id``), the same on
    every node and for every dispatch of the attempt."""
    return f"{request.execution_arn}#{request.frame_id}#task#{request.attempt}"


@dataclass(frozen=True, slots=True)
class ActivityTask:
    """What a worker receives: the attempt's token and its input (JSON text)."""

    token: str
    input: str


class _Pollers:
    """This node's long polls of one activity."""

    __slots__ = ("count", "hints", "looker")

    def __init__(self) -> None:
        self.count = 0
        # "Look in the store": each hint wakes one poller. One is enough to keep: a poller
        # that finds a task hints again, so a run of tasks is taken one poller after another.
        self.hints: asyncio.Queue[None] = asyncio.Queue(maxsize=1)
        self.looker: asyncio.Task[None] | None = None

    def hint(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.hints.put_nowait(None)


class ActivityQueue:
    """Pending activity tasks by activity ARN; also the TaskRunner of activity states.

    Args:
        store: where activities and their pending tasks live (the durable store, shared by
            every node).
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._polls: dict[str, _Pollers] = {}
        self._start: Starter | None = None
        self._closed = asyncio.Event()

    def bind(self, start: Starter) -> None:
        """How a pickup is committed: ``start(request, worker_name)`` -> still running."""
        self._start = start

    async def pending(self, activity_arn: str) -> int:
        """How many tasks of an activity wait for a worker (on every node)."""
        return await self._store.count_activity_tasks(activity_arn)

    async def run(self, request: TaskRequest) -> TaskOutcome:
        """Queue the attempt for a worker; returns only if the activity does not exist."""
        arn = request.resource
        if not await self.put(request):
            return TaskFailed("States.Runtime", f"The activity {arn} does not exist.")
        # Nothing to return: the pickup ends this attempt's dispatch (the engine cancels
        # it), and the worker's SendTask* calls carry the outcome. The task stays in the
        # store when this is cancelled otherwise (the node stops): the attempt is not over,
        # and another node, or this one restarted, hands it out.
        while True:
            await asyncio.sleep(REOFFER_SECONDS)
            # Offered again while no pickup ended the dispatch: a node that took the task
            # and died before committing the pickup would otherwise have lost it. Putting
            # it back keeps its place; a copy that outlives a pickup is refused when taken.
            await self.put(request)

    async def put(self, request: TaskRequest) -> bool:
        """Put the attempt's task in the store (again: still one task) and wake a poller of
        this node; False when the activity does not exist.

        A store that cannot be reached is tried again until it can: failing the task would
        fail a workflow for an outage, and the attempt has nothing to do but wait anyway.
        """
        delay, longest = _RETRY_SECONDS
        while True:
            try:
                if await self._store.get_activity(request.resource) is None:
                    return False
                # Without a token no worker could answer; the engine signs every activity
                # attempt, so this is only ever a test's engine without a key.
                if request.token is not None:
                    await self._store.put_activity_task(_record(request))
                    polls = self._polls.get(request.resource)
                    if polls is not None:
                        polls.hint()
                return True
            except StoreError as exc:
                logger.warning("cannot queue activity task of %s: %s", request.execution_arn, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)

    async def cancel(self, request: TaskRequest) -> None:
        """The engine stopped waiting for the attempt (timed out, execution stopped): its
        task, if no worker took it, goes now rather than when a poll finds it stale."""
        await self._store.delete_activity_task(task_id(request))

    async def poll(
        self, activity_arn: str, worker_name: str | None, timeout: float = POLL_SECONDS
    ) -> ActivityTask | None:
        """A worker's long poll: the next task, or None when ``timeout`` passes first.

        Raises:
            ActivityWorkerLimitExceeded: too many workers poll this activity.
        """
        if self._start is None:
            raise RuntimeError("ActivityQueue.bind() was not called")
        polls = self._polls.get(activity_arn)
        if polls is None:
            polls = self._polls[activity_arn] = _Pollers()
        if polls.count >= MAX_POLLERS:
            raise ActivityWorkerLimitExceeded(
                f"Activity worker limit exceeded: at most {MAX_POLLERS} workers may poll "
                f"'{activity_arn}' at once"
            )
        polls.count += 1
        if polls.looker is None:
            polls.looker = asyncio.create_task(_look(polls), name=f"look {activity_arn}")
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            return await self._poll(activity_arn, worker_name, polls, deadline)
        finally:
            polls.count -= 1
            if polls.count == 0:
                if polls.looker is not None:
                    polls.looker.cancel()
                del self._polls[activity_arn]

    async def _poll(
        self, activity_arn: str, worker_name: str | None, polls: _Pollers, deadline: float
    ) -> ActivityTask | None:
        loop = asyncio.get_running_loop()
        while not self._closed.is_set():
            record = await self._store.take_activity_task(activity_arn)
            if record is not None:
                polls.hint()  # there may be more: the next poller looks at once
                if await self._take(record, worker_name):
                    return ActivityTask(record.token, record.input)
                continue  # the attempt is over: drop the task, take the next
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self._hinted(polls, remaining):
                return None
        return None

    async def _hinted(self, polls: _Pollers, timeout: float) -> bool:
        """Wait for a hint; False when the poll ends first (timeout, or closing)."""
        hinted = asyncio.ensure_future(polls.hints.get())
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait(
                (hinted, closed), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            closed.cancel()
            hinted.cancel()
        if hinted.done() and not hinted.cancelled():
            if self._closed.is_set():
                polls.hint()  # not used: another poller may still want it
                return False
            return True
        return False

    async def _take(self, record: ActivityTaskRecord, worker_name: str | None) -> bool:
        """Commit the pickup of a task taken from the store; False when the attempt is over."""
        assert self._start is not None
        try:
            return await self._start(_request(record), worker_name)
        except Exception:
            # The pickup failed (nothing committed): back in the queue for the next poll.
            # Not on cancellation (the worker hung up): the command is queued in the engine
            # and commits anyway, and a second pickup of one attempt would start it twice.
            with contextlib.suppress(StoreError):
                await self._store.put_activity_task(record)
            raise

    def close(self) -> None:
        """End every long poll (the server is stopping)."""
        self._closed.set()
        for polls in self._polls.values():
            if polls.looker is not None:
                polls.looker.cancel()


async def _look(polls: _Pollers) -> None:
    """While anyone polls the activity on this node: hint every LOOK_SECONDS, so that one
    poller looks in the store for tasks that other nodes put."""
    while True:
        await asyncio.sleep(LOOK_SECONDS)
        polls.hint()


def _record(request: TaskRequest) -> ActivityTaskRecord:
    """What another node needs to hand the attempt out and commit its pickup."""
    assert request.token is not None
    return ActivityTaskRecord(
        id=task_id(request),
        activity_arn=request.resource,
        execution_arn=request.execution_arn,
        state_name=request.state_name,
        frame_id=request.frame_id,
        attempt=request.attempt,
        token=request.token,
        input=orjson.dumps(request.payload).decode(),
        timeout_seconds=request.timeout_seconds,
        heartbeat_seconds=request.heartbeat_seconds,
    )


def _request(record: ActivityTaskRecord) -> TaskRequest:
    """The attempt's request as the pickup needs it (token, heartbeat, which attempt)."""
    return TaskRequest(
        execution_arn=record.execution_arn,
        state_name=record.state_name,
        resource=record.activity_arn,
        payload=orjson.loads(record.input),
        timeout_seconds=record.timeout_seconds,
        token=record.token,
        frame_id=record.frame_id,
        attempt=record.attempt,
        heartbeat_seconds=record.heartbeat_seconds,
    )
