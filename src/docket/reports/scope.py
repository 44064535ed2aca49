"""Which issues a dashboard counts: those the viewer may see (the list's gate), in one
project or all, narrowed by a query in the Docket query language or a saved filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from docket.accounts.actor import Who
from docket.core.errors import Invalid
from docket.issues.access import visible_issues
from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query
from docket.issues.saved_filters import get_filter_for
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


def scope_for(viewer: Who, project: Project | None, query: str = "", filter_id: str = "") -> Scope:
    """The issues `viewer` may see in `project` (all projects when None) matching the query;
    a query that does not parse or check raises the query language's QueryError (400)."""
    text, filter_project = _query_of(viewer, query, filter_id)
    issues = visible_issues(viewer)
    for limit in (project, filter_project):
        if limit is not None:
            issues = issues.filter(project=limit)
    if text:
        where, _ordering = compile_issue_query(text, viewer)
        issues = issues.filter(where)
    return Scope(viewer, issues, project, text)
