"""Business time: the pure calendar arithmetic behind SLA clocks (no database, no clock).

A `Calendar` is a time zone, weekly opening hours in that zone's wall time and closed days
(public holidays from the `holidays` package and custom dates). Two questions:

- `elapsed(start, end)`: how much business time lies between two instants;
- `add(start, amount)`: the instant at which `amount` of business time has passed after
  `start`.

Opening hours are wall-clock times, so "09:00-17:00" starts at 09:00 local time on both sides
of a daylight-saving change; business time itself is measured in real (UTC) seconds, so an
interval that a DST change falls inside is an hour shorter or longer, as it really is. A wall
time that does not exist (spring forward) is read as zoneinfo reads it (fold=0: the offset
before the change). A calendar without hours is open around the clock (24/7), holidays aside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366  # `add` looks this far ahead for open hours before giving up
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Interval = tuple[int, int]  # minutes after local midnight: [start, end), end <= 1440


class NoBusinessHours(ValueError):
    """The calendar is never open within MAX_DAYS: a deadline cannot be reached."""


def parse_hours(spec: dict[str, list[str]] | None) -> dict[int, tuple[Interval, ...]] | None:
    """{"mon": ["09:00-17:00"], ...} -> weekday -> intervals; None (24/7) stays None.
    Raises ValueError on a malformed spec."""
    if spec is None:
        return None
    hours: dict[int, tuple[Interval, ...]] = {}
    for day, ranges in spec.items():
        if day not in DAY_NAMES:
            raise ValueError(f"unknown day '{day}' (use {', '.join(DAY_NAMES)})")
        found = []
        for text in ranges:
            start, _, end = text.partition("-")
            a, b = _minutes(start), _minutes(end)
            if not a < b:
                raise ValueError(f"'{text}' must end after it starts")
            found.append((a, b))
        found.sort()
        for (_, b1), (a2, _) in zip(found, found[1:], strict=False):
            if a2 < b1:
                raise ValueError(f"the hours of {day} overlap")
        hours[DAY_NAMES.index(day)] = tuple(found)
    return hours


def _minutes(text: str) -> int:
    hh, _, mm = text.strip().partition(":")
    if not (hh.isdigit() and mm.isdigit() and len(mm) == 2):
        raise ValueError(f"'{text}' is not a time like 09:00")
    value = int(hh) * 60 + int(mm)
    if int(mm) >= 60 or value > 1440:
        raise ValueError(f"'{text}' is not a time of day (00:00-24:00)")
    return value


@dataclass(frozen=True)
class Calendar:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    hours: dict[int, tuple[Interval, ...]] | None = None  # None: open around the clock
    closed: Callable[[dt.date], bool] = lambda day: False  # holidays and custom dates

    @classmethod
    def build(
        cls,
        zone: str = "UTC",
        hours: dict[str, list[str]] | None = None,
        country: str = "",
        subdivision: str = "",
        dates: Iterable[dt.date] = (),
    ) -> Calendar:
        """A calendar from a policy's settings (`country`: ISO code for `holidays`)."""
        custom = frozenset(dates)
        public = _public_holidays(country, subdivision) if country else None

        def closed(day: dt.date) -> bool:
            return day in custom or (public is not None and day in public)

        return cls(ZoneInfo(zone), parse_hours(hours), closed)

    def open_intervals(
        self, start: dt.datetime, end: dt.datetime
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The business intervals within [start, end), in order, as aware instants."""
        if end <= start:
            return
        day = start.astimezone(self.zone).date() - dt.timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            for a, b in self._day(day):
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    yield lo, hi
            day += dt.timedelta(days=1)

    def _day(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if self.closed(day):
            return []
        ranges: tuple[Interval, ...] = (
            ((0, 1440),) if self.hours is None else self.hours.get(day.weekday(), ())
        )
        midnight = dt.datetime.combine(day, dt.time())
        out = []
        for a, b in ranges:
            lo = (midnight + dt.timedelta(minutes=a)).replace(tzinfo=self.zone)
            hi = (midnight + dt.timedelta(minutes=b)).replace(tzinfo=self.zone)
            lo_utc, hi_utc = lo.astimezone(dt.UTC), hi.astimezone(dt.UTC)
            if lo_utc < hi_utc:
                out.append((lo_utc, hi_utc))
        return out

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Business time between two instants (zero if end is not after start)."""
        if self.hours is None and not _any_closed(self, start, end):
            return max(end - start, dt.timedelta())
        return sum((b - a for a, b in self.open_intervals(start, end)), dt.timedelta())

    def add(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The instant when `amount` of business time has passed since `start`. With nothing
        left to add, `start` itself (even outside hours)."""
        if amount <= dt.timedelta():
            return start
        left = amount
        day = start.astimezone(self.zone).date() - dt.timedelta(days=1)
        for _ in range(MAX_DAYS):
            for a, b in self._day(day):
                a = max(a, start)
                if a >= b:
                    continue
                if b - a >= left:
                    return a + left
                left -= b - a
            day += dt.timedelta(days=1)
        raise NoBusinessHours(f"no business hours within {MAX_DAYS} days of {start.isoformat()}")


def _any_closed(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> bool:
    if end <= start:
        return False
    day = start.astimezone(calendar.zone).date()
    last = end.astimezone(calendar.zone).date()
    while day <= last:
        if calendar.closed(day):
            return True
        day += dt.timedelta(days=1)
    return False


_PUBLIC: dict[tuple[str, str], Container[dt.date]] = {}


def _public_holidays(country: str, subdivision: str) -> Container[dt.date]:
    """The `holidays` package's calendar for a country (years filled in as asked; shared)."""
    key = (country.upper(), subdivision.upper())
    if key not in _PUBLIC:
        import holidays

        _PUBLIC[key] = holidays.country_holidays(key[0], subdiv=key[1] or None)
    return _PUBLIC[key]


def check_country(country: str, subdivision: str = "") -> None:
    """Raises ValueError if `holidays` does not know the country or subdivision."""
    import holidays

    try:
        holidays.country_holidays(country.upper(), subdiv=subdivision.upper() or None)
    except NotImplementedError as error:
        raise ValueError(str(error)) from error
