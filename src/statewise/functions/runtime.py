"""Custom runtimes: a zip's ``bootstrap`` process served by the Lambda Runtime API.

Each worker is a sandbox with its own Runtime API address (``AWS_LAMBDA_RUNTIME_API``), as
every Lambda execution environment has: the HTTP side (``api/runtime_api.py``) finds the
sandbox from the address a request arrived on and calls ``next``, ``respond``, ``fail`` or
``init_failed`` here. Nothing in this module speaks HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from statewise.functions.model import FunctionConfig
from statewise.functions.worker import (
    INIT_TIMEOUT_SECONDS,
    Invocation,
    Outcome,
    ProcessWorker,
    error_payload,
    exit_outcome,
    peak_memory_mb,
    timeout_outcome,
)

# Lambda refuses responses above this size (its message quotes this number).
MAX_RESPONSE_BYTES = 6_291_556


class RuntimeApiError(Exception):
    """An answer to the runtime other than success: HTTP status, errorType, errorMessage."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


@dataclass(frozen=True, slots=True)
class Pending:
    """An invocation handed to the runtime, waiting for its response."""

    invocation: Invocation
    deadline_ms: int
    answer: asyncio.Future[tuple[str, bytes]]


def error_body(body: bytes, error_type: str | None) -> bytes:
    """The error object an invoker sees for a runtime's ``/error`` or ``/init/error`` post:
    the posted JSON object as is, or one built from the error-type header."""
    try:
        posted = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        posted = None
    if isinstance(posted, dict):
        return body
    message = body.decode(errors="replace") if body else ""
    return error_payload(error_type or "Unhandled", message)


class Sandbox:
    """The Runtime API's state for one custom-runtime worker."""

    def __init__(self, config: FunctionConfig) -> None:
        self.config = config
        loop = asyncio.get_running_loop()
        # None once the runtime first asks for an invocation; error bytes if init failed.
        self.started: asyncio.Future[bytes | None] = loop.create_future()
        self._queue: asyncio.Queue[Pending | None] = asyncio.Queue()
        self._outstanding: dict[str, Pending] = {}
        self.closed = False

    # --- the runtime's side (Runtime API requests) -------------------------------------

    async def next(self) -> Pending | None:
        """GET /runtime/invocation/next: the next invocation, or None once closed."""
        if not self.started.done():
            self.started.set_result(None)
        if self.closed:
            return None
        pending = await self._queue.get()
        if pending is None:
            self._queue.put_nowait(None)  # wake any other waiter too
            return None
        self._outstanding[pending.invocation.request_id] = pending
        return pending

    def _take(self, request_id: str) -> Pending:
        pending = self._outstanding.pop(request_id, None)
        if pending is None or pending.answer.done():
            raise RuntimeApiError(400, "InvalidRequestID", "Invalid request ID")
        return pending

    def respond(self, request_id: str, body: bytes) -> None:
        """POST /runtime/invocation/{id}/response."""
        self._take(request_id).answer.set_result(("result", body))

    def response_too_large(self, request_id: str) -> None:
        """A response past Lambda's limit: the invoker gets Function.ResponseSizeTooLarge and
        the runtime a 413."""
        pending = self._take(request_id)
        pending.answer.set_result(
            (
                "error",
                error_payload(
                    "Function.ResponseSizeTooLarge",
                    "Response payload size exceeded maximum allowed payload size "
                    f"({MAX_RESPONSE_BYTES} bytes).",
                ),
            )
        )
        raise RuntimeApiError(
            413,
            "RequestEntityTooLarge",
            f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
        )

    def fail(self, request_id: str, body: bytes, error_type: str | None) -> None:
        """POST /runtime/invocation/{id}/error."""
        pending = self._take(request_id)
        pending.answer.set_result(("error", error_body(body, error_type)))

    def init_failed(self, body: bytes, error_type: str | None) -> None:
        """POST /runtime/init/error."""
        if self.started.done():
            raise RuntimeApiError(
                403, "InvalidStateTransition", "State transition from Ready to InitError failed"
            )
        self.started.set_result(error_body(body, error_type))

    # --- the worker's side ------------------------------------------------------------

    def submit(self, invocation: Invocation) -> Pending:
        deadline_ms = int((time.time() + invocation.timeout) * 1000)
        answer: asyncio.Future[tuple[str, bytes]] = asyncio.get_running_loop().create_future()
        pending = Pending(invocation, deadline_ms, answer)
        self._queue.put_nowait(pending)
        return pending

    def close(self) -> None:
        self.closed = True
        self._queue.put_nowait(None)
        for pending in self._outstanding.values():
            if not pending.answer.done():
                pending.answer.cancel()
        self._outstanding.clear()


