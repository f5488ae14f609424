"""What every console handler shares: services, templates, login and cached analyses."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from statewise import __version__, arns
from statewise.services import Services
from statewise.store.base import ExecutionRecord, ExecutionStatus
from statewise.ui import display, graph
from statewise.ui.overlay import Analysis
from statewise.ui.session import COOKIE, Sessions

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
# The console never loads anything from elsewhere, and no page runs inline script, so a
# state's input that smuggles in markup cannot run even if escaping were ever missed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# Console JSON POSTs must carry this header: a cross-site page cannot send it without a
# CORS preflight, which this server never grants, so it doubles as CSRF protection.
CSRF_HEADER = "x-statewise-console"
# An analysis of a 25,000-event history holds about 12,500 steps (a few MB).
CACHED_ANALYSES = 16
CACHED_GRAPHS = 64
EVENT_PAGE = 5000
# New events analysed per request: about 50 ms of work, so a 25,000-event history
# arrives in five short requests instead of one long one.
EVENT_BUDGET = 5_000

Handler = Callable[[Request], Awaitable[Response]]


def _asset_version() -> str:
    """A short hash of the static files, so a new release is never served from cache."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:10]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["timestamp"] = display.timestamp
    env.filters["iso"] = display.iso
    env.filters["duration"] = display.duration
    env.filters["pretty"] = display.pretty
    env.filters["millis"] = display.millis
    env.filters["lambda_time"] = display.lambda_time
    env.filters["size"] = display.size
    env.globals["asset_version"] = _asset_version()
    env.globals["version"] = __version__
    return env


class Console:
    """The console's shared state for one server."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sessions = Sessions(services.settings.access_keys)
        self.templates = Jinja2Templates(env=_environment())
        self._analyses: OrderedDict[str, tuple[str, Analysis, asyncio.Lock]] = OrderedDict()
        self._graphs: OrderedDict[str, dict[str, Any]] = OrderedDict()

    # --- names ---------------------------------------------------------------------------

    def machine_arn(self, name: str) -> str:
        settings = self.services.settings
        return arns.state_machine(name, settings.region, settings.account)

    def execution_arn(self, machine: str, name: str) -> str:
        settings = self.services.settings
        return arns.execution(machine, name, settings.region, settings.account)

    # --- responses -----------------------------------------------------------------------

    def page(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> Response:
        """A rendered page with the console's security headers."""
        context.setdefault("signed_in", self.sessions.required and self.signed_in(request))
        context.setdefault("title", "statewise")
        response = self.templates.TemplateResponse(
            request, template, context, status_code=status_code, headers=SECURITY_HEADERS
        )
        return response

    @staticmethod
    def json(body: Any, status: int = 200) -> Response:
        # orjson: a long history's steps are megabytes, where the stdlib takes tens of ms.
        return Response(
            orjson.dumps(body),
            status_code=status,
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    # --- access --------------------------------------------------------------------------

    def signed_in(self, request: Request) -> bool:
        return not self.sessions.required or (
            self.sessions.check(request.cookies.get(COOKIE)) is not None
        )

    def guard(self, handler: Handler, *, api: bool = False) -> Handler:
        """Require a login (when the server has keys) and, for JSON POSTs, the CSRF header."""

        async def guarded(request: Request) -> Response:
            if not self.signed_in(request):
                if api:
                    return self.json(
                        {"error": "NotAuthorized", "message": "Log in to the console first."},
                        401,
                    )
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/console/login?next={quote(here)}", 303)
            if api and request.method != "GET" and request.headers.get(CSRF_HEADER) != "1":
                return self.json(
                    {"error": "Forbidden", "message": f"Missing the {CSRF_HEADER} header."}, 403
                )
            return await handler(request)

        return guarded

    # --- graphs and analyses -------------------------------------------------------------

    def graph_of(self, key: str, definition: str) -> dict[str, Any]:
        """The graph of a definition, cached by ``key`` (a definition id or revision)."""
        found = self._graphs.get(key)
        if found is None:
            found = graph.build_text(definition)
            self._graphs[key] = found
            if len(self._graphs) > CACHED_GRAPHS:
                self._graphs.popitem(last=False)
        else:
            self._graphs.move_to_end(key)
        return found

    async def analysis(self, record: ExecutionRecord) -> Analysis:
        """The steps of an execution, reading only events not seen before.

        At most ``EVENT_BUDGET`` new events are read per call, so no request spends long on
        a long history; ``last_id`` below ``record.last_event_id`` means "ask again".
        """
        entry = self._analyses.get(record.arn)
        if entry is None or entry[0] != record.definition_id:
            definition = await self.services.executions.definition_of(record)
            owners = graph.scope_owners(self.graph_of(record.definition_id, definition))
            entry = (record.definition_id, Analysis(owners), asyncio.Lock())
            self._analyses[record.arn] = entry
            if len(self._analyses) > CACHED_ANALYSES:
                self._analyses.popitem(last=False)
        else:
            self._analyses.move_to_end(record.arn)
        _, found, lock = entry
        async with lock:
            store = self.services.store
            budget = found.last_id + EVENT_BUDGET
            while found.last_id < min(record.last_event_id, budget) and not found.sealed:
                limit = min(EVENT_PAGE, budget - found.last_id)
                page = await store.get_events(record.arn, after_id=found.last_id, limit=limit)
                if not page:
                    # No event up to the record's last id is missing from what was read.
                    found.last_id = record.last_event_id
                    break
                found.feed(page)
            done = found.last_id >= record.last_event_id
            if done and record.status is not ExecutionStatus.RUNNING and not found.sealed:
                found.seal()
        return found
