"""Lambda API actions: one small function per operation (read members, call, shape)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from statewise.api import lambda_shapes as shapes
from statewise.functions import names
from statewise.functions.errors import InvalidParameterValueException, ResourceNotFoundException
from statewise.functions.registry import ACCOUNT_CONCURRENCY
from statewise.functions.service import FunctionService
from statewise.services import Services


@dataclass(frozen=True, slots=True)
class Reply:
    """A response a handler builds itself (Invoke's payload and headers)."""

    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]]


# A handler answers a dict (JSON, the operation's status), None (no body) or a Reply; the
# third argument is the server's base URL (for links it hands out).
Result = dict[str, Any] | Reply | None
Handler = Callable[[Services, dict[str, Any], str], Awaitable[Result]]


def _functions(services: Services) -> FunctionService:
    functions: FunctionService = services.functions
    return functions


def _unqualified(params: dict[str, Any]) -> str:
    """The function name of a request that acts on the function itself."""
    ref = names.parse(params["FunctionName"])
    if ref.qualifier is not None:
        raise InvalidParameterValueException(
            "This operation acts on the function, not a version or alias: remove the "
            f"qualifier ':{ref.qualifier}' from the function name."
        )
    return ref.name


def _page(items: list[Any], params: dict[str, Any], default: int = 50) -> tuple[list[Any], str]:
    """Marker/MaxItems paging: the marker is the opaque offset of the next item."""
    start = 0
    marker = params.get("Marker")
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(marker.encode()).decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidParameterValueException("Invalid marker.") from None
    size = params.get("MaxItems") or default
    end = start + size
    following = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else ""
    return items[start:end], following


