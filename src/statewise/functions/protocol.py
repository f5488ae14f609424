"""Frames between the server and a Python worker, shared by both sides (stdlib only).

A frame is two big-endian 32-bit lengths, a JSON object of metadata and a raw body. The
body carries event and result JSON untouched, so neither side parses a payload twice.

Server to worker: ``{"type": "invoke", "id", "deadline_ms", "arn", "trace", "client_context",
"identity"}`` with the event as body. Worker to server: ``{"type": "ready"}`` after init,
``{"type": "init_error"}`` with the error JSON as body (then the worker exits),
``{"type": "result", "id"}`` with the result JSON, or ``{"type": "error", "id"}`` with
Lambda's error object.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

HEADER = struct.Struct(">II")


def encode(meta: dict[str, Any], body: bytes = b"") -> bytes:
    """One frame."""
    data = json.dumps(meta, separators=(",", ":")).encode()
    return HEADER.pack(len(data), len(body)) + data + body


def decode_meta(data: bytes) -> dict[str, Any]:
    meta = json.loads(data)
    if not isinstance(meta, dict):
        raise ValueError("frame metadata must be a JSON object")
    return meta


def _read_exactly(fd: int, size: int) -> bytes | None:
    if not size:
        return b""
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> tuple[dict[str, Any], bytes] | None:
    """The next frame from a blocking file descriptor; None at end of file."""
    header = _read_exactly(fd, HEADER.size)
    if header is None:
        return None
    meta_size, body_size = HEADER.unpack(header)
    data = _read_exactly(fd, meta_size + body_size)
    if data is None:
        return None
    return decode_meta(data[:meta_size] or b"{}"), data[meta_size:]


def write_frame(fd: int, meta: dict[str, Any], body: bytes = b"") -> None:
    """Write a whole frame to a blocking file descriptor."""
    view = memoryview(encode(meta, body))
    while view:
        written = os.write(fd, view)
        view = view[written:]
