"""The HTTP Task, ``arn:aws:states:::http:invoke`` (INT-7), sent with httpx.

On AWS the credentials come from an EventBridge connection; here a connection ARN (or its
name) maps to credentials in a local JSON file shaped like EventBridge's CreateConnection
request::

    {"arn:aws:events:us-east-1:123456789012:connection/Stripe/81210c42-...": {
        "AuthorizationType": "API_KEY",
        "AuthParameters": {
            "ApiKeyAuthParameters": {"ApiKeyName": "Authorization", "ApiKeyValue": "Bearer x"},
            "InvocationHttpParameters": {"HeaderParameters": [{"Key": "k", "Value": "v"}]}}}}
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
import orjson

from statewise.engine.ports import TaskFailed, TaskOutcome, TaskRequest, TaskSucceeded
from statewise.types import JSON

# ERR-17: AWS gives up on an endpoint after 60 seconds (States.Http.Socket).
HTTP_TIMEOUT_SECONDS = 60.0
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"})
ARRAY_FORMATS = frozenset({"INDICES", "REPEAT", "COMMAS", "BRACKETS"})


def load_connections(path: Path | None) -> dict[str, dict[str, Any]]:
    """The connection file's entries, by ARN and by connection name."""
    if path is None:
        return {}
    data = orjson.loads(path.read_bytes())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of connections")
    table: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if not isinstance(value, dict):
            raise ValueError(f"{path}: connection {key!r} must be an object")
        table[key] = value
        name = _connection_name(key)
        if name:
            table.setdefault(name, value)
    return table


def _connection_name(arn: str) -> str | None:
    """``...:connection/<name>/<uuid>`` -> ``<name>``."""
    _, found, rest = arn.partition(":connection/")
    return rest.split("/", 1)[0] if found else None


def _scalar(value: JSON) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return orjson.dumps(value).decode()


def url_encode(value: JSON, array_format: str = "INDICES", prefix: str = "") -> list[str]:
    """``key=value`` pairs of a JSON object, arrays written as ``Transform`` asks (INT-7)."""
    pairs: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{prefix}[{key}]" if prefix else str(key)
            pairs.extend(url_encode(item, array_format, name))
    elif isinstance(value, list):
        if array_format == "COMMAS":
            joined = ",".join(_scalar(item) for item in value)
            pairs.append(f"{quote_plus(prefix)}={quote_plus(joined)}")
        else:
            for index, item in enumerate(value):
                if array_format == "REPEAT":
                    name = prefix
                elif array_format == "BRACKETS":
                    name = f"{prefix}[]"
                else:
                    name = f"{prefix}[{index}]"
                pairs.extend(url_encode(item, array_format, name))
    else:
        pairs.append(f"{quote_plus(prefix)}={quote_plus(_scalar(value))}")
    return pairs


def _invalid(message: str) -> TaskFailed:
    return TaskFailed("States.Runtime", f"The HTTP Task's parameters are invalid: {message}")


def _pairs(items: Any) -> list[tuple[str, str]]:
    return [
        (str(p.get("Key", "")), _scalar(p.get("Value"))) for p in items or [] if isinstance(p, dict)
    ]


