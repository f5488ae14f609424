"""Pagination shared by every backend: opaque keyset tokens and page assembly.

A token names the sort key and arn of the last item of a page, so the next page starts
right after it whatever was added or deleted in between, and page N costs what page 1 does.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson

from statewise.store.base import ResourcePage

_T = TypeVar("_T")

# Each listing's token starts with its kind, so a token from one listing (or from
# list_executions, whose tokens have no kind) is rejected by another instead of silently
# pointing somewhere meaningless.
MACHINE_TOKEN = "stateMachine"
VERSION_TOKEN = "version"
ALIAS_TOKEN = "alias"
ACTIVITY_TOKEN = "activity"


def encode_page_token(start_date: float, arn: str) -> str:
    """The opaque ``next_token`` after an execution: where the next page starts (keyset)."""
    return base64.urlsafe_b64encode(orjson.dumps([start_date, arn])).decode("ascii")


def decode_page_token(token: str) -> tuple[float, str]:
    """The ``(start_date, arn)`` a token from :func:`encode_page_token` points after.

    Raises:
        ValueError: the token was not made by :func:`encode_page_token`.
    """
    try:
        value = orjson.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"invalid pagination token: {token!r}") from exc
    match value:
        case [int() | float() as start_date, str() as arn] if not isinstance(start_date, bool):
            return float(start_date), arn
    raise ValueError(f"invalid pagination token: {token!r}")


def encode_resource_token(kind: str, key: str | int | float, arn: str) -> str:
    """The opaque ``next_token`` after a resource of a listing ``kind`` with sort ``key``."""
    return base64.urlsafe_b64encode(orjson.dumps([kind, key, arn])).decode("ascii")


def _decode_resource_token(kind: str, token: str) -> tuple[object, str]:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"invalid pagination token: {token!r}") from exc
    match value:
        case [str() as found, key, str() as arn] if found == kind:
            return key, arn
    raise ValueError(f"invalid pagination token: {token!r}")


def _decode_name_token(kind: str, token: str) -> tuple[str, str]:
    match _decode_resource_token(kind, token):
        case (str() as name, arn):
            return name, arn
    raise ValueError(f"invalid pagination token: {token!r}")


def decode_machine_token(token: str) -> tuple[str, str]:
    """The ``(name, arn)`` a list_state_machines token points after.

    Raises:
        ValueError: the token was not made for list_state_machines.
    """
    return _decode_name_token(MACHINE_TOKEN, token)


def decode_activity_token(token: str) -> tuple[str, str]:
    """The ``(name, arn)`` a list_activities token points after.

    Raises:
        ValueError: the token was not made for list_activities.
    """
    return _decode_name_token(ACTIVITY_TOKEN, token)


def decode_version_token(token: str) -> tuple[int, str]:
    """The ``(version, arn)`` a list_versions token points after.

    Raises:
        ValueError: the token was not made for list_versions.
    """
    match _decode_resource_token(VERSION_TOKEN, token):
        case (int() as version, arn) if not isinstance(version, bool):
            return version, arn
    raise ValueError(f"invalid pagination token: {token!r}")


def decode_alias_token(token: str) -> tuple[float, str]:
    """The ``(creation_date, arn)`` a list_aliases token points after.

    Raises:
        ValueError: the token was not made for list_aliases.
    """
    match _decode_resource_token(ALIAS_TOKEN, token):
        case (int() | float() as created, arn) if not isinstance(created, bool):
            return float(created), arn
    raise ValueError(f"invalid pagination token: {token!r}")


def check_limit(limit: int) -> None:
    """Reject a page size below one, as every listing does."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")


def resource_page(
    records: Sequence[_T], limit: int, kind: str, key: Callable[[_T], tuple[Any, str]]
) -> ResourcePage:
    """The page for ``records`` (fetched in order, up to ``limit + 1``): one more row than
    asked means another page exists, so the last page never has a token to an empty page."""
    if len(records) <= limit:
        return ResourcePage(items=list(records))
    sort_key, arn = key(records[limit - 1])
    return ResourcePage(
        items=list(records[:limit]), next_token=encode_resource_token(kind, sort_key, arn)
    )
