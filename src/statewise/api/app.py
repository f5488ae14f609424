"""The HTTP application: one Starlette app serving every API on one port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from statewise.api import awsjson, lambda_api, runtime_api, sfn, sfn_resources, sfn_tasks
from statewise.services import Services
from statewise.ui.routes import routes as console_routes

HANDLERS = {**sfn.HANDLERS, **sfn_resources.HANDLERS, **sfn_tasks.HANDLERS}


def create_app(services: Services, *, manage_lifecycle: bool = True) -> Starlette:
    """The app for ``services``; with ``manage_lifecycle`` it starts and stops them."""

    async def step_functions(request: Request) -> Response:
        return await awsjson.dispatch(request, services, HANDLERS)

    async def health(request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "engine": "running" if services.engine.running else "stopped"}
        )

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

    return Starlette(
        routes=[
            Route("/", step_functions, methods=["POST"]),
            Route("/", root, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            # The Lambda API first: Invoke is the busiest path, and routes match in order.
            *lambda_api.routes(services),
            *runtime_api.routes(services),
            *console_routes(services),
        ],
        lifespan=lifespan,
    )
