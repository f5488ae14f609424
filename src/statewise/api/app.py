"""The HTTP application: one Starlette app serving every API on one port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from statewise.api import awsjson, lambda_api, runtime_api, sfn, sfn_resources, sfn_tasks
from statewise.services import Services
from statewise.services.health import report as health_report
from statewise.ui.routes import routes as console_routes

HANDLERS = {**sfn.HANDLERS, **sfn_resources.HANDLERS, **sfn_tasks.HANDLERS}


class App(Starlette):
    """Starlette, with the Step Functions API (``POST /``) answered ahead of its stack.

    Every SDK call is a ``POST /``. Starlette's middleware, routing and request/response
    objects were a fifth of the event loop's time serving StartExecution under load
    (50-80 µs a request, profiled with bench/api_start.py's wrk load), more than the
    engine's own submission; going around them leaves only the protocol work. The
    console, Lambda and runtime routes stay on Starlette.
    """

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":
            await awsjson.serve(scope, receive, send, self.services, HANDLERS)
            return
        await super().__call__(scope, receive, send)


def create_app(services: Services, *, manage_lifecycle: bool = True) -> Starlette:
    """The app for ``services``; with ``manage_lifecycle`` it starts and stops them."""

    async def health(request: Request) -> Response:
        healthy, body = await health_report(services)
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def root(request: Request) -> Response:
        return RedirectResponse("/console")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_lifecycle:
            await services.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await services.stop()

    return App(
        services,
        routes=[
            Route("/", root, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            # The Lambda API first: Invoke is the busiest path, and routes match in order.
            *lambda_api.routes(services),
            *runtime_api.routes(services),
            *console_routes(services),
        ],
        lifespan=lifespan,
    )
