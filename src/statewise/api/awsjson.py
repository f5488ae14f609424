"""The AWS JSON 1.0 protocol: ``POST /`` with ``X-Amz-Target: AWSStepFunctions.<Action>``.

Requests are validated against botocore's model before any handler runs, so nothing is
stored from a malformed request; every error is AWS's envelope (WIRE-2) and never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

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

Handler = Callable[[Services, dict[str, Any]], Awaitable[dict[str, Any]]]


def error_response(
    code: str, message: str, *, status: int = 400, extra: dict[str, Any] | None = None
) -> Response:
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
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-ErrorType": code},
    )


def ok(body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), media_type=CONTENT_TYPE)


async def dispatch(request: Request, services: Services, handlers: dict[str, Handler]) -> Response:
    """Decode, validate and route one request."""
    target = request.headers.get("x-amz-target", "")
    action = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
    model = validation.operation(action) if action else None
    handler = handlers.get(action)
    if model is None or handler is None:
        return error_response(
            "UnknownOperationException",
            f"Unknown operation: '{target}'" if target else "Missing X-Amz-Target header",
        )
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        return error_response(
            "ValidationException",
            f"Request body of {length} bytes exceeds the maximum of {MAX_BODY_BYTES} bytes",
            status=413,
        )
    raw = await _read_limited(request)
    if raw is None:
        return error_response(
            "ValidationException",
            f"Request body exceeds the maximum of {MAX_BODY_BYTES} bytes",
            status=413,
        )
    keys = services.settings.access_keys
    if keys:
        try:
            auth.verify(
                method=request.method,
                url=str(request.url),
                headers=request.headers,
                body=raw,
                keys=keys,
            )
        except auth.AuthError as exc:
            return error_response(exc.code, exc.message, status=exc.status)
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        return error_response("SerializationException", f"Request body is not valid JSON: {exc}")
    if not isinstance(body, dict):
        return error_response("SerializationException", "Request body must be a JSON object")
    try:
        errors = validation.validate(model.input_shape, body)
    except validation.SerializationError as exc:
        return error_response("SerializationException", str(exc))
    if errors:
        return error_response("ValidationException", validation.message(errors))
    try:
        result = await handler(services, body)
    except ValidationException as exc:
        extra = {"reason": exc.reason} if exc.reason else None
        return error_response(exc.code, exc.message, extra=extra)
    except StatewiseError as exc:
        return error_response(exc.code, exc.message)
    except Exception:
        logger.exception("%s failed", action)
        return error_response(
            "InternalFailure", "The server failed to process the request.", status=500
        )
    return ok(result)


async def _read_limited(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (chunked uploads included)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
