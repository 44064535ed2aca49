"""The widgets' figures read from the roll-ups (tallies.py), in the shapes widgets.py and
as_of.py fold from their direct queries, so both paths end in the same code."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from docket.accounts.models import User
from docket.reports.tallies import Rollup

DAY = dt.timedelta(days=1)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


OPEN_FIELDS = {"open_status": "status_id", "open_priority": "priority",
               "open_severity": "severity", "open_assignee": "assignee_id"}  # fmt: skip


def open_totals(rollup: Rollup) -> dict[tuple[str, str], dict[Any, int]]:
    """Open issues per value of status id, priority, severity and assignee id (None: no one),
    each as {(column, "n" or "estimate"): {value: total}} (age and overdue are counted by
    `open_since` and `overdue_count`)."""
    totals: dict[tuple[str, str], dict[Any, int]] = {}
    for (dim, key, _day), (n, minutes) in rollup.tallies(OPEN_FIELDS, by_day=False).items():
        column = OPEN_FIELDS[dim]
        value = int(key) if key else None
        for sums, amount in (("n", n), ("estimate", minutes)):
            into = totals.setdefault((column, sums), {})
            into[value] = into.get(value, 0) + amount
    return totals


def open_since(rollup: Rollup, moment: dt.datetime) -> int:
    """Open issues created after `moment`: whole days from the tally, and the rest of the
    day `moment` falls in from the stored facts (the creation times)."""
    first = moment.astimezone(dt.UTC).date()
    summed = rollup.tallies(["open_created"], first + DAY, by_key=False, by_day=False)
    whole_days = sum(n for n, _m in summed.values())
    edge = {"state": "open", "created_at__gt": moment, "created_at__lt": _day_start(first + DAY)}
    return whole_days + rollup.count(**edge)


def overdue_count(rollup: Rollup, today: dt.date) -> int:
    return rollup.totals_through(["open_due"], today - DAY).get(("open_due", ""), 0)


def most_overdue(rollup: Rollup, today: dt.date, limit: int) -> list[int]:
    """The ids of the `limit` open issues longest past due (by due date, then id)."""
    return [f.issue_id for f in rollup.most_overdue(today, limit)]


def per_day(
    rollup: Rollup, dim: str, since: dt.date, milestone: int | None = None
) -> dict[dt.date, int]:
    """Issues per day from `since` on (`created` or `resolved`), of one milestone or all."""
    counts: dict[dt.date, int] = {}
    summed = rollup.tallies([dim], since, by_key=milestone is not None)  # keys are milestones
    for (_d, key, day), (n, _m) in summed.items():
        if day is not None and (milestone is None or key == str(milestone)):
            counts[day] = counts.get(day, 0) + n
    return counts


def before(rollup: Rollup, dim: str, day: dt.date, milestone: int) -> int:
    """Issues of the milestone counted in `dim` on the days before `day`."""
    totals = rollup.totals_through([dim], day - DAY)
    return totals.get((dim, str(milestone)), 0)


def durations(rollup: Rollup, since: dt.datetime, limit: int) -> tuple[list[float], list[float]]:
    """Lead and cycle times in days of the latest `limit` issues in a done state resolved
    since `since`: microseconds / 10**6 is what timedelta.total_seconds() gives."""
    lead, cycle = [], []
    for lead_us, cycle_us in rollup.durations(since, limit):
        if lead_us is not None:
            lead.append(lead_us / 10**6 / 86400.0)
        if cycle_us is not None:
            cycle.append(cycle_us / 10**6 / 86400.0)
    return lead, cycle


def as_of_pairs(rollup: Rollup, day: dt.date) -> dict[str, list[tuple[Any, Any, int]]]:
    """For "as of" the end of `day`: issues then by [status, priority] (`sp`) and by
    [status, assignee] (`sa`), as (status, other, count)."""
    pairs: dict[str, list[tuple[Any, Any, int]]] = {"sp": [], "sa": []}
    for (dim, key), n in rollup.totals_through(["sp", "sa"], day).items():
        status, other = json.loads(key)
        pairs[dim].append((status, other, n))
    ids = {other["id"] for _s, other, _n in pairs["sa"] if isinstance(other, dict)}
    names = dict(User.objects.filter(id__in=ids).values_list("id", "username")) if ids else {}
    pairs["sa"] = [
        (status, names.get(other["id"]) if isinstance(other, dict) else other, n)
        for status, other, n in pairs["sa"]
    ]
    return pairs
