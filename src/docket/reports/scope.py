"""Which issues a dashboard counts: those the viewer may see (the list's gate), in one
project or all, narrowed by a query in the Docket query language or a saved filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who
from docket.core.errors import Invalid
from docket.issues.access import CONFIDENTIAL_ROLES, visible_issues
from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query
from docket.issues.saved_filters import get_filter_for
from docket.projects.access import project_roles
from docket.projects.models import Project


@dataclass
class Scope:
    viewer: Who
    issues: QuerySet[Issue]
    project: Project | None
    query: str
    # Figures several widgets share, computed once per request (widgets.open_cube).
    shared: dict[str, Any] = field(default_factory=dict)


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
