"""The Store contract for state machines, versions, aliases and tags, on every backend."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from statewise.store.base import (
    AliasRecord,
    Batch,
    DefinitionRecord,
    StateMachineRecord,
    Store,
    StoreError,
    VersionRecord,
)
from statewise.store.migrate import SCHEMA_VERSION_DDL, load, sqlite_statements
from statewise.store.sqlite import SqliteStore
from tests.contract import (
    RUNNING,
    SUCCEEDED,
    Backend,
    alias,
    all_items,
    contract,
    event,
    execution,
    frame,
    machine,
    run,
    version,
    work,
)

# -- state machines --------------------------------------------------------------------------


@contract
async def test_state_machine_round_trip(store: Store) -> None:
    """A state machine comes back equal and frozen; unknown arns (qualified too) are None."""
    record = machine(
        logging_configuration='{"level": "ALL"}',
        tracing_configuration='{"enabled": true}',
        encryption_configuration='{"type": "AWS_OWNED_KEY"}',
    )
    assert await store.insert_state_machine(record) is True
    got = await store.get_state_machine(record.arn)
    assert got == record
    assert isinstance(got, StateMachineRecord)
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.name = "other"  # type: ignore[misc]
    assert await store.get_state_machine("arn:sm:none") is None
    assert await store.get_state_machine(f"{record.arn}:1") is None


@contract
async def test_insert_existing_state_machine_changes_nothing(store: Store) -> None:
    """Inserting an arn that exists returns False and keeps the stored row as it was."""
    first = machine()
    assert await store.insert_state_machine(first)
    clash = machine(name="other", definition="{}", revision_id="rev-9", creation_date=5.0)
    assert await store.insert_state_machine(clash) is False
    assert await store.get_state_machine(first.arn) == first
    assert await all_items(lambda token: store.list_state_machines(token=token), 100) == [first]


@contract
async def test_update_state_machine(store: Store) -> None:
    """An update replaces every field; updating a missing machine fails and inserts nothing."""
    await store.insert_state_machine(machine())
    await store.insert_version(version())
    updated = machine(
        definition="{}",
        role_arn="arn:role:2",
        revision_id="rev-2",
        update_date=150.0,
        status="DELETING",
        logging_configuration='{"level": "ERROR"}',
    )
    await store.update_state_machine(updated)
    assert await store.get_state_machine(updated.arn) == updated
    # Versions are snapshots: updating the machine leaves them alone.
    assert await store.get_version(version().arn) == version()
    # And back to None: an update sets nullable fields too, not only non-null ones.
    await store.update_state_machine(machine())
    assert await store.get_state_machine(updated.arn) == machine()
    with pytest.raises(StoreError, match="arn:sm:ghost"):
        await store.update_state_machine(machine("arn:sm:ghost"))
    assert await store.get_state_machine("arn:sm:ghost") is None


# -- versions and aliases --------------------------------------------------------------------


@contract
async def test_version_round_trip_and_duplicate(store: Store) -> None:
    """Versions come back equal; inserting an existing arn is a StoreError that changes nothing."""
    record = version(description="first", tracing_configuration='{"enabled": false}')
    await store.insert_version(record)
    got = await store.get_version(record.arn)
    assert got == record and isinstance(got, VersionRecord)
    with pytest.raises(StoreError, match="arn:sm:1:1"):
        await store.insert_version(version(description="second", revision_id="rev-x"))
    assert await store.get_version(record.arn) == record
    assert await all_items(lambda token: store.list_versions("arn:sm:1", token=token), 9) == [
        record
    ]
    assert await store.get_version("arn:sm:1:2") is None
    assert await store.get_version("arn:sm:1") is None


@contract
async def test_put_alias_inserts_and_replaces(store: Store) -> None:
    """put_alias upserts by arn: a second put replaces every field, nullable ones included."""
    first = alias(description="to v1")
    await store.put_alias(first)
    got = await store.get_alias(first.arn)
    assert got == first and isinstance(got, AliasRecord)
    second = alias(routing='[{"weight": 50}, {"weight": 50}]', update_date=300.0)
    await store.put_alias(second)
    assert await store.get_alias(first.arn) == second
    assert await all_items(lambda token: store.list_aliases("arn:sm:1", token=token), 9) == [second]
    assert await store.get_alias("arn:sm:1:beta") is None


@contract
async def test_put_alias_moving_machines_moves_its_listing(store: Store) -> None:
    """A replaced alias is listed under its new machine only (the store does not check arns)."""
    await store.put_alias(alias())
    moved = dataclasses.replace(alias(), state_machine_arn="arn:sm:2")
    await store.put_alias(moved)
    assert (await store.list_aliases("arn:sm:1")).items == []
    assert (await store.list_aliases("arn:sm:2")).items == [moved]


@contract
async def test_delete_version_and_alias(store: Store) -> None:
    """Deleting a version or alias removes it and its tags only; absent ones are no error."""
    await store.insert_state_machine(machine())
    await store.insert_version(version(number=1))
    await store.insert_version(version(number=2))
    await store.put_alias(alias(name="live"))
    await store.put_alias(alias(name="beta"))
    for arn in ("arn:sm:1", "arn:sm:1:1", "arn:sm:1:2", "arn:sm:1:live", "arn:sm:1:beta"):
        await store.tag(arn, {"k": arn})
    await store.delete_version("arn:sm:1:1")
    await store.delete_alias("arn:sm:1:live")
    await store.delete_version("arn:sm:1:1")
    await store.delete_alias("arn:sm:1:live")
    await store.delete_version("arn:sm:none:7")
    await store.delete_alias("arn:sm:none:x")
    assert await store.get_version("arn:sm:1:1") is None
    assert await store.get_alias("arn:sm:1:live") is None
    assert (await store.list_versions("arn:sm:1")).items == [version(number=2)]
    assert (await store.list_aliases("arn:sm:1")).items == [alias(name="beta")]
    assert await store.get_tags("arn:sm:1:1") == {}
    assert await store.get_tags("arn:sm:1:live") == {}
    for arn in ("arn:sm:1", "arn:sm:1:2", "arn:sm:1:beta"):
        assert await store.get_tags(arn) == {"k": arn}
    assert await store.get_state_machine("arn:sm:1") == machine()


# -- delete cascade --------------------------------------------------------------------------


async def _populate_machine(store: Store, arn: str) -> None:
    """A machine with versions, aliases, tags on each, and executions through them."""
    await store.insert_state_machine(machine(arn))
    for number in (1, 2, 3):
        await store.insert_version(version(arn, number))
        await store.tag(f"{arn}:{number}", {"v": str(number)})
    for name in ("live", "beta"):
        await store.put_alias(alias(arn, name))
        await store.tag(f"{arn}:{name}", {"a": name})
    await store.tag(arn, {"team": "payments", "env": "prod"})


@contract
async def test_delete_state_machine_cascades(store: Store) -> None:
    """Versions, aliases and all their tags go with the machine; executions and history stay.

    The neighbour's arn extends the deleted one's, so a prefix match would wrongly take it.
    """
    gone, kept = "arn:sm:orders", "arn:sm:orders-eu"
    await _populate_machine(store, gone)
    await _populate_machine(store, kept)
    runs = [
        execution("arn:e:1", machine=gone, version_arn=f"{gone}:1"),
        execution("arn:e:2", machine=gone, alias_arn=f"{gone}:live", status=SUCCEEDED),
    ]
    history = Batch(
        definitions=[DefinitionRecord(id="def-1", text="{}")],
        new_executions=runs,
        frames=[frame("arn:e:1")],
        events=[event("arn:e:1", 1), event("arn:e:2", 1)],
        work=[work("w1", 5.0, "arn:e:1")],
    )
    await store.commit(history)
    await store.tag("arn:e:1", {"run": "1"})
    before = await _resources_of(store, kept)

    await store.delete_state_machine(gone)
    assert await store.get_state_machine(gone) is None
    assert await _resources_of(store, gone) == {
        "machine": None,
        "versions": [],
        "aliases": [],
        "tags": {arn: {} for arn in _arns_of(gone)},
    }
    assert await _resources_of(store, kept) == before
    for record in runs:
        assert await store.get_execution(record.arn) == record
        assert await store.get_events(record.arn) == [event(record.arn, 1)]
    assert await store.get_frames("arn:e:1") == [frame("arn:e:1")]
    assert await store.get_work("arn:e:1") == [work("w1", 5.0, "arn:e:1")]
    assert await store.get_tags("arn:e:1") == {"run": "1"}
    page = await store.list_executions(gone, version_arn=f"{gone}:1")
    assert page.executions == [runs[0]]
    assert await store.get_definition("def-1") == "{}"

    # Again, and for a machine that never existed: not errors.
    await store.delete_state_machine(gone)
    await store.delete_state_machine("arn:sm:never")
    # The arn is free again, and nothing of the old machine comes back with it.
    assert await store.insert_state_machine(machine(gone, revision_id="new"))
    assert (await store.list_versions(gone)).items == []
    assert await store.get_tags(gone) == {}


@contract
async def test_delete_cascades_to_dependants_of_a_missing_machine(store: Store) -> None:
    """A retried delete finishes the cascade even when the machine row is already gone."""
    await store.insert_version(version("arn:sm:orphan", 1))
    await store.put_alias(alias("arn:sm:orphan"))
    await store.tag("arn:sm:orphan:1", {"k": "v"})
    await store.delete_state_machine("arn:sm:orphan")
    assert await store.get_version("arn:sm:orphan:1") is None
    assert await store.get_alias("arn:sm:orphan:live") is None
    assert await store.get_tags("arn:sm:orphan:1") == {}


def _arns_of(machine_arn: str) -> list[str]:
    return [machine_arn, *(f"{machine_arn}:{q}" for q in ("1", "2", "3", "live", "beta"))]


async def _resources_of(store: Store, machine_arn: str) -> dict[str, object]:
    return {
        "machine": await store.get_state_machine(machine_arn),
        "versions": (await store.list_versions(machine_arn)).items,
        "aliases": (await store.list_aliases(machine_arn)).items,
        "tags": {arn: await store.get_tags(arn) for arn in _arns_of(machine_arn)},
    }


# -- tags ------------------------------------------------------------------------------------


@contract
async def test_tags_keep_insertion_order_and_overwrite_in_place(store: Store) -> None:
    """Tags read back in insertion order; overwriting keeps a key's place, as a dict does."""
    arn = "arn:sm:1"
    assert await store.get_tags(arn) == {}
    await store.tag(arn, {"b": "1", "a": "2"})
    await store.tag(arn, {"c": "3", "a": "overwritten"})
    assert list((await store.get_tags(arn)).items()) == [
        ("b", "1"),
        ("a", "overwritten"),
        ("c", "3"),
    ]
    await store.untag(arn, ["a", "absent"])
    assert list((await store.get_tags(arn)).items()) == [("b", "1"), ("c", "3")]
    # Removed and added again: it is a new tag, so it goes last.
    await store.tag(arn, {"a": "back"})
    await store.tag(arn, {})
    await store.untag(arn, [])
    assert list(await store.get_tags(arn)) == ["b", "c", "a"]
    # Order survives deleting the newest tag and adding more (seq must not be reused early).
    await store.untag(arn, ["a"])
    await store.tag(arn, {"d": "4", "e": ""})
    assert list((await store.get_tags(arn)).items()) == [
        ("b", "1"),
        ("c", "3"),
        ("d", "4"),
        ("e", ""),
    ]
    await store.untag(arn, ["b", "c", "d", "e"])
    assert await store.get_tags(arn) == {}


