"""AWS Signature Version 4 checks for servers reachable beyond loopback.

The SDKs and the CLI sign every request already; the server recomputes the signature with
the secret configured for the access key and compares. The canonical request follows
botocore's signer step for step (its path normalization, query ordering, header trimming
and excluded headers), so it is built exactly as the clients build it; it is assembled here
rather than through botocore's request objects because those cost ~110 µs a request, as much
as serving a StartExecution (bench/api_start.py), and the signing key is the same for a key's
whole day.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from botocore.auth import SIGNED_HEADERS_BLACKLIST
from botocore.utils import normalize_url_path

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<headers>[^,]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
_STAMP = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
# Headers a signer leaves out even when listed (proxies rewrite them): botocore's list.
_UNSIGNED = frozenset(SIGNED_HEADERS_BLACKLIST)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Requests signed more than this long ago (or ahead) are refused, as AWS does.
MAX_SKEW_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class AuthError(Exception):
    """A request that may not be served: AWS's code, message and HTTP status."""

    code: str
    message: str
    status: int = 403


def verify(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, str],
    now: datetime | None = None,
) -> str:
    """Check a request's SigV4 signature; returns the access key id.

    Raises:
        AuthError: missing, malformed, unknown or wrong signature, or too old.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    header = lowered.get("authorization")
    if not header:
        raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = _AUTHORIZATION.fullmatch(header.strip())
    if match is None:
        raise AuthError(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
            "parameters of an AWS4-HMAC-SHA256 signature.",
            400,
        )
    key_id = match["key"]
    secret = keys.get(key_id)
    if secret is None:
        raise AuthError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    stamp = lowered.get("x-amz-date", "")
    signed_at = _parse_stamp(stamp)
    current = now or datetime.now(UTC)
    if abs((current - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise AuthError(
            "InvalidSignatureException",
            f"Signature expired: {stamp} is now earlier or later than allowed.",
        )
    signed = {
        name: lowered[name]
        for name in match["headers"].split(";")
        if name in lowered and name not in _UNSIGNED
    }
    canonical = _canonical_request(method, url, signed, body)
    day = stamp[:8]
    scope = f"{day}/{match['region']}/{match['service']}/aws4_request"
    string_to_sign = "\n".join(
        ("AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest())
    )
    key = _signing_key(secret, day, match["region"], match["service"])
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        raise AuthError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return key_id


def _parse_stamp(stamp: str) -> datetime:
    """X-Amz-Date's ``YYYYMMDDTHHMMSSZ``; strptime cost more than the rest of the check."""
    match = _STAMP.fullmatch(stamp)
    try:
        if match is None:
            raise ValueError(stamp)
        year, month, day, hour, minute, second = map(int, match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise AuthError(
            "IncompleteSignatureException", "Missing or malformed X-Amz-Date header.", 400
        ) from None


def _canonical_request(method: str, url: str, headers: dict[str, str], body: bytes) -> str:
    """SigV4's canonical request, as botocore's signer builds it for the same request."""
    parts = urlsplit(url)
    path = quote(normalize_url_path(parts.path), safe="/~")
    query = ""
    if parts.query:
        pairs = sorted(pair.partition("=")[::2] for pair in parts.query.split("&"))
        query = "&".join(f"{name}={value}" for name, value in pairs)
    if "host" not in headers:
        headers = {**headers, "host": _host_from_url(parts.scheme, parts.hostname, parts.port)}
    names = sorted(headers)
    canonical_headers = "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in names)
    # The payload line is the body's own hash, even when the client also sent it in
    # X-Amz-Content-SHA256: a signed claim about the body must not stand in for the body.
    payload = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path, query, canonical_headers, ";".join(names), payload))


def _host_from_url(scheme: str, hostname: str | None, port: int | None) -> str:
    """The Host a client without one would have signed: lowercase, default port omitted."""
    host = hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return host


@functools.lru_cache(maxsize=256)
def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """SigV4's derived key: four HMACs, the same for every request of that key that day."""
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
