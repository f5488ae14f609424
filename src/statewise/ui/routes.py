"""The console's routes: pages under ``/console``, JSON under ``/console/api``, static files."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from statewise.services import Services
from statewise.ui.api import Api
from statewise.ui.console import STATIC, Console, Handler
from statewise.ui.functions import FunctionPages
from statewise.ui.pages import Pages

_EXECUTION = "/console/api/executions/{machine}/{name}"


def routes(services: Services) -> list[BaseRoute]:
    """Every console route for ``services``; the login applies when it has access keys."""
    console = Console(services)
    pages = Pages(console)
    api = Api(console)
    functions = FunctionPages(console)
    page = console.guard

    def json(handler: Handler) -> Handler:
        return console.guard(handler, api=True)

    return [
        Route("/console", page(pages.machines), methods=["GET"]),
        Route("/console/login", pages.login_form, methods=["GET"]),
        Route("/console/login", pages.login, methods=["POST"]),
        Route("/console/logout", pages.logout, methods=["POST"]),
        Route("/console/new", page(pages.editor), methods=["GET"]),
        Route("/console/state-machines/{name}", page(pages.machine), methods=["GET"]),
        Route("/console/state-machines/{name}/edit", page(pages.editor), methods=["GET"]),
        Route("/console/executions/{machine}/{name}", page(pages.execution), methods=["GET"]),
        Route("/console/functions", page(functions.list_page), methods=["GET"]),
        Route("/console/functions/{name}", page(functions.function_page), methods=["GET"]),
        Route("/console/api/validate", json(api.validate), methods=["POST"]),
        Route("/console/api/state-machines", json(api.create_machine), methods=["POST"]),
        Route("/console/api/state-machines/{name}", json(api.update_machine), methods=["POST"]),
        Route("/console/api/state-machines/{name}/graph", json(api.machine_graph), methods=["GET"]),
        Route("/console/api/state-machines/{name}/executions", json(api.start), methods=["POST"]),
        Route(_EXECUTION, json(api.execution), methods=["GET"]),
        Route(_EXECUTION + "/graph", json(api.execution_graph), methods=["GET"]),
        Route(_EXECUTION + "/events", json(api.events), methods=["GET"]),
        Route(_EXECUTION + "/steps/{step}", json(api.step), methods=["GET"]),
        Route(_EXECUTION + "/stop", json(api.stop), methods=["POST"]),
        Route("/console/api/functions", json(functions.list_json), methods=["GET"]),
        Route("/console/api/functions/{name}", json(functions.function_json), methods=["GET"]),
        Mount("/console/static", app=StaticFiles(directory=STATIC), name="console-static"),
    ]
