"""Date values: absolute, relative to an injected "now", and whole days in the reader's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from docket.query import Context
from docket.query.dates import DateSpec, add_months, day_bounds, parse_date

TODAY = dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("today", dt.date(2026, 3, 31)),
        ("Yesterday", dt.date(2026, 3, 30)),
        ("tomorrow", dt.date(2026, 4, 1)),
        ("-7d", dt.date(2026, 3, 24)),
        ("+1d", dt.date(2026, 4, 1)),
        ("-2w", dt.date(2026, 3, 17)),
        ("-1m", dt.date(2026, 2, 28)),  # clamped to the month's last day
        ("-3m", dt.date(2025, 12, 31)),
        ("+11m", dt.date(2027, 2, 28)),
        ("-1y", dt.date(2025, 3, 31)),
        ("2026-01-01", dt.date(2026, 1, 1)),
    ],
)
def test_resolve(text, expected):
    assert parse_date(text).resolve(TODAY) == expected


def test_relative_dates_stay_relative():
    spec = parse_date("-7d")
    assert spec == DateSpec(amount=-7, unit="d")
    assert spec.resolve(dt.date(2026, 1, 3)) == dt.date(2025, 12, 27)


@pytest.mark.parametrize(
    "text", ["2026-13-01", "2026-02-30", "20260101", "2026-W01-1", "7d", "-7x", "-", "soon"]
)
def test_invalid(text):
    with pytest.raises(ValueError, match="invalid date"):
        parse_date(text)


@pytest.mark.parametrize("text", ["-36601d", "+101y", "0999-12-31", "9999-12-31"])
def test_out_of_range(text):
    with pytest.raises(ValueError, match="too far|out of range"):
        parse_date(text)


def test_add_months_leap_year():
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 2, 29), -12) == dt.date(2023, 2, 28)


def test_day_bounds_follow_the_zone():
    start, end = day_bounds(dt.date(2026, 3, 29), ZoneInfo("Europe/Paris"))  # DST starts
    assert start.astimezone(dt.UTC) == dt.datetime(2026, 3, 28, 23, 0, tzinfo=dt.UTC)
    assert end.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 22, 0, tzinfo=dt.UTC)


def test_context_today_is_in_the_zone_of_now():
    now = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    assert Context(now=now).today == dt.date(2026, 3, 31)
    assert Context(now=now.astimezone(ZoneInfo("Asia/Tokyo"))).today == dt.date(2026, 4, 1)


def test_context_needs_an_aware_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        Context(now=dt.datetime(2026, 1, 1))
