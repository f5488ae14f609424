"""The composition root: the one place that picks the store, engines and task runners."""

from __future__ import annotations

from pathlib import Path

from statewise import tasktokens
from statewise.clock import Clock, SystemClock
from statewise.config import Settings
from statewise.engine.ports import TaskRunner
from statewise.engine.scheduler import Engine, EngineSettings
from statewise.functions.remote import RemoteInvoker
from statewise.functions.service import FunctionService
from statewise.functions.tasks import FunctionTaskRunner
from statewise.integrations import Integrations
from statewise.services.activities import Activities
from statewise.services.executions import Executions
from statewise.services.machines import Machines
from statewise.store.base import Store
from statewise.store.memory import MemoryStore
from statewise.store.sqlite import SqliteStore


def open_store(url: str, *, pool_size: int = 10) -> Store:
    """A store from its URL: ``sqlite:///path/to/file.db``, ``memory://`` or
    ``postgresql://user:password@host:port/database`` (``postgres://`` too)."""
    if url.startswith("memory:"):
        return MemoryStore()
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_absolute():
            path = Path("/") / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(path)
    if url.startswith("sqlite://"):
        path = Path(url.removeprefix("sqlite://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(path)
    if url.startswith(("postgresql://", "postgres://")):
        # Imported here: asyncpg is the optional ``postgres`` extra.
        from statewise.store.postgres import PostgresStore

        return PostgresStore(url, max_size=pool_size)
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
        self.store = store or open_store(settings.store_url, pool_size=settings.pool_size)
        # The function runtime serves the Lambda API; Task states call its functions, or a
        # remote Lambda endpoint when LAMBDA_ENDPOINT is set (as Step Functions Local does).
        # Functions and their code live in the store, shared by every node; the data
        # directory keeps each node's unpacked code, and may still hold functions from
        # before (imported on start into a durable store).
        in_memory = isinstance(self.store, MemoryStore)
        # Memory and SQLite stores have one process; a PostgreSQL one may have many nodes.
        many_nodes = not isinstance(self.store, (MemoryStore, SqliteStore))
        self.functions = FunctionService(
            settings.data_dir.resolve() / "functions",
            region=settings.region,
            account=settings.account,
            now=self.clock.now,
            store=self.store,
            many_nodes=many_nodes,
            import_directory=not in_memory,
        )
        self.tasks = tasks or lambda_runner(settings, self.functions)
        # Lambda tasks go to the runner above; activities, nested executions, AWS services
        # and HTTP to the integrations routed around it. Activities, their pending tasks and
        # the task token key live in the store, shared by every node; a durable store's data
        # directory may still hold them from before (imported on first use).
        durable = None if in_memory else settings.data_dir
        self._legacy_dir = durable
        self.activities = Activities(
            self.store,
            durable,
            region=settings.region,
            account=settings.account,
            now=self.clock.now,
        )
        self.integrations = Integrations(settings, lambdas=self.tasks, store=self.store)
        self.tasks = self.integrations.router
        self.express_store = MemoryStore()
        # The node's name and lease time matter once several nodes share the store; a
        # store of one process has one node, whose leases it takes back whatever its name.
        engine_settings = EngineSettings(
            owner=settings.node if many_nodes else "local", lease_seconds=settings.lease_seconds
        )
        self.engine = Engine(self.store, self.tasks, clock=self.clock, settings=engine_settings)
        self.express_engine = Engine(self.express_store, self.tasks, clock=self.clock)
        self.machines = Machines(
            self.store, region=settings.region, account=settings.account, now=self.clock.now
        )
        self.executions = Executions(self.store, self.machines, self.engine, self.express_engine)
        self.integrations.bind(self.engine, self.executions)

    async def start(self) -> None:
        """Open the stores, start the function runtime and both engines."""
        await self.store.open()
        # Before the engine starts: it signs tokens from its first tick, with the key every
        # node of the store shares.
        self.engine.tokens = await tasktokens.from_settings(
            self.settings.task_token_key, self.store, self._legacy_dir
        )
        await self.express_store.open()
        await self.functions.start()
        await self.engine.start()
        await self.express_engine.start()
        await self.executions.resume_deletions()

    async def stop(self) -> None:
        """Stop the engines and close the stores; in-flight Standard work stays durable."""
        await self.integrations.close()
        await self.executions.close()
        await self.engine.stop()
        await self.express_engine.stop()
        await self.functions.stop()
        await self.store.close()
        await self.express_store.close()
