"""How the console writes times, durations and JSON for people."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson


def timestamp(value: float | None) -> str:
    """``2026-11-01 09:30:00.125 UTC``; empty for None."""
    if value is None:
        return ""
    moment = datetime.fromtimestamp(value, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def iso(value: float | None) -> str:
    """ISO 8601 for ``<time datetime>``, so the browser can show local time."""
    if value is None:
        return ""
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="milliseconds")


def duration(seconds: float | None) -> str:
    """12 ms, 3.2 s, 4 m 5 s, 2 h 3 m, 30 d 0 h; empty for None."""
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} m" if hours else f"{minutes} m {secs} s"


def millis(value: float | None) -> str:
    """``12.34 ms`` as Lambda's REPORT lines write durations; empty for None."""
    return "" if value is None else f"{value:.2f} ms"


def lambda_time(text: str) -> str:
    """Lambda's LastModified (``2026-01-01T00:00:00.000+0000``) as :func:`timestamp` writes
    times; text in any other form is returned as it is."""
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return text
    return timestamp(moment.timestamp())


def size(value: int) -> str:
    """Bytes for people: ``812 B``, ``4.0 KiB``, ``2.5 MiB``."""
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KiB"
    return f"{value / 1024 / 1024:.1f} MiB"


def pretty(text: str | None) -> str:
    """JSON text indented for reading; text that is not JSON is returned as it is."""
    if text is None:
        return ""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
