"""Activities: create, describe, list, delete (API-26..API-29), kept in a JSON file.

The Store protocol has no activity table yet, so activity definitions live in
``<data dir>/activities.json`` (written atomically on every change) and survive restarts;
their tags live in the store like every other resource's. When the store grows an
activity table this module is the only one to change. An in-memory store keeps them in
memory only.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
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
from statewise.store.base import Store

FILE_NAME = "activities.json"
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


def check_activity_arn(arn: str) -> None:
    """InvalidArn unless ``arn`` is an activity ARN."""
    parsed = arns.parse(arn)
    kind, _, name = parsed.resource.partition(":") if parsed is not None else ("", "", "")
    if parsed is None or parsed.service != "states" or kind != "activity" or not name:
        raise InvalidArn(f"Invalid Arn: '{arn}'")


def _token(index: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(["activities", index])).decode()


def _index(token: str) -> int:
    try:
        kind, index = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise InvalidToken(f"Invalid Token: '{token}'") from None
    if kind != "activities" or not isinstance(index, int) or index < 0:
        raise InvalidToken(f"Invalid Token: '{token}'")
    return index


class Activities:
    """The activity registry.

    Args:
        store: where activity tags live.
        directory: where ``activities.json`` is kept; None keeps activities in memory.
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
        self._records: dict[str, ActivityRecord] = {}
        if self.path is not None and self.path.exists():
            for item in orjson.loads(self.path.read_bytes()):
                record = ActivityRecord(**item)
                self._records[record.arn] = record

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_bytes(orjson.dumps([asdict(r) for r in self._records.values()]))
        os.replace(temporary, self.path)

    def exists(self, arn: str) -> bool:
        """Whether an activity with this ARN exists."""
        return arn in self._records

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
        arn = arns.activity(name, self.region, self.account)
        existing = self._records.get(arn)
        if existing is not None:
            if (existing.encryption or _DEFAULT_ENCRYPTION) != (encryption or _DEFAULT_ENCRYPTION):
                raise ActivityAlreadyExists(f"Activity already exists: '{arn}'")
            return existing
        if len(self._records) >= MAX_ACTIVITIES:
            raise ActivityLimitExceeded(
                f"Activity limit exceeded: at most {MAX_ACTIVITIES} activities may exist"
            )
        record = ActivityRecord(arn=arn, name=name, creation_date=self.now(), encryption=encryption)
        self._records[arn] = record
        self._save()
        if tags:
            await self.store.tag(arn, tags)
        return record

    def get(self, arn: str) -> ActivityRecord:
        """DescribeActivity (API-27)."""
        check_activity_arn(arn)
        record = self._records.get(arn)
        if record is None:
            raise ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
        return record

    def list(
        self, *, limit: int = 100, token: str | None = None
    ) -> tuple[list[ActivityRecord], str | None]:
        """ListActivities (API-29): by name, with an opaque next token."""
        ordered = sorted(self._records.values(), key=lambda r: (r.name, r.arn))
        start = _index(token) if token else 0
        page = ordered[start : start + limit]
        following = start + limit
        return page, _token(following) if following < len(ordered) else None

    async def delete(self, arn: str) -> None:
        """DeleteActivity (API-28): deleting one that is gone is not an error."""
        check_activity_arn(arn)
        if self._records.pop(arn, None) is not None:
            self._save()
            tags = await self.store.get_tags(arn)
            if tags:
                await self.store.untag(arn, list(tags))
