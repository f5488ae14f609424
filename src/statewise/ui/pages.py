"""The console's HTML pages: state machines, one machine, one execution, the editor, login."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from statewise.errors import StatewiseError
from statewise.services.executions import parse_execution_arn
from statewise.store.base import ExecutionStatus
from statewise.ui import display, listing
from statewise.ui.console import SECURITY_HEADERS, Console
from statewise.ui.session import COOKIE

MACHINES_PAGE = 50
STATUSES = [s.value for s in ExecutionStatus]
NEW_DEFINITION = """{
  "Comment": "A new state machine",
  "StartAt": "Hello",
  "States": {
    "Hello": {"Type": "Pass", "Result": {"greeting": "Hello"}, "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}"""


def _safe_next(value: str | None) -> str:
    """Only a path inside the console, never another host (open redirects)."""
    if not value:
        return "/console"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console"):
        return "/console"
    return value


class Pages:
    """Page handlers bound to one console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.services = console.services

    def not_found(self, request: Request, message: str) -> Response:
        return self.console.page(
            request, "error.html", status_code=404, title="Not found", message=message
        )

    async def machines(self, request: Request) -> Response:
        store = self.services.store
        token = request.query_params.get("token") or None
        problem = None
        try:
            page = await store.list_state_machines(limit=MACHINES_PAGE, token=token)
        except ValueError:
            problem = "That page link is no longer valid; showing the first page."
            page = await store.list_state_machines(limit=MACHINES_PAGE)
        rows = []
        for machine in page.items:
            counts = {} if machine.type == "EXPRESS" else await store.count_executions(machine.arn)
            rows.append((machine, {s.value: n for s, n in counts.items()}))
        return self.console.page(
            request,
            "machines.html",
            title="State machines",
            rows=rows,
            statuses=STATUSES,
            next_token=page.next_token,
            paged=token is not None,
            problem=problem,
        )

    async def machine(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            machine = await self.services.machines.get(self.console.machine_arn(name))
        except StatewiseError as exc:
            return self.not_found(request, exc.message)
        store = self.services.store
        status_text = request.query_params.get("status", "")
        status = ExecutionStatus(status_text) if status_text in STATUSES else None
        query = request.query_params.get("q", "").strip()
        token = request.query_params.get("token") or None
        counts = {s.value: n for s, n in (await store.count_executions(machine.arn)).items()}
        problem = None
        found = listing.Listing([], None)
        if machine.type != "EXPRESS":
            args = (store, machine.arn, self.console.execution_arn(machine.name, query))
            try:
                found = await listing.executions_page(
                    *args, status=status, query=query, token=token
                )
            except ValueError:
                problem = "That page link is no longer valid; showing the first page."
                found = await listing.executions_page(*args, status=status, query=query, token=None)
        return self.console.page(
            request,
            "machine.html",
            title=machine.name,
            machine=machine,
            counts=counts,
            total=sum(counts.values()),
            statuses=STATUSES,
            status=status.value if status else "",
            query=query,
            listing=found,
            paged=token is not None,
            problem=problem,
            now=self.services.clock.now(),
        )

    async def execution(self, request: Request) -> Response:
        machine_name = request.path_params["machine"]
        arn = self.console.execution_arn(machine_name, request.path_params["name"])
        try:
            record = await self.services.executions.describe(arn)
        except StatewiseError as exc:
            return self.not_found(request, exc.message)
        machine_name, _ = parse_execution_arn(record.arn)
        end = record.stop_date if record.stop_date is not None else self.services.clock.now()
        return self.console.page(
            request,
            "execution.html",
            title=f"{record.name} · {machine_name}",
            record=record,
            machine_name=machine_name,
            elapsed=display.duration(end - record.start_date),
        )

    async def editor(self, request: Request) -> Response:
        name = request.path_params.get("name")
        machine = None
        if name is not None:
            try:
                machine = await self.services.machines.get(self.console.machine_arn(name))
            except StatewiseError as exc:
                return self.not_found(request, exc.message)
        definition = display.pretty(machine.definition) if machine else NEW_DEFINITION
        return self.console.page(
            request,
            "editor.html",
            title=f"Edit {machine.name}" if machine else "New state machine",
            machine=machine,
            definition=definition,
        )

    # --- login -----------------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        if not self.console.sessions.required:
            return RedirectResponse("/console", 303)
        return self.console.page(
            request,
            "login.html",
            title="Log in",
            next=_safe_next(request.query_params.get("next")),
            problem=None,
            key_id="",
        )

    async def login(self, request: Request) -> Response:
        sessions = self.console.sessions
        if not sessions.required:
            return RedirectResponse("/console", 303)
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
            return Response("Cross-site login refused.", 403, headers=SECURITY_HEADERS)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        key_id = form.get("key_id", [""])[0].strip()
        secret = form.get("secret", [""])[0]
        target = _safe_next(form.get("next", [""])[0])
        cookie = sessions.login(key_id, secret)
        if cookie is None:
            # A short pause makes guessing secrets slow without locking anyone out.
            await asyncio.sleep(0.25)
            return self.console.page(
                request,
                "login.html",
                status_code=401,
                title="Log in",
                next=target,
                problem="Unknown access key id or wrong secret access key.",
                key_id=key_id,
            )
        response = RedirectResponse(target, 303)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=int(sessions.lifetime),
            path="/console",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/console/login", 303)
        response.delete_cookie(COOKIE, path="/console")
        return response
