"""Console sessions: a cookie signed for one access key, refused when anything is off."""

from __future__ import annotations

import base64
import subprocess
import sys
import time

import orjson
import pytest

from statewise.ui.session import Sessions
from tests.ui.conftest import ROOT

KEYS = {"AKIDCONSOLE": "s3cret", "AKIDOTHER": "other"}


def test_login_and_check() -> None:
    sessions = Sessions(KEYS)
    assert sessions.required
    cookie = sessions.login("AKIDCONSOLE", "s3cret")
    assert cookie is not None
    assert sessions.check(cookie) == "AKIDCONSOLE"
    # Another node (or a restart) with the same keys accepts it.
    assert Sessions(dict(reversed(KEYS.items()))).check(cookie) == "AKIDCONSOLE"


@pytest.mark.parametrize(
    ("key_id", "secret"),
    [
        pytest.param("AKIDCONSOLE", "wrong", id="wrong-secret"),
        pytest.param("AKIDNOBODY", "s3cret", id="unknown-key"),
        pytest.param("AKIDCONSOLE", "", id="empty"),
        pytest.param("AKIDCONSOLE", "other", id="another-keys-secret"),
    ],
)
def test_bad_credentials(key_id: str, secret: str) -> None:
    assert Sessions(KEYS).login(key_id, secret) is None


def forged(cookie: str, **changes: object) -> str:
    encoded, _, signature = cookie.partition(".")
    payload = orjson.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    payload.update(changes)
    body = base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")
    return f"{body}.{signature}"


def test_refused_cookies() -> None:
    sessions = Sessions(KEYS)
    cookie = sessions.login("AKIDCONSOLE", "s3cret")
    assert cookie is not None
    assert sessions.check(None) is None
    assert sessions.check("") is None
    assert sessions.check("garbage") is None
    assert sessions.check("@@@.abc") is None
    assert sessions.check(cookie[:-1] + ("0" if cookie[-1] != "0" else "1")) is None
    assert sessions.check(forged(cookie, k="AKIDOTHER")) is None
    assert sessions.check(forged(cookie, e=int(time.time()) + 10**6)) is None
    assert sessions.check(cookie, now=time.time() + sessions.lifetime + 1) is None
    # Changing the keys (rotating a secret, removing a key) ends every session.
    assert Sessions({**KEYS, "AKIDCONSOLE": "rotated"}).check(cookie) is None
    assert Sessions({"AKIDOTHER": "other"}).check(cookie) is None


def test_no_keys_no_login() -> None:
    assert not Sessions({}).required


def test_vendored_assets_match_the_lock_file() -> None:
    """src/statewise/ui/static/vendor/ holds what ui/package-lock.json pins, byte for byte."""
    checked = subprocess.run(
        [sys.executable, str(ROOT / "ui" / "vendor.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