@contract
async def test_tags_on_any_arn(store: Store) -> None:
    """Tags need no resource row: executions, activities, anything; each arn on its own."""
    await store.commit(Batch(new_executions=[execution("arn:e:1")]))
    targets = ["arn:e:1", "arn:activity:a", "arn:nothing:here", "arn:sm:1"]
    for n, arn in enumerate(targets):
        await store.tag(arn, {"n": str(n), "unicode é✓": "värde"})
    for n, arn in enumerate(targets):
        assert await store.get_tags(arn) == {"n": str(n), "unicode é✓": "värde"}
    await store.untag("arn:e:1", ["n"])
    await store.untag("arn:never:tagged", ["n"])
    assert await store.get_tags("arn:e:1") == {"unicode é✓": "värde"}
    assert await store.get_tags("arn:activity:a") == {"n": "1", "unicode é✓": "värde"}
    assert await store.get_tags("arn:never:tagged") == {}


@contract
async def test_get_tags_returns_a_copy(store: Store) -> None:
    """Changing the dict get_tags returned does not change what is stored."""
    await store.tag("arn:sm:1", {"k": "v"})
    got = await store.get_tags("arn:sm:1")
    got["k"] = "changed"
    got["new"] = "x"
    assert await store.get_tags("arn:sm:1") == {"k": "v"}


