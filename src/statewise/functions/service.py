"""The function service: registry, code, warm pool and invoker, started and stopped together."""

from __future__ import annotations

import asyncio
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
from typing import Any

from statewise import arns
from statewise.functions import environment
from statewise.functions.errors import ResourceConflictException
from statewise.functions.invoke import EVENT_RETRY_DELAYS, Invoker, InvokeResult, LogSink
from statewise.functions.model import FunctionConfig, is_python
from statewise.functions.pool import IDLE_SECONDS, Limits, Pool, WorkerKey, key_of
from statewise.functions.recent import RecentInvocations
from statewise.functions.registry import ACCOUNT_CONCURRENCY, Registry
from statewise.functions.runtime import ListenerFactory, RuntimeWorker
from statewise.functions.worker import PythonWorker, Worker

RUNTIME_DIR = Path(__file__).parent


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
    ) -> None:
        self.root = root
        self.region = region
        self.now = now
        self.registry = Registry(root, region=region, account=account, now=now)
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
        self.listen: ListenerFactory | None = None
        self._python: dict[str, str] = {}
        # Signs GetFunction's code download links, as S3 presigns Lambda's: whoever has a
        # link may fetch that package until it expires, and nobody can make one up.
        self._download_key = secrets.token_bytes(32)

    async def start(self) -> None:
        self.registry.load()
        await self.pool.start()

    async def stop(self) -> None:
        await self.invoker.stop()
        await self.pool.stop()

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
        """CreateFunction: unpack the zip (off the event loop), then register."""
        # Refuse before unpacking a package that would be thrown away.
        if self.registry.exists(name):
            raise ResourceConflictException(f"Function already exist: {name}")
        self.registry.check_settings(settings)
        code = await asyncio.to_thread(self.registry.code.put, zip_file)
        return self.registry.create(
            name=name, code=code, settings=settings, publish=publish, tags=tags
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
        self.registry.record(name)
        code = await asyncio.to_thread(self.registry.code.put, zip_file)
        config = self.registry.update_code(
            name, code, publish=publish, revision_id=revision_id, architectures=architectures
        )
        self._retire(name)
        return config

    async def check_package(self, zip_file: bytes) -> None:
        """UpdateFunctionCode's DryRun: the package must unpack (it is kept, unreferenced,
        until the next prune)."""
        await asyncio.to_thread(self.registry.code.put, zip_file)

    def update_configuration(
        self, name: str, changes: Mapping[str, Any], *, revision_id: str | None = None
    ) -> FunctionConfig:
        config = self.registry.update_configuration(name, changes, revision_id=revision_id)
        self._retire(name)
        return config

    def delete(self, name: str, qualifier: str | None = None) -> None:
        self.registry.delete(name, qualifier)
        self._retire(name)
        if qualifier is None:
            self.recent.forget(name)

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
        return await self.invoker.invoke(
            function_name,
            payload,
            qualifier=qualifier,
            invocation_type=invocation_type,
            log_type=log_type,
            client_context=client_context,
        )
