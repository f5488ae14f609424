"""The function service: registry, code, warm pool and invoker, started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from statewise import arns
from statewise.functions import environment, names
from statewise.functions.errors import ResourceConflictException, ResourceNotFoundException
from statewise.functions.invoke import EVENT_RETRY_DELAYS, Invoker, InvokeResult, LogSink
from statewise.functions.model import Alias, FunctionConfig, is_python
from statewise.functions.pool import IDLE_SECONDS, Limits, Pool, WorkerKey, key_of
from statewise.functions.recent import RecentInvocations
from statewise.functions.registry import ACCOUNT_CONCURRENCY, Registry
from statewise.functions.runtime import ListenerFactory, RuntimeWorker
from statewise.functions.shared import REFRESH_SECONDS, FunctionStore, SharedRegistry
from statewise.functions.worker import PythonWorker, Worker

RUNTIME_DIR = Path(__file__).parent
# The store setting holding the key that signs code download links, so that a link one
# node hands out works on every node behind the same address.
CODE_LINK_KEY = "lambda_code_link_key"

_T = TypeVar("_T")


def python_for(runtime: str) -> str:
    """The interpreter for a ``python3.x`` runtime: this one when the version matches, else
    ``python3.x`` from PATH, else this one.

    A ``python3.x`` found on PATH is asked for its real executable: launchers such as
    pyenv's shims need the server's own environment, and workers do not get it.
    """
    version = runtime.removeprefix("python")
    if version == f"{sys.version_info.major}.{sys.version_info.minor}":
        return sys.executable
    found = shutil.which(runtime)
    if found is None:
        return sys.executable
    try:
        done = subprocess.run(
            [found, "-c", "import sys; print(sys.executable)"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return sys.executable
    real = done.stdout.strip()
    return real if real and os.access(real, os.X_OK) else sys.executable


class FunctionService:
    """Everything the Lambda API and Task states need from the runtime.

    Attributes:
        registry: function configurations, versions and aliases.
        pool: the warm workers.
        invoker: Invoke semantics.
        recent: each function's latest invocations (the console's Functions page).
        listen: opens a sandbox's Runtime API listener; set by the HTTP layer, which serves
            the Runtime API (custom runtimes cannot start without it).
        shared: the registry's link to the store, or None when the registry keeps itself
            in ``root`` (no store given).

    Args:
        store: where functions and their code live (the server's store); None keeps them
            in ``root/meta`` as JSON files.
        many_nodes: other processes share ``store``: look for their changes continually.
        import_directory: copy functions a data directory kept before schema 0004 into
            the store on start (off for a store that does not outlive the process).
    """

    def __init__(
        self,
        root: Path,
        *,
        region: str = arns.DEFAULT_REGION,
        account: str = arns.DEFAULT_ACCOUNT,
        now: Callable[[], float] = time.time,
        idle_seconds: float = IDLE_SECONDS,
        event_retry_delays: Sequence[float] = EVENT_RETRY_DELAYS,
        store: FunctionStore | None = None,
        many_nodes: bool = False,
        import_directory: bool = True,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self.root = root
        self.region = region
        self.now = now
        self.registry = Registry(
            root, region=region, account=account, now=now, persist=store is None
        )
        self.shared = (
            None
            if store is None
            else SharedRegistry(
                store, self.registry, now=now, many_nodes=many_nodes, changed=self._changed
            )
        )
        self._import_directory = import_directory
        self._refresh_seconds = refresh_seconds
        self._refresher: asyncio.Task[None] | None = None
        self.pool = Pool(
            self._spawn,
            Limits(
                reserved=lambda name: (
                    self.registry.record(name).reserved_concurrency
                    if self.registry.exists(name)
                    else None
                ),
                reserved_total=self.registry.reserved_total,
                account=ACCOUNT_CONCURRENCY,
            ),
            idle_seconds=idle_seconds,
        )
        self.invoker = Invoker(
            self.registry,
            self.pool,
            LogSink(root / "logs"),
            event_retry_delays=event_retry_delays,
            now=now,
        )
        if self.shared is not None:
            self.invoker.prepare = self._prepare
        self.listen: ListenerFactory | None = None
        self._python: dict[str, str] = {}
        # Signs GetFunction's code download links, as S3 presigns Lambda's: whoever has a
        # link may fetch that package until it expires, and nobody can make one up.
        self._download_key = secrets.token_bytes(32)

    async def start(self) -> None:
        """Load the registry (the store must be open), then start the warm pool."""
        shared = self.shared
        if shared is None:
            self.registry.load()
        else:
            if self._import_directory:
                await shared.import_directory(self.root)
            stored = await shared.store.ensure_setting(CODE_LINK_KEY, self._download_key.hex())
            self._download_key = bytes.fromhex(stored)
            await shared.sync()
            if shared.many_nodes:
                self._refresher = asyncio.create_task(shared.run(self._refresh_seconds))
        await self.pool.start()

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None
        await self.invoker.stop()
        await self.pool.stop()

    def _changed(self, name: str) -> None:
        """A function's record changed in the store (here or on another node)."""
        self._retire(name)
        if not self.registry.exists(name):
            self.recent.forget(name)

    async def _prepare(self, config: FunctionConfig) -> None:
        if self.shared is not None:
            await self.shared.ensure_code(config.code_digest)

    async def _write(self, name: str, change: Callable[[], _T]) -> _T:
        """Apply a registry mutation: through the store when there is one."""
        if self.shared is None:
            return change()
        return await self.shared.write(name, change)

    async def fresh(self, name: str) -> None:
        """Bring one function up to date from the store before a control-plane read (a
        change another node made a moment ago is seen at once)."""
        if self.shared is not None:
            await self.shared.refresh(name)

    async def fresh_all(self) -> None:
        """Bring every function up to date from the store (before a listing)."""
        if self.shared is not None and self.shared.many_nodes:
            await self.shared.sync()

    async def read_code(self, digest: str) -> bytes | None:
        """A deployment package by digest, for GetFunction's download link."""
        if self.shared is None:
            return await asyncio.to_thread(self.registry.code.read_zip, digest)
        return await self.shared.read_zip(digest)

    async def _prune(self) -> None:
        if self.shared is not None:
            await self.shared.prune()

    def _spawn(self, config: FunctionConfig) -> Worker:
        task_root = self.registry.code.path(config.code_digest)
        env = environment.build(
            config,
            region=self.region,
            task_root=task_root,
            runtime_dir=RUNTIME_DIR,
            stream=environment.log_stream(config.version, self.now()),
        )
        if is_python(config.runtime):
            interpreter = self._python.get(config.runtime)
            if interpreter is None:
                interpreter = self._python[config.runtime] = python_for(config.runtime)
            return PythonWorker(
                config,
                env=env,
                cwd=task_root,
                interpreter=interpreter,
                pycache=self.root / "pycache",
            )
        return RuntimeWorker(config, env=env, cwd=task_root, listen=self.listen)

    def _current_keys(self, name: str) -> set[WorkerKey]:
        if not self.registry.exists(name):
            return set()
        record = self.registry.record(name)
        return {key_of(record.latest), *(key_of(v) for v in record.versions.values())}

    def _retire(self, name: str) -> None:
        self.pool.retire(name, self._current_keys(name))

    def code_signature(self, digest: str, expires: int) -> str:
        """The signature of a code download link for ``digest`` valid until ``expires``."""
        message = f"{digest}:{expires}".encode()
        return hmac.new(self._download_key, message, hashlib.sha256).hexdigest()

    def check_code_link(self, digest: str, expires: str, signature: str) -> bool:
        """Whether a download link is one this server made and has not expired."""
        if not expires.isdigit() or int(expires) < self.now():
            return False
        return hmac.compare_digest(self.code_signature(digest, int(expires)), signature)

    # --- the control plane ------------------------------------------------------------

    async def create(
        self,
        name: str,
        zip_file: bytes,
        settings: Mapping[str, Any],
        *,
        publish: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> FunctionConfig:
        """CreateFunction: unpack the zip (off the event loop), store it, then register."""
        # Refuse before unpacking a package that would be thrown away.
        await self.fresh(name)
        if self.registry.exists(name):
            raise ResourceConflictException(f"Function already exist: {name}")
        self.registry.check_settings(settings)
        code = await asyncio.to_thread(self.registry.code.put, zip_file)
        if self.shared is not None:
            await self.shared.upload(zip_file, code.digest)
        return await self._write(
            name,
            lambda: self.registry.create(
                name=name, code=code, settings=settings, publish=publish, tags=tags
            ),
        )

    async def update_code(
        self,
        name: str,
        zip_file: bytes,
        *,
        publish: bool = False,
        revision_id: str | None = None,
        architectures: tuple[str, ...] | None = None,
    ) -> FunctionConfig:
        await self.fresh(name)
        self.registry.record(name)
        code = await asyncio.to_thread(self.registry.code.put, zip_file)
        if self.shared is not None:
            await self.shared.upload(zip_file, code.digest)
        config = await self._write(
            name,
            lambda: self.registry.update_code(
                name, code, publish=publish, revision_id=revision_id, architectures=architectures
            ),
        )
        self._retire(name)
        await self._prune()
        return config

    async def check_package(self, zip_file: bytes) -> None:
        """UpdateFunctionCode's DryRun: the package must unpack (it is kept, unreferenced,
        until the next prune)."""
        await asyncio.to_thread(self.registry.code.put, zip_file)

    async def update_configuration(
        self, name: str, changes: Mapping[str, Any], *, revision_id: str | None = None
    ) -> FunctionConfig:
        config = await self._write(
            name,
            lambda: self.registry.update_configuration(name, changes, revision_id=revision_id),
        )
        self._retire(name)
        return config

    async def delete(self, name: str, qualifier: str | None = None) -> None:
        await self._write(name, lambda: self.registry.delete(name, qualifier))
        self._retire(name)
        if qualifier is None:
            self.recent.forget(name)
        await self._prune()

    async def publish(
        self,
        name: str,
        *,
        code_sha256: str | None = None,
        description: str | None = None,
        revision_id: str | None = None,
    ) -> FunctionConfig:
        return await self._write(
            name,
            lambda: self.registry.publish(
                name, code_sha256=code_sha256, description=description, revision_id=revision_id
            ),
        )

    async def create_alias(
        self,
        name: str,
        alias: str,
        *,
        function_version: str,
        description: str = "",
        weights: Mapping[str, float] | None = None,
    ) -> Alias:
        return await self._write(
            name,
            lambda: self.registry.create_alias(
                name,
                alias,
                function_version=function_version,
                description=description,
                weights=weights,
            ),
        )

    async def update_alias(
        self,
        name: str,
        alias: str,
        *,
        function_version: str | None = None,
        description: str | None = None,
        weights: Mapping[str, float] | None = None,
        revision_id: str | None = None,
    ) -> Alias:
        return await self._write(
            name,
            lambda: self.registry.update_alias(
                name,
                alias,
                function_version=function_version,
                description=description,
                weights=weights,
                revision_id=revision_id,
            ),
        )

    async def delete_alias(self, name: str, alias: str) -> None:
        await self._write(name, lambda: self.registry.delete_alias(name, alias))

    async def put_concurrency(self, name: str, reserved: int) -> int:
        # The account-wide check counts every function's reservation: see them all first.
        await self.fresh_all()
        return await self._write(name, lambda: self.registry.put_concurrency(name, reserved))

    async def delete_concurrency(self, name: str) -> None:
        await self._write(name, lambda: self.registry.delete_concurrency(name))

    async def tag(self, name: str, tags: Mapping[str, str]) -> None:
        await self._write(name, lambda: self.registry.tag(name, tags))

    async def untag(self, name: str, keys: list[str]) -> None:
        await self._write(name, lambda: self.registry.untag(name, keys))

    # --- the data plane ---------------------------------------------------------------

    @property
    def recent(self) -> RecentInvocations:
        """The latest invocations of each function, as the invoker recorded them."""
        return self.invoker.recent

    async def invoke(
        self,
        function_name: str,
        payload: bytes = b"",
        *,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
        log_type: str | None = None,
        client_context: str | None = None,
    ) -> InvokeResult:
        """Lambda's Invoke (see ``Invoker.invoke``)."""
        options: dict[str, Any] = {
            "qualifier": qualifier,
            "invocation_type": invocation_type,
            "log_type": log_type,
            "client_context": client_context,
        }
        try:
            return await self.invoker.invoke(function_name, payload, **options)
        except ResourceNotFoundException:
            # Resolving the function is the invoker's first step, so nothing ran yet. On
            # a shared store the function (or version, or alias) may be one another node
            # created a moment ago, before this node's next refresh: look once.
            if self.shared is None or not self.shared.many_nodes:
                raise
            if not await self.shared.refresh(names.parse(function_name, qualifier).name):
                raise
        return await self.invoker.invoke(function_name, payload, **options)