# -- durability and migration ----------------------------------------------------------------


async def _write_resources(store: Store) -> None:
    await store.insert_state_machine(machine(encryption_configuration='{"type": "KMS"}'))
    await store.update_state_machine(machine(revision_id="rev-2", update_date=120.0))
    await store.insert_version(version(number=1))
    await store.insert_version(version(number=2, description="two"))
    await store.put_alias(alias(update_date=250.0))
    await store.tag("arn:sm:1", {"z": "1", "a": "2"})
    await store.tag("arn:sm:1:live", {"k": "v"})
    await store.tag("arn:sm:1", {"z": "3"})


async def _check_resources(store: Store) -> None:
    assert await store.get_state_machine("arn:sm:1") == machine(
        revision_id="rev-2", update_date=120.0
    )
    assert (await store.list_versions("arn:sm:1")).items == [
        version(number=2, description="two"),
        version(number=1),
    ]
    assert await store.get_alias("arn:sm:1:live") == alias(update_date=250.0)
    assert list((await store.get_tags("arn:sm:1")).items()) == [("z", "3"), ("a", "2")]
    assert await store.get_tags("arn:sm:1:live") == {"k": "v"}


def test_resources_survive_close_and_reopen(persistent_backend: Backend) -> None:
    """Machines, versions, aliases and tags (in order) are there in a new store over the file."""

    async def write(store: Store) -> None:
        await _write_resources(store)
        await _check_resources(store)

    async def read(store: Store) -> None:
        await _check_resources(store)
        # Tag order continues past what the last session wrote.
        await store.tag("arn:sm:1", {"new": "4"})
        assert list(await store.get_tags("arn:sm:1")) == ["z", "a", "new"]

    run(persistent_backend, write)
    run(persistent_backend, read)


