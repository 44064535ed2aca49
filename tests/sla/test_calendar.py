"""The business-time arithmetic (docket/sla/calendar.py): nights, weekends, holidays, custom
dates and daylight-saving changes in the calendar's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from docket.sla.calendar import Calendar, NoBusinessHours, parse_hours

H = dt.timedelta(hours=1)
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
EVERY_DAY = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ROUND_THE_CLOCK = {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def at(zone: ZoneInfo, *parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def test_over_a_night_and_a_weekend() -> None:
    cal = Calendar.build("Europe/London", WEEKDAYS)
    friday_4pm = at(LONDON, 2026, 1, 16, 16)
    assert cal.add(friday_4pm, 2 * H) == at(LONDON, 2026, 1, 19, 10)  # Monday 10:00
    assert cal.elapsed(friday_4pm, at(LONDON, 2026, 1, 19, 10)) == 2 * H
    assert cal.add(at(LONDON, 2026, 1, 14, 16), 3 * H) == at(LONDON, 2026, 1, 15, 11)


def test_starting_outside_hours_counts_from_the_next_opening() -> None:
    cal = Calendar.build("Europe/London", WEEKDAYS)
    saturday = at(LONDON, 2026, 1, 17, 12)
    assert cal.add(saturday, 30 * dt.timedelta(minutes=1)) == at(LONDON, 2026, 1, 19, 9, 30)
    assert cal.elapsed(saturday, at(LONDON, 2026, 1, 19, 9)) == dt.timedelta()
    assert cal.add(saturday, dt.timedelta()) == saturday


def test_public_holidays_and_custom_dates_are_closed() -> None:
    cal = Calendar.build("Europe/London", WEEKDAYS, country="GB", subdivision="ENG")
    # Good Friday 3 April and Easter Monday 6 April 2026 are bank holidays in England.
    thursday_4pm = at(LONDON, 2026, 4, 2, 16)
    assert cal.add(thursday_4pm, 2 * H) == at(LONDON, 2026, 4, 7, 10)
    assert cal.elapsed(thursday_4pm, at(LONDON, 2026, 4, 7, 10)) == 2 * H
    custom = Calendar.build("Europe/London", WEEKDAYS, dates=[dt.date(2026, 1, 19)])
    assert custom.add(at(LONDON, 2026, 1, 16, 16), 2 * H) == at(LONDON, 2026, 1, 20, 10)


def test_wall_clock_hours_across_spring_forward_in_new_york() -> None:
    # Clocks go forward at 02:00 on Sunday 8 March 2026: 09:00 is 14:00 UTC on Saturday and
    # 13:00 UTC on Sunday; each day still has 8 business hours.
    cal = Calendar.build("America/New_York", EVERY_DAY)
    saturday_9 = at(NEW_YORK, 2026, 3, 7, 9)
    assert saturday_9.astimezone(dt.UTC).hour == 14
    sunday_10 = cal.add(saturday_9, 9 * H)
    assert sunday_10 == at(NEW_YORK, 2026, 3, 8, 10)
    assert sunday_10.astimezone(dt.UTC).hour == 14
    assert cal.elapsed(saturday_9, sunday_10) == 9 * H


def test_a_day_around_the_clock_is_23_or_25_hours_on_dst_days_in_london() -> None:
    cal = Calendar.build("Europe/London", ROUND_THE_CLOCK)
    spring = (at(LONDON, 2026, 3, 29), at(LONDON, 2026, 3, 30))
    autumn = (at(LONDON, 2026, 10, 25), at(LONDON, 2026, 10, 26))
    assert cal.elapsed(*spring) == 23 * H
    assert cal.elapsed(*autumn) == 25 * H
    assert cal.add(spring[0], 23 * H) == spring[1]
    assert cal.add(autumn[0], 25 * H) == autumn[1]
    # 24 real hours after Saturday noon GMT is Sunday 13:00 BST.
    assert cal.add(at(LONDON, 2026, 3, 28, 12), 24 * H) == at(LONDON, 2026, 3, 29, 13)


def test_hours_that_a_dst_change_falls_inside_are_really_shorter() -> None:
    night = {"sun": ["00:00-04:00"]}
    cal = Calendar.build("Europe/London", night)
    assert cal.elapsed(at(LONDON, 2026, 3, 29), at(LONDON, 2026, 3, 30)) == 3 * H
    assert cal.elapsed(at(LONDON, 2026, 10, 25), at(LONDON, 2026, 10, 26)) == 5 * H


def test_twenty_four_seven_is_plain_subtraction() -> None:
    cal = Calendar.build("UTC")
    start = dt.datetime(2026, 3, 1, 5, tzinfo=dt.UTC)
    assert cal.add(start, 50 * H) == start + 50 * H
    assert cal.elapsed(start, start + 50 * H) == 50 * H
    assert cal.elapsed(start + H, start) == dt.timedelta()


def test_twenty_four_seven_with_a_holiday() -> None:
    cal = Calendar.build("UTC", dates=[dt.date(2026, 3, 2)])
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    assert cal.add(start, 24 * H) == dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC)
    assert cal.elapsed(start, dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC)) == 24 * H


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York"])
def test_add_and_elapsed_agree(zone: str) -> None:
    cal = Calendar.build(zone, {**WEEKDAYS, "sat": ["10:00-12:00", "13:00-14:00"]}, country="US")
    start = dt.datetime(2026, 2, 20, 7, 45, tzinfo=dt.UTC)
    for minutes in range(0, 60 * 24 * 30, 397):
        amount = dt.timedelta(minutes=minutes)
        end = cal.add(start, amount)
        assert cal.elapsed(start, end) == amount
        assert end >= start


def test_two_intervals_a_day() -> None:
    cal = Calendar.build("UTC", {"mon": ["09:00-12:00", "13:00-17:00"]})
    monday = dt.datetime(2026, 1, 19, 11, tzinfo=dt.UTC)
    assert cal.add(monday, 2 * H) == dt.datetime(2026, 1, 19, 14, tzinfo=dt.UTC)


def test_no_hours_at_all_cannot_reach_a_deadline() -> None:
    cal = Calendar.build("UTC", {})
    with pytest.raises(NoBusinessHours):
        cal.add(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), H)


@pytest.mark.parametrize(
    "spec",
    [{"mon": ["17:00-09:00"]}, {"xyz": ["09:00-10:00"]}, {"mon": ["9-10"]},
     {"mon": ["09:00-12:00", "11:00-13:00"]}, {"mon": ["09:00-24:30"]}],
)  # fmt: skip
def test_malformed_hours_are_refused(spec: dict[str, list[str]]) -> None:
    with pytest.raises(ValueError):
        parse_hours(spec)
