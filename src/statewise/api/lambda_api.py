"""The Lambda API (REST-JSON, ``/2015-03-31/functions/...``) on the server's one port.

Paths, member locations (URI, query string, headers, body) and constraints come from
botocore's Lambda model, so a request is read and validated exactly as the SDKs write it.
Errors are Lambda's: the code in ``x-amzn-ErrorType``, a body ``{"Type": "User",
"message": ...}`` (``Message`` for the shapes that spell it so) and the model's status.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

import orjson
from botocore.model import OperationModel, ServiceModel
from botocore.session import get_session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from statewise.api import auth, validation
from statewise.api.lambda_handlers import HANDLERS, Reply
from statewise.functions.errors import (
    InvalidRequestContentException,
    LambdaError,
    RequestTooLargeException,
    ServiceException,
    TooManyRequestsException,
    ValidationException,
)
from statewise.functions.invoke import new_request_id
from statewise.services import Services

logger = logging.getLogger(__name__)

_JSON = b"application/json"
# Body limits: a zip of 50 MB arrives base64-encoded; an invocation's payload is 6 MB.
_LIMITS = {"CreateFunction": 69_905_067, "UpdateFunctionCode": 69_905_067, "Invoke": 6_291_456}
_DEFAULT_LIMIT = 1024 * 1024
# How Lambda's limit messages name operations.
_MESSAGE_NAMES = {"Invoke": "InvokeFunction"}
_DIGEST = re.compile(r"[0-9a-f]{64}")


@functools.cache
def service_model() -> ServiceModel:
    """The Lambda model shipped with botocore."""
    return get_session().get_service_model("lambda")


def error_response(
    code: str,
    message: str,
    status: int,
    *,
    message_key: str = "message",
    extra: dict[str, Any] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Reply:
    body: dict[str, Any] = {"Type": "User" if status < 500 else "Service", message_key: message}
    if extra:
        body.update(extra)
    return Reply(
        status,
        orjson.dumps(body),
        [
            (b"content-type", _JSON),
            (b"x-amzn-errortype", code.encode()),
            (b"x-amzn-requestid", new_request_id().encode()),
            *(headers or []),
        ],
    )


def lambda_error(exc: LambdaError) -> Reply:
    extra = None
    headers = None
    if isinstance(exc, TooManyRequestsException):
        extra = {"Reason": exc.reason}
        headers = [(b"retry-after", b"1")]
    return error_response(
        exc.code,
        exc.message,
        exc.status,
        message_key=exc.message_key,
        extra=extra,
        headers=headers,
    )


def _camel(location: str) -> str:
    """Lambda names members in validation messages with a lower-case first letter."""
    return ".".join(part[:1].lower() + part[1:] for part in location.split("."))


def _query_value(kind: str, values: list[str]) -> Any:
    if kind == "list":
        return values
    text = values[-1]
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise InvalidRequestContentException(
                f"Could not parse request: '{text}' is not an integer"
            ) from None
    if kind == "boolean":
        return text.lower() == "true"
    return text


async def _read(receive: Receive, headers: dict[str, str], limit: int, operation: str) -> bytes:
    too_large = RequestTooLargeException(
        f"Request must be smaller than {limit} bytes for the {operation} operation"
    )
    length = headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    location: str | None
    wire: str
    kind: str


@dataclass(frozen=True, slots=True)
class Operation:
    """One Lambda operation as the model describes it, read once.

    Attributes:
        segments: the request URI's path segments; None stands for a URI member (named in
            ``labels`` at the same index).
    """

    name: str
    method: str
    segments: tuple[str | None, ...]
    labels: tuple[str | None, ...]
    status: int
    model: OperationModel
    members: tuple[_Member, ...]
    payload: str | None
    body_members: frozenset[str]

    @classmethod
    def build(cls, name: str) -> Operation:
        model = service_model().operation_model(name)
        parts = model.http["requestUri"].split("?")[0].strip("/").split("/")
        segments = tuple(None if p.startswith("{") else p for p in parts)
        labels = tuple(p.strip("{}+") if p.startswith("{") else None for p in parts)
        shape = model.input_shape
        members: tuple[_Member, ...] = ()
        payload = None
        body: frozenset[str] = frozenset()
        if shape is not None:
            members = tuple(
                _Member(
                    n,
                    m.serialization.get("location"),
                    m.serialization.get("name", n),
                    m.type_name,
                )
                for n, m in shape.members.items()
            )
            payload = shape.serialization.get("payload")
            body = frozenset(member.name for member in members if member.location is None)
        return cls(
            name=name,
            method=model.http["method"],
            segments=segments,
            labels=labels,
            status=int(model.http.get("responseCode", 200)),
            model=model,
            members=members,
            payload=payload,
            body_members=body,
        )

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """The URI members of a path split into segments, if it is this operation's."""
        if len(parts) != len(self.segments):
            return None
        labels: dict[str, str] = {}
        for part, literal, label in zip(parts, self.segments, self.labels, strict=True):
            if literal is None:
                if not part or label is None:
                    return None
                labels[label] = part
            elif part != literal:
                return None
        return labels


@functools.cache
def operations() -> dict[tuple[str, int], list[Operation]]:
    """Operations by method and path length, so a request is matched in a few steps."""
    table: dict[tuple[str, int], list[Operation]] = {}
    for name in HANDLERS:
        operation = Operation.build(name)
        table.setdefault((operation.method, len(operation.segments)), []).append(operation)
    return table


