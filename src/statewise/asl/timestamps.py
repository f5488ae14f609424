"""ASL timestamps: parsing ISO-8601 offset date-times and formatting context/history times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# RFC 3339 as profiled by ASL (ASL-CHOICE-10, ASL-WAIT-3): uppercase ``T`` and ``Z``, seconds
# required, any number of fraction digits, and a zone that is either ``Z`` or ``±hh:mm``.
# re.ASCII keeps ``[0-9]`` honest and fullmatch() stops ``$`` accepting a trailing newline.
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))",
    re.ASCII,
)

# AWS parses with Java's ZoneOffset, which accepts at most ±18:00; Python would take up to 23:59.
_MAX_OFFSET_MINUTES = 18 * 60

# A handful of distinct offsets occur in practice; reusing the tzinfo objects keeps parsing cheap.
_ZONES: dict[int, timezone] = {0: UTC}


def _zone(minutes: int) -> timezone:
    zone = _ZONES.get(minutes)
    if zone is None:
        zone = _ZONES.setdefault(minutes, timezone(timedelta(minutes=minutes)))
    return zone


def parse_timestamp(text: object) -> datetime | None:
    """Parse an ASL timestamp such as ``2016-08-18T17:33:00Z`` or ``...00.5+05:30``.

    Fractional seconds beyond microseconds are truncated, since Python datetimes stop there.

    Args:
        text: any JSON value; only strings can be timestamps.

    Returns:
        An aware datetime carrying the written offset (compare them as instants), or None
        when ``text`` is not a valid ASL timestamp.
    """
    if type(text) is not str:
        return None
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = m.groups()
    if sign is None:
        zone = UTC
    else:
        offset_minutes = int(off_h) * 60 + int(off_m)
        if int(off_m) > 59 or offset_minutes > _MAX_OFFSET_MINUTES:
            return None
        zone = _zone(-offset_minutes if sign == "-" else offset_minutes)
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            micro,
            tzinfo=zone,
        )
    except ValueError:
        # Month 13, February 30, hour 24, second 60, year 0000 and the like.
        return None


def format_timestamp(dt: datetime) -> str:
    """Format a time as the context object and history show it: ``2019-03-26T20:14:13.192Z``.

    The time is converted to UTC and cut (not rounded) to milliseconds, so a formatted time
    never lies in the future of the instant it records. A naive datetime is taken as UTC.
    """
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T"
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )
