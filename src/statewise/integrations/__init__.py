"""Task runners for everything a Task state can call besides Lambda functions.

:class:`Integrations` builds them from the settings and a router around the Lambda runner:
activities, nested executions, AWS services (optimized and ``aws-sdk``) through botocore,
and HTTP endpoints.
"""

from __future__ import annotations

from typing import Protocol

from statewise.config import Settings
from statewise.engine.ports import TaskRequest, TaskRunner
from statewise.integrations.activities import ActivityQueue
from statewise.integrations.aws import AwsClients
from statewise.integrations.http import HttpRunner, load_connections
from statewise.integrations.nested import ExecutionStarter, NestedRunner
from statewise.integrations.router import TaskRouter
from statewise.integrations.sdk import OptimizedRunner, SdkRunner
from statewise.store.base import Store

__all__ = ["ActivityQueue", "Integrations", "TaskRouter"]


class EngineCallbacks(Protocol):
    """What integrations need of the engine: committing an activity pickup."""

    async def activity_started(self, request: TaskRequest, worker_name: str | None) -> bool: ...


def _own_endpoint(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


class Integrations:
    """Every integration runner and the router the engines run tasks with.

    Args:
        settings: endpoints, region, HTTP connections.
        lambdas: the runner of Lambda tasks (the function runtime, or local callables).
        store: the durable store, where activities and their pending tasks live.

    Call :meth:`bind` once the engine and the execution service exist.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        lambdas: TaskRunner,
        store: Store,
    ) -> None:
        overrides: dict[str, str] = {}
        credentials: dict[str, tuple[str, str]] = {}
        if "STEP_FUNCTIONS_ENDPOINT" not in settings.endpoints:
            # aws-sdk:sfn calls (SendTaskSuccess from a workflow, ...) come back here, signed
            # with one of this server's own keys (any key passes on loopback without keys).
            overrides["stepfunctions"] = _own_endpoint(settings)
            credentials["stepfunctions"] = next(
                iter(settings.access_keys.items()), ("statewise", "statewise")
            )
        self.aws = AwsClients(
            region=settings.region,
            endpoints=settings.endpoints,
            default_endpoint=settings.aws_endpoint,
            overrides=overrides,
            credentials=credentials,
        )
        self.activities = ActivityQueue(store)
        self._executions: ExecutionStarter | None = None
        self.nested = NestedRunner(lambda: self._executions)
        self.http = HttpRunner(load_connections(settings.http_connections))
        self.router = TaskRouter(
            lambdas=lambdas,
            activities=self.activities,
            nested=self.nested,
            services=OptimizedRunner(self.aws),
            sdk=SdkRunner(self.aws),
            http=self.http,
        )

    def bind(self, engine: EngineCallbacks, executions: ExecutionStarter) -> None:
        """Connect the runners that call back into the engine and the execution service."""
        self.activities.bind(engine.activity_started)
        self._executions = executions

    async def close(self) -> None:
        """End activity polls and close HTTP connections."""
        self.activities.close()
        await self.http.close()
