"""The Store contract for listing resources, and executions by version or alias, paged."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from statewise.store.base import (
    AliasRecord,
    Batch,
    ResourcePage,
    StateMachineRecord,
    Store,
    VersionRecord,
)
from statewise.store.memory import encode_page_token, encode_resource_token
from tests.contract import (
    FAILED,
    RUNNING,
    SUCCEEDED,
    Backend,
    alias,
    all_items,
    contract,
    execution,
    machine,
    pages_of,
    run,
    version,
)

Listing = Callable[[str | None], Awaitable[ResourcePage]]

# -- listing ---------------------------------------------------------------------------------


def _machines() -> list[StateMachineRecord]:
    """17 machines; some share a name (other regions), so the arn must break the tie."""
    records = [machine(f"arn:sm:us:{n:02d}", name=f"m{n % 6}") for n in range(12)]
    records += [machine(f"arn:sm:eu:{n:02d}", name=f"m{n}") for n in range(5)]
    return records


def _versions() -> list[VersionRecord]:
    return [version("arn:sm:1", n) for n in range(1, 15)]


def _aliases() -> list[AliasRecord]:
    """13 aliases, four sharing a creation time, so the arn must break the tie."""
    return [alias(name=f"a{n:02d}", creation_date=200.0 + (n if n > 3 else 0)) for n in range(13)]


async def _store_shuffled(store: Store, kind: str, limit: int) -> tuple[list[Any], Listing]:
    """Write one kind of resource in random order, plus a decoy under another machine.

    Returns the records in the listing's documented order and a page fetcher.
    """
    shuffle = random.Random(kind).shuffle
    if kind == "machines":
        machines = _machines()
        shuffle(machines)
        for record in machines:
            assert await store.insert_state_machine(record)
        ordered = sorted(machines, key=lambda r: (r.name, r.arn))
        return ordered, lambda token: store.list_state_machines(limit=limit, token=token)
    if kind == "versions":
        versions = _versions()
        shuffle(versions)
        for record in [*versions, version("arn:sm:2", 99)]:
            await store.insert_version(record)
        ordered = sorted(versions, key=lambda r: (r.version, r.arn), reverse=True)
        return ordered, lambda token: store.list_versions("arn:sm:1", limit=limit, token=token)
    aliases = _aliases()
    shuffle(aliases)
    for record in [*aliases, alias("arn:sm:2", "decoy", creation_date=999.0)]:
        await store.put_alias(record)
    ordered = sorted(aliases, key=lambda r: (r.creation_date, r.arn), reverse=True)
    return ordered, lambda token: store.list_aliases("arn:sm:1", limit=limit, token=token)


@pytest.mark.parametrize("limit", [1, 3, 13, 100])
@pytest.mark.parametrize("kind", ["machines", "versions", "aliases"])
def test_listing_pages(backend: Backend, kind: str, limit: int) -> None:
    """Pages follow the documented order and together hold every record exactly once."""

    async def body(store: Store) -> None:
        expected, listing = await _store_shuffled(store, kind, limit)
        pages = await pages_of(listing, limit)
        got = [item for page in pages for item in page.items]
        assert got == expected
        assert len(pages) == max(1, -(-len(expected) // limit))

    run(backend, body)


@pytest.mark.parametrize("kind", ["machines", "versions", "aliases"])
def test_listing_is_stable_under_changes(backend: Backend, kind: str) -> None:
    """Keyset pages: deleting seen records or adding some before the cursor between pages
    neither repeats nor skips a record; one added after the cursor shows up."""

    async def body(store: Store) -> None:
        expected, listing = await _store_shuffled(store, kind, 4)
        first = await listing(None)
        assert first.items == expected[:4] and first.next_token is not None
        late: Any
        if kind == "machines":
            await store.delete_state_machine(expected[0].arn)
            assert await store.insert_state_machine(machine("arn:sm:aa", name="a"))  # before
            late = machine("arn:sm:zz", name="zz")
            assert await store.insert_state_machine(late)
        elif kind == "versions":
            await store.delete_version(expected[1].arn)
            await store.insert_version(version("arn:sm:1", 50))  # before: newer than all
            late = version("arn:sm:1", 0)
            await store.insert_version(late)
        else:
            await store.delete_alias(expected[0].arn)
            await store.put_alias(alias(name="new", creation_date=900.0))  # before
            late = alias(name="old", creation_date=1.0)
            await store.put_alias(late)
        rest: list[Any] = []
        token = first.next_token
        while token is not None:
            page = await listing(token)
            rest.extend(page.items)
            token = page.next_token
        assert rest == [*expected[4:], late]

    run(backend, body)


@pytest.mark.parametrize(
    "listing",
    [
        pytest.param(lambda store, **kw: store.list_state_machines(**kw), id="machines"),
        pytest.param(lambda store, **kw: store.list_versions("arn:sm:1", **kw), id="versions"),
        pytest.param(lambda store, **kw: store.list_aliases("arn:sm:1", **kw), id="aliases"),
    ],
)
def test_listing_edges(backend: Backend, listing: Callable[..., Awaitable[ResourcePage]]) -> None:
    """Empty listings have no token; bad limits and foreign or garbled tokens are rejected."""
    foreign = [
        "not-base64!",
        "bm90IGpzb24=",  # base64 of "not json"
        encode_page_token(1.0, "arn:e:1"),  # list_executions' token
        encode_resource_token("nonsense", "x", "arn:x"),
        encode_resource_token("version", "not-a-number", "arn:x"),
        encode_resource_token("version", True, "arn:x"),  # a bool is not a version number
        encode_resource_token("stateMachine", 3, "arn:x"),
        encode_resource_token("alias", "yesterday", "arn:x"),
    ]

    async def body(store: Store) -> None:
        page = await listing(store)
        assert page.items == [] and page.next_token is None
        for bad_limit in (0, -1):
            with pytest.raises(ValueError, match="limit"):
                await listing(store, limit=bad_limit)
        for bad in foreign:
            with pytest.raises(ValueError, match="token"):
                await listing(store, token=bad)

    run(backend, body)


@contract
async def test_each_listing_accepts_only_its_own_tokens(store: Store) -> None:
    """Each listing accepts its own tokens and rejects the other two kinds."""
    for n in (1, 2):
        await store.insert_state_machine(machine(f"arn:sm:{n}"))
        await store.insert_version(version(number=n))
        await store.put_alias(alias(name=f"a{n}", creation_date=float(n)))
    tokens = {
        "machines": (await store.list_state_machines(limit=1)).next_token,
        "versions": (await store.list_versions("arn:sm:1", limit=1)).next_token,
        "aliases": (await store.list_aliases("arn:sm:1", limit=1)).next_token,
    }
    listings: dict[str, Callable[[str], Awaitable[ResourcePage]]] = {
        "machines": lambda token: store.list_state_machines(limit=1, token=token),
        "versions": lambda token: store.list_versions("arn:sm:1", limit=1, token=token),
        "aliases": lambda token: store.list_aliases("arn:sm:1", limit=1, token=token),
    }
    for name, listing in listings.items():
        for source, token in tokens.items():
            assert token is not None
            if source == name:
                assert len((await listing(token)).items) == 1
            else:
                with pytest.raises(ValueError, match="token"):
                    await listing(token)
        with pytest.raises(ValueError, match="token"):
            await store.list_executions("arn:sm:1", token=tokens[name])


# -- list_executions by version and alias ----------------------------------------------------


def _runs() -> list[Any]:
    """Executions of arn:sm:1 through v1, v2, the alias, or neither; one of arn:sm:2."""
    v1, v2, live = "arn:sm:1:1", "arn:sm:1:2", "arn:sm:1:live"
    return [
        execution("arn:e:01", start=1.0, version_arn=v1),
        execution("arn:e:02", start=2.0, version_arn=v1, alias_arn=live, status=SUCCEEDED),
        execution("arn:e:03", start=2.0, version_arn=v1, alias_arn=live),
        execution("arn:e:04", start=3.0, version_arn=v2, alias_arn=live, status=FAILED),
        execution("arn:e:05", start=4.0),
        execution("arn:e:06", start=5.0, version_arn=v1),
        execution("arn:e:07", start=6.0, version_arn=v2),
        # Same version arn under another machine: the filter is ANDed with the machine.
        execution("arn:e:08", machine="arn:sm:2", start=9.0, version_arn=v1, alias_arn=live),
    ]


@pytest.mark.parametrize("limit", [1, 2, 100])
@pytest.mark.parametrize(
    "filters",
    [
        pytest.param({"version_arn": "arn:sm:1:1"}, id="version"),
        pytest.param({"version_arn": "arn:sm:1:2"}, id="version-2"),
        pytest.param({"alias_arn": "arn:sm:1:live"}, id="alias"),
        pytest.param({"version_arn": "arn:sm:1:1", "alias_arn": "arn:sm:1:live"}, id="both"),
        pytest.param({"version_arn": "arn:sm:1:1", "status": RUNNING}, id="version-status"),
        pytest.param({"alias_arn": "arn:sm:1:live", "status": FAILED}, id="alias-status"),
        pytest.param({"version_arn": "arn:sm:1:9"}, id="unknown-version"),
        pytest.param({}, id="none"),
    ],
)
def test_list_executions_by_version_and_alias(
    backend: Backend, filters: dict[str, Any], limit: int
) -> None:
    """Version and alias filters keep executions started through them, newest first, paged."""

    async def body(store: Store) -> None:
        runs = _runs()
        await store.commit(Batch(new_executions=runs))
        expected = sorted(
            (
                record
                for record in runs
                if record.state_machine_arn == "arn:sm:1"
                and all(getattr(record, name) == value for name, value in filters.items())
            ),
            key=lambda record: (record.start_date, record.arn),
            reverse=True,
        )

        async def listing(token: str | None) -> ResourcePage:
            page = await store.list_executions("arn:sm:1", limit=limit, token=token, **filters)
            return ResourcePage(items=list(page.executions), next_token=page.next_token)

        assert await all_items(listing, limit) == expected

    run(backend, body)
