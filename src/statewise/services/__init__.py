"""The composition root: the one place that picks the store, engines and task runners."""

from __future__ import annotations

from pathlib import Path

from statewise import tasktokens
from statewise.clock import Clock, SystemClock
from statewise.config import Settings
from statewise.engine.ports import TaskRunner
from statewise.engine.scheduler import Engine
from statewise.functions.remote import RemoteInvoker
from statewise.functions.service import FunctionService
from statewise.functions.tasks import FunctionTaskRunner
from statewise.integrations import Integrations
from statewise.services.activities import Activities
from statewise.services.executions import Executions
from statewise.services.machines import Machines
from statewise.store.base import Store
from statewise.store.memory import MemoryStore


def open_store(url: str) -> Store:
    """A store from its URL: ``sqlite:///path/to/file.db``, ``memory://`` or
    ``postgresql://user:password@host:port/database`` (``postgres://`` too)."""
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
    if url.startswith(("postgresql://", "postgres://")):
        # Imported here: asyncpg is the optional ``postgres`` extra.
        from statewise.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(
        f"unsupported store URL {url!r} "
        "(use sqlite:///PATH, postgresql://USER@HOST/DATABASE or memory://)"
    )


def lambda_runner(settings: Settings, functions: FunctionService) -> TaskRunner:
    """What runs Lambda Task states: the local runtime, or ``LAMBDA_ENDPOINT`` if set."""
    endpoint = settings.endpoints.get("LAMBDA_ENDPOINT")
    if endpoint:
        return FunctionTaskRunner(RemoteInvoker(endpoint, region=settings.region))
    return FunctionTaskRunner(functions)


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
        # The function runtime serves the Lambda API; Task states call its functions, or a
        # remote Lambda endpoint when LAMBDA_ENDPOINT is set (as Step Functions Local does).
        self.functions = FunctionService(
            settings.data_dir.resolve() / "functions",
            region=settings.region,
            account=settings.account,
            now=self.clock.now,
        )
        self.tasks = tasks or lambda_runner(settings, self.functions)
        # Lambda tasks go to the runner above; activities, nested executions, AWS services
        # and HTTP to the integrations routed around it. Activities and the task token key
        # live in the data directory (when the store is durable).
        durable = None if isinstance(self.store, MemoryStore) else settings.data_dir
        self.activities = Activities(
            self.store,
            durable,
            region=settings.region,
            account=settings.account,
            now=self.clock.now,
        )
        self.integrations = Integrations(
            settings, lambdas=self.tasks, activity_exists=self.activities.exists
        )
        self.tasks = self.integrations.router
        self.express_store = MemoryStore()
        self.engine = Engine(self.store, self.tasks, clock=self.clock)
        self.express_engine = Engine(self.express_store, self.tasks, clock=self.clock)
        self.machines = Machines(
            self.store, region=settings.region, account=settings.account, now=self.clock.now
        )
        self.executions = Executions(self.store, self.machines, self.engine, self.express_engine)
        self.engine.tokens = tasktokens.from_settings(settings.task_token_key, durable)
        self.integrations.bind(self.engine, self.executions)

    async def start(self) -> None:
        """Open the stores, start the function runtime and both engines."""
        await self.store.open()
        await self.express_store.open()
        await self.functions.start()
        await self.engine.start()
        await self.express_engine.start()

    async def stop(self) -> None:
        """Stop the engines and close the stores; in-flight Standard work stays durable."""
        await self.integrations.close()
        await self.engine.stop()
        await self.express_engine.stop()
        await self.functions.stop()
        await self.store.close()
        await self.express_store.close()
