"""AWS Signature Version 4 checks for servers reachable beyond loopback.

The SDKs and the CLI sign every request already; the server recomputes the signature with
the secret configured for the access key and compares. The signing itself is botocore's, so
the canonical request is built exactly as the clients build it.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<headers>[^,]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
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
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise AuthError(
            "IncompleteSignatureException", "Missing or malformed X-Amz-Date header.", 400
        ) from None
    current = now or datetime.now(UTC)
    if abs((current - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise AuthError(
            "InvalidSignatureException",
            f"Signature expired: {stamp} is now earlier or later than allowed.",
        )
    signed_names = match["headers"].split(";")
    request = AWSRequest(
        method=method,
        url=url,
        data=body,
        headers={name: lowered[name] for name in signed_names if name in lowered},
    )
    signer = SigV4Auth(Credentials(key_id, secret), match["service"], match["region"])
    request.context["timestamp"] = stamp
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["signature"]):
        raise AuthError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return key_id
