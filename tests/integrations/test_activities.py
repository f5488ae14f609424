"""The activity registry over the store (API-26..API-29): shared by every node, and a data
directory's activities.json from before is imported once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from statewise import arns
from statewise.errors import ActivityAlreadyExists, ActivityDoesNotExist, InvalidToken
from statewise.services.activities import FILE_NAME, IMPORTED_SUFFIX, Activities, ActivityRecord
from statewise.store.base import Store
from statewise.store.sqlite import SqliteStore


def registry(store: Store, directory: Path | None = None, now: float = 5.0) -> Activities:
    return Activities(store, directory, region="us-east-1", account="123456789012", now=lambda: now)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = SqliteStore(tmp_path / "statewise.db")
    await opened.open()
    yield opened
    await opened.close()


async def test_every_node_sees_one_registry(store: Store) -> None:
    """Two registries on one store (two nodes): one's activity is the other's, and creating
    it again on the other is idempotent, keeping the first creation date."""
    node_a, node_b = registry(store, now=5.0), registry(store, now=9.0)
    created = await node_a.create("review", tags={"team": "ops"})
    assert await node_b.exists(created.arn)
    assert await node_b.get(created.arn) == created
    assert await node_b.create("review", tags={"other": "ignored"}) == created
    assert await store.get_tags(created.arn) == {"team": "ops"}
    with pytest.raises(ActivityAlreadyExists):
        await node_b.create("review", encryption={"type": "CUSTOMER_MANAGED_KMS_KEY"})
    await node_b.delete(created.arn)
    assert not await node_a.exists(created.arn)
    assert await store.get_tags(created.arn) == {}
    with pytest.raises(ActivityDoesNotExist):
        await node_a.get(created.arn)


async def test_encryption_round_trips(store: Store) -> None:
    """The encryptionConfiguration given comes back as given; none means AWS_OWNED_KEY."""
    activities = registry(store)
    kms = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k", "kmsDataKeyReusePeriodSeconds": 60}
    created = await activities.create("sealed", encryption=kms)
    assert (await activities.get(created.arn)).encryption_configuration == kms
    plain = await activities.create("plain")
    assert (await activities.get(plain.arn)).encryption_configuration == {"type": "AWS_OWNED_KEY"}
    assert await activities.create("plain", encryption={"type": "AWS_OWNED_KEY"}) == plain


async def test_list_pages_by_name(store: Store) -> None:
    """API-29: by name, page by page; a token that is not ours is InvalidToken."""
    activities = registry(store)
    for name in ("c", "a", "b"):
        await activities.create(name)
    seen: list[str] = []
    token: str | None = None
    while True:
        page, token = await activities.list(limit=2, token=token)
        seen.extend(record.name for record in page)
        if token is None:
            break
    assert seen == ["a", "b", "c"]
    with pytest.raises(InvalidToken):
        await activities.list(token="bogus")


async def test_activities_json_is_imported_once(tmp_path: Path, store: Store) -> None:
    """A pre-0003 data directory's activities are copied into the store on first use and
    the file renamed, so an activity deleted afterwards stays deleted."""
    arn = arns.activity("review")
    legacy = [
        {"arn": arn, "name": "review", "creation_date": 5.0, "encryption": None},
        {
            "arn": arns.activity("sealed"),
            "name": "sealed",
            "creation_date": 6.0,
            "encryption": {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k"},
        },
    ]
    (tmp_path / FILE_NAME).write_bytes(orjson.dumps(legacy))
    first = registry(store, tmp_path, now=50.0)
    assert await first.get(arn) == ActivityRecord(arn=arn, name="review", creation_date=5.0)
    sealed = await first.get(arns.activity("sealed"))
    assert sealed.encryption == {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k"}
    assert not (tmp_path / FILE_NAME).exists()
    assert (tmp_path / (FILE_NAME + IMPORTED_SUFFIX)).exists()
    await first.delete(arn)
    assert not await registry(store, tmp_path).exists(arn)
    # An activity the store has already is kept as the store has it.
    (tmp_path / FILE_NAME).write_bytes(orjson.dumps([{**legacy[1], "creation_date": 1.0}]))
    assert (await registry(store, tmp_path).get(arns.activity("sealed"))).creation_date == 6.0
