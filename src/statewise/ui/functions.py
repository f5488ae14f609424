"""The console's Functions pages and their JSON: deployed functions and recent invocations.

Configurations are shaped by the Lambda API's own ``configuration`` (what GetFunction
answers), invocations come from the runtime's in-memory ring, and each page renders the
same dicts its JSON endpoint returns, so the page, the JSON and the API cannot disagree.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from statewise.api import lambda_shapes as shapes
from statewise.functions.errors import LambdaError
from statewise.functions.recent import SUCCEEDED, InvocationRecord
from statewise.functions.service import FunctionService
from statewise.ui.console import Console


def invocation_view(record: InvocationRecord) -> dict[str, Any]:
    """One invocation for the console; the log is text (undecodable bytes replaced)."""
    return {
        "requestId": record.request_id,
        "start": record.start,
        "durationMs": round(record.duration * 1000, 2),
        "initDurationMs": (
            None if record.init_duration is None else round(record.init_duration * 1000, 2)
        ),
        "version": record.version,
        "qualifier": record.qualifier,
        "invocationType": record.invocation_type,
        "status": record.outcome,
        "errorType": record.error_type,
        "errorMessage": record.error_message,
        "log": record.log.decode("utf-8", "replace"),
        "logSize": record.log_size,
        "logTruncated": record.log_size > len(record.log),
    }


def _counts(records: list[InvocationRecord]) -> dict[str, Any]:
    return {
        "invocations": len(records),
        "errors": sum(1 for r in records if r.outcome != SUCCEEDED),
        "lastInvocation": records[0].start if records else None,
    }


def function_list(functions: FunctionService) -> list[dict[str, Any]]:
    """Every function's $LATEST configuration with counts over its recent invocations."""
    rows = []
    for config in functions.registry.list_functions():
        records = list(functions.recent.newest_first(config.name))
        rows.append(
            {"configuration": shapes.configuration(config, functions.registry), **_counts(records)}
        )
    return rows


def function_detail(functions: FunctionService, name: str) -> dict[str, Any]:
    """A function's configuration, versions, aliases and recent invocations, newest first.

    Raises:
        ResourceNotFoundException: no such function.
    """
    registry = functions.registry
    record = registry.record(name)
    recent = list(functions.recent.newest_first(name))
    return {
        "configuration": shapes.configuration(record.latest, registry),
        "versions": sorted(record.versions, key=int),
        "aliases": [shapes.alias(a, registry, name) for _, a in sorted(record.aliases.items())],
        "reservedConcurrency": record.reserved_concurrency,
        "tags": dict(record.tags),
        **_counts(recent),
        "recent": [invocation_view(r) for r in recent],
        "ringSize": functions.recent.size,
    }


class FunctionPages:
    """The Functions pages and JSON endpoints, bound to one console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.functions: FunctionService = console.services.functions

    async def list_page(self, request: Request) -> Response:
        return self.console.page(
            request,
            "functions.html",
            title="Functions",
            rows=function_list(self.functions),
            ring_size=self.functions.recent.size,
        )

    async def function_page(self, request: Request) -> Response:
        try:
            detail = function_detail(self.functions, request.path_params["name"])
        except LambdaError as exc:
            return self.console.page(
                request, "error.html", status_code=404, title="Not found", message=exc.message
            )
        return self.console.page(
            request, "function.html", title=detail["configuration"]["FunctionName"], fn=detail
        )

    async def list_json(self, request: Request) -> Response:
        return Console.json({"functions": function_list(self.functions)})

    async def function_json(self, request: Request) -> Response:
        try:
            detail = function_detail(self.functions, request.path_params["name"])
        except LambdaError as exc:
            status = 404 if exc.code == "ResourceNotFoundException" else 400
            return Console.json({"error": exc.code, "message": exc.message}, status)
        return Console.json(detail)
