"""Invoke semantics: RequestResponse, Event and DryRun, logs, limits and error payloads."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import math
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from statewise.functions import names
from statewise.functions.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
    TooManyRequestsException,
)
from statewise.functions.model import FunctionConfig
from statewise.functions.pool import Pool
from statewise.functions.recent import (
    LOG_TAIL_BYTES,
    SUCCEEDED,
    InvocationRecord,
    RecentInvocations,
    describe_error,
)
from statewise.functions.registry import Registry
from statewise.functions.runtime import MAX_RESPONSE_BYTES
from statewise.functions.worker import Invocation, Outcome, error_payload

logger = logging.getLogger(__name__)

MAX_SYNC_PAYLOAD = 6_291_456
MAX_EVENT_PAYLOAD = 1_048_576
MAX_CLIENT_CONTEXT = 3583
TAIL_BYTES = 4096
# Lambda retries a failed asynchronous invocation twice: after a minute, then two more.
EVENT_RETRY_DELAYS = (60.0, 120.0)
# How long an asynchronous event waits for capacity before it is dropped (Lambda: 6 hours).
EVENT_MAX_AGE = 6 * 3600.0
_LOG_ROTATE_BYTES = 10 * 1024 * 1024
_random = random.Random()
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


@dataclass(frozen=True, slots=True, kw_only=True)
class InvokeResult:
    """The Invoke response.

    Attributes:
        status_code: 200 (RequestResponse), 202 (Event) or 204 (DryRun).
        payload: the function's result or error object.
        request_id: the invocation's request id.
        executed_version: the version that ran (X-Amz-Executed-Version).
        function_error: ``Unhandled`` when the function failed.
        log_result: base64 of the last 4 KB of the invocation's log, with ``LogType: Tail``.
    """

    status_code: int
    payload: bytes
    request_id: str
    executed_version: str | None = None
    function_error: str | None = None
    log_result: str | None = None


def trace_id(now: float) -> str:
    """An X-Ray trace header for one invocation."""
    root, parent = _random.getrandbits(96), _random.getrandbits(64)
    return f"Root=1-{int(now):08x}-{root:024x};Parent={parent:016x};Sampled=0"


def new_request_id() -> str:
    """A version 4 UUID. Request ids need to be unique, not secret: a seeded generator
    makes them without a system call per invocation."""
    return str(uuid.UUID(int=_random.getrandbits(128), version=4))


def parse_client_context(text: str | None) -> dict[str, Any] | None:
    """X-Amz-Client-Context: base64 of a JSON object, at most 3583 bytes."""
    if not text:
        return None
    if len(text) > MAX_CLIENT_CONTEXT:
        raise InvalidParameterValueException(
            f"Client context must be smaller than {MAX_CLIENT_CONTEXT} bytes."
        )
    try:
        value = orjson.loads(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise InvalidRequestContentException(
            "Client context must be a valid Base64-encoded JSON object."
        ) from None
    if not isinstance(value, dict):
        raise InvalidRequestContentException(
            "Client context must be a valid Base64-encoded JSON object."
        )
    return value


def check_payload(payload: bytes, invocation_type: str) -> bytes:
    """The event to deliver: Lambda's size limits, JSON required, an empty body is ``{}``."""
    limit = MAX_EVENT_PAYLOAD if invocation_type == "Event" else MAX_SYNC_PAYLOAD
    if len(payload) > limit:
        raise RequestTooLargeException(
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        )
    if not payload.strip():
        return b"{}"
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return payload


def log_text(config: FunctionConfig, request_id: str, outcome: Outcome) -> bytes:
    """The invocation's log as CloudWatch shows it: START, the output, END and REPORT."""
    duration_ms = outcome.duration * 1000
    report = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {max(math.ceil(duration_ms), 1)} ms",
        f"Memory Size: {config.memory_size} MB",
        f"Max Memory Used: {outcome.max_memory_mb} MB",
    ]
    if outcome.init_duration is not None:
        report.append(f"Init Duration: {outcome.init_duration * 1000:.2f} ms")
    if outcome.status is not None:
        report.append(f"Status: {outcome.status}")
    output = outcome.log
    if output and not output.endswith(b"\n"):
        output += b"\n"
    return (
        f"START RequestId: {request_id} Version: {config.version}\n".encode()
        + output
        + f"END RequestId: {request_id}\n".encode()
        + ("\t".join(report) + "\t\n").encode()
    )


