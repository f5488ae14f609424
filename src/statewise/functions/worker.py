"""Worker processes: what every worker shares, and the Python worker over pipes.

A worker is one execution environment: a process that initialises once and then runs one
invocation at a time. Its stdout and stderr go to an unlinked append-only file; the log of
one invocation is the bytes appended between its start and its end, so output written by
any means (print, logging, a subprocess) lands in the right invocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from statewise.functions import protocol
from statewise.functions.model import FunctionConfig

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
# Lambda gives the init phase 10 seconds before it counts as timed out.
INIT_TIMEOUT_SECONDS = 10.0
# A log file is emptied between invocations once it is this large.
_LOG_RESET_BYTES = 1 << 20
# util-linux's setpriv makes the kernel kill a worker if the server dies without stopping
# it (kill -9), so no bootstrap outlives its server; without it workers start directly.
_SETPRIV = shutil.which("setpriv")


@dataclass(frozen=True, slots=True, kw_only=True)
class Invocation:
    """One invocation handed to a worker.

    Attributes:
        request_id: the invocation's id (``context.aws_request_id``).
        payload: the event, JSON bytes.
        timeout: seconds it may run once the worker starts it.
        invoked_arn: the ARN the caller used.
        trace_id: the X-Ray trace header value.
        client_context: the decoded client context, if any.
    """

    request_id: str
    payload: bytes
    timeout: float
    invoked_arn: str
    trace_id: str
    client_context: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """How an invocation ended.

    Attributes:
        payload: the result JSON, or Lambda's error object.
        error: whether the function failed (``X-Amz-Function-Error: Unhandled``).
        log: what the worker wrote during the invocation.
        status: None when the function ran to an answer; ``timeout``, ``error`` (the worker
            died or could not start) otherwise, as REPORT lines say.
        init_duration: seconds the worker took to start, on a cold start.
        duration: seconds the invocation ran.
        max_memory_mb: the worker's peak resident memory.
    """

    payload: bytes
    error: bool = False
    log: bytes = b""
    status: str | None = None
    init_duration: float | None = None
    duration: float = 0.0
    max_memory_mb: int = 0


def error_payload(error_type: str, message: str) -> bytes:
    """A platform error object (the function itself never answered)."""
    return orjson.dumps({"errorType": error_type, "errorMessage": message})


def timeout_outcome(request_id: str, seconds: float, log: bytes, duration: float) -> Outcome:
    """Lambda's answer for an invocation that ran out of time."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    note = f"{stamp} {request_id} Task timed out after {seconds:.2f} seconds\n".encode()
    return Outcome(
        payload=error_payload(
            "Sandbox.Timedout",
            f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds",
        ),
        error=True,
        log=log + note,
        status="timeout",
        duration=duration,
    )


def describe_exit(returncode: int | None) -> str:
    """Go's wording for how a process ended, as Lambda's messages quote it."""
    if returncode is None:
        return "signal: killed"
    if returncode < 0:
        try:
            name = signal.strsignal(-returncode) or f"signal {-returncode}"
        except ValueError:
            name = f"signal {-returncode}"
        return f"signal: {name[0].lower() + name[1:]}"
    return f"exit status {returncode}"


def exit_outcome(request_id: str, returncode: int | None, log: bytes, duration: float) -> Outcome:
    """Lambda's answer when the runtime process died during an invocation (or its init)."""
    if returncode == 0:
        message = f"RequestId: {request_id} Error: Runtime exited without providing a reason"
    else:
        message = (
            f"RequestId: {request_id} Error: Runtime exited with error: {describe_exit(returncode)}"
        )
    return Outcome(
        payload=error_payload("Runtime.ExitError", message),
        error=True,
        log=log,
        status="error",
        duration=duration,
    )


class LogCapture:
    """An unlinked append-only file a worker writes its stdout and stderr to."""

    def __init__(self) -> None:
        handle, path = tempfile.mkstemp(prefix="statewise-worker-", suffix=".log")
        os.close(handle)
        # O_APPEND: after the file is emptied, the worker's writes go to its new end.
        self.fd = os.open(path, os.O_RDWR | os.O_APPEND)
        os.unlink(path)

    def mark(self) -> int:
        return os.fstat(self.fd).st_size

    def since(self, offset: int) -> bytes:
        size = os.fstat(self.fd).st_size
        return os.pread(self.fd, size - offset, offset) if size > offset else b""

    def reset_if_large(self) -> None:
        """Empty the file while the worker is idle, so a long-lived worker stays small."""
        if os.fstat(self.fd).st_size > _LOG_RESET_BYTES:
            os.ftruncate(self.fd, 0)

    def close(self) -> None:
        # Once only: a descriptor number closed twice may by then be another file's.
        fd, self.fd = self.fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)


