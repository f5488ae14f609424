"""Warm workers: one process per concurrent invocation, kept warm and reaped when idle.

Concurrency is Lambda's: the invocations running at once for a function may not exceed its
reserved concurrency, and those of functions without a reservation share what the account
has left. An invocation beyond either is throttled (TooManyRequestsException).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from statewise.functions.errors import TooManyRequestsException
from statewise.functions.model import FunctionConfig
from statewise.functions.worker import Invocation, Outcome, Worker

logger = logging.getLogger(__name__)

IDLE_SECONDS = 300.0

# A worker serves exactly one function version as configured at one revision.
WorkerKey = tuple[str, str, str]


def key_of(config: FunctionConfig) -> WorkerKey:
    return (config.name, config.version, config.revision_id)


@dataclass(frozen=True, slots=True)
class Limits:
    """Where the pool reads concurrency settings (the registry owns them)."""

    reserved: Callable[[str], int | None]
    reserved_total: Callable[[], int]
    account: int = 1000


class Pool:
    """Idle workers by key, the count of running invocations, and the reaper."""

    def __init__(
        self,
        spawn: Callable[[FunctionConfig], Worker],
        limits: Limits,
        *,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.spawn = spawn
        self.limits = limits
        self.idle_seconds = idle_seconds
        self._idle: dict[WorkerKey, list[Worker]] = defaultdict(list)
        self._idle_since: dict[int, float] = {}
        self._busy: dict[str, int] = defaultdict(int)
        self._busy_total = 0
        self._busy_unreserved = 0
        self._stale: set[WorkerKey] = set()
        self._running: set[Worker] = set()
        self._reaper: asyncio.Task[None] | None = None
        self._released = asyncio.Event()
        self._killing: set[asyncio.Future[None]] = set()

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        if self._reaper is None:
            self._reaper = asyncio.create_task(self._reap_loop(), name="function worker reaper")

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        workers = [w for ws in self._idle.values() for w in ws] + list(self._running)
        self._idle.clear()
        self._running.clear()
        await asyncio.gather(*(w.kill() for w in workers), *self._killing, return_exceptions=True)

    # --- counts -----------------------------------------------------------------------

    def busy(self, name: str | None = None) -> int:
        """Invocations running now (for one function, or all)."""
        return self._busy_total if name is None else self._busy[name]

    def idle(self, name: str | None = None) -> int:
        return sum(len(ws) for k, ws in self._idle.items() if name is None or k[0] == name)

    def _admit(self, name: str) -> bool:
        """Count one more running invocation if the limits allow; whether it is reserved."""
        reserved = self.limits.reserved(name)
        if reserved is not None:
            if self._busy[name] >= reserved:
                raise TooManyRequestsException(
                    "Rate Exceeded.", "ReservedFunctionConcurrentInvocationLimitExceeded"
                )
        elif self._busy_unreserved >= self.limits.account - self.limits.reserved_total():
            raise TooManyRequestsException("Rate Exceeded.", "ConcurrentInvocationLimitExceeded")
        self._busy[name] += 1
        self._busy_total += 1
        if reserved is None:
            self._busy_unreserved += 1
        return reserved is not None

    def _leave(self, name: str, reserved: bool) -> None:
        self._busy[name] -= 1
        self._busy_total -= 1
        if not reserved:
            self._busy_unreserved -= 1
        self._released.set()

    async def wait_for_capacity(self, name: str, timeout: float) -> None:
        """Wait (up to ``timeout``) until an invocation of ``name`` would be admitted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                reserved = self._admit(name)
            except TooManyRequestsException:
                self._released.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(1.0, deadline - time.monotonic())):
                        await self._released.wait()
                continue
            self._leave(name, reserved)
            return

    # --- running ----------------------------------------------------------------------

    async def run(self, config: FunctionConfig, invocation: Invocation) -> Outcome:
        """Run one invocation on a warm worker, or a new one (a cold start).

        Raises:
            TooManyRequestsException: the function's or the account's concurrency is used up.
        """
        reserved = self._admit(config.name)
        worker: Worker | None = None
        try:
            worker = self._take(key_of(config))
            init_duration = None
            if worker is None:
                worker = self.spawn(config)
                self._running.add(worker)
                began = time.monotonic()
                failure = await worker.start(invocation.request_id)
                if failure is not None:
                    self._running.discard(worker)
                    await worker.kill()
                    return failure
                init_duration = time.monotonic() - began
            else:
                self._running.add(worker)
            outcome = await worker.invoke(invocation)
            self._running.discard(worker)
            if worker.alive and key_of(config) not in self._stale:
                self._park(worker)
            else:
                await worker.kill()
            if init_duration is not None:
                return _with_init(outcome, init_duration)
            return outcome
        except BaseException:
            # Cancelled mid-invocation (the caller gave up) or failed: the worker's state is
            # unknown, so it must not serve another invocation.
            if worker is not None:
                self._running.discard(worker)
                await asyncio.shield(worker.kill())
            raise
        finally:
            self._leave(config.name, reserved)

    def _take(self, key: WorkerKey) -> Worker | None:
        workers = self._idle.get(key)
        while workers:
            # The most recently used worker first: it is the warmest, and the others age out.
            worker = workers.pop()
            self._idle_since.pop(id(worker), None)
            if worker.alive:
                return worker
            self._kill_later(worker)
        return None

    def _kill_later(self, worker: Worker) -> None:
        task = asyncio.ensure_future(worker.kill())
        self._killing.add(task)
        task.add_done_callback(self._killing.discard)

    def _park(self, worker: Worker) -> None:
        self._idle[key_of(worker.config)].append(worker)
        self._idle_since[id(worker)] = time.monotonic()

    def retire(self, name: str, current: set[WorkerKey]) -> None:
        """Stop using workers of ``name`` whose key is not ``current`` (code or config
        changed, or the function or a version was deleted)."""
        for key in list(self._idle):
            if key[0] == name and key not in current:
                self._stale.add(key)
                for worker in self._idle.pop(key):
                    self._idle_since.pop(id(worker), None)
                    self._kill_later(worker)
        for worker in self._running:
            key = key_of(worker.config)
            if key[0] == name and key not in current:
                self._stale.add(key)

    async def reap(self, now: float | None = None) -> int:
        """Kill workers idle for longer than ``idle_seconds``; how many were killed."""
        moment = time.monotonic() if now is None else now
        victims: list[Worker] = []
        for key, workers in list(self._idle.items()):
            keep = []
            for worker in workers:
                since = self._idle_since.get(id(worker), moment)
                if moment - since >= self.idle_seconds or not worker.alive:
                    victims.append(worker)
                    self._idle_since.pop(id(worker), None)
                else:
                    keep.append(worker)
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        await asyncio.gather(*(w.kill() for w in victims), return_exceptions=True)
        return len(victims)

    async def _reap_loop(self) -> None:
        interval = max(min(self.idle_seconds / 4, 30.0), 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reap()
            except Exception:  # the reaper must outlive any one bad worker
                logger.exception("reaping idle workers failed")


def _with_init(outcome: Outcome, init_duration: float) -> Outcome:
    return replace(outcome, init_duration=init_duration)
