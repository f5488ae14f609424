"""The AWS JSON 1.0 protocol: ``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Action>``.

Requests are validated against botocore's model before any handler runs, so nothing is
stored from a malformed request; every error is AWS's envelope (WIRE-2) and never a 500.

This is a bare ASGI app rather than a Starlette endpoint: it is the busiest path of the
server (every SDK call), and Starlette's request, response, routing and middleware
objects cost more per request than the whole of the work below (bench/api_start.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from statewise.api import auth, validation
from statewise.errors import StatewiseError, ValidationException
from statewise.services import Services

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "AWSStepFunctions."
# A 1 MiB definition plus the other members of its request must fit.
MAX_BODY_BYTES = 2 * 1024 * 1024
_SFN_NAMESPACE = "com.amazonaws.swf.service.v2.model#"
_VALIDATE_NAMESPACE = "com.amazon.coral.validate#"
_COMMON_NAMESPACE = "com.amazon.coral.service#"
_COMMON_CODES = frozenset(
    {
        "UnknownOperationException",
        "SerializationException",
        "InternalFailure",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
    }
)
_CONTENT_TYPE_HEADER = (b"content-type", CONTENT_TYPE.encode())

Handler = Callable[[Services, dict[str, Any]], Awaitable[dict[str, Any]]]
# A response before it is sent: status, body and the headers beyond the content type and
# length (an error's x-amzn-ErrorType).
Reply = tuple[int, bytes, list[tuple[bytes, bytes]]]


class _Disconnected(Exception):
    """The client went away before its body arrived: there is no one to answer."""


def error_reply(
    code: str, message: str, *, status: int = 400, extra: dict[str, Any] | None = None
) -> Reply:
    """AWS's error envelope; the namespace matches what each kind of error carries."""
    if code == "ValidationException":
        namespace = _VALIDATE_NAMESPACE
    elif code in _COMMON_CODES:
        namespace = _COMMON_NAMESPACE
    else:
        namespace = _SFN_NAMESPACE
    body: dict[str, Any] = {"__type": namespace + code, "message": message}
    if extra:
        body.update(extra)
    return status, orjson.dumps(body), [(b"x-amzn-errortype", code.encode("latin-1"))]


async def serve(
    scope: Scope, receive: Receive, send: Send, services: Services, handlers: dict[str, Handler]
) -> None:
    """Answer one ``POST /`` request (an ASGI ``http`` scope)."""
    try:
        status, body, headers = await _answer(scope, receive, services, handlers)
    except _Disconnected:
        return
    except Exception:
        # A fault of ours outside the handler (the handler's own are caught in _answer):
        # still AWS's envelope, so SDKs report InternalFailure rather than a parse error.
        logger.exception("AWS JSON request failed")
        status, body, headers = error_reply(
            "InternalFailure", "The server failed to process the request.", status=500
        )
    headers.append(_CONTENT_TYPE_HEADER)
    headers.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _answer(
    scope: Scope, receive: Receive, services: Services, handlers: dict[str, Handler]
) -> Reply:
    """Decode, validate and route one request."""
    # One pass over the raw headers for the two this path needs (the first of each, as a
    # header mapping's get would give); names arrive lowercased from the server (ASGI).
    target_raw: bytes | None = None
    length_raw: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"x-amz-target":
            if target_raw is None:
                target_raw = value
        elif name == b"content-length" and length_raw is None:
            length_raw = value
    target = target_raw.decode("latin-1") if target_raw is not None else ""
    action = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
    model = validation.operation(action) if action else None
    handler = handlers.get(action)
    if model is None or handler is None:
        return error_reply(
            "UnknownOperationException",
            f"Unknown operation: '{target}'" if target else "Missing X-Amz-Target header",
        )
    if length_raw is not None and length_raw.isdigit() and int(length_raw) > MAX_BODY_BYTES:
        return error_reply(
            "ValidationException",
            f"Request body of {length_raw.decode()} bytes exceeds the maximum of "
            f"{MAX_BODY_BYTES} bytes",
            status=413,
        )
    raw = await _read_limited(receive)
    if raw is None:
        return error_reply(
            "ValidationException",
            f"Request body exceeds the maximum of {MAX_BODY_BYTES} bytes",
            status=413,
        )
    keys = services.settings.access_keys
    if keys:
        try:
            auth.verify(
                method=scope["method"],
                url=_url(scope),
                headers=_headers(scope),
                body=raw,
                keys=keys,
            )
        except auth.AuthError as exc:
            return error_reply(exc.code, exc.message, status=exc.status)
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        return error_reply("SerializationException", f"Request body is not valid JSON: {exc}")
    if not isinstance(body, dict):
        return error_reply("SerializationException", "Request body must be a JSON object")
    try:
        errors = validation.validate(model.input_shape, body)
    except validation.SerializationError as exc:
        return error_reply("SerializationException", str(exc))
    if errors:
        return error_reply("ValidationException", validation.message(errors))
    try:
        result = await handler(services, body)
    except ValidationException as exc:
        extra = {"reason": exc.reason} if exc.reason else None
        return error_reply(exc.code, exc.message, extra=extra)
    except StatewiseError as exc:
        return error_reply(exc.code, exc.message)
    except Exception:
        logger.exception("%s failed", action)
        return error_reply(
            "InternalFailure", "The server failed to process the request.", status=500
        )
    return 200, orjson.dumps(result), []


async def _read_limited(receive: Receive) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (chunked uploads included).

    Raises:
        _Disconnected: the client closed the connection first.
    """
    message = await receive()
    chunks: list[bytes] = []
    size = 0
    while True:
        if message["type"] != "http.request":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        if not message.get("more_body", False) and not chunks:
            # The usual case, a body in one message: no copy.
            return chunk if len(chunk) <= MAX_BODY_BYTES else None
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lowercase name, the last of repeated ones (as SigV4 sees)."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }


def _url(scope: Scope) -> str:
    """The URL the client addressed, for the signature's canonical path and query."""
    scheme = scope.get("scheme", "http")
    netloc: str | None = None
    for name, value in scope["headers"]:
        if name == b"host":
            netloc = value.decode("latin-1")
            break
    if netloc is None:
        server = scope.get("server")
        if server is None:
            netloc = "localhost"
        else:
            host, port = server
            if ":" in host and not host.startswith("["):
                host = f"[{host}]"
            netloc = host if port == {"http": 80, "https": 443}.get(scheme) else f"{host}:{port}"
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"{scheme}://{netloc}{scope['path']}"
    return f"{url}?{query}" if query else url