def peak_memory_mb(pid: int) -> int:
    """VmHWM of a live process in MB (0 when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class Worker(Protocol):
    """One execution environment of one function version."""

    config: FunctionConfig
    pid: int | None

    @property
    def alive(self) -> bool: ...

    async def start(self, request_id: str) -> Outcome | None:
        """Start and initialise; None when ready, else the init failure to answer with."""
        ...

    async def invoke(self, invocation: Invocation) -> Outcome: ...

    async def kill(self) -> None: ...


class ProcessWorker:
    """What both kinds of worker share: the process, its log and killing it."""

    def __init__(self, config: FunctionConfig, *, env: dict[str, str], cwd: Path) -> None:
        self.config = config
        self.env = env
        self.cwd = cwd
        self.log = LogCapture()
        self.process: asyncio.subprocess.Process | None = None
        self.pid: int | None = None
        self._exited: asyncio.Task[int] | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def _spawn(self, argv: list[str], pass_fds: tuple[int, ...] = ()) -> None:
        if _SETPRIV:
            argv = [_SETPRIV, "--pdeathsig", "KILL", "--", *argv]
        self.process = await asyncio.create_subprocess_exec(
            *argv,
            env=self.env,
            cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self.log.fd,
            stderr=self.log.fd,
            pass_fds=pass_fds,
            # Its own process group, so a timeout kills what the function started too.
            start_new_session=True,
        )
        self.pid = self.process.pid
        self._exited = asyncio.ensure_future(self.process.wait())

    async def kill(self) -> None:
        """Kill the process group and reap it; safe to call twice."""
        if self.process is not None and self.process.returncode is None:
            # Signal by pid rather than Process.kill(): that polls, reaping the child behind
            # the event loop's child watcher.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.process.pid, signal.SIGKILL)
        if self._exited is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(10):
                    await asyncio.shield(self._exited)
        self._close()
        self.log.close()

    def _close(self) -> None:
        """Release what the subclass holds (pipes, a listener)."""

    def _returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode


Frame = tuple[dict[str, Any], bytes]
_EXPIRED: Any = object()


class FrameReader(asyncio.Protocol):
    """Parses a worker's frames as they arrive and hands each to the one waiting caller.

    A plain protocol rather than a StreamReader: an invocation costs one future and no
    intermediate reads, which matters on the path every warm invocation takes.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._frames: list[Frame] = []
        self._waiter: asyncio.Future[Frame | None] | None = None
        self.closed = False

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        size = protocol.HEADER.size
        while len(self._buffer) >= size:
            meta_size, body_size = protocol.HEADER.unpack_from(self._buffer)
            end = size + meta_size + body_size
            if len(self._buffer) < end:
                break
            meta = orjson.loads(bytes(self._buffer[size : size + meta_size]) or b"{}")
            frame = (meta, bytes(self._buffer[size + meta_size : end]))
            del self._buffer[:end]
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(frame)
                self._waiter = None
            else:
                self._frames.append(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def expect(self) -> asyncio.Future[Frame | None]:
        """A future for the next frame (None when the worker's end closed)."""
        waiter: asyncio.Future[Frame | None] = asyncio.get_running_loop().create_future()
        if self._frames:
            waiter.set_result(self._frames.pop(0))
        elif self.closed:
            waiter.set_result(None)
        else:
            self._waiter = waiter
        return waiter


async def _within(waiter: asyncio.Future[Frame | None], seconds: float) -> Frame | None:
    """The frame, None at end of file, or _EXPIRED after ``seconds``."""

    def expire() -> None:
        if not waiter.done():
            waiter.set_result(_EXPIRED)

    timer = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        return await waiter
    finally:
        timer.cancel()


class PythonWorker(ProcessWorker):
    """A ``python3.x`` worker: ``bootstrap.py`` over a pair of pipes."""

    def __init__(
        self,
        config: FunctionConfig,
        *,
        env: dict[str, str],
        cwd: Path,
        interpreter: str = sys.executable,
        pycache: Path | None = None,
    ) -> None:
        super().__init__(config, env=env, cwd=cwd)
        self.interpreter = interpreter
        self.pycache = pycache
        self._reader = FrameReader()
        self._writer: asyncio.WriteTransport | None = None
        self._read_transport: asyncio.BaseTransport | None = None
        self._log_end = 0

    async def start(self, request_id: str) -> Outcome | None:
        began = time.monotonic()
        offset = self.log.mark()
        from_parent, to_child = os.pipe()  # invocations: server -> worker
        from_child, to_parent = os.pipe()  # results: worker -> server
        argv = [self.interpreter, "-u"]
        if self.pycache is not None:
            # Bytecode of user code goes here, so the code directory stays as deployed.
            argv += ["-X", f"pycache_prefix={self.pycache}"]
        argv += [str(BOOTSTRAP), str(from_parent), str(to_parent)]
        try:
            await self._spawn(argv, pass_fds=(from_parent, to_parent))
        finally:
            os.close(from_parent)
            os.close(to_parent)
        loop = asyncio.get_running_loop()
        self._read_transport, _ = await loop.connect_read_pipe(
            lambda: self._reader, os.fdopen(from_child, "rb", 0)
        )
        transport, _ = await loop.connect_write_pipe(
            asyncio.BaseProtocol, os.fdopen(to_child, "wb", 0)
        )
        self._writer = transport
        frame = await _within(self._reader.expect(), INIT_TIMEOUT_SECONDS)
        if frame is _EXPIRED:
            await self.kill()
            return timeout_outcome(
                request_id, INIT_TIMEOUT_SECONDS, self._log_after(offset), time.monotonic() - began
            )
        if frame is None:
            returncode = await self._wait_exit()
            return exit_outcome(
                request_id, returncode, self._log_after(offset), time.monotonic() - began
            )
        meta, body = frame
        if meta.get("type") != "ready":
            log = self._log_after(offset)
            await self.kill()
            error = orjson.loads(body) if body else {}
            error["requestId"] = request_id
            return Outcome(
                payload=orjson.dumps(error),
                error=True,
                log=log,
                status="error",
                init_duration=time.monotonic() - began,
            )
        self._log_end = self.log.mark()
        return None

    def _log_after(self, offset: int) -> bytes:
        try:
            return self.log.since(offset)
        except OSError:
            return b""

    async def _wait_exit(self) -> int | None:
        if self._exited is None:
            return None
        try:
            async with asyncio.timeout(2):
                return await asyncio.shield(self._exited)
        except TimeoutError:
            await self.kill()
            return self._returncode()

    async def invoke(self, invocation: Invocation) -> Outcome:
        assert self._writer is not None
        began = time.monotonic()
        deadline_ms = int((time.time() + invocation.timeout) * 1000)
        meta = {
            "type": "invoke",
            "id": invocation.request_id,
            "deadline_ms": deadline_ms,
            "arn": invocation.invoked_arn,
            "trace": invocation.trace_id,
            "client_context": invocation.client_context,
        }
        waiter = self._reader.expect()
        data = orjson.dumps(meta)
        # One write, so one system call wakes the worker.
        header = protocol.HEADER.pack(len(data), len(invocation.payload))
        self._writer.write(header + data + invocation.payload)
        frame = await _within(waiter, invocation.timeout)
        if frame is _EXPIRED:
            offset = self._invocation_start()
            await self.kill()
            return timeout_outcome(
                invocation.request_id,
                invocation.timeout,
                self._log_after(offset),
                time.monotonic() - began,
            )
        duration = time.monotonic() - began
        if frame is None:
            offset = self._invocation_start()
            returncode = await self._wait_exit()
            return exit_outcome(
                invocation.request_id, returncode, self._log_after(offset), duration
            )
        reply, body = frame
        log_size = int(reply.get("log") or 0)
        self._log_end = int(reply.get("end") or 0)
        return Outcome(
            payload=body[log_size:],
            error=reply.get("type") == "error",
            log=body[:log_size],
            duration=duration,
            max_memory_mb=int(reply.get("memory") or 0),
        )

    def _invocation_start(self) -> int:
        """Where the log of an invocation that never answered starts: where the last answer
        left it (the worker reads its own log until then), or 0 if the worker emptied it."""
        try:
            size = self.log.mark()
        except OSError:
            return 0
        return self._log_end if self._log_end <= size else 0

    def _close(self) -> None:
        for transport in (self._writer, self._read_transport):
            if transport is not None:
                transport.close()
        self._writer = self._read_transport = None