def find(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    parts = path.strip("/").split("/")
    for operation in operations().get((method, len(parts)), ()):
        labels = operation.match(parts)
        if labels is not None:
            return operation, labels
    return None


def _params(
    operation: Operation,
    labels: dict[str, str],
    headers: dict[str, str],
    query: dict[str, list[str]],
    raw: bytes,
) -> dict[str, Any]:
    """Every input member from wherever the model puts it."""
    params: dict[str, Any] = {}
    if operation.payload:
        params[operation.payload] = raw
    elif raw.strip():
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: {exc}"
            ) from None
        if not isinstance(body, dict):
            raise InvalidRequestContentException(
                "Could not parse request body into json: the body must be a JSON object"
            )
        params.update({k: v for k, v in body.items() if k in operation.body_members})
    for member in operation.members:
        if member.location == "uri":
            params[member.name] = labels.get(member.name)
        elif member.location == "querystring":
            values = query.get(member.wire)
            if values:
                params[member.name] = _query_value(member.kind, values)
        elif member.location == "header":
            value = headers.get(member.wire.lower())
            if value is not None:
                params[member.name] = value
    return params


def _validate(operation: Operation, params: dict[str, Any]) -> None:
    shape = operation.model.input_shape
    assert shape is not None
    try:
        # Blob members (a payload, a zip) pass through: the model constrains only their type.
        errors = validation.validate(shape, params)
    except validation.SerializationError as exc:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: {exc}"
        ) from None
    if errors:
        renamed = [replace(e, location=_camel(e.location)) for e in errors]
        raise ValidationException(validation.message(renamed))


def _url(scope: Scope, headers: dict[str, str], *, path: bool = True) -> str:
    """The request's URL as the client addressed it (for signatures and links)."""
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    base = f"{scope.get('scheme', 'http')}://{host}"
    if not path:
        return base + "/"
    query: bytes = scope.get("query_string", b"")
    # As sent (still percent-encoded): a signature covers the path the client wrote.
    raw: bytes | None = scope.get("raw_path")
    path_text: str = raw.decode("latin-1") if raw else scope["path"]
    return base + path_text + (f"?{query.decode('latin-1')}" if query else "")


class LambdaApp:
    """The Lambda API as a plain ASGI app: it is the hot path of every invocation, so it
    reads the scope directly rather than through request and response objects."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reply = await self._serve(scope, receive)
        # A length, not chunked encoding: the whole body is at hand.
        headers = [*reply.headers, (b"content-length", str(len(reply.body)).encode())]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})

    async def _serve(self, scope: Scope, receive: Receive) -> Reply:
        method, path = scope["method"], scope["path"]
        found = find(method, path)
        if found is None:
            return error_response(
                "UnknownOperationException", f"No Lambda operation at {method} {path}", 404
            )
        operation, labels = found
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        limit = _LIMITS.get(operation.name, _DEFAULT_LIMIT)
        try:
            raw = await _read(
                receive, headers, limit, _MESSAGE_NAMES.get(operation.name, operation.name)
            )
            keys = self.services.settings.access_keys
            if keys:
                try:
                    auth.verify(
                        method=method,
                        url=_url(scope, headers),
                        headers=headers,
                        body=raw,
                        keys=keys,
                    )
                except auth.AuthError as exc:
                    return error_response(exc.code, exc.message, exc.status)
            query_string = scope.get("query_string", b"")
            query = parse_qs(query_string.decode("latin-1")) if query_string else {}
            params = _params(operation, labels, headers, query, raw)
            _validate(operation, params)
            base_url = _url(scope, headers, path=False)
            result = await HANDLERS[operation.name](self.services, params, base_url)
        except LambdaError as exc:
            return lambda_error(exc)
        except Exception:
            logger.exception("%s failed", operation.name)
            return lambda_error(ServiceException("The service failed to process the request."))
        if isinstance(result, Reply):
            return result
        if result is None:
            status = 204 if operation.status in (200, 204) else operation.status
            return Reply(status, b"", [(b"x-amzn-requestid", new_request_id().encode())])
        return Reply(
            operation.status,
            orjson.dumps(result),
            [(b"content-type", _JSON), (b"x-amzn-requestid", new_request_id().encode())],
        )


# Every Lambda operation's path starts with one of these (botocore's requestUri values).
PREFIXES = (
    "/2015-03-31/functions",
    "/2017-10-31/functions",
    "/2019-09-30/functions",
    "/2014-11-13/functions",
    "/2017-03-31/tags",
    "/2016-08-19/account-settings",
)


def routes(services: Services) -> list[BaseRoute]:
    """The Lambda API (one route per path prefix, matched further here), plus the code
    download location GetFunction gives out."""
    app = LambdaApp(services)

    async def code_package(request: Request) -> Response:
        digest = request.path_params["digest"]
        functions = services.functions
        signed = functions.check_code_link(
            digest,
            request.query_params.get("Expires", ""),
            request.query_params.get("Signature", ""),
        )
        if not signed:
            return Response(b"Request has expired or is not signed", status_code=403)
        data = _DIGEST.fullmatch(digest) and await functions.read_code(digest)
        if not data:
            return Response(status_code=404)
        return Response(data, media_type="application/zip")

    methods = ["GET", "POST", "PUT", "DELETE"]
    table: list[BaseRoute] = [
        Route(prefix + "{rest:path}", app, methods=methods) for prefix in PREFIXES
    ]
    table.append(Route("/statewise/code/{digest}.zip", code_package, methods=["GET"]))
    return table
