"""The console's JSON endpoints (``/console/api/...``): graphs, steps, history and actions.

Every read and every action goes through the same services as the Step Functions API, and
records are shaped by the API's own functions, so the console shows what the API returns.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from statewise.api.history import event_shape
from statewise.api.sfn import describe_execution_body
from statewise.asl import validate as asl_validate
from statewise.errors import StatewiseError
from statewise.store.base import EventRecord, ExecutionRecord, ExecutionStatus
from statewise.ui import graph, overlay
from statewise.ui.console import Console

MAX_EVENTS_PAGE = 1000
DEFAULT_ROLE = "arn:aws:iam::{account}:role/statewise-console"
_NOT_FOUND = frozenset({"StateMachineDoesNotExist", "ExecutionDoesNotExist", "ResourceNotFound"})


def error(exc: StatewiseError) -> Response:
    """An action's failure as ``{error, message}`` with a fitting status."""
    status = 404 if exc.code in _NOT_FOUND else 400
    return Console.json({"error": exc.code, "message": exc.message}, status)


def _bad(message: str) -> Response:
    return Console.json({"error": "ValidationException", "message": message}, 400)


async def _body(request: Request) -> dict[str, Any] | None:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


class Api:
    """Handlers bound to one console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.services = console.services

    # --- definitions ---------------------------------------------------------------------

    async def machine_graph(self, request: Request) -> Response:
        try:
            machine = await self.services.machines.get(
                self.console.machine_arn(request.path_params["name"])
            )
        except StatewiseError as exc:
            return error(exc)
        found = self.console.graph_of(f"revision:{machine.revision_id}", machine.definition)
        return Console.json({"graph": found, "diagnostics": []})

    async def validate(self, request: Request) -> Response:
        """The graph of a draft definition with every problem located on it (API-38)."""
        body = await _body(request)
        if body is None or not isinstance(body.get("definition"), str):
            return _bad("Send {definition: string, type?: STANDARD|EXPRESS}.")
        text: str = body["definition"]
        diagnostics = asl_validate.validate_text(text, express=body.get("type") == "EXPRESS")
        drawn = graph.build_text(text)
        return Console.json({"graph": drawn, "diagnostics": graph.locate(diagnostics, drawn)})

    async def create_machine(self, request: Request) -> Response:
        body = await _body(request)
        if body is None:
            return _bad("The request body must be a JSON object.")
        account = self.services.settings.account
        try:
            record, _ = await self.services.machines.create(
                name=str(body.get("name", "")),
                definition=str(body.get("definition", "")),
                role_arn=str(body.get("roleArn") or DEFAULT_ROLE.format(account=account)),
                type="EXPRESS" if body.get("type") == "EXPRESS" else "STANDARD",
            )
        except StatewiseError as exc:
            return error(exc)
        return Console.json({"stateMachineArn": record.arn, "name": record.name})

    async def update_machine(self, request: Request) -> Response:
        body = await _body(request)
        if body is None or not isinstance(body.get("definition"), str):
            return _bad("Send {definition: string}.")
        try:
            record, _ = await self.services.machines.update(
                self.console.machine_arn(request.path_params["name"]),
                definition=body["definition"],
            )
        except StatewiseError as exc:
            return error(exc)
        return Console.json({"stateMachineArn": record.arn, "revisionId": record.revision_id})

    # --- executions ----------------------------------------------------------------------

    async def start(self, request: Request) -> Response:
        body = await _body(request)
        if body is None:
            return _bad("The request body must be a JSON object.")
        name = body.get("name") or None
        input_text = body.get("input")
        if not isinstance(input_text, str | None) or not isinstance(name, str | None):
            return _bad("name and input must be strings.")
        try:
            record = await self.services.executions.start(
                self.console.machine_arn(request.path_params["name"]),
                name=name,
                input_text=input_text,
            )
        except StatewiseError as exc:
            return error(exc)
        return Console.json(
            {"executionArn": record.arn, "name": record.name, "startDate": record.start_date}
        )

    async def _execution(self, request: Request) -> ExecutionRecord:
        params = request.path_params
        arn = self.console.execution_arn(params["machine"], params["name"])
        return await self.services.executions.describe(arn)

    async def stop(self, request: Request) -> Response:
        body = await _body(request) or {}
        try:
            record = await self._execution(request)
            stopped = await self.services.executions.stop(
                record.arn,
                error=str(body["error"]) if body.get("error") else None,
                cause=str(body["cause"]) if body.get("cause") else None,
            )
        except StatewiseError as exc:
            return error(exc)
        return Console.json({"status": stopped.status.value, "stopDate": stopped.stop_date})

    async def execution_graph(self, request: Request) -> Response:
        try:
            record = await self._execution(request)
        except StatewiseError as exc:
            return error(exc)
        definition = await self.services.executions.definition_of(record)
        return Console.json({"graph": self.console.graph_of(record.definition_id, definition)})

    async def execution(self, request: Request) -> Response:
        """The execution and its steps; ``?since=N`` answers ``unchanged`` when no event
        was written after event N (how the page polls a running execution cheaply)."""
        try:
            record = await self._execution(request)
        except StatewiseError as exc:
            return error(exc)
        since = request.query_params.get("since", "")
        if since.isdigit() and int(since) == record.last_event_id:
            return Console.json({"unchanged": True, "lastEventId": record.last_event_id})
        analysis = await self.console.analysis(record)
        if analysis.last_id < record.last_event_id:
            # Part of a long history is analysed; the page asks again straight away.
            return Console.json(
                {"partial": True, "analysed": analysis.last_id, "total": record.last_event_id}
            )
        now = self.services.clock.now()
        shown = analysis.sealed_view or overlay.view(analysis, record.status, now)
        if analysis.sealed:
            analysis.sealed_view = shown
        return Console.json(
            {
                "execution": describe_execution_body(record),
                "lastEventId": record.last_event_id,
                "now": now,
                **shown,
            }
        )

    async def step(self, request: Request) -> Response:
        """One step with its input, output, parameters and every failed attempt."""
        try:
            record = await self._execution(request)
        except StatewiseError as exc:
            return error(exc)
        raw_id = request.path_params["step"]
        analysis = await self.console.analysis(record)
        while analysis.last_id < record.last_event_id:  # rare: the page loads steps first
            analysis = await self.console.analysis(record)
        found = overlay.find(analysis, int(raw_id)) if raw_id.isdigit() else None
        if found is None:
            return Console.json({"error": "NotFound", "message": "No such step."}, 404)
        now = self.services.clock.now()
        detail = overlay.summary(found, record.status, now)
        detail["cause"] = found.cause
        detail["failures"] = [{"error": e, "cause": c} for e, c in (found.failures or [])[-20:]]
        entered = await self._event(record.arn, found.id)
        detail["input"] = _details(entered).get("input")
        exited = await self._event(record.arn, found.exited_event)
        detail["output"] = _details(exited).get("output") if exited else None
        scheduled = _details(await self._event(record.arn, found.scheduled_event))
        if scheduled:
            detail["parameters"] = scheduled.get("parameters", scheduled.get("input"))
            kind, resource = scheduled.get("resourceType"), scheduled.get("resource")
            detail["resource"] = f"{kind}:{resource}" if kind else resource
        return Console.json(detail)

    async def _event(self, arn: str, event_id: int | None) -> EventRecord | None:
        if event_id is None:
            return None
        found = await self.services.store.get_events(arn, after_id=event_id - 1, limit=1)
        return found[0] if found and found[0].id == event_id else None

    async def events(self, request: Request) -> Response:
        """A page of history, as GetExecutionHistory shapes each event."""
        try:
            record = await self._execution(request)
        except StatewiseError as exc:
            return error(exc)
        after = request.query_params.get("after", "0")
        limit = request.query_params.get("limit", "500")
        if not after.isdigit() or not limit.isdigit() or not 1 <= int(limit) <= MAX_EVENTS_PAGE:
            return _bad(f"after must be an event id and limit 1..{MAX_EVENTS_PAGE}.")
        page = await self.services.store.get_events(
            record.arn, after_id=int(after), limit=int(limit)
        )
        return Console.json(
            {
                "events": [event_shape(e) for e in page],
                "total": record.last_event_id,
                "running": record.status is ExecutionStatus.RUNNING,
            }
        )


def _details(event: EventRecord | None) -> dict[str, Any]:
    if event is None or not event.details:
        return {}
    loaded = orjson.loads(event.details)
    return loaded if isinstance(loaded, dict) else {}
