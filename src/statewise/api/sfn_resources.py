"""Step Functions actions for versions, aliases and tags (API-7..API-15, tags)."""

from __future__ import annotations

from typing import Any

import orjson

from statewise.api.awsjson import Handler
from statewise.errors import InvalidToken, ResourceNotFound, StateMachineDeleting, TooManyTags
from statewise.services import Services
from statewise.services.machines import split_qualified
from statewise.store.base import ResourcePage

MAX_TAGS = 50


def _page(page: ResourcePage, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {key: items}
    if page.next_token:
        result["nextToken"] = page.next_token
    return result


async def publish_state_machine_version(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    version = await services.machines.publish(
        body["stateMachineArn"],
        revision_id=body.get("revisionId"),
        description=body.get("description"),
    )
    return {"creationDate": version.creation_date, "stateMachineVersionArn": version.arn}


async def list_state_machine_versions(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    machine = await services.machines.get(body["stateMachineArn"])
    try:
        page = await services.store.list_versions(
            machine.arn, limit=body.get("maxResults") or 100, token=body.get("nextToken")
        )
    except ValueError:
        raise InvalidToken(f"Invalid Token: '{body.get('nextToken')}'") from None
    items = [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in page.items]
    return _page(page, "stateMachineVersions", items)


async def delete_state_machine_version(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    await services.machines.delete_version(body["stateMachineVersionArn"])
    return {}


async def create_state_machine_alias(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    alias = await services.machines.create_alias(
        name=body["name"],
        routing=body["routingConfiguration"],
        description=body.get("description"),
    )
    return {"stateMachineAliasArn": alias.arn, "creationDate": alias.creation_date}


async def describe_state_machine_alias(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    alias = await services.machines.get_alias(body["stateMachineAliasArn"])
    result: dict[str, Any] = {
        "stateMachineAliasArn": alias.arn,
        "name": alias.name,
        "routingConfiguration": orjson.loads(alias.routing),
        "creationDate": alias.creation_date,
    }
    if alias.description is not None:
        result["description"] = alias.description
    if alias.update_date is not None:
        result["updateDate"] = alias.update_date
    return result


async def update_state_machine_alias(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    alias = await services.machines.update_alias(
        body["stateMachineAliasArn"],
        routing=body.get("routingConfiguration"),
        description=body.get("description"),
    )
    return {"updateDate": alias.update_date}


async def delete_state_machine_alias(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    arn = body["stateMachineAliasArn"]
    await services.machines.get_alias(arn)
    await services.store.delete_alias(arn)
    return {}


async def list_state_machine_aliases(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    """API-14: a version ARN lists the aliases that route to it."""
    arn = body["stateMachineArn"]
    base, qualifier = split_qualified(arn)
    machine = await services.machines.get(base)
    if machine.status == "DELETING":  # botocore's model lists it for this action
        raise StateMachineDeleting(f"State Machine is being deleted: '{machine.arn}'")
    if qualifier is not None:
        await services.machines.resolve(arn)
    try:
        page = await services.store.list_aliases(
            machine.arn, limit=body.get("maxResults") or 100, token=body.get("nextToken")
        )
    except ValueError:
        raise InvalidToken(f"Invalid Token: '{body.get('nextToken')}'") from None
    aliases = page.items
    if qualifier is not None:
        aliases = [
            a
            for a in aliases
            if any(r["stateMachineVersionArn"] == arn for r in orjson.loads(a.routing))
        ]
    items = [{"stateMachineAliasArn": a.arn, "creationDate": a.creation_date} for a in aliases]
    return _page(page, "stateMachineAliases", items)


async def _check_resource(services: Services, arn: str) -> None:
    """Tags apply to state machines (and their versions/aliases) and activities."""
    found = False
    if ":stateMachine:" in arn:
        base, qualifier = split_qualified(arn)
        if qualifier is None:
            found = await services.store.get_state_machine(base) is not None
        elif qualifier.isdigit():
            found = await services.store.get_version(arn) is not None
        else:
            found = await services.store.get_alias(arn) is not None
    elif ":activity:" in arn:
        found = await services.activities.exists(arn)
    if not found:
        raise ResourceNotFound(f"Resource not found: '{arn}'")


async def tag_resource(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    arn = body["resourceArn"]
    await _check_resource(services, arn)
    tags = {t["key"]: t.get("value", "") for t in body["tags"]}
    existing = await services.store.get_tags(arn)
    if len({**existing, **tags}) > MAX_TAGS:
        raise TooManyTags(f"Too many tags: a resource may have at most {MAX_TAGS} tags")
    await services.store.tag(arn, tags)
    return {}


async def untag_resource(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    arn = body["resourceArn"]
    await _check_resource(services, arn)
    await services.store.untag(arn, body["tagKeys"])
    return {}


async def list_tags_for_resource(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    arn = body["resourceArn"]
    await _check_resource(services, arn)
    tags = await services.store.get_tags(arn)
    return {"tags": [{"key": k, "value": v} for k, v in tags.items()]}


HANDLERS: dict[str, Handler] = {
    "PublishStateMachineVersion": publish_state_machine_version,
    "ListStateMachineVersions": list_state_machine_versions,
    "DeleteStateMachineVersion": delete_state_machine_version,
    "CreateStateMachineAlias": create_state_machine_alias,
    "DescribeStateMachineAlias": describe_state_machine_alias,
    "UpdateStateMachineAlias": update_state_machine_alias,
    "DeleteStateMachineAlias": delete_state_machine_alias,
    "ListStateMachineAliases": list_state_machine_aliases,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