def _make_version_1_database(path: Path) -> None:
    """A file as statewise wrote it at schema version 1, with rows in every table.

    Built from migration 0001 and plain INSERTs (not the store's code), so it stays what a
    version-1 database is, whatever later code does.
    """
    first = load("sqlite")[0]
    assert first.version == 1
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        conn.execute(SCHEMA_VERSION_DDL)
        for statement in sqlite_statements(first.sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1, ?, 0)", (first.name,))
        conn.execute("INSERT INTO definitions VALUES ('def-1', '{\"StartAt\": \"A\"}')")
        conn.executemany(
            "INSERT INTO executions VALUES (?, 'arn:sm:1', ?, 'def-1', ?, '{\"x\": 1}', ?, "
            "'arn:role', "
            "NULL, NULL, NULL, NULL, ?, ?, NULL, ?)",
            [
                ("arn:e:1", "1", "RUNNING", 10.0, "arn:sm:1:1", None, 2),
                ("arn:e:2", "2", "SUCCEEDED", 20.0, "arn:sm:1:1", "arn:sm:1:live", 1),
                ("arn:e:3", "3", "RUNNING", 30.0, None, None, 0),
            ],
        )
        conn.execute(
            "INSERT INTO frames VALUES ('arn:e:1', 0, NULL, 0, 'A', '{}', 'RUNNING', '{}')"
        )
        conn.executemany(
            "INSERT INTO events VALUES ('arn:e:1', ?, 'PassStateEntered', ?, ?, NULL)",
            [(1, 11.0, 0), (2, 12.0, 1)],
        )
        conn.execute(
            "INSERT INTO work VALUES ('w1', 'arn:e:1', 0, 'advance', 15.0, '{}', 'n1', 99.0)"
        )
        conn.execute("COMMIT")


