"""Callers waiting for executions to close (a ``.sync`` parent, StartSyncExecution).

An execution this node closes resolves its waiters right after the commit. One that another
node closes is heard of through the store (``wait_for_closes``), or found by each waiter's
own look at the store every poll interval when nothing is heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from statewise.errors import ExecutionDoesNotExist
from statewise.store.base import ExecutionRecord, ExecutionStatus, Store

logger = logging.getLogger(__name__)

# How long one wait for other nodes' closes lasts (a store of one process only sleeps).
_CLOSES_WAIT_SECONDS = 5.0


class Waiters:
    """Futures of callers waiting for executions to close, by execution arn."""

    def __init__(self, store: Store, poll_seconds: float) -> None:
        self._store = store
        self._poll_seconds = poll_seconds
        self._futures: dict[str, list[asyncio.Future[ExecutionRecord]]] = {}

    async def wait_for(self, arn: str) -> ExecutionRecord:
        """Wait until the execution closes; returns its final record.

        Raises:
            ExecutionDoesNotExist: no such execution.
        """
        record = await self._store.get_execution(arn)
        if record is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        if record.status is not ExecutionStatus.RUNNING:
            return record
        future: asyncio.Future[ExecutionRecord] = asyncio.get_running_loop().create_future()
        self._futures.setdefault(arn, []).append(future)
        try:
            while True:
                # Read after registering: it may have closed in between; and with many
                # nodes, another node may close it, which only the store tells.
                record = await self._store.get_execution(arn)
                if record is not None and record.status is not ExecutionStatus.RUNNING:
                    return record
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(asyncio.shield(future), self._poll_seconds)
        finally:
            waiting = self._futures.get(arn)
            if waiting is not None and future in waiting:
                waiting.remove(future)
                if not waiting:
                    del self._futures[arn]

    def resolve(self, record: ExecutionRecord) -> None:
        """The execution closed: its waiters return ``record``."""
        for future in self._futures.pop(record.arn, []):
            if not future.done():
                future.set_result(record)

    async def watch(self) -> None:
        """Resolve waiters whose execution another node closed, as soon as it says so."""
        while True:
            try:
                heard = await self._store.wait_for_closes(_CLOSES_WAIT_SECONDS)
                if not heard or not self._futures:
                    continue
                for arn in list(self._futures):
                    record = await self._store.get_execution(arn)
                    if record is not None and record.status is not ExecutionStatus.RUNNING:
                        self.resolve(record)
            except asyncio.CancelledError:
                raise
            except Exception:  # the store is down: waiters still poll it themselves
                logger.exception("watching for closed executions failed")
                await asyncio.sleep(_CLOSES_WAIT_SECONDS)
