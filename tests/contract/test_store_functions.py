"""The Store contract for the Lambda function registry (schema 0004), on every backend:
function rows written by compare-and-set on their revision, and code packages by digest."""

from __future__ import annotations

import asyncio
import hashlib

from statewise.store.base import FunctionRow, Store
from tests.contract import Backend, contract, run


def row(name: str = "f", revision: str = "r1", **fields: object) -> FunctionRow:
    values: dict[str, object] = {"record": '{"latest": {}}', "updated": 10.0} | fields
    return FunctionRow(name=name, revision=revision, **values)  # type: ignore[arg-type]


async def put(store: Store, written: FunctionRow, *, expected: str | None) -> bool:
    return await store.put_function(
        written.name,
        revision=written.revision,
        record=written.record,
        updated=written.updated,
        expected=expected,
    )


@contract
async def test_insert_only_when_absent(store: Store) -> None:
    """``expected=None`` creates: the first writer of a name wins, the second changes
    nothing."""
    assert await store.get_function("f") is None
    assert await put(store, row(), expected=None) is True
    assert await put(store, row(revision="r2", record="{}"), expected=None) is False
    assert await store.get_function("f") == row()
    assert await store.function_revisions() == {"f": "r1"}


@contract
async def test_replace_needs_the_revision_read(store: Store) -> None:
    """A replace lands only over the revision its writer read; a stale one is refused."""
    await put(store, row(), expected=None)
    newer = row(revision="r2", record='{"v": 2}', updated=11.0)
    assert await put(store, newer, expected="r1") is True
    assert await put(store, row(revision="r3"), expected="r1") is False
    assert await store.get_function("f") == newer
    # Replacing a function that does not exist is refused too.
    assert await put(store, row("g", "r9"), expected="r1") is False
    assert await store.get_function("g") is None


@contract
async def test_delete_needs_the_revision_read(store: Store) -> None:
    await put(store, row(), expected=None)
    await put(store, row("g", "g1"), expected=None)
    assert await store.delete_function("f", expected="stale") is False
    assert await store.delete_function("f", expected="r1") is True
    assert await store.delete_function("f", expected="r1") is False
    assert await store.get_function("f") is None
    assert await store.function_revisions() == {"g": "g1"}
    # The name is free again.
    assert await put(store, row(revision="r5"), expected=None) is True


@contract
async def test_concurrent_writers_one_wins(store: Store) -> None:
    """Many writers over one revision at once: exactly one replace lands."""
    await put(store, row(), expected=None)
    results = await asyncio.gather(
        *(put(store, row(revision=f"w{n}"), expected="r1") for n in range(8))
    )
    assert sorted(results) == [False] * 7 + [True]
    winner = f"w{results.index(True)}"
    assert (await store.function_revisions())["f"] == winner


@contract
async def test_code_round_trip_and_prune(store: Store) -> None:
    """Packages come back byte for byte; a prune keeps what is referenced or recent, and a
    package put again counts as recent."""
    zips = {name: bytes(range(256)) * 40 + name.encode() for name in ("a", "b", "c")}
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in zips.items()}
    for name, data in zips.items():
        await store.put_function_code(digests[name], data, stored=100.0)
    assert await store.get_function_code(digests["a"]) == zips["a"]
    assert await store.get_function_code("0" * 64) is None
    # "b" is stored again later (reused by a new upload): too recent to prune.
    await store.put_function_code(digests["b"], zips["b"], stored=500.0)
    pruned = await store.prune_function_code([digests["a"]], stored_before=200.0)
    assert pruned == 1
    assert await store.get_function_code(digests["a"]) == zips["a"]
    assert await store.get_function_code(digests["b"]) == zips["b"]
    assert await store.get_function_code(digests["c"]) is None
    assert await store.prune_function_code([], stored_before=1000.0) == 2


def test_functions_survive_reopening(persistent_backend: Backend) -> None:
    """Rows and packages are durable: a new store object on the same data sees them."""

    async def write(store: Store) -> None:
        await put(store, row(record='{"n": 1}'), expected=None)
        await store.put_function_code("d" * 64, b"PK\x05\x06" + bytes(18), stored=1.0)

    async def read(store: Store) -> None:
        assert await store.get_function("f") == row(record='{"n": 1}')
        assert await store.get_function_code("d" * 64) == b"PK\x05\x06" + bytes(18)

    run(persistent_backend, write)
    run(persistent_backend, read)
