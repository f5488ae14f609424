"""The Lambda Runtime API (``/2018-06-01/runtime/...``) that custom runtimes talk to.

On Lambda every execution environment reaches the Runtime API at its own address
(``AWS_LAMBDA_RUNTIME_API``, typically ``127.0.0.1:9001``), and runtimes send nothing else
that says which environment they are. So each sandbox gets its own loopback listener, served
by uvicorn's HTTP protocol with these same routes, and a request's sandbox is the one whose
listener it arrived on. On the server's public port the routes answer 403: no sandbox.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from uvicorn.config import Config
from uvicorn.server import ServerState

from statewise.functions.runtime import MAX_RESPONSE_BYTES, RuntimeApiError, Sandbox
from statewise.services import Services

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"


def _error(status: int, error_type: str, message: str) -> Response:
    return Response(
        orjson.dumps({"errorMessage": message, "errorType": error_type}),
        status_code=status,
        media_type="application/json",
    )


_ACCEPTED = b'{"status":"OK"}'


@dataclass(frozen=True, slots=True)
class _Listener:
    """One sandbox's listening socket."""

    address: str
    server: asyncio.AbstractServer
    port: int
    sandboxes: dict[int, Sandbox]

    def close(self) -> None:
        self.sandboxes.pop(self.port, None)
        self.server.close()


class RuntimeListeners:
    """Opens a loopback listener per sandbox and knows which sandbox each one serves."""

    def __init__(self, app: Any) -> None:
        self.sandboxes: dict[int, Sandbox] = {}
        # uvicorn's own HTTP protocol on sockets of our choosing; the config is loaded once
        # and shared. No lifespan, no logging setup, no proxy headers: the peer is a runtime.
        self._config = Config(
            app, lifespan="off", proxy_headers=False, log_config=None, access_log=False
        )
        self._config.load()
        self._state = ServerState()

    async def open(self, sandbox: Sandbox) -> _Listener:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        port = int(sock.getsockname()[1])
        self.sandboxes[port] = sandbox
        config, state = self._config, self._state
        protocol: Any = config.http_protocol_class
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: protocol(config=config, server_state=state, app_state={}), sock=sock
        )
        return _Listener(f"127.0.0.1:{port}", server, port, self.sandboxes)

    def sandbox(self, request: Request) -> Sandbox | None:
        server = request.scope.get("server")
        if not server:
            return None
        return self.sandboxes.get(int(server[1]))


async def _body(request: Request, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _routes(listeners: RuntimeListeners) -> list[BaseRoute]:
    def find(request: Request) -> Sandbox:
        sandbox = listeners.sandbox(request)
        if sandbox is None:
            raise RuntimeApiError(
                403,
                "Forbidden",
                "The Runtime API is served to each function sandbox at the address in its "
                "AWS_LAMBDA_RUNTIME_API variable.",
            )
        return sandbox

    async def next_invocation(request: Request) -> Response:
        try:
            sandbox = find(request)
        except RuntimeApiError as exc:
            return _error(exc.status, exc.error_type, exc.message)
        pending = await sandbox.next()
        if pending is None:
            return _error(410, "SandboxClosed", "The sandbox is shutting down.")
        invocation = pending.invocation
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(pending.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.invoked_arn,
            "Lambda-Runtime-Trace-Id": invocation.trace_id,
        }
        if invocation.client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = orjson.dumps(
                invocation.client_context
            ).decode()
        return Response(
            invocation.payload, headers=headers, media_type="application/json", status_code=200
        )

    async def response(request: Request) -> Response:
        try:
            sandbox = find(request)
            body = await _body(request, MAX_RESPONSE_BYTES)
            request_id = request.path_params["request_id"]
            if body is None:
                sandbox.response_too_large(request_id)
            else:
                sandbox.respond(request_id, body)
        except RuntimeApiError as exc:
            return _error(exc.status, exc.error_type, exc.message)
        return Response(_ACCEPTED, status_code=202, media_type="application/json")

    async def invocation_error(request: Request) -> Response:
        try:
            sandbox = find(request)
            body = await _body(request, MAX_RESPONSE_BYTES) or b""
            sandbox.fail(
                request.path_params["request_id"], body, request.headers.get(ERROR_TYPE_HEADER)
            )
        except RuntimeApiError as exc:
            return _error(exc.status, exc.error_type, exc.message)
        return Response(_ACCEPTED, status_code=202, media_type="application/json")

    async def init_error(request: Request) -> Response:
        try:
            sandbox = find(request)
            body = await _body(request, MAX_RESPONSE_BYTES) or b""
            sandbox.init_failed(body, request.headers.get(ERROR_TYPE_HEADER))
        except RuntimeApiError as exc:
            return _error(exc.status, exc.error_type, exc.message)
        return Response(_ACCEPTED, status_code=202, media_type="application/json")

    return [
        Route(f"{PREFIX}/invocation/next", next_invocation, methods=["GET"]),
        Route(f"{PREFIX}/invocation/{{request_id}}/response", response, methods=["POST"]),
        Route(f"{PREFIX}/invocation/{{request_id}}/error", invocation_error, methods=["POST"]),
        Route(f"{PREFIX}/init/error", init_error, methods=["POST"]),
    ]


def routes(services: Services) -> list[BaseRoute]:
    """The Runtime API routes, and the sandbox listeners that serve them to custom runtimes.

    Serving the Runtime API is what lets ``services.functions`` start custom-runtime
    workers, so this also hands it the listener factory.
    """
    app = Starlette()
    listeners = RuntimeListeners(app)
    table = _routes(listeners)
    app.router.routes.extend(table)
    services.functions.listen = listeners.open
    return table
