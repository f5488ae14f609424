"""Lambda API wire shapes: the registry's records as AWS returns them, and request members
read into registry settings."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from statewise.functions.errors import InvalidParameterValueException
from statewise.functions.model import LATEST, Alias, FunctionConfig
from statewise.functions.registry import Registry


def configuration(
    config: FunctionConfig, registry: Registry, qualifier: str | None = None
) -> dict[str, Any]:
    """FunctionConfiguration. The ARN carries the version for published versions, and the
    qualifier the caller used otherwise (none for plain $LATEST)."""
    shown = qualifier or (None if config.version == LATEST else config.version)
    body: dict[str, Any] = {
        "FunctionName": config.name,
        "FunctionArn": registry.arn(config.name, shown),
        "Runtime": config.runtime,
        "Role": config.role,
        "Handler": config.handler,
        "CodeSize": config.code_size,
        "Description": config.description,
        "Timeout": config.timeout,
        "MemorySize": config.memory_size,
        "LastModified": config.last_modified,
        "CodeSha256": config.code_sha256,
        "Version": config.version,
    }
    if config.environment:
        body["Environment"] = {"Variables": dict(config.environment)}
    body.update(
        {
            "TracingConfig": {"Mode": config.tracing_mode},
            "RevisionId": config.revision_id,
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": list(config.architectures),
            "EphemeralStorage": {"Size": config.ephemeral_storage},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {
                "LogFormat": config.log_format,
                "LogGroup": f"/aws/lambda/{config.name}",
            },
        }
    )
    return body


def alias(record: Alias, registry: Registry, function: str) -> dict[str, Any]:
    """AliasConfiguration."""
    body: dict[str, Any] = {
        "AliasArn": registry.arn(function, record.name),
        "Name": record.name,
        "FunctionVersion": record.function_version,
        "Description": record.description,
        "RevisionId": record.revision_id,
    }
    if record.weights:
        body["RoutingConfig"] = {"AdditionalVersionWeights": dict(record.weights)}
    return body


def zip_file(code: dict[str, Any] | None, *, required: bool = True) -> bytes:
    """The deployment package of a Code structure (or UpdateFunctionCode's members)."""
    code = code or {}
    if code.get("ImageUri"):
        raise InvalidParameterValueException(
            "statewise runs Zip packages only: container images (ImageUri) are not supported."
        )
    if code.get("S3Bucket") or code.get("S3Key"):
        raise InvalidParameterValueException(
            "statewise cannot read code from Amazon S3: upload the zip itself (ZipFile, or "
            "--zip-file fileb://function.zip with the AWS CLI)."
        )
    text = code.get("ZipFile")
    if not text:
        if required:
            raise InvalidParameterValueException("Please provide a source for function code.")
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None


def settings(body: dict[str, Any]) -> dict[str, Any]:
    """Registry settings (FunctionConfig members) from Create/UpdateFunctionConfiguration."""
    if body.get("PackageType") == "Image" or body.get("ImageConfig"):
        raise InvalidParameterValueException(
            "statewise runs Zip packages only: container images (PackageType Image) are not "
            "supported."
        )
    if body.get("Layers"):
        raise InvalidParameterValueException(
            "statewise does not support Lambda layers: include the layer's files in the zip."
        )
    values: dict[str, Any] = {
        "runtime": body.get("Runtime"),
        "handler": body.get("Handler"),
        "role": body.get("Role"),
        "description": body.get("Description"),
        "timeout": body.get("Timeout"),
        "memory_size": body.get("MemorySize"),
    }
    if "Environment" in body:
        values["environment"] = dict((body.get("Environment") or {}).get("Variables") or {})
    if body.get("Architectures"):
        values["architectures"] = tuple(body["Architectures"])
    if body.get("EphemeralStorage"):
        values["ephemeral_storage"] = body["EphemeralStorage"].get("Size")
    if body.get("TracingConfig"):
        values["tracing_mode"] = body["TracingConfig"].get("Mode")
    if body.get("LoggingConfig"):
        values["log_format"] = body["LoggingConfig"].get("LogFormat")
    return {k: v for k, v in values.items() if v is not None}
