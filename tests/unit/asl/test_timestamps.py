"""Tests for ASL timestamp parsing and context-object time formatting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewise.asl.timestamps import format_timestamp, parse_timestamp


def _tz(hours: int, minutes: int = 0) -> timezone:
    sign = -1 if hours < 0 else 1
    return timezone(sign * timedelta(hours=abs(hours), minutes=minutes))


# ASL-WAIT-3 / ASL-CHOICE-10: ISO-8601 extended offset date-times, RFC 3339 profile.
VALID = [
    pytest.param("2016-08-18T17:33:00Z", datetime(2016, 8, 18, 17, 33, tzinfo=UTC), id="zulu"),
    pytest.param(
        "2016-08-18T17:33:00.000Z", datetime(2016, 8, 18, 17, 33, tzinfo=UTC), id="millis-zero"
    ),
    pytest.param(
        "2016-08-18T17:33:00.5Z",
        datetime(2016, 8, 18, 17, 33, 0, 500_000, tzinfo=UTC),
        id="one-fraction-digit",
    ),
    pytest.param(
        "2016-08-18T17:33:00.00Z", datetime(2016, 8, 18, 17, 33, tzinfo=UTC), id="two-digits"
    ),
    pytest.param(
        "2016-08-18T17:33:00.123456Z",
        datetime(2016, 8, 18, 17, 33, 0, 123_456, tzinfo=UTC),
        id="micros-kept",
    ),
    pytest.param(
        "2024-12-05T21:29:29.243167252Z",
        datetime(2024, 12, 5, 21, 29, 29, 243_167, tzinfo=UTC),
        id="nanos-truncated-to-micros",
    ),
    pytest.param(
        "2016-08-18T17:33:00+05:30",
        datetime(2016, 8, 18, 17, 33, tzinfo=_tz(5, 30)),
        id="positive-offset",
    ),
    pytest.param(
        "2016-08-18T17:33:00.250-08:00",
        datetime(2016, 8, 18, 17, 33, 0, 250_000, tzinfo=_tz(-8)),
        id="negative-offset-with-fraction",
    ),
    pytest.param(
        "2016-08-18T17:33:00+00:00", datetime(2016, 8, 18, 17, 33, tzinfo=UTC), id="plus-zero"
    ),
    pytest.param(
        "2016-08-18T17:33:00-00:00", datetime(2016, 8, 18, 17, 33, tzinfo=UTC), id="minus-zero"
    ),
    pytest.param(
        "2016-08-18T17:33:00+18:00",
        datetime(2016, 8, 18, 17, 33, tzinfo=_tz(18)),
        id="largest-java-offset",
    ),
    pytest.param("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC), id="leap-day"),
    pytest.param(
        "9999-12-31T23:59:59.999999Z",
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        id="latest",
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parse_valid(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() == expected.utcoffset()


# ASL-WAIT-3 rejections, plus the ASL spec's uppercase T and Z (ASL-CHOICE-10).
INVALID = [
    pytest.param("", id="empty"),
    pytest.param("2016-08-18T17:33:00", id="missing-zone"),
    pytest.param("2016-08-18T17:33:00.000", id="fraction-without-zone"),
    pytest.param("2016-08-18 17:33:00Z", id="space-for-T"),
    pytest.param("2016-08-18t17:33:00Z", id="lowercase-t"),
    pytest.param("2016-08-18T17:33:00z", id="lowercase-z"),
    pytest.param("2016-13-18T17:33:00Z", id="month-13"),
    pytest.param("2016-00-18T17:33:00Z", id="month-0"),
    pytest.param("2016-02-30T17:33:00Z", id="february-30"),
    pytest.param("2023-02-29T17:33:00Z", id="not-a-leap-year"),
    pytest.param("2016-08-32T17:33:00Z", id="day-32"),
    pytest.param("2016-08-18T25:33:00Z", id="hour-25"),
    pytest.param("2016-08-18T24:00:00Z", id="hour-24"),
    pytest.param("2016-08-18T17:60:00Z", id="minute-60"),
    pytest.param("2016-08-18T17:33:60Z", id="leap-second"),
    pytest.param("18-08-2016T17:33:00Z", id="dd-mm-yyyy"),
    pytest.param("2016-8-18T17:33:00Z", id="one-digit-month"),
    pytest.param("2016-08-18", id="date-only"),
    pytest.param("2016-08-18T17:33Z", id="no-seconds"),
    pytest.param("2016-08-18T17:33:00.Z", id="empty-fraction"),
    pytest.param("2016-08-18T17:33:00,5Z", id="comma-fraction"),
    pytest.param("2016-08-18T17:33:00+0530", id="offset-without-colon"),
    pytest.param("2016-08-18T17:33:00+05", id="offset-hours-only"),
    pytest.param("2016-08-18T17:33:00+05:30:00", id="offset-with-seconds"),
    pytest.param("2016-08-18T17:33:00+05:60", id="offset-minute-60"),
    pytest.param("2016-08-18T17:33:00+19:00", id="offset-beyond-18h"),
    pytest.param("2016-08-18T17:33:00Z+01:00", id="zulu-and-offset"),
    pytest.param("2016-08-18T17:33:00Z\n", id="trailing-newline"),
    pytest.param(" 2016-08-18T17:33:00Z", id="leading-space"),
    pytest.param("0000-01-01T00:00:00Z", id="year-zero"),
    pytest.param("+2016-08-18T17:33:00Z", id="signed-year"),
    pytest.param("２０１６-08-18T17:33:00Z", id="fullwidth-digits"),
    pytest.param("20160818T173300Z", id="basic-format"),
    pytest.param(None, id="null"),
    pytest.param(1471541580, id="epoch-number"),
    pytest.param(True, id="boolean"),
    pytest.param(["2016-08-18T17:33:00Z"], id="array"),
]


@pytest.mark.parametrize("text", INVALID)
def test_parse_invalid(text: object) -> None:
    assert parse_timestamp(text) is None


# ASL-CHOICE-10: timestamps compare as instants, whatever offset they are written in.
INSTANTS = [
    pytest.param("2016-08-18T17:33:00+01:00", "2016-08-18T16:33:00Z", 0, id="same-instant"),
    pytest.param("2016-08-18T17:33:00-01:00", "2016-08-18T17:33:00Z", 1, id="west-is-later"),
    pytest.param("2016-08-18T17:33:00.001Z", "2016-08-18T17:33:00Z", 1, id="millisecond"),
    pytest.param("2016-08-18T17:33:00.000001Z", "2016-08-18T17:33:00Z", 1, id="microsecond"),
    pytest.param("2016-08-19T00:30:00+14:00", "2016-08-18T10:30:00Z", 0, id="date-line"),
]


@pytest.mark.parametrize(("left", "right", "sign"), INSTANTS)
def test_parsed_timestamps_compare_as_instants(left: str, right: str, sign: int) -> None:
    a, b = parse_timestamp(left), parse_timestamp(right)
    assert a is not None and b is not None
    assert (a > b) - (a < b) == sign


# CTX-1: context-object and history times are UTC with milliseconds and a Z.
FORMATS = [
    pytest.param(
        datetime(2019, 3, 26, 20, 14, 13, 192_000, tzinfo=UTC),
        "2019-03-26T20:14:13.192Z",
        id="checklist-example",
    ),
    pytest.param(
        datetime(2019, 3, 26, 20, 14, 13, tzinfo=UTC), "2019-03-26T20:14:13.000Z", id="zero"
    ),
    pytest.param(
        datetime(2019, 3, 26, 20, 14, 13, 999_999, tzinfo=UTC),
        "2019-03-26T20:14:13.999Z",
        id="truncated-not-rounded",
    ),
    pytest.param(
        datetime(2019, 3, 27, 1, 44, 13, 5_000, tzinfo=_tz(5, 30)),
        "2019-03-26T20:14:13.005Z",
        id="converted-to-utc",
    ),
    pytest.param(datetime(2019, 3, 26, 20, 14, 13), "2019-03-26T20:14:13.000Z", id="naive-is-utc"),
    pytest.param(
        datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC), "0005-01-02T03:04:05.000Z", id="padded-year"
    ),
]


@pytest.mark.parametrize(("dt", "text"), FORMATS)
def test_format_timestamp(dt: datetime, text: str) -> None:
    assert format_timestamp(dt) == text


@given(st.datetimes(timezones=st.just(UTC)))
def test_format_then_parse_round_trips_to_the_millisecond(dt: datetime) -> None:
    # CTX-1 times must themselves be valid ASL timestamps (a Choice may compare $$ times).
    assert parse_timestamp(format_timestamp(dt)) == dt.replace(
        microsecond=dt.microsecond // 1000 * 1000
    )


@given(st.text(max_size=40))
def test_parse_never_raises(text: str) -> None:
    result = parse_timestamp(text)
    assert result is None or result.tzinfo is not None
