"""Step Functions actions for activities and task tokens (API-26..API-33)."""

from __future__ import annotations

from typing import Any

import orjson

from statewise.api.awsjson import Handler
from statewise.asl.limits import MAX_PAYLOAD_BYTES
from statewise.errors import InvalidOutput
from statewise.integrations.activities import POLL_SECONDS
from statewise.services import Services
from statewise.services.activities import ActivityRecord


def _tags(body: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in body.get("tags") or []}


async def create_activity(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    record = await services.activities.create(
        body["name"], tags=_tags(body), encryption=body.get("encryptionConfiguration")
    )
    return {"activityArn": record.arn, "creationDate": record.creation_date}


def _described(record: ActivityRecord) -> dict[str, Any]:
    return {
        "activityArn": record.arn,
        "name": record.name,
        "creationDate": record.creation_date,
        "encryptionConfiguration": record.encryption_configuration,
    }


async def describe_activity(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    return _described(await services.activities.get(body["activityArn"]))


async def list_activities(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    page, following = await services.activities.list(
        limit=body.get("maxResults") or 100, token=body.get("nextToken")
    )
    result: dict[str, Any] = {
        "activities": [
            {"activityArn": r.arn, "name": r.name, "creationDate": r.creation_date} for r in page
        ]
    }
    if following:
        result["nextToken"] = following
    return result


async def delete_activity(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    await services.activities.delete(body["activityArn"])
    return {}


async def get_activity_task(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    """API-30: a long poll of up to 60 s; ``{}`` (no taskToken) when nothing came."""
    arn = body["activityArn"]
    await services.activities.get(arn)
    task = await services.integrations.activities.poll(
        arn, body.get("workerName"), timeout=POLL_SECONDS
    )
    if task is None:
        return {}
    return {"taskToken": task.token, "input": task.input}


async def send_task_success(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    """API-31: the output must be JSON of at most 256 KiB (Q-1)."""
    output = body["output"]
    if len(output.encode()) > MAX_PAYLOAD_BYTES:
        raise InvalidOutput(
            f"Invalid Output: 'The output exceeds the maximum size of {MAX_PAYLOAD_BYTES} bytes'"
        )
    try:
        orjson.loads(output)
    except orjson.JSONDecodeError as exc:
        raise InvalidOutput(f"Invalid Output: '{exc}'") from None
    await services.engine.send_task_success(body["taskToken"], output)
    return {}


async def send_task_failure(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    """API-32: error and cause may both be absent."""
    await services.engine.send_task_failure(
        body["taskToken"], error=body.get("error"), cause=body.get("cause")
    )
    return {}


async def send_task_heartbeat(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    """API-33: resets the heartbeat clock; no history event."""
    await services.engine.send_task_heartbeat(body["taskToken"])
    return {}


HANDLERS: dict[str, Handler] = {
    "CreateActivity": create_activity,
    "DescribeActivity": describe_activity,
    "ListActivities": list_activities,
    "DeleteActivity": delete_activity,
    "GetActivityTask": get_activity_task,
    "SendTaskSuccess": send_task_success,
    "SendTaskFailure": send_task_failure,
    "SendTaskHeartbeat": send_task_heartbeat,
}
