"""Task tokens: unforgeable names of one task attempt, checked without storing anything
but the key, which every node of a database shares (it lives in the store)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import orjson

_VERSION = 1
KEY_BYTES = 32
# Where statewise kept the key before schema 0003 moved it into the store.
KEY_FILE = "task-token.key"
# The store setting that holds the key (hex).
SETTING = "task_token_key"


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


class SettingsStore(Protocol):
    """What the key needs of the store (``Store.ensure_setting``)."""

    async def ensure_setting(self, name: str, value: str) -> str: ...


def read_key_file(data_dir: Path) -> bytes | None:
    """The key a pre-0003 statewise kept in ``data_dir``, or None when there is none."""
    try:
        return bytes.fromhex((data_dir / KEY_FILE).read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return None


async def load_key(store: SettingsStore, data_dir: Path | None) -> bytes:
    """The task token key every node of the store's database shares.

    The first node to start stores a fresh key; the others, starting at the same moment or
    later, read back the one that landed first. A data directory that still has a key file
    from before the key moved into the store offers that key instead, so that tokens handed
    out before the upgrade (to workers, to callback systems) stay valid; the file is kept,
    so a downgrade still finds it.
    """
    old = read_key_file(data_dir) if data_dir is not None else None
    offered = old if old is not None else secrets.token_bytes(KEY_BYTES)
    return bytes.fromhex(await store.ensure_setting(SETTING, offered.hex()))


async def from_settings(
    key_hex: str | None, store: SettingsStore, data_dir: Path | None
) -> TaskTokens:
    """Tokens with the configured key (``STATEWISE_TASK_TOKEN_KEY``), else the store's.

    ``store`` must be open. An in-memory store keeps its key no longer than the process, as
    it keeps everything else.
    """
    if key_hex:
        return TaskTokens(bytes.fromhex(key_hex))
    return TaskTokens(await load_key(store, data_dir))
