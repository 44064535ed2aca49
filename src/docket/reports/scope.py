"""Which issues a dashboard counts: those the viewer may see (the list's gate), in one
project or all, narrowed by a query in the Docket query language or a saved filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who
from docket.core.errors import Invalid
from docket.issues.access import (
    CONFIDENTIAL_ROLES,
    granted_issue_ids,
    visible_in,
    visible_issues,
)
from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query
from docket.issues.saved_filters import get_filter_for
from docket.projects.access import own_tickets_only, project_roles, visible_projects
from docket.projects.models import Project
from docket.reports.tallies import EXTRA_CAP, Reach, Rollup, snapshot


@dataclass
class Scope:
    viewer: Who
    issues: QuerySet[Issue]
    project: Project | None
    query: str
    # Figures several widgets share, computed once per request (widgets.open_cube).
    shared: dict[str, Any] = field(default_factory=dict)
    # The roll-ups, when the viewer sees every issue counted and nothing narrows them.
    rollup: Rollup | None = None

    def direct(self) -> Scope:
        """The same scope counted from the issues themselves."""
        return Scope(self.viewer, self.issues, self.project, self.query)


def _query_of(viewer: Who, query: str, filter_id: str) -> tuple[str, Project | None]:
    """The query text to compile, and the project a shared saved filter is limited to (it
    only ever looks inside its project, as when it is run as a list)."""
    if not filter_id:
        return query.strip(), None
    if not filter_id.isdigit():
        raise Invalid(f"filter must be a saved filter's number, not {filter_id[:20]!r}")
    saved = get_filter_for(viewer, int(filter_id))
    text = f"({saved.query}) and ({query})" if query.strip() else saved.query
    return text, saved.project


def reach_of(viewer: Who, project: Project | None = None) -> Reach | None:
    """The issues `visible_issues(viewer)` holds (in `project`, or in all), as the roll-ups
    count them: the projects they see whole, those whose non-confidential issues they see
    (internal and public ones, a private one as a viewer), and the issues they see one by one
    besides (reported by, assigned to or shared with them). None when those are more than
    EXTRA_CAP: the dashboard then counts the issues directly."""
    only = None if project is None else {project.pk}
    if is_site_admin(viewer):
        return Reach(frozenset(only or Project.objects.values_list("id", flat=True)))
    roles = project_roles(viewer) if viewer.is_authenticated else {}
    whole = {pid for pid, role in roles.items() if role in CONFIDENTIAL_ROLES}
    open_to = set(visible_projects(viewer).values_list("id", flat=True)) - whole
    open_to -= set(own_tickets_only(viewer))  # a desk's reporters see their own tickets only
    if only is not None:
        whole &= only
        open_to &= only
    if not viewer.is_authenticated:
        return Reach(frozenset(whole), frozenset(open_to))
    involved = Q(reporter_id=viewer.id) | Q(assignee_id=viewer.id)
    granted = granted_issue_ids(viewer)
    if granted:
        involved |= Q(id__in=granted)
    rest = Issue.objects.filter(involved, deleted_at__isnull=True).exclude(project_id__in=whole)
    rest = rest.exclude(project_id__in=open_to, confidential=False)  # NOT (both)
    if project is not None:
        rest = rest.filter(project_id=project.pk)
    extra = list(rest.values_list("id", flat=True)[: EXTRA_CAP + 1])
    if len(extra) > EXTRA_CAP:
        return None
    return Reach(frozenset(whole), frozenset(open_to), frozenset(extra))


def _rollup_for(viewer: Who, project: Project | None) -> Rollup | None:
    reach = reach_of(viewer, project)
    return Rollup.of(reach) if reach is not None else None


def _gated(viewer: Who, project: Project | None) -> QuerySet[Issue]:
    """`visible_issues(viewer)`, in `project` if given (`visible_in`: for a viewer who sees all
    of it, the plain project filter, whose simpler WHERE lets the database use the
    (project, …) indexes)."""
    return visible_issues(viewer) if project is None else visible_in(viewer, [project.pk])


def scope_for(viewer: Who, project: Project | None, query: str = "", filter_id: str = "") -> Scope:
    """The issues `viewer` may see in `project` (all projects when None) matching the query;
    a query that does not parse or check raises the query language's QueryError (400)."""
    text, filter_project = _query_of(viewer, query, filter_id)
    issues = _gated(viewer, project)
    if filter_project is not None:
        issues = issues.filter(project=filter_project)
    if text:
        where, _ordering = compile_issue_query(text, viewer)
        issues = issues.filter(where)
        return Scope(viewer, issues, project, text)
    rollup = None if filter_id else _rollup_for(viewer, project)
    return Scope(viewer, issues, project, text, rollup=rollup)


def open_counts(viewer: Who, project_ids: list[int]) -> dict[int, int] | None:
    """Open issues `viewer` may see in each of these projects, exact, from the roll-ups (the
    projects page); None when they cannot be used, and the caller counts the issues."""
    with snapshot():
        reach = reach_of(viewer)
        rollup = Rollup.of(reach) if reach is not None else None
        if rollup is None:
            return None
        counts = rollup.open_per_project()
        if not rollup.still_current():
            return None
    return {pid: counts.get(pid, 0) for pid in project_ids}
