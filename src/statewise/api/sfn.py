"""Step Functions actions: state machines and executions, wire shapes as AWS returns them.

Each handler checks what the model cannot, calls a service and returns the response
members AWS returns; absent values are omitted, never null (X-2).
"""

from __future__ import annotations

from typing import Any

import orjson

from statewise.api.awsjson import Handler
from statewise.api.history import history_page
from statewise.asl import validate as asl_validate
from statewise.engine import deleting
from statewise.errors import (
    InvalidToken,
    StateMachineTypeNotSupported,
    ValidationException,
)
from statewise.services import Services
from statewise.services.executions import parse_execution_arn
from statewise.services.machines import split_qualified
from statewise.store.base import ExecutionRecord, ExecutionStatus, StateMachineRecord

_NOT_TRUNCATED = {"included": True}


def _tags(body: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in body.get("tags") or []}


def _config(text: str | None, default: dict[str, Any]) -> dict[str, Any]:
    return orjson.loads(text) if text else default


def describe_machine_body(record: StateMachineRecord, included: str | None) -> dict[str, Any]:
    """DescribeStateMachine's members for an unqualified machine (API-2)."""
    body: dict[str, Any] = {
        "stateMachineArn": record.arn,
        "name": record.name,
        "status": record.status,
        "definition": "{}" if included == "METADATA_ONLY" else record.definition,
        "roleArn": record.role_arn,
        "type": record.type,
        "creationDate": record.creation_date,
        "loggingConfiguration": _config(record.logging_configuration, {"level": "OFF"}),
        "tracingConfiguration": _config(record.tracing_configuration, {"enabled": False}),
        "revisionId": record.revision_id,
        "encryptionConfiguration": _config(
            record.encryption_configuration, {"type": "AWS_OWNED_KEY"}
        ),
    }
    return body


