"""Which issues a dashboard counts: those the viewer may see (the list's gate), in one
project or all, narrowed by a query in the Docket query language or a saved filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who
from docket.core.errors import Invalid
from docket.issues.access import CONFIDENTIAL_ROLES, granted_issue_ids, visible_issues
from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query
from docket.issues.saved_filters import get_filter_for
from docket.projects.access import project_roles, visible_projects
from docket.projects.models import Project
from docket.reports.tallies import Rollup


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


def sees_whole_project(viewer: Who, project: Project) -> bool:
    """Site admins and the project's members and admins see every issue of it (confidential
    ones too): the same rule as `visible_issues`, which then reduces to the project."""
    if is_site_admin(viewer):
        return True
    return project_roles(viewer).get(project.pk) in CONFIDENTIAL_ROLES


def _whole_projects(viewer: Who) -> list[int] | None:
    """For the dashboard over every project: the projects whose issues `viewer` sees, when
    they see every issue of each (else None: some issues they see are a part of a project,
    such as a public project's non-confidential ones, a desk ticket, or one shared with them).
    """
    if is_site_admin(viewer):
        return list(Project.objects.values_list("id", flat=True))
    whole = [pid for pid, role in project_roles(viewer).items() if role in CONFIDENTIAL_ROLES]
    live = Issue.objects.filter(deleted_at__isnull=True).exclude(project_id__in=whole)
    involved: list[dict[str, Any]] = [{"project__in": visible_projects(viewer)}]
    involved += [{"reporter_id": viewer.id}, {"assignee_id": viewer.id}]
    granted = granted_issue_ids(viewer)
    if granted:
        involved.append({"id__in": granted})
    if any(live.filter(**where).exists() for where in involved):
        return None
    return whole


def _rollup_for(viewer: Who, project: Project | None) -> Rollup | None:
    if project is not None:
        return Rollup.of([project.pk]) if sees_whole_project(viewer, project) else None
    if not viewer.is_authenticated:
        return None
    whole = _whole_projects(viewer)
    return Rollup.of(whole) if whole else None


def _gated(viewer: Who, project: Project | None) -> QuerySet[Issue]:
    """`visible_issues(viewer)` in `project`; for a viewer who sees all of it, the plain
    project filter, whose simpler WHERE lets the database use the (project, …) indexes."""
    if project is not None and sees_whole_project(viewer, project):
        return Issue.objects.filter(project=project, deleted_at__isnull=True)
    issues = visible_issues(viewer)
    return issues if project is None else issues.filter(project=project)


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