class LogSink:
    """Each function's log in ``<root>/<name>.log`` (kept to ~10 MB, one rotation).

    Writes are buffered and flushed within a second, so a busy function costs no system
    call per invocation on the server's event loop.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, IO[bytes]] = {}
        self._flush: asyncio.TimerHandle | None = None

    def write(self, name: str, text: bytes) -> None:
        handle = self._files.get(name)
        if handle is None:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = self._files[name] = open(self.path(name), "ab", buffering=1 << 16)
        handle.write(text)
        if handle.tell() > _LOG_ROTATE_BYTES:
            handle.close()
            del self._files[name]
            path = self.path(name)
            os.replace(path, path.with_suffix(".log.1"))
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(1.0, self.flush)

    def flush(self) -> None:
        self._flush = None
        for handle in self._files.values():
            with contextlib.suppress(OSError):
                handle.flush()

    def path(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        for handle in self._files.values():
            with contextlib.suppress(OSError):
                handle.close()
        self._files.clear()


class Invoker:
    """Invoke on top of the registry and the worker pool."""

    def __init__(
        self,
        registry: Registry,
        pool: Pool,
        logs: LogSink,
        *,
        event_retry_delays: Sequence[float] = EVENT_RETRY_DELAYS,
        recent: RecentInvocations | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry
        self.pool = pool
        self.logs = logs
        self.event_retry_delays = tuple(event_retry_delays)
        # Every invocation that ran, whoever asked for it (Invoke, InvokeAsync, Task states).
        self.recent = recent if recent is not None else RecentInvocations()
        self.now = now
        self._events: set[asyncio.Task[None]] = set()
        # Run before a version's first invocation needs its code on disk: under a shared
        # store, the package may still have to come from the store to this node.
        self.prepare: Callable[[FunctionConfig], Awaitable[None]] | None = None

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
        """Invoke a function as Lambda's Invoke action does.

        Raises:
            ResourceNotFoundException: no such function, version or alias.
            TooManyRequestsException: no concurrency left (RequestResponse only).
            RequestTooLargeException, InvalidRequestContentException: a bad payload.
        """
        ref = names.parse(function_name, qualifier)
        config = self.registry.resolve(ref, route=True)
        event = check_payload(payload, invocation_type)
        context = parse_client_context(client_context)
        rid = new_request_id()
        if invocation_type == "DryRun":
            return InvokeResult(status_code=204, payload=b"", request_id=rid)
        invocation = Invocation(
            request_id=rid,
            payload=event,
            timeout=float(config.timeout),
            invoked_arn=self.registry.arn(ref.name, ref.qualifier),
            trace_id=trace_id(time.time()),
            client_context=context if invocation_type == "RequestResponse" else None,
        )
        if invocation_type == "Event":
            task = asyncio.create_task(self._run_event(config, invocation, ref.qualifier))
            self._events.add(task)
            task.add_done_callback(self._events.discard)
            return InvokeResult(status_code=202, payload=b"", request_id=rid)
        outcome = await self._run(config, invocation, qualifier=ref.qualifier)
        tail = None
        if log_type == "Tail":
            tail = base64.b64encode(log_text(config, rid, outcome)[-TAIL_BYTES:]).decode()
        return InvokeResult(
            status_code=200,
            payload=outcome.payload,
            request_id=rid,
            executed_version=config.version,
            function_error="Unhandled" if outcome.error else None,
            log_result=tail,
        )

    async def _run(
        self,
        config: FunctionConfig,
        invocation: Invocation,
        *,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
    ) -> Outcome:
        started = self.now()
        if self.prepare is not None:
            await self.prepare(config)
        outcome = await self.pool.run(config, invocation)
        if len(outcome.payload) > MAX_RESPONSE_BYTES:
            outcome = Outcome(
                payload=error_payload(
                    "Function.ResponseSizeTooLarge",
                    "Response payload size exceeded maximum allowed payload size "
                    f"({MAX_RESPONSE_BYTES} bytes).",
                ),
                error=True,
                log=outcome.log,
                init_duration=outcome.init_duration,
                duration=outcome.duration,
                max_memory_mb=outcome.max_memory_mb,
            )
        text = log_text(config, invocation.request_id, outcome)
        try:
            self.logs.write(config.name, text)
        except OSError:
            logger.warning("cannot write the log of %s", config.name, exc_info=True)
        kind, error_type, message = SUCCEEDED, None, None
        if outcome.error:
            kind, error_type, message = describe_error(outcome.payload, outcome.status)
        record = InvocationRecord(
            request_id=invocation.request_id,
            start=started,
            duration=outcome.duration,
            init_duration=outcome.init_duration,
            version=config.version,
            qualifier=qualifier,
            invocation_type=invocation_type,
            outcome=kind,
            error_type=error_type,
            error_message=message,
            log=text[-LOG_TAIL_BYTES:],
            log_size=len(text),
        )
        self.recent.add(config.name, record)
        return outcome

    async def _run_event(
        self, config: FunctionConfig, invocation: Invocation, qualifier: str | None = None
    ) -> None:
        """An asynchronous invocation: queued for capacity, retried twice on error."""
        attempts = 1 + len(self.event_retry_delays)
        started = time.monotonic()
        attempt = 0
        while attempt < attempts:
            remaining = EVENT_MAX_AGE - (time.monotonic() - started)
            if remaining <= 0:
                logger.warning("dropped event %s of %s", invocation.request_id, config.name)
                return
            await self.pool.wait_for_capacity(config.name, remaining)
            try:
                outcome = await self._run(
                    config, invocation, qualifier=qualifier, invocation_type="Event"
                )
            except TooManyRequestsException:
                continue  # throttled: wait again; throttles do not use up retries
            if not outcome.error:
                return
            if attempt < len(self.event_retry_delays):
                await asyncio.sleep(self.event_retry_delays[attempt])
            attempt += 1

    async def stop(self) -> None:
        for task in list(self._events):
            task.cancel()
        for task in list(self._events):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.logs.close()
