"""The composition root: the one place that picks the store, engines and task runners."""

from __future__ import annotations

from pathlib import Path

from statewise.clock import Clock, SystemClock
from statewise.config import Settings
from statewise.engine.local import LocalTaskRunner
from statewise.engine.ports import TaskRunner
from statewise.engine.scheduler import Engine
from statewise.services.executions import Executions
from statewise.services.machines import Machines
from statewise.store.base import Store
from statewise.store.memory import MemoryStore


def open_store(url: str) -> Store:
    """A store from its URL: ``sqlite:///path/to/file.db`` or ``memory://``."""
    if url.startswith("memory:"):
        return MemoryStore()
    if url.startswith("sqlite:///"):
        from statewise.store.sqlite import SqliteStore

        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_absolute():
            path = Path("/") / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(path)
    if url.startswith("sqlite://"):
        from statewise.store.sqlite import SqliteStore

        path = Path(url.removeprefix("sqlite://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(path)
    raise ValueError(f"unsupported store URL {url!r} (use sqlite:///PATH or memory://)")


class Services:
    """Everything a server needs, wired together.

    Standard executions run on the durable store; Express executions on an in-memory one
    (at most once, TYPE-2/TYPE-3).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        tasks: TaskRunner | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.store = store or open_store(settings.store_url)
        self.tasks = tasks or LocalTaskRunner({})
        self.express_store = MemoryStore()
        self.engine = Engine(self.store, self.tasks, clock=self.clock)
        self.express_engine = Engine(self.express_store, self.tasks, clock=self.clock)
        self.machines = Machines(
            self.store, region=settings.region, account=settings.account, now=self.clock.now
        )
        self.executions = Executions(self.store, self.machines, self.engine, self.express_engine)

    async def start(self) -> None:
        """Open the stores and start both engines."""
        await self.store.open()
        await self.express_store.open()
        await self.engine.start()
        await self.express_engine.start()

    async def stop(self) -> None:
        """Stop the engines and close the stores; in-flight Standard work stays durable."""
        await self.engine.stop()
        await self.express_engine.stop()
        await self.store.close()
        await self.express_store.close()
