"""Task tokens: unforgeable, durable, one per attempt (INT-3, CTX-5, Q-14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from statewise.store.memory import MemoryStore
from statewise.store.sqlite import SqliteStore
from statewise.tasktokens import (
    KEY_FILE,
    SETTING,
    BadToken,
    TaskAttempt,
    TaskTokens,
    from_settings,
    load_key,
    read_key_file,
)

ARN = "arn:aws:states:us-east-1:123456789012:execution:machine:run"


def test_round_trip_and_length() -> None:
    """A token names its attempt and fits the API's 1-2,048 characters (Q-14)."""
    tokens = TaskTokens.ephemeral()
    token = tokens.issue(ARN, 3, 7, 1_700_000_000.123)
    assert tokens.verify(token) == TaskAttempt(ARN, 3, 7, 1_700_000_000_123)
    assert 1 <= len(token) <= 2048
    assert tokens.issue(ARN, 3, 7, 1_700_000_000.123) == token
    assert tokens.issue(ARN, 3, 8, 1_700_000_000.123) != token


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"), id="tag"),
        pytest.param(lambda t: "x" + t, id="body"),
        pytest.param(lambda t: t.replace(".", ""), id="no-separator"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "!!!.???", id="not-base64"),
    ],
)
def test_tampered_tokens_are_rejected(tamper: object) -> None:
    tokens = TaskTokens.ephemeral()
    token = tokens.issue(ARN, 0, 1, 0.0)
    with pytest.raises(BadToken):
        tokens.verify(tamper(token))  # type: ignore[operator]


def test_another_key_cannot_forge() -> None:
    token = TaskTokens.ephemeral().issue(ARN, 0, 1, 0.0)
    with pytest.raises(BadToken):
        TaskTokens.ephemeral().verify(token)


async def test_key_is_kept_in_the_store(tmp_path: Path) -> None:
    """Every node of a store gets one key (the first one stored), so a token issued on one
    verifies on another and after a restart; an explicit key wins over the store's."""
    store = SqliteStore(tmp_path / "s.db")
    await store.open()
    try:
        first = await from_settings(None, store, None)
        token = first.issue(ARN, 0, 1, 0.0)
        assert (await from_settings(None, store, tmp_path)).verify(token).attempt == 1
        assert not (tmp_path / KEY_FILE).exists()  # nothing is written to a data directory
        explicit = await from_settings("ab" * 32, store, None)
        with pytest.raises(BadToken):
            explicit.verify(token)
        assert await store.ensure_setting(SETTING, "") != "ab" * 32
    finally:
        await store.close()
    reopened = SqliteStore(tmp_path / "s.db")
    await reopened.open()
    try:
        assert (await from_settings(None, reopened, None)).verify(token).frame_id == 0
    finally:
        await reopened.close()


async def test_a_data_directory_key_moves_into_the_store(tmp_path: Path) -> None:
    """The key file of a data directory from before keys lived in the store is the key the
    store keeps, so tokens issued before the upgrade stay valid; the file stays too."""
    old = bytes(range(32))
    (tmp_path / KEY_FILE).write_text(old.hex(), encoding="ascii")
    token = TaskTokens(old).issue(ARN, 2, 5, 10.0)
    store = MemoryStore()
    await store.open()
    assert (await from_settings(None, store, tmp_path)).verify(token).attempt == 5
    assert await load_key(store, None) == old
    assert read_key_file(tmp_path) == old
    assert read_key_file(tmp_path / "elsewhere") is None
