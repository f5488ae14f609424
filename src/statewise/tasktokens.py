"""Task tokens: unforgeable names of one task attempt, checked without storing anything."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import orjson

_VERSION = 1
KEY_BYTES = 32
KEY_FILE = "task-token.key"


@dataclass(frozen=True, slots=True)
class TaskAttempt:
    """What a valid token names: one attempt of one frame of one execution.

    ``start_ms`` is the execution's start time, so a token of an execution whose name was
    used again (after its history was deleted) never matches the new one.
    """

    execution_arn: str
    frame_id: int
    attempt: int
    start_ms: int


class BadToken(ValueError):
    """The text is not a token this server issued (malformed or wrongly signed)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TaskTokens:
    """Issues and checks task tokens with an HMAC key.

    A token is the attempt it names plus an HMAC-SHA256 tag over it. It is deterministic
    per attempt, so ``$$.Task.Token`` read by Parameters, the token a redispatched attempt
    sends again and the one an activity worker receives are the same text, and nothing per
    token is stored: checking one needs only the key and the frame's current attempt. A
    retry or a new visit to the state is a new attempt, hence a new token (CTX-5, INT-3).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a task token key needs at least 16 bytes")
        self._key = key

    @classmethod
    def ephemeral(cls) -> TaskTokens:
        """Tokens that die with the process (in-memory stores, tests)."""
        return cls(secrets.token_bytes(KEY_BYTES))

    def _tag(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def issue(self, execution_arn: str, frame_id: int, attempt: int, start_date: float) -> str:
        """The token of one attempt."""
        start_ms = round(start_date * 1000)
        body = orjson.dumps([_VERSION, execution_arn, frame_id, attempt, start_ms])
        return f"{_b64(body)}.{_b64(self._tag(body))}"

    def verify(self, token: str) -> TaskAttempt:
        """The attempt a token names.

        Raises:
            BadToken: the token is malformed or was not signed with this key.
        """
        head, dot, tail = token.partition(".")
        if not dot or not head or not tail:
            raise BadToken(token)
        try:
            body, tag = _unb64(head), _unb64(tail)
        except (binascii.Error, ValueError):
            raise BadToken(token) from None
        if not hmac.compare_digest(tag, self._tag(body)):
            raise BadToken(token)
        try:
            version, arn, frame_id, attempt, start_ms = orjson.loads(body)
        except (orjson.JSONDecodeError, ValueError, TypeError):
            raise BadToken(token) from None
        if version != _VERSION or not isinstance(arn, str):
            raise BadToken(token)
        return TaskAttempt(arn, int(frame_id), int(attempt), int(start_ms))


def load_key(data_dir: Path) -> bytes:
    """The server's token key from ``data_dir``, created (owner-only) on first use.

    Kept beside the SQLite store so tokens handed out before a restart still verify.
    """
    path = data_dir / KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    try:
        # Another process may have won the race: keep whichever key landed first.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def from_settings(key_hex: str | None, data_dir: Path | None) -> TaskTokens:
    """Tokens with the configured key, else the data directory's, else an ephemeral one
    (no durable data directory: tokens could not outlive the process anyway)."""
    if key_hex:
        return TaskTokens(bytes.fromhex(key_hex))
    if data_dir is not None:
        return TaskTokens(load_key(data_dir))
    return TaskTokens.ephemeral()
