"""A project's milestones with their progress, as the viewer may see it: open and done
counts over the issues `visible_issues` gives them, so a confidential issue a reporter
cannot see is not counted either. Writes to milestones are the projects app's actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from docket.accounts.actor import Who
from docket.core.errors import NotFound
from docket.core.rows import one_or_none
from docket.issues.access import visible_issues
from docket.projects.models import Milestone, Project, WorkflowState

DONE = WorkflowState.Category.DONE


@dataclass
class Progress:
    milestone: Milestone
    open: int = 0
    done: int = 0

    @property
    def total(self) -> int:
        return self.open + self.done

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def days_left(self, today: dt.date) -> int | None:
        """Days until the due date (negative: overdue by that many); None without one."""
        due = self.milestone.due_date
        return (due - today).days if due else None

    def overdue(self, today: dt.date) -> bool:
        left = self.days_left(today)
        return left is not None and left < 0 and not self.milestone.closed and self.open > 0


def _counts(
    user: Who, project: Project, milestone: Milestone | None = None
) -> dict[tuple[int, bool], int]:
    issues = visible_issues(user).filter(project=project, milestone__isnull=False)
    if milestone is not None:
        issues = issues.filter(milestone=milestone)
    rows = issues.values("milestone_id", "status__category").annotate(n=Count("id")).order_by()
    counts: dict[tuple[int, bool], int] = {}
    for row in rows:
        key = (row["milestone_id"], row["status__category"] == DONE)
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def milestones_of(user: Who, project: Project) -> list[Progress]:
    """Every milestone of `project` (open ones first, then by due date and name) with the
    counts of its issues that `user` may see. The caller has checked it may see `project`."""
    counts = _counts(user, project)
    milestones = Milestone.objects.filter(project=project)
    shown = [
        Progress(m, open=counts.get((m.pk, False), 0), done=counts.get((m.pk, True), 0))
        for m in milestones
    ]
    far = dt.date.max
    shown.sort(key=lambda p: (p.milestone.closed, p.milestone.due_date or far, p.milestone.name))
    return shown


def milestone_of(user: Who, project: Project, name: str) -> Progress:
    """One milestone by name with its progress for `user` (404 if there is none)."""
    found = one_or_none(Milestone.objects.filter(project=project, name=name))
    if found is None:
        raise NotFound(f"no milestone {name[:100]!r} in {project.key}")
    counts = _counts(user, project, found)
    return Progress(found, counts.get((found.pk, False), 0), counts.get((found.pk, True), 0))