async def create_function(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    package = shapes.zip_file(params.get("Code"))
    config = await functions.create(
        _unqualified(params),
        package,
        shapes.settings(params),
        publish=bool(params.get("Publish")),
        tags=params.get("Tags"),
    )
    return shapes.configuration(config, functions.registry)


async def get_function(services: Services, params: dict[str, Any], base_url: str) -> Result:
    functions = _functions(services)
    ref = names.parse(params["FunctionName"], params.get("Qualifier"))
    await functions.fresh(ref.name)
    config = functions.registry.resolve(ref)
    record = functions.registry.record(ref.name)
    # A signed link valid for 10 minutes, like the presigned S3 URL Lambda answers with.
    expires = int(functions.now()) + 600
    signature = functions.code_signature(config.code_digest, expires)
    location = (
        f"{base_url.rstrip('/')}/statewise/code/{config.code_digest}.zip"
        f"?Expires={expires}&Signature={signature}"
    )
    body: dict[str, Any] = {
        "Configuration": shapes.configuration(config, functions.registry, ref.qualifier),
        "Code": {"RepositoryType": "S3", "Location": location},
    }
    if record.tags and ref.qualifier is None:
        body["Tags"] = dict(record.tags)
    if record.reserved_concurrency is not None:
        body["Concurrency"] = {"ReservedConcurrentExecutions": record.reserved_concurrency}
    return body


async def get_function_configuration(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    ref = names.parse(params["FunctionName"], params.get("Qualifier"))
    await functions.fresh(ref.name)
    config = functions.registry.resolve(ref)
    return shapes.configuration(config, functions.registry, ref.qualifier)


async def list_functions(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    await functions.fresh_all()
    configs = functions.registry.list_functions(all_versions=params.get("FunctionVersion") == "ALL")
    page, following = _page(configs, params)
    body: dict[str, Any] = {
        "Functions": [shapes.configuration(c, functions.registry) for c in page]
    }
    if following:
        body["NextMarker"] = following
    return body


async def update_function_code(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    name = _unqualified(params)
    package = shapes.zip_file(params)
    if params.get("DryRun"):
        # Checks only: the package must unpack, nothing changes.
        await functions.fresh(name)
        functions.registry.record(name)
        await functions.check_package(package)
        return shapes.configuration(functions.registry.record(name).latest, functions.registry)
    architectures = tuple(params["Architectures"]) if params.get("Architectures") else None
    config = await functions.update_code(
        name,
        package,
        publish=bool(params.get("Publish")),
        revision_id=params.get("RevisionId"),
        architectures=architectures,
    )
    return shapes.configuration(config, functions.registry)


async def update_function_configuration(
    services: Services, params: dict[str, Any], _: str
) -> Result:
    functions = _functions(services)
    name = _unqualified(params)
    config = await functions.update_configuration(
        name, shapes.settings(params), revision_id=params.get("RevisionId")
    )
    return shapes.configuration(config, functions.registry)


async def delete_function(services: Services, params: dict[str, Any], _: str) -> Result:
    ref = names.parse(params["FunctionName"], params.get("Qualifier"))
    await _functions(services).delete(ref.name, ref.qualifier)
    return None


async def publish_version(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    config = await functions.publish(
        _unqualified(params),
        code_sha256=params.get("CodeSha256"),
        description=params.get("Description"),
        revision_id=params.get("RevisionId"),
    )
    return shapes.configuration(config, functions.registry)


async def list_versions(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    name = _unqualified(params)
    await functions.fresh(name)
    configs = functions.registry.versions(name)
    page, following = _page(configs, params)
    versions = [shapes.configuration(c, functions.registry, c.version) for c in page]
    body: dict[str, Any] = {"Versions": versions}
    if following:
        body["NextMarker"] = following
    return body


def _weights(params: dict[str, Any]) -> dict[str, float] | None:
    routing = params.get("RoutingConfig")
    if routing is None:
        return None
    return dict(routing.get("AdditionalVersionWeights") or {})


async def create_alias(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    name = _unqualified(params)
    created = await functions.create_alias(
        name,
        params["Name"],
        function_version=params["FunctionVersion"],
        description=params.get("Description") or "",
        weights=_weights(params),
    )
    return shapes.alias(created, functions.registry, name)


async def get_alias(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    name = _unqualified(params)
    await functions.fresh(name)
    return shapes.alias(functions.registry.alias(name, params["Name"]), functions.registry, name)


async def update_alias(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    name = _unqualified(params)
    updated = await functions.update_alias(
        name,
        params["Name"],
        function_version=params.get("FunctionVersion"),
        description=params.get("Description"),
        weights=_weights(params),
        revision_id=params.get("RevisionId"),
    )
    return shapes.alias(updated, functions.registry, name)


async def delete_alias(services: Services, params: dict[str, Any], _: str) -> Result:
    await _functions(services).delete_alias(_unqualified(params), params["Name"])
    return None


async def list_aliases(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    name = _unqualified(params)
    await functions.fresh(name)
    found = functions.registry.aliases(name, params.get("FunctionVersion"))
    page, following = _page(found, params)
    body: dict[str, Any] = {"Aliases": [shapes.alias(a, functions.registry, name) for a in page]}
    if following:
        body["NextMarker"] = following
    return body


async def put_function_concurrency(services: Services, params: dict[str, Any], _: str) -> Result:
    reserved = await _functions(services).put_concurrency(
        _unqualified(params), params["ReservedConcurrentExecutions"]
    )
    return {"ReservedConcurrentExecutions": reserved}


async def get_function_concurrency(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    name = _unqualified(params)
    await functions.fresh(name)
    record = functions.registry.record(name)
    if record.reserved_concurrency is None:
        return {}
    return {"ReservedConcurrentExecutions": record.reserved_concurrency}


async def delete_function_concurrency(services: Services, params: dict[str, Any], _: str) -> Result:
    await _functions(services).delete_concurrency(_unqualified(params))
    return None


async def _tagged(services: Services, arn: str) -> str:
    ref = names.parse(arn)
    await _functions(services).fresh(ref.name)
    registry = _functions(services).registry
    if ref.qualifier is not None or not registry.exists(ref.name):
        raise ResourceNotFoundException(f"Function not found: {arn}")
    return ref.name


async def tag_resource(services: Services, params: dict[str, Any], _: str) -> Result:
    name = await _tagged(services, params["Resource"])
    await _functions(services).tag(name, params.get("Tags") or {})
    return None


async def untag_resource(services: Services, params: dict[str, Any], _: str) -> Result:
    name = await _tagged(services, params["Resource"])
    await _functions(services).untag(name, list(params.get("TagKeys") or []))
    return None


async def list_tags(services: Services, params: dict[str, Any], _: str) -> Result:
    name = await _tagged(services, params["Resource"])
    return {"Tags": dict(_functions(services).registry.record(name).tags)}


async def get_account_settings(services: Services, params: dict[str, Any], _: str) -> Result:
    functions = _functions(services)
    await functions.fresh_all()
    registry = functions.registry
    configs = registry.list_functions(all_versions=True)
    return {
        "AccountLimit": {
            "TotalCodeSize": 80_530_636_800,
            "CodeSizeUnzipped": 262_144_000,
            "CodeSizeZipped": 52_428_800,
            "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
            "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY - registry.reserved_total(),
        },
        "AccountUsage": {
            "TotalCodeSize": sum(c.code_size for c in configs),
            "FunctionCount": len(registry.list_functions()),
        },
    }


async def invoke(services: Services, params: dict[str, Any], base_url: str) -> Result:
    result = await _functions(services).invoke(
        params["FunctionName"],
        params.get("Payload") or b"",
        qualifier=params.get("Qualifier"),
        invocation_type=params.get("InvocationType") or "RequestResponse",
        log_type=params.get("LogType"),
        client_context=params.get("ClientContext"),
    )
    headers = [(b"x-amzn-requestid", result.request_id.encode())]
    if result.status_code == 200:
        headers.append((b"content-type", b"application/json"))
    if result.executed_version:
        headers.append((b"x-amz-executed-version", result.executed_version.encode()))
    if result.function_error:
        headers.append((b"x-amz-function-error", result.function_error.encode()))
    if result.log_result:
        headers.append((b"x-amz-log-result", result.log_result.encode()))
    return Reply(result.status_code, result.payload, headers)


async def invoke_async(services: Services, params: dict[str, Any], base_url: str) -> Result:
    """InvokeAsync (deprecated, still served): an Event invocation."""
    await _functions(services).invoke(
        params["FunctionName"], params.get("InvokeArgs") or b"", invocation_type="Event"
    )
    return Reply(202, b'{"Status":202}', [(b"content-type", b"application/json")])


HANDLERS: dict[str, Handler] = {
    "CreateFunction": create_function,
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_function_configuration,
    "ListFunctions": list_functions,
    "UpdateFunctionCode": update_function_code,
    "UpdateFunctionConfiguration": update_function_configuration,
    "DeleteFunction": delete_function,
    "PublishVersion": publish_version,
    "ListVersionsByFunction": list_versions,
    "CreateAlias": create_alias,
    "GetAlias": get_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
    "PutFunctionConcurrency": put_function_concurrency,
    "GetFunctionConcurrency": get_function_concurrency,
    "DeleteFunctionConcurrency": delete_function_concurrency,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTags": list_tags,
    "GetAccountSettings": get_account_settings,
    "Invoke": invoke,
    "InvokeAsync": invoke_async,
}
