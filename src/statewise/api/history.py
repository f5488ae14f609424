"""GetExecutionHistory: stored events as AWS's HistoryEvent shapes, paginated (HIST-1..3)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from statewise.engine.history import details_key
from statewise.errors import InvalidToken
from statewise.store.base import EventRecord, Store

# Detail members that carry execution data, dropped when includeExecutionData is false.
_DATA_MEMBERS = ("input", "output", "parameters")


def event_shape(event: EventRecord, *, include_data: bool = True) -> dict[str, Any]:
    """One HistoryEvent: timestamp, type, id, previousEventId and its details member."""
    shape: dict[str, Any] = {
        "timestamp": event.timestamp,
        "type": event.type,
        "id": event.id,
        "previousEventId": event.previous_event_id,
    }
    key = details_key(event.type)
    if key is not None:
        details = orjson.loads(event.details) if event.details else {}
        if not include_data:
            for member in _DATA_MEMBERS:
                details.pop(member, None)
        shape[key] = details
    return shape


def _encode(position: int, reverse: bool) -> str:
    return base64.urlsafe_b64encode(f"{int(reverse)}:{position}".encode()).decode()


def _decode(token: str, reverse: bool) -> int:
    try:
        direction, _, position = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if int(direction) != int(reverse):
            raise ValueError("token of the other direction")
        return int(position)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidToken(f"Invalid Token: '{token}'") from None


async def history_page(
    store: Store,
    arn: str,
    *,
    limit: int,
    reverse: bool,
    token: str | None,
    include_data: bool,
) -> dict[str, Any]:
    """A page of events, with ``nextToken`` when more remain."""
    after = _decode(token, reverse) if token else 0
    events = await store.get_events(arn, after_id=after, limit=limit + 1, reverse=reverse)
    page = events[:limit]
    result: dict[str, Any] = {"events": [event_shape(e, include_data=include_data) for e in page]}
    if len(events) > limit and page:
        result["nextToken"] = _encode(page[-1].id, reverse)
    return result
