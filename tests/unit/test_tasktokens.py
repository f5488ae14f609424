"""Task tokens: unforgeable, durable, one per attempt (INT-3, CTX-5, Q-14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from statewise.tasktokens import BadToken, TaskAttempt, TaskTokens, from_settings, load_key

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


def test_key_is_kept_in_the_data_directory(tmp_path: Path) -> None:
    """The same key after a restart, readable by the owner only."""
    first = load_key(tmp_path)
    assert load_key(tmp_path) == first
    assert (tmp_path / "task-token.key").stat().st_mode & 0o077 == 0
    token = from_settings(None, tmp_path).issue(ARN, 0, 1, 0.0)
    assert from_settings(None, tmp_path).verify(token).attempt == 1
    assert from_settings(first.hex(), None).verify(token).frame_id == 0