class HttpRunner:
    """Runs HTTP Tasks.

    Args:
        connections: credentials by connection ARN or name (see the module docs). When
            none are configured at all, a task's ConnectionArn is not looked up, so
            definitions written for AWS run against local endpoints unchanged.
        transport: an httpx transport (tests).
    """

    def __init__(
        self,
        connections: Mapping[str, dict[str, Any]] | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.connections = dict(connections or {})
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=HTTP_TIMEOUT_SECONDS, transport=self._transport, follow_redirects=False
            )
        return self._client

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run(self, request: TaskRequest) -> TaskOutcome:
        payload = request.payload
        if not isinstance(payload, dict):
            return _invalid("Parameters must be a JSON object")
        endpoint = payload.get("ApiEndpoint")
        method = payload.get("Method")
        if not isinstance(endpoint, str) or not endpoint:
            return _invalid("ApiEndpoint is required")
        if not isinstance(method, str) or method.upper() not in METHODS:
            return _invalid(f"Method must be one of {', '.join(sorted(METHODS))}")
        headers = {str(k): _scalar(v) for k, v in (payload.get("Headers") or {}).items()}
        query: list[tuple[str, str | int | float | bool | None]] = []
        for key, value in (payload.get("QueryParameters") or {}).items():
            values = value if isinstance(value, list) else [value]
            query.extend((str(key), _scalar(v)) for v in values)
        body = payload.get("RequestBody")
        auth = payload.get("Authentication") or {}
        connection_arn = auth.get("ConnectionArn") if isinstance(auth, dict) else None
        if isinstance(connection_arn, str) and self.connections:
            connection = self.connections.get(connection_arn) or self.connections.get(
                _connection_name(connection_arn) or ""
            )
            if connection is None:
                return TaskFailed(
                    "States.Runtime",
                    f"The connection '{connection_arn}' is not configured: add it to the "
                    "HTTP connections file (--http-connections).",
                )
            body = _apply_connection(connection, headers, query, body)
        content = _encode_body(body, payload.get("Transform"), headers)
        if isinstance(content, TaskFailed):
            return content
        try:
            response = await self._http().request(
                method.upper(), endpoint, params=query, headers=headers, content=content
            )
        except httpx.HTTPError as exc:
            return TaskFailed("States.Http.Socket", f"{type(exc).__name__}: {exc}")
        result = _result(response)
        if not 200 <= response.status_code < 300:
            return TaskFailed(
                f"States.Http.StatusCode.{response.status_code}", orjson.dumps(result).decode()
            )
        return TaskSucceeded(result)


def _apply_connection(
    connection: dict[str, Any],
    headers: dict[str, str],
    query: list[tuple[str, str | int | float | bool | None]],
    body: JSON,
) -> JSON:
    """Add a connection's authorization and invocation parameters to a request."""
    params = connection.get("AuthParameters") or {}
    basic = params.get("BasicAuthParameters")
    if isinstance(basic, dict):
        pair = f"{basic.get('Username', '')}:{basic.get('Password', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    key = params.get("ApiKeyAuthParameters")
    if isinstance(key, dict) and key.get("ApiKeyName"):
        headers[str(key["ApiKeyName"])] = _scalar(key.get("ApiKeyValue"))
    invocation = params.get("InvocationHttpParameters") or {}
    for name, value in _pairs(invocation.get("HeaderParameters")):
        headers.setdefault(name, value)
    query.extend(_pairs(invocation.get("QueryStringParameters")))
    extra = _pairs(invocation.get("BodyParameters"))
    if extra and (body is None or isinstance(body, dict)):
        merged = dict(body or {})
        for name, value in extra:
            merged.setdefault(name, value)
        body = merged
    return body


def _encode_body(body: JSON, transform: Any, headers: dict[str, str]) -> bytes | TaskFailed | None:
    """The request's bytes: JSON, or URL-encoded when ``Transform`` asks for it."""
    if body is None:
        return None
    lower = {k.lower() for k in headers}
    encoding = (
        transform.get("RequestBodyEncoding", "NONE") if isinstance(transform, dict) else "NONE"
    )
    if encoding == "URL_ENCODED":
        if not isinstance(body, dict):
            return _invalid("a URL_ENCODED RequestBody must be a JSON object")
        options = transform.get("RequestEncodingOptions") or {}
        array_format = options.get("ArrayFormat", "INDICES")
        if array_format not in ARRAY_FORMATS:
            return _invalid(f"ArrayFormat must be one of {', '.join(sorted(ARRAY_FORMATS))}")
        if "content-type" not in lower:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return "&".join(url_encode(body, array_format)).encode()
    if encoding != "NONE":
        return _invalid("RequestBodyEncoding must be NONE or URL_ENCODED")
    if isinstance(body, str):
        if "content-type" not in lower:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return body.encode()
    if "content-type" not in lower:
        headers["Content-Type"] = "application/json"
    return orjson.dumps(body)


def _result(response: httpx.Response) -> dict[str, Any]:
    """``{Headers, ResponseBody, StatusCode, StatusText}``; a JSON body parsed (INT-7)."""
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        headers.setdefault(name, []).append(value)
    text = response.text
    body: JSON = text
    if text:
        try:
            body = orjson.loads(text)
        except orjson.JSONDecodeError:
            body = text
    return {
        "Headers": headers,
        "ResponseBody": body,
        "StatusCode": response.status_code,
        "StatusText": response.reason_phrase,
    }
