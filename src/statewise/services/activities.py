"""Activities: create, describe, list, delete (API-26..API-29), kept in the store.

In the store (the activities table), not a node's memory or data directory, so every node
of a database sees every activity. Tags live in the store like every other resource's.
Before schema 0003, activities were kept in ``<data dir>/activities.json``: a data
directory that still has that file gets its activities copied into the store on first use,
and the file renamed so that an activity deleted later does not come back.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from statewise import arns
from statewise.errors import (
    ActivityAlreadyExists,
    ActivityDoesNotExist,
    ActivityLimitExceeded,
    InvalidArn,
    InvalidToken,
    TooManyTags,
)
from statewise.services.names import check_name
from statewise.store import base
from statewise.store.base import Store

FILE_NAME = "activities.json"
IMPORTED_SUFFIX = ".imported"
MAX_ACTIVITIES = 100_000
MAX_TAGS = 50
_DEFAULT_ENCRYPTION = {"type": "AWS_OWNED_KEY"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityRecord:
    """One activity; ``encryption`` is the API's encryptionConfiguration as given."""

    arn: str
    name: str
    creation_date: float
    encryption: dict[str, Any] | None = None

    @property
    def encryption_configuration(self) -> dict[str, Any]:
        return self.encryption or dict(_DEFAULT_ENCRYPTION)

    def stored(self) -> base.ActivityRecord:
        """The store's row for this activity."""
        text = None if self.encryption is None else orjson.dumps(self.encryption).decode()
        return base.ActivityRecord(
            arn=self.arn,
            name=self.name,
            creation_date=self.creation_date,
            encryption_configuration=text,
        )

    @classmethod
    def of(cls, row: base.ActivityRecord) -> ActivityRecord:
        """The activity a store row holds."""
        text = row.encryption_configuration
        return cls(
            arn=row.arn,
            name=row.name,
            creation_date=row.creation_date,
            encryption=None if text is None else orjson.loads(text),
        )


def check_activity_arn(arn: str) -> None:
    """InvalidArn unless ``arn`` is an activity ARN."""
    parsed = arns.parse(arn)
    kind, _, name = parsed.resource.partition(":") if parsed is not None else ("", "", "")
    if parsed is None or parsed.service != "states" or kind != "activity" or not name:
        raise InvalidArn(f"Invalid Arn: '{arn}'")


class Activities:
    """The activity registry.

    Args:
        store: where activities and their tags live.
        directory: a data directory that may hold a pre-0003 ``activities.json`` to import;
            None for a store that has no data directory (in memory).
    """

    def __init__(
        self,
        store: Store,
        directory: Path | None,
        *,
        region: str,
        account: str,
        now: Callable[[], float],
    ) -> None:
        self.store = store
        self.path = directory / FILE_NAME if directory is not None else None
        self.region = region
        self.account = account
        self.now = now
        self._imported = self.path is None
        self._importing = asyncio.Lock()

    async def _ready(self) -> None:
        """Import a pre-0003 ``activities.json`` into the store, once (the store must be open)."""
        if self._imported:
            return
        async with self._importing:
            if self._imported or self.path is None:
                return
            if self.path.exists():
                for item in orjson.loads(self.path.read_bytes()):
                    # An activity already in the store (created by another node, or an
                    # import that stopped half way) is kept as it is.
                    await self.store.insert_activity(ActivityRecord(**item).stored())
                # Renamed, not deleted: kept for a downgrade, never imported twice.
                os.replace(self.path, self.path.with_name(FILE_NAME + IMPORTED_SUFFIX))
            self._imported = True

    async def exists(self, arn: str) -> bool:
        """Whether an activity with this ARN exists."""
        await self._ready()
        return await self.store.get_activity(arn) is not None

    async def create(
        self,
        name: str,
        *,
        tags: dict[str, str] | None = None,
        encryption: dict[str, Any] | None = None,
    ) -> ActivityRecord:
        """CreateActivity: idempotent by name, tag differences ignored (API-26)."""
        check_name(name)
        if tags and len(tags) > MAX_TAGS:
            raise TooManyTags(f"Too many tags: a resource may have at most {MAX_TAGS} tags")
        await self._ready()
        arn = arns.activity(name, self.region, self.account)
        while True:
            existing = await self.store.get_activity(arn)
            if existing is not None:
                found = ActivityRecord.of(existing)
                if found.encryption_configuration != (encryption or _DEFAULT_ENCRYPTION):
                    raise ActivityAlreadyExists(f"Activity already exists: '{arn}'")
                return found
            if await self.store.count_activities() >= MAX_ACTIVITIES:
                raise ActivityLimitExceeded(
                    f"Activity limit exceeded: at most {MAX_ACTIVITIES} activities may exist"
                )
            record = ActivityRecord(
                arn=arn, name=name, creation_date=self.now(), encryption=encryption
            )
            if await self.store.insert_activity(record.stored()):
                if tags:
                    await self.store.tag(arn, tags)
                return record
            # Created meanwhile (by another request, maybe on another node): look again,
            # and that one is the activity, as if it had been there first.

    async def get(self, arn: str) -> ActivityRecord:
        """DescribeActivity (API-27)."""
        check_activity_arn(arn)
        await self._ready()
        row = await self.store.get_activity(arn)
        if row is None:
            raise ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
        return ActivityRecord.of(row)

    async def list(
        self, *, limit: int = 100, token: str | None = None
    ) -> tuple[list[ActivityRecord], str | None]:
        """ListActivities (API-29): by name, with an opaque next token."""
        await self._ready()
        try:
            page = await self.store.list_activities(limit=limit, token=token)
        except ValueError:
            raise InvalidToken(f"Invalid Token: '{token}'") from None
        return [ActivityRecord.of(row) for row in page.items], page.next_token

    async def delete(self, arn: str) -> None:
        """DeleteActivity (API-28): deleting one that is gone is not an error."""
        check_activity_arn(arn)
        await self._ready()
        await self.store.delete_activity(arn)
