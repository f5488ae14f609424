"""Console login: a signed session cookie for a server that has access keys.

The cookie names the access key it was made with and an expiry, signed with HMAC-SHA256
under a server secret derived from every configured key. Deriving rather than generating
it means every node with the same keys accepts the cookie and a restart keeps people logged
in, while changing any key logs everyone out; the key's own secret is mixed into the
signature too, so a cookie dies with its key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

import orjson

COOKIE = "statewise_session"
LIFETIME_SECONDS = 12 * 3600
_LABEL = b"statewise console session v1"


def server_secret(keys: Mapping[str, str]) -> bytes:
    """The signing secret for a set of access keys."""
    material = orjson.dumps(sorted(keys.items()))
    return hmac.new(_LABEL, material, hashlib.sha256).digest()


class Sessions:
    """Makes and checks session cookies for one set of access keys."""

    def __init__(self, keys: Mapping[str, str], *, lifetime: float = LIFETIME_SECONDS) -> None:
        self.keys = dict(keys)
        self.lifetime = lifetime
        self._secret = server_secret(self.keys)

    @property
    def required(self) -> bool:
        """Whether the console asks for a login at all (only when keys are configured)."""
        return bool(self.keys)

    def login(self, key_id: str, secret: str) -> str | None:
        """A cookie value for valid credentials, else None (compared in constant time)."""
        expected = self.keys.get(key_id)
        # Compare against something even for an unknown id so both cases take as long.
        valid = hmac.compare_digest((expected or "\0").encode(), secret.encode())
        if expected is None or not valid:
            return None
        return self._make(key_id, time.time() + self.lifetime)

    def _signature(self, key_id: str, payload: bytes) -> str:
        bound = hmac.new(self._secret, self.keys[key_id].encode(), hashlib.sha256).digest()
        return hmac.new(bound, payload, hashlib.sha256).hexdigest()

    def _make(self, key_id: str, expires: float) -> str:
        payload = orjson.dumps({"k": key_id, "e": int(expires)})
        encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{encoded}.{self._signature(key_id, payload)}"

    def check(self, cookie: str | None, *, now: float | None = None) -> str | None:
        """The access key id of a valid, unexpired cookie, else None."""
        if not cookie or "." not in cookie:
            return None
        encoded, _, signature = cookie.partition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            data = orjson.loads(payload)
        except (binascii.Error, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        key_id, expires = data.get("k"), data.get("e")
        if not isinstance(key_id, str) or not isinstance(expires, int) or key_id not in self.keys:
            return None
        if not hmac.compare_digest(self._signature(key_id, payload), signature):
            return None
        if expires < (time.time() if now is None else now):
            return None
        return key_id
