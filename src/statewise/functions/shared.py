"""The function registry kept in a Store, so that every node of a database has the same
functions; the in-memory :class:`~statewise.functions.registry.Registry` is its cache.

Writes go to the store first. A change is computed on the freshest row (Lambda's rules
applied by the registry), then written conditionally on the revision that row had
(compare-and-set): when another node wrote the function meanwhile, the write is refused,
the row read again and the change computed anew, so no node's change is silently lost. A
RevisionId the caller gave is checked against that fresh row, hence
PreconditionFailedException only when the caller's RevisionId is stale; a create that
loses the race for a name gets ResourceConflictException, as on Lambda.

Reads on the hot path (Invoke, Task states) never wait on the store: they use the cache.
On a store shared by several nodes, :meth:`SharedRegistry.run` compares every function's
revision with the cached one twice a second (one small query) and reads the rows that
changed, so a change made on one node is seen on the others within about a second;
control-plane reads refresh the function they name first, and an Invoke of a function
the cache does not know looks in the store before answering ResourceNotFoundException.

Code packages are rows of their own, by digest. A node unpacks one into its local
CodeStore the first time it runs (or serves) it: workers run code from local disk.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import orjson

from statewise.functions.code import CodeStore
from statewise.functions.errors import ResourceConflictException
from statewise.functions.model import FunctionRecord
from statewise.functions.registry import Registry

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# How often a node of a shared store looks for functions other nodes changed.
REFRESH_SECONDS = 0.5
# Compare-and-set rounds before a write gives up (each lost one means another node wrote
# the same function in between; several in a row means a storm of writers).
WRITE_ATTEMPTS = 8
# A package unreferenced for this long is deleted from the store. Long enough to cover an
# upload whose function row is not written yet (on any node), and clock skew between nodes.
CODE_GRACE_SECONDS = 3600.0
IMPORTED_SUFFIX = ".imported"


class FunctionRow(Protocol):
    """A function's row as the store answers it (``store.base.FunctionRow``)."""

    @property
    def name(self) -> str: ...
    @property
    def revision(self) -> str: ...
    @property
    def record(self) -> str: ...
    @property
    def updated(self) -> float: ...


class FunctionStore(Protocol):
    """What the registry needs of the server's Store (its port, as ``engine.ports`` is the
    engine's): the Store protocol's function methods, documented there."""

    async def get_function(self, name: str) -> FunctionRow | None: ...
    async def function_revisions(self) -> dict[str, str]: ...
    async def put_function(
        self, name: str, *, revision: str, record: str, updated: float, expected: str | None
    ) -> bool: ...
    async def delete_function(self, name: str, *, expected: str) -> bool: ...
    async def put_function_code(self, digest: str, data: bytes, *, stored: float) -> None: ...
    async def get_function_code(self, digest: str) -> bytes | None: ...
    async def prune_function_code(self, keep: Sequence[str], *, stored_before: float) -> int: ...
    async def ensure_setting(self, name: str, value: str) -> str: ...


class _Written:
    """The row a write of this node put in the store, as the store would answer it."""

    __slots__ = ("name", "record", "revision", "updated")

    def __init__(self, name: str, revision: str, record: str, updated: float) -> None:
        self.name = name
        self.revision = revision
        self.record = record
        self.updated = updated


