"""Durations of estimates and work log entries: whole minutes inside, "3h 30m" outside.

Accepted: a number of minutes (90), or hours and minutes written as `3h 30m`, `3h30m`, `2h`,
`45m`, `1.5h` (spaces optional). Days and weeks are not accepted: how long a working day is
differs from team to team, so Docket does not guess.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_MINUTES = 100_000 * 60  # 100,000 hours
DURATION = re.compile(r"\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+)\s*m)?\s*", re.IGNORECASE)


def parse_duration(text: str) -> int:
    """Minutes in `text`; ValueError with a message saying what is accepted otherwise."""
    cleaned = text.strip()
    if cleaned.isdigit():
        return _bounded(int(cleaned), text)
    match = DURATION.fullmatch(cleaned)
    if not cleaned or not match or not (match.group(1) or match.group(2)):
        raise ValueError(f"'{text}' is not a duration like 3h 30m, 2h, 45m or 90 (minutes)")
    try:
        hours = Decimal(match.group(1) or 0)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a duration like 3h 30m") from None
    minutes = hours * 60 + int(match.group(2) or 0)
    if minutes != minutes.to_integral_value():
        raise ValueError(f"'{text}' is not a whole number of minutes")
    return _bounded(int(minutes), text)


def _bounded(minutes: int, text: str) -> int:
    if minutes > MAX_MINUTES:
        raise ValueError(f"'{text}' is longer than {MAX_MINUTES // 60} hours")
    return minutes


def format_duration(minutes: int | None) -> str:
    """`210` → "3h 30m"; `60` → "1h"; `0` → "0m"; None → ""."""
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h {rest}m"
    return f"{hours}h" if hours else f"{rest}m"