async def create_state_machine(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    record, version = await services.machines.create(
        name=body["name"],
        definition=body["definition"],
        role_arn=body["roleArn"],
        type=body.get("type", "STANDARD"),
        logging=body.get("loggingConfiguration"),
        tracing=body.get("tracingConfiguration"),
        encryption=body.get("encryptionConfiguration"),
        publish=body.get("publish", False),
        version_description=body.get("versionDescription"),
        tags=_tags(body),
    )
    result: dict[str, Any] = {"stateMachineArn": record.arn, "creationDate": record.creation_date}
    if version is not None:
        result["stateMachineVersionArn"] = version.arn
    return result


async def describe_state_machine(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    arn = body["stateMachineArn"]
    included = body.get("includedData")
    target = await services.machines.resolve(arn, pick=lambda: 0.0)
    if target.alias is not None:
        # An alias ARN describes the machine it belongs to.
        return describe_machine_body(target.machine, included)
    if target.version is None:
        return describe_machine_body(target.machine, included)
    version = target.version
    result = describe_machine_body(target.machine, included)
    result.update(
        {
            "stateMachineArn": version.arn,
            "definition": "{}" if included == "METADATA_ONLY" else version.definition,
            "roleArn": version.role_arn,
            "creationDate": version.creation_date,
            "revisionId": version.revision_id,
            "loggingConfiguration": _config(version.logging_configuration, {"level": "OFF"}),
            "tracingConfiguration": _config(version.tracing_configuration, {"enabled": False}),
        }
    )
    if version.description is not None:
        result["description"] = version.description
    return result


async def update_state_machine(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    record, version = await services.machines.update(
        body["stateMachineArn"],
        definition=body.get("definition"),
        role_arn=body.get("roleArn"),
        logging=body.get("loggingConfiguration"),
        tracing=body.get("tracingConfiguration"),
        encryption=body.get("encryptionConfiguration"),
        publish=body.get("publish", False),
        version_description=body.get("versionDescription"),
    )
    result: dict[str, Any] = {"updateDate": record.update_date, "revisionId": record.revision_id}
    if version is not None:
        result["stateMachineVersionArn"] = version.arn
    return result


async def delete_state_machine(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    arn = body["stateMachineArn"]
    split_qualified(arn)
    await services.machines.delete(arn)
    return {}


async def list_state_machines(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    try:
        page = await services.machines.list_machines(
            limit=body.get("maxResults") or 100, token=body.get("nextToken")
        )
    except ValueError:
        raise InvalidToken(f"Invalid Token: '{body.get('nextToken')}'") from None
    result: dict[str, Any] = {
        "stateMachines": [
            {
                "stateMachineArn": m.arn,
                "name": m.name,
                "type": m.type,
                "creationDate": m.creation_date,
            }
            for m in page.items
        ]
    }
    if page.next_token:
        result["nextToken"] = page.next_token
    return result


async def validate_state_machine_definition(
    services: Services, body: dict[str, Any]
) -> dict[str, Any]:
    """API-38: HTTP 200 with OK or FAIL and the diagnostics."""
    diagnostics = asl_validate.validate_text(
        body["definition"], express=body.get("type") == "EXPRESS"
    )
    limit = body.get("maxResults") or 100
    shown = diagnostics[:limit]
    return {
        "result": "FAIL" if diagnostics else "OK",
        "diagnostics": [
            {"severity": "ERROR", "code": d.code, "message": d.message, "location": d.location}
            for d in shown
        ],
        "truncated": len(diagnostics) > len(shown),
    }


# --- executions -------------------------------------------------------------------------


async def start_execution(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    record = await services.executions.start(
        body["stateMachineArn"],
        name=body.get("name"),
        input_text=body.get("input"),
        trace_header=body.get("traceHeader"),
    )
    return {"executionArn": record.arn, "startDate": record.start_date}


async def start_sync_execution(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    """TYPE-3: returns when done, HTTP 200 even when the workflow failed."""
    record = await services.executions.start(
        body["stateMachineArn"],
        name=body.get("name"),
        input_text=body.get("input"),
        trace_header=body.get("traceHeader"),
        sync=True,
    )
    result: dict[str, Any] = {
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "startDate": record.start_date,
        "stopDate": record.stop_date,
        "status": record.status.value,
        "input": record.input,
        "inputDetails": _NOT_TRUNCATED,
        "billingDetails": {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": max(
                100, int(((record.stop_date or record.start_date) - record.start_date) * 1000)
            ),
        },
    }
    if record.status is ExecutionStatus.SUCCEEDED:
        result["output"] = record.output
        result["outputDetails"] = _NOT_TRUNCATED
    if record.error is not None:
        result["error"] = record.error
    if record.cause is not None:
        result["cause"] = record.cause
    if record.trace_header is not None:
        result["traceHeader"] = record.trace_header
    return result


async def stop_execution(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    record = await services.executions.stop(
        body["executionArn"], error=body.get("error"), cause=body.get("cause")
    )
    return {"stopDate": record.stop_date}


def describe_execution_body(record: ExecutionRecord) -> dict[str, Any]:
    """DescribeExecution's members (API-18); output only for SUCCEEDED (X-2)."""
    result: dict[str, Any] = {
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "status": record.status.value,
        "startDate": record.start_date,
        "input": record.input,
        "inputDetails": _NOT_TRUNCATED,
        "redriveCount": 0,
        "redriveStatus": "NOT_REDRIVABLE",
        "redriveStatusReason": f"Execution is {record.status.value} and cannot be redriven"
        if record.status in (ExecutionStatus.RUNNING, ExecutionStatus.SUCCEEDED)
        else "Redrive is not supported by this server",
    }
    if record.stop_date is not None:
        result["stopDate"] = record.stop_date
    if record.status is ExecutionStatus.SUCCEEDED:
        result["output"] = record.output
        result["outputDetails"] = _NOT_TRUNCATED
    # A running execution's error and cause are the failure its machine's deletion will
    # end it with (engine.deleting); AWS shows them only once it has.
    if record.error is not None and not deleting.pending(record):
        result["error"] = record.error
    if record.cause is not None and not deleting.pending(record):
        result["cause"] = record.cause
    if record.trace_header is not None:
        result["traceHeader"] = record.trace_header
    if record.version_arn is not None:
        result["stateMachineVersionArn"] = record.version_arn
    if record.alias_arn is not None:
        result["stateMachineAliasArn"] = record.alias_arn
    return result


async def describe_execution(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    record = await services.executions.describe(body["executionArn"])
    result = describe_execution_body(record)
    if body.get("includedData") == "METADATA_ONLY":
        result.pop("input", None)
        result.pop("output", None)
        result["inputDetails"] = {"included": False}
        if "outputDetails" in result:
            result["outputDetails"] = {"included": False}
    return result


async def list_executions(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    """API-20: exactly one of stateMachineArn and mapRunArn; newest first."""
    arn = body.get("stateMachineArn")
    if arn is None:
        if body.get("mapRunArn") is not None:
            raise ValidationException("Map Runs are not supported by this server")
        raise ValidationException(
            "Must specify either a stateMachineArn or a mapRunArn",
            reason="MISSING_REQUIRED_PARAMETER",
        )
    if body.get("mapRunArn") is not None:
        raise ValidationException("Must specify only one of stateMachineArn and mapRunArn")
    status = body.get("statusFilter")
    if status == "PENDING_REDRIVE":
        raise ValidationException("PENDING_REDRIVE status filter requires a mapRunArn")
    target = await services.machines.resolve(arn, pick=lambda: 0.0)
    if target.machine.type == "EXPRESS":
        raise StateMachineTypeNotSupported(
            "This operation is not supported by this type of state machine"
        )
    _, qualifier = split_qualified(arn)
    version_arn = arn if qualifier is not None and qualifier.isdigit() else None
    alias_arn = arn if qualifier is not None and not qualifier.isdigit() else None
    try:
        page = await services.store.list_executions(
            target.machine.arn,
            status=ExecutionStatus(status) if status else None,
            limit=body.get("maxResults") or 100,
            token=body.get("nextToken"),
            version_arn=version_arn,
            alias_arn=alias_arn,
        )
    except ValueError:
        raise InvalidToken(f"Invalid Token: '{body.get('nextToken')}'") from None
    items = []
    for record in page.executions:
        item: dict[str, Any] = {
            "executionArn": record.arn,
            "stateMachineArn": record.state_machine_arn,
            "name": record.name,
            "status": record.status.value,
            "startDate": record.start_date,
            "redriveCount": 0,
        }
        if record.stop_date is not None:
            item["stopDate"] = record.stop_date
        if record.version_arn is not None:
            item["stateMachineVersionArn"] = record.version_arn
        if record.alias_arn is not None:
            item["stateMachineAliasArn"] = record.alias_arn
        items.append(item)
    result: dict[str, Any] = {"executions": items}
    if page.next_token:
        result["nextToken"] = page.next_token
    return result


async def get_execution_history(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    arn = body["executionArn"]
    await services.executions.describe(arn)
    return await history_page(
        services.store,
        arn,
        limit=body.get("maxResults") or 100,
        reverse=body.get("reverseOrder", False),
        token=body.get("nextToken"),
        include_data=body.get("includeExecutionData", True),
    )


async def describe_state_machine_for_execution(
    services: Services, body: dict[str, Any]
) -> dict[str, Any]:
    """API-6: the definition and configuration the execution actually runs."""
    arn = body["executionArn"]
    parse_execution_arn(arn)
    record = await services.executions.describe(arn)
    definition = await services.executions.definition_of(record)
    machine = await services.store.get_state_machine(record.state_machine_arn)
    result: dict[str, Any] = {
        "stateMachineArn": record.version_arn or record.state_machine_arn,
        "name": record.state_machine_arn.rsplit(":", 1)[-1],
        "definition": "{}" if body.get("includedData") == "METADATA_ONLY" else definition,
        "roleArn": record.role_arn,
        "updateDate": (machine.update_date or machine.creation_date)
        if machine is not None
        else record.start_date,
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False},
    }
    if machine is not None:
        result["loggingConfiguration"] = _config(machine.logging_configuration, {"level": "OFF"})
        result["tracingConfiguration"] = _config(machine.tracing_configuration, {"enabled": False})
        if machine.definition == definition:
            result["revisionId"] = machine.revision_id
    return result


HANDLERS: dict[str, Handler] = {
    "CreateStateMachine": create_state_machine,
    "DescribeStateMachine": describe_state_machine,
    "UpdateStateMachine": update_state_machine,
    "DeleteStateMachine": delete_state_machine,
    "ListStateMachines": list_state_machines,
    "ValidateStateMachineDefinition": validate_state_machine_definition,
    "StartExecution": start_execution,
    "StartSyncExecution": start_sync_execution,
    "StopExecution": stop_execution,
    "DescribeExecution": describe_execution,
    "ListExecutions": list_executions,
    "GetExecutionHistory": get_execution_history,
    "DescribeStateMachineForExecution": describe_state_machine_for_execution,
}