class SharedRegistry:
    """Keeps a registry in step with the functions of a store.

    Args:
        store: where functions and their code live.
        registry: the cache (built with ``persist=False``).
        now: the clock (rows' ``updated``, packages' ``stored``).
        many_nodes: whether other processes write the store too; when not, the cache is
            the truth once loaded and nothing is re-read.
        changed: called with a function's name after its cached record changed or went
            away (to retire workers of code or configuration no longer current).
    """

    def __init__(
        self,
        store: FunctionStore,
        registry: Registry,
        *,
        now: Callable[[], float],
        many_nodes: bool,
        changed: Callable[[str], None],
    ) -> None:
        self.store = store
        self.registry = registry
        self.now = now
        self.many_nodes = many_nodes
        self.changed = changed
        self._revisions: dict[str, str] = {}
        # Bumped by every write of this node; a read that began before one is older than
        # what that write installed, and must not replace it.
        self._writes: dict[str, int] = {}
        self._fetching: dict[str, asyncio.Lock] = {}

    @property
    def code(self) -> CodeStore:
        return self.registry.code

    # --- reading ----------------------------------------------------------------------

    def _apply(self, name: str, row: FunctionRow | None) -> bool:
        """Make the cache hold ``row``; whether anything changed."""
        if row is None:
            if self._revisions.pop(name, None) is None and not self.registry.exists(name):
                return False
            self.registry.drop(name)
        else:
            if self._revisions.get(name) == row.revision:
                return False
            self.registry.install(FunctionRecord.from_json(orjson.loads(row.record)))
            self._revisions[name] = row.revision
        self.changed(name)
        return True

    async def refresh(self, name: str, *, force: bool = False) -> bool:
        """Read one function from the store into the cache; whether it changed.

        Only on a store of many nodes (or with ``force``): otherwise the cache is current.
        """
        if not (self.many_nodes or force):
            return False
        writes = self._writes.get(name, 0)
        row = await self.store.get_function(name)
        if self._writes.get(name, 0) != writes:
            return False
        return self._apply(name, row)

    async def sync(self) -> None:
        """Bring the whole cache up to date: one query, plus a read per changed function."""
        writes = dict(self._writes)
        revisions = await self.store.function_revisions()
        # A function this node wrote while the query ran is newer than its answer.
        for name in [n for n in self._revisions if n not in revisions]:
            if self._writes.get(name, 0) == writes.get(name, 0):
                self._apply(name, None)
        for name, revision in revisions.items():
            if self._revisions.get(name) != revision:
                await self.refresh(name, force=True)

    async def run(self, interval: float = REFRESH_SECONDS) -> None:
        """Sync every ``interval`` seconds until cancelled (on a store of many nodes)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sync()
            except Exception:
                # The database is away for a moment (or a row is unreadable): serve from
                # the cache meanwhile, and try again at the next round.
                logger.warning("cannot refresh functions from the store", exc_info=True)

    # --- writing ----------------------------------------------------------------------

    async def write(self, name: str, change: Callable[[], _T]) -> _T:
        """Apply ``change`` (a registry mutation of function ``name``) through the store.

        Raises:
            what ``change`` raises (Lambda's rules, checked on the freshest row).
            ResourceConflictException: other writers won every attempt.
        """
        for _ in range(WRITE_ATTEMPTS):
            await self.refresh(name)
            expected = self._revisions.get(name)
            result, before, after = self.registry.stage(name, change)
            if after is before:
                return result  # nothing to write (Lambda answers without a change)
            row: _Written | None = None
            if after is None:
                if expected is None:
                    return result  # it was never in the store: nothing to delete there
                landed = await self.store.delete_function(name, expected=expected)
            else:
                row = _Written(
                    name, uuid.uuid4().hex, orjson.dumps(after.to_json()).decode(), self.now()
                )
                landed = await self.store.put_function(
                    name,
                    revision=row.revision,
                    record=row.record,
                    updated=row.updated,
                    expected=expected,
                )
            if landed:
                self._writes[name] = self._writes.get(name, 0) + 1
                self._apply(name, row)
                return result
            # Another node wrote it first: read what it wrote and decide again. On a
            # store of one process that cannot happen, unless another process (an old
            # server still running) shares it; read it then too.
            await self.refresh(name, force=True)
        raise ResourceConflictException(
            "The operation cannot be performed at this time. An update is in progress for "
            f"resource: {self.registry.arn(name)}"
        )

    # --- code -------------------------------------------------------------------------

    async def upload(self, data: bytes, digest: str) -> None:
        """Keep a package in the store (before the row that refers to it is written)."""
        await self.store.put_function_code(digest, data, stored=self.now())

    async def ensure_code(self, digest: str) -> None:
        """Unpack a package into the local code cache unless it is there already."""
        if self.code.path(digest).is_dir():
            return
        lock = self._fetching.setdefault(digest, asyncio.Lock())
        async with lock:
            if self.code.path(digest).is_dir():
                return
            data = await self.store.get_function_code(digest)
            if data is None:
                # Left to fail where the code is needed, as a missing directory does.
                logger.warning("code package %s is not in the store", digest)
                return
            await asyncio.to_thread(self.code.put, data)
        self._fetching.pop(digest, None)

    async def read_zip(self, digest: str) -> bytes | None:
        """A package, from the local cache or else the store (GetFunction's download)."""
        local = await asyncio.to_thread(self.code.read_zip, digest)
        if local is not None:
            return local
        return await self.store.get_function_code(digest)

    async def prune(self) -> None:
        """Delete packages nothing uses any more, locally and (after a grace) in the store."""
        if self.many_nodes:
            await self.sync()
        self.registry.prune_code()
        await self.store.prune_function_code(
            sorted(self.registry.digests()), stored_before=self.now() - CODE_GRACE_SECONDS
        )

    # --- the upgrade from a data directory --------------------------------------------

    async def import_directory(self, root: Path) -> int:
        """Copy the functions of a pre-0004 data directory (``<root>/meta/*.json`` and
        their code) into the store, once; returns how many were new there.

        A function already in the store (another node imported or created it) is kept as
        it is. The directory is renamed afterwards, not deleted: kept for a downgrade, and
        never imported twice, so a function deleted later does not come back.
        """
        meta = root / "meta"
        if not meta.is_dir():
            return 0
        legacy = Registry(root, region=self.registry.region, now=self.now)
        legacy.load()
        added = 0
        for name in legacy.function_names():
            record = legacy.record(name)
            for digest in record.code_digests():
                data = legacy.code.read_zip(digest)
                if data is not None:
                    await self.upload(data, digest)
            added += await self.store.put_function(
                name,
                revision=uuid.uuid4().hex,
                record=orjson.dumps(record.to_json()).decode(),
                updated=self.now(),
                expected=None,
            )
        os.replace(meta, meta.with_name(meta.name + IMPORTED_SUFFIX))
        return added