def test_sqlite_migrates_a_version_1_database(tmp_path: Path) -> None:
    """Opening a schema-1 file applies 0002 (and later ones) once, keeps every row, and the
    new tables work."""
    path = tmp_path / "v1.db"
    _make_version_1_database(path)

    async def main() -> None:
        store = SqliteStore(path)
        await store.open()
        try:
            assert await store.get_definition("def-1") == '{"StartAt": "A"}'
            assert await store.get_execution("arn:e:1") == execution(
                "arn:e:1",
                start=10.0,
                role_arn="arn:role",
                version_arn="arn:sm:1:1",
                last_event_id=2,
            )
            assert [e.id for e in await store.get_events("arn:e:1")] == [1, 2]
            assert [f.state for f in await store.get_frames("arn:e:1")] == ["A"]
            assert [(w.id, w.lease_owner) for w in await store.get_work("arn:e:1")] == [
                ("w1", "n1")
            ]
            assert await store.count_executions("arn:sm:1") == {RUNNING: 2, SUCCEEDED: 1}
            # Old rows are found through the indexes 0002 added.
            by_version = await store.list_executions("arn:sm:1", version_arn="arn:sm:1:1")
            assert [e.arn for e in by_version.executions] == ["arn:e:2", "arn:e:1"]
            by_alias = await store.list_executions("arn:sm:1", alias_arn="arn:sm:1:live")
            assert [e.arn for e in by_alias.executions] == ["arn:e:2"]
            await _write_resources(store)
            await _check_resources(store)
        finally:
            await store.close()

    asyncio.run(main())
    asyncio.run(_reopen(path))
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT version, name FROM schema_version ORDER BY version")
        assert list(rows) == [
            (1, "initial"),
            (2, "resources"),
            (3, "shared_state"),
            (4, "functions"),
        ]


async def _reopen(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    try:
        await _check_resources(store)
        assert (await store.get_execution("arn:e:3")) is not None
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        ("SELECT * FROM state_machines WHERE (name, arn) > (?, ?) ORDER BY name, arn", "by_name"),
        (
            "SELECT * FROM versions WHERE state_machine_arn = ? AND (version, arn) < (?, ?) "
            "ORDER BY version DESC, arn DESC",
            "versions_by_machine",
        ),
        (
            "SELECT * FROM aliases WHERE state_machine_arn = ? AND (creation_date, arn) < (?, ?) "
            "ORDER BY creation_date DESC, arn DESC",
            "aliases_by_machine",
        ),
        (
            "SELECT * FROM executions WHERE state_machine_arn = ? AND version_arn = ? "
            "ORDER BY start_date DESC, arn DESC",
            "executions_by_version",
        ),
        (
            "SELECT * FROM executions WHERE state_machine_arn = ? AND alias_arn = ? "
            "AND (start_date, arn) < (?, ?) ORDER BY start_date DESC, arn DESC",
            "executions_by_alias",
        ),
        ("SELECT key, value FROM tags WHERE resource_arn = ? ORDER BY seq", "tags"),
    ],
)
def test_sqlite_resource_queries_use_an_index(tmp_path: Path, sql: str, index: str) -> None:
    """The listings and filters search an index rather than scan (no sort for keyset pages)."""
    asyncio.run(_open_and_close(tmp_path / "s.db"))
    with closing(sqlite3.connect(tmp_path / "s.db")) as conn:
        params = [None] * sql.count("?")
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert plan[0].startswith("SEARCH") and index in plan[0], plan
    if "ORDER BY seq" not in sql:  # a resource's few tags are sorted in memory, by design
        assert not any("TEMP B-TREE" in step for step in plan), plan


async def _open_and_close(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    await store.close()
