"""Work log: time spent on an issue (who, the day worked, how long, a note), and the totals a
reader sees: logged against the estimate on the issue, rolled up over its sub-tasks (those the
reader may see) and over a milestone's issues.

Members and admins log time (Perm.EDIT_ISSUE: the people who do the work); reporters and
viewers do not. An entry is removed by its author while they may still log time, or by a
project admin. Each entry written or removed is a `work_logged` / `work_deleted` event.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, Q, QuerySet, Sum
from django.db.models.expressions import Combinable

from docket.accounts.actor import Who, account_of
from docket.core.clock import now
from docket.core.errors import Forbidden, Invalid, NotFound
from docket.core.rows import one_or_none
from docket.issues.access import require_on_issue, visible_issues
from docket.issues.actions import MAX_DEPTH
from docket.issues.durations import MAX_MINUTES, format_duration, parse_duration
from docket.issues.events import record
from docket.issues.fields import DATE_PATTERN, clean_text
from docket.issues.models import EventKind, Issue, WorkLog
from docket.projects.access import Perm, permissions_in

MAX_NOTE = 1000
MAX_DAYS_AHEAD = 1  # a day in the future is a time zone away; more is a mistake


def entry_out(entry: WorkLog) -> dict[str, Any]:
    return {
        "id": entry.id,
        "author": entry.author.username,
        "day": entry.day.isoformat(),
        "minutes": entry.minutes,
        "duration": format_duration(entry.minutes),
        "note": entry.note,
        "created_at": entry.created_at,
    }


def _minutes(value: Any) -> int:
    if isinstance(value, str):
        try:
            minutes = parse_duration(value)
        except ValueError as exc:
            raise Invalid.field("time", str(exc)) from None
    elif isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    else:
        raise Invalid.field("time", 'must be minutes or a duration like "1h 30m"')
    if not 0 < minutes <= MAX_MINUTES:
        raise Invalid.field("time", f"must be more than 0 and at most {MAX_MINUTES} minutes")
    return minutes


def _day(value: Any, today: dt.date) -> dt.date:
    if value is None:
        return today
    if isinstance(value, str) and re.fullmatch(DATE_PATTERN, value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
                raise Invalid.field("day", "cannot be in the future")
            return day
    raise Invalid.field("day", "must be a date like 2026-12-31")


@transaction.atomic
def log_work(*, actor: Who, issue: Issue, time: Any, day: Any = None, note: str = "") -> WorkLog:
    """Log `time` (minutes or "1h 30m") spent on `day` (default today) on `issue`."""
    require_on_issue(actor, issue, Perm.EDIT_ISSUE)
    moment = now()
    entry = WorkLog(
        issue=issue,
        author=account_of(actor),
        minutes=_minutes(time),
        day=_day(day, moment.date()),
        note=clean_text("note", note or "", max_length=MAX_NOTE, required=False).strip(),
        created_at=moment,
    )
    entry.save()
    Issue.objects.filter(pk=issue.pk).update(updated_at=moment)
    record(issue, actor, EventKind.WORK_LOGGED, moment, new=_event_value(entry))
    return entry


def _event_value(entry: WorkLog) -> dict[str, Any]:
    return {
        "id": entry.id,
        "author": entry.author.username,
        "day": entry.day.isoformat(),
        "minutes": entry.minutes,
        "note": entry.note,
    }


@transaction.atomic
def delete_entry(*, actor: Who, issue: Issue, entry_id: int) -> None:
    """Remove an entry: its author (while they may log time) or a project admin."""
    entry = one_or_none(WorkLog.objects.filter(id=entry_id, issue=issue).select_related("author"))
    if entry is None:
        raise NotFound(f"no work log entry {entry_id} on {issue.key}")
    perms = permissions_in(actor, issue.project)
    own = entry.author_id == getattr(actor, "id", None) and Perm.EDIT_ISSUE in perms
    if not own:
        require_on_issue(actor, issue, Perm.EDIT_ISSUE)
        if Perm.MODERATE not in perms:
            raise Forbidden("only its author or a project admin may remove a work log entry")
    old = _event_value(entry)
    entry.delete()
    moment = now()
    Issue.objects.filter(pk=issue.pk).update(updated_at=moment)
    record(issue, actor, EventKind.WORK_DELETED, moment, old=old)


def any_entry(issue_id: Combinable) -> Exists:
    """Whether time was logged on the issue (an OuterRef)."""
    return Exists(WorkLog.objects.filter(issue_id=issue_id))


def entries(issue: Issue, *, limit: int = 200) -> list[WorkLog]:
    """The issue's entries, most recent day first (the API pages at `limit`)."""
    found = WorkLog.objects.filter(issue=issue).select_related("author")
    return list(found.order_by("-day", "-id")[:limit])


# --- totals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    estimate: int | None  # minutes; None: nothing estimated
    logged: int

    @property
    def remaining(self) -> int | None:
        return None if self.estimate is None else max(self.estimate - self.logged, 0)

    @property
    def over(self) -> int:
        return 0 if self.estimate is None else max(self.logged - self.estimate, 0)

    def out(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "logged": self.logged,
            "remaining": self.remaining,
            "over": self.over,
            "estimate_text": format_duration(self.estimate),
            "logged_text": format_duration(self.logged),
            "remaining_text": format_duration(self.remaining),
        }


def totals_of(issues: QuerySet[Issue]) -> Totals:
    """Estimates and time logged summed over `issues` (two aggregate queries)."""
    estimate = issues.aggregate(total=Sum("estimate"))["total"]
    logged = WorkLog.objects.filter(issue__in=issues.values("pk")).aggregate(total=Sum("minutes"))
    return Totals(estimate, logged["total"] or 0)


def subtask_ids(reader: Who, issue: Issue) -> list[int]:
    """The sub-tasks of `issue` at any depth that `reader` may see (a level per query; a
    hidden sub-task hides its own sub-tasks too)."""
    found: list[int] = []
    level = [issue.pk]
    seeable = visible_issues(reader)
    for _ in range(MAX_DEPTH):
        level = list(seeable.filter(parent_id__in=level).values_list("pk", flat=True))
        if not level:
            break
        found += level
    return found


def issue_totals(
    reader: Who,
    issue: Issue,
    shown: list[WorkLog] | None = None,
    *,
    limit: int = 200,
    subtasks: bool = True,
) -> dict[str, Any]:
    """The issue's own totals, and with its visible sub-tasks rolled up. `shown`: its
    entries as `entries(issue, limit=limit)` read them (all of them when fewer than `limit`:
    then no query sums them again). `subtasks`: False when the caller knows it has no
    sub-tasks."""
    if shown is not None and len(shown) < limit:
        own = Totals(issue.estimate, sum(e.minutes for e in shown))
    else:
        logged = WorkLog.objects.filter(issue=issue).aggregate(total=Sum("minutes"))["total"]
        own = Totals(issue.estimate, logged or 0)
    children = subtask_ids(reader, issue) if subtasks else []
    rolled = own
    if children:
        rolled = totals_of(Issue.objects.filter(Q(pk=issue.pk) | Q(pk__in=children)))
    return {"issue": own.out(), "with_subtasks": rolled.out(), "subtasks": len(children)}


def milestone_totals(reader: Who, milestone: Any) -> Totals:
    """Estimates and time logged over the milestone's issues `reader` may see."""
    return totals_of(visible_issues(reader).filter(milestone=milestone))
