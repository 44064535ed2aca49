"""History "as of" a past day: an issue's fields, and a project's open counts, as they were
at the end of that day (UTC). Both undo the `changed` events recorded after that moment:
each such event's `old` is the value the field had before it, so the earliest later change
of a field says what it was then, and no later change means it is what it is now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, JSONField, OuterRef, QuerySet, Subquery

from docket.core.errors import Invalid, NotFound
from docket.issues.fields import PRIORITY_NAMES, snapshot
from docket.issues.models import EventKind, Issue, IssueEvent
from docket.projects.models import WorkflowState
from docket.reports import rolled
from docket.reports.scope import Scope
from docket.reports.tallies import Rollup

DONE = WorkflowState.Category.DONE
# The fields counted, and whether a change's `old` may be empty (then "was it changed" needs
# its own EXISTS; status and priority always had a value).
COUNTED = {"status": False, "priority": False, "assignee": True}


def parse_day(text: str, today: dt.date) -> dt.date:
    """A `YYYY-MM-DD` day not after today (422 naming the parameter otherwise)."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"as_of must be a date like 2026-11-01, not {text[:20]!r}") from None
    if day > today:
        raise Invalid(f"as_of {day.isoformat()} is in the future")
    return day


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def issue_as_of(issue: Issue, day: dt.date) -> dict[str, Any]:
    """The issue's fields (their API values) at the end of `day`: today's values with every
    later change undone, newest first. One indexed query on (issue, version)."""
    moment = end_of(day)
    if issue.created_at >= moment:
        raise NotFound(f"{issue.project.key}-{issue.number} did not exist on {day.isoformat()}")
    fields = snapshot(issue)
    later = (
        IssueEvent.objects.filter(issue=issue, kind=EventKind.CHANGED, created_at__gte=moment)
        .order_by("-version")
        .values_list("field", "old")
    )
    for name, old in later:
        if name in fields:
            fields[name] = old
    return fields


def _later_change(name: str, moment: dt.datetime) -> QuerySet[IssueEvent]:
    return IssueEvent.objects.filter(
        issue=OuterRef("pk"), kind=EventKind.CHANGED, field=name, created_at__gte=moment
    ).order_by("version")


@dataclass
class Counts:
    day: dt.date
    total: int
    by_status: list[tuple[str, int]]
    open_by_priority: list[tuple[str, int]]
    open_by_assignee: list[tuple[str, int]]


def _then(row: dict[str, Any], name: str, now_value: Any) -> Any:
    old = row[f"{name}_old"]
    moved = row.get(f"{name}_moved", old is not None)
    return old if moved else now_value


def _add(into: dict[Any, int], key: Any, n: int) -> None:
    into[key] = into.get(key, 0) + n


def counts_as_of(scope: Scope, day: dt.date) -> Counts:
    """The scope's issues that existed at the end of `day`, by status then, and the open ones
    by priority and assignee then. One grouped query with per-issue subqueries on the event
    index; the gate is today's (an issue the viewer cannot see now is never counted)."""
    if scope.rollup is not None:
        counts = _rolled_counts(scope.rollup, day)
        if scope.rollup.still_current():
            return counts
    moment = end_of(day)
    issues = scope.issues.filter(created_at__lt=moment)
    marks: dict[str, Any] = {}
    for name, may_be_empty in COUNTED.items():
        later = _later_change(name, moment)
        marks[f"{name}_old"] = Subquery(later.values("old")[:1], output_field=JSONField())
        if may_be_empty:
            marks[f"{name}_moved"] = Exists(later)
    rows = (
        issues.annotate(**marks)
        .values(*marks, "status__name", "priority", "assignee__username")
        .annotate(n=Count("id"))
        .order_by()
    )
    done = _done_names()
    by_status: dict[str, int] = {}
    by_priority: dict[str, int] = {}
    by_assignee: dict[str, int] = {}
    total = 0
    for row in rows:
        n = row["n"]
        total += n
        status = _then(row, "status", row["status__name"].lower())
        _add(by_status, status, n)
        if status in done:
            continue
        _add(by_priority, _then(row, "priority", PRIORITY_NAMES[row["priority"]]), n)
        _add(by_assignee, _then(row, "assignee", row["assignee__username"]) or "(unassigned)", n)
    return Counts(day, total, _ranked(by_status), _ranked(by_priority), _ranked(by_assignee))


def _done_names() -> set[str]:
    return {
        s.lower()
        for s in WorkflowState.objects.filter(category=DONE).values_list("name", flat=True)
    }


def _rolled_counts(rollup: Rollup, day: dt.date) -> Counts:
    """The same counts from the roll-ups: each [status, priority] and [status, assignee]
    pair's +1/-1 summed over the days up to `day` (rollup.py, `sp` and `sa`)."""
    pairs = rolled.as_of_pairs(rollup, day)
    done = _done_names()
    by_status: dict[str, int] = {}
    by_priority: dict[str, int] = {}
    by_assignee: dict[str, int] = {}
    for status, priority, n in pairs["sp"]:
        _add(by_status, status, n)
        if status not in done:
            _add(by_priority, priority, n)
    for status, assignee, n in pairs["sa"]:
        if status not in done:
            _add(by_assignee, assignee or "(unassigned)", n)
    total = sum(by_status.values())
    return Counts(day, total, _ranked(by_status), _ranked(by_priority), _ranked(by_assignee))


def _ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Most first, then by name; a key the roll-ups summed to zero is not shown."""
    return sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: (-kv[1], str(kv[0])))
