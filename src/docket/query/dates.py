"""Date values: absolute (`2026-01-31`) or relative to today (`today`, `-7d`, `+2w`, `-3m`, `-1y`).

Relative dates stay relative in the checked query and are resolved against `Context.now` each
time the query is compiled or evaluated, so a saved rule keeps meaning "a week ago".
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
RELATIVE = re.compile(r"([+-])(\d{1,6})([dwmy])", re.IGNORECASE | re.ASCII)
NAMED = {"today": 0, "yesterday": -1, "tomorrow": 1}
# At most a century either way, so that resolving never leaves the calendar.
MAX_AMOUNT = {"d": 36_600, "w": 5_220, "m": 1_200, "y": 100}
EARLIEST, LATEST = dt.date(1000, 1, 1), dt.date(9998, 12, 31)
FORMS = ["YYYY-MM-DD", "today", "yesterday", "tomorrow", "-7d", "+2w", "-3m", "-1y"]


@dataclass(frozen=True)
class DateSpec:
    absolute: dt.date | None = None
    amount: int = 0  # signed offset from today, in `unit`s
    unit: str = "d"  # d, w, m or y

    def resolve(self, today: dt.date) -> dt.date:
        if self.absolute is not None:
            return self.absolute
        if self.unit in ("d", "w"):
            return today + dt.timedelta(days=self.amount * (7 if self.unit == "w" else 1))
        return add_months(today, self.amount * (12 if self.unit == "y" else 1))


def parse_date(text: str) -> DateSpec:
    """Raise ValueError (with a message for the user) if `text` is not a date value."""
    word = text.lower()
    if word in NAMED:
        return DateSpec(amount=NAMED[word])
    match = RELATIVE.fullmatch(word)
    if match:
        sign, digits, unit = match.groups()
        amount = int(digits)
        if amount > MAX_AMOUNT[unit]:
            raise ValueError(f"date offset '{text}' is too far away")
        return DateSpec(amount=-amount if sign == "-" else amount, unit=unit)
    try:
        day = dt.date.fromisoformat(text) if ISO_DATE.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"invalid date '{text}'")
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"date '{text}' is out of range")
    return DateSpec(absolute=day)


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The instants where `day` starts and the next day starts, in `tz`."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end