class SandboxListener(Protocol):
    """Where a sandbox's Runtime API is served."""

    @property
    def address(self) -> str:
        """``host:port``, the sandbox's AWS_LAMBDA_RUNTIME_API."""
        ...

    def close(self) -> None: ...


ListenerFactory = Callable[[Sandbox], Awaitable[SandboxListener]]


class RuntimeWorker(ProcessWorker):
    """A ``provided``/``provided.al2``/``provided.al2023``/``go1.x`` worker."""

    def __init__(
        self,
        config: FunctionConfig,
        *,
        env: dict[str, str],
        cwd: Path,
        listen: ListenerFactory | None,
    ) -> None:
        super().__init__(config, env=env, cwd=cwd)
        self.listen = listen
        self.sandbox: Sandbox | None = None
        self.listener: SandboxListener | None = None

    def _entrypoint_error(self, request_id: str, detail: str) -> Outcome:
        return Outcome(
            payload=error_payload(
                "Runtime.InvalidEntrypoint", f"RequestId: {request_id} Error: {detail}"
            ),
            error=True,
            status="error",
        )

    async def start(self, request_id: str) -> Outcome | None:
        if self.listen is None:
            return Outcome(
                payload=error_payload(
                    "Runtime.Unavailable",
                    f"RequestId: {request_id} Error: this server has no Runtime API to serve "
                    "custom runtimes",
                ),
                error=True,
                status="error",
            )
        bootstrap = self.cwd / "bootstrap"
        if not bootstrap.is_file():
            return self._entrypoint_error(
                request_id, f"Couldn't find valid bootstrap(s): [{bootstrap} /opt/bootstrap]"
            )
        if not os.access(bootstrap, os.X_OK):
            return self._entrypoint_error(request_id, f"fork/exec {bootstrap}: permission denied")
        began = time.monotonic()
        offset = self.log.mark()
        self.sandbox = Sandbox(self.config)
        self.listener = await self.listen(self.sandbox)
        self.env["AWS_LAMBDA_RUNTIME_API"] = self.listener.address
        try:
            await self._spawn([str(bootstrap)])
        except PermissionError:
            self._close()
            return self._entrypoint_error(request_id, f"fork/exec {bootstrap}: permission denied")
        except OSError as exc:
            self._close()
            reason = (exc.strerror or str(exc)).lower()
            return self._entrypoint_error(request_id, f"fork/exec {bootstrap}: {reason}")
        assert self._exited is not None
        waiting: set[asyncio.Future[Any]] = {self.sandbox.started, self._exited}
        done, _ = await asyncio.wait(
            waiting,
            timeout=INIT_TIMEOUT_SECONDS,
            return_when=asyncio.FIRST_COMPLETED,
        )
        duration = time.monotonic() - began
        if self.sandbox.started in done and self.sandbox.started.result() is None:
            return None
        log = self.log.since(offset)
        if self.sandbox.started.done():
            error = self.sandbox.started.result()
            await self.kill()
            assert error is not None
            return Outcome(payload=error, error=True, log=log, status="error", duration=duration)
        if not done:
            await self.kill()
            return timeout_outcome(request_id, INIT_TIMEOUT_SECONDS, log, duration)
        return exit_outcome(request_id, self._returncode(), log, duration)

    async def invoke(self, invocation: Invocation) -> Outcome:
        assert self.sandbox is not None and self._exited is not None
        self.log.reset_if_large()
        offset = self.log.mark()
        began = time.monotonic()
        pending = self.sandbox.submit(invocation)
        waiting: set[asyncio.Future[Any]] = {pending.answer, self._exited}
        done, _ = await asyncio.wait(
            waiting,
            timeout=invocation.timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        duration = time.monotonic() - began
        if pending.answer in done and not pending.answer.cancelled():
            kind, body = pending.answer.result()
            return Outcome(
                payload=body,
                error=kind == "error",
                log=self.log.since(offset),
                duration=duration,
                max_memory_mb=peak_memory_mb(self.pid) if self.pid else 0,
            )
        log = self.log.since(offset)
        if not done:
            await self.kill()
            return timeout_outcome(invocation.request_id, invocation.timeout, log, duration)
        return exit_outcome(invocation.request_id, self._returncode(), log, duration)

    def _close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.close()
            self.listener = None
