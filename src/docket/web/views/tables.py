"""Issue tables: the columns every list shows, and running a query for a page of rows."""

from __future__ import annotations

from typing import Any

from docket.accounts.actor import Actor
from docket.issues.queries import IssueFilter, list_issues

COLUMNS = [
    ("key", "Key"),
    ("title", "Title"),
    ("status", "Status"),
    ("priority", "Priority"),
    ("assignee", "Assignee"),
    ("due", "Due"),
    ("updated", "Updated"),
]
OPTIONAL_COLUMNS = {"assignee", "due", "updated"}  # hidden on narrow screens


def table(issues: list[Any], **extra: Any) -> dict[str, Any]:
    """Context for jinja2/web/partials/issue_table.html."""
    return {
        "issues": issues,
        "columns": COLUMNS,
        "optional_columns": OPTIONAL_COLUMNS,
        **extra,
    }


def run_query(
    user: Actor, query: str, *, cursor: str | None = None, limit: int = 50, project: str = ""
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of visible issues matching `query` as API-shaped dicts (raises QueryError)."""
    found = IssueFilter(projects=[project] if project else [])
    return list_issues(user, found, query=query, cursor=cursor, limit=limit)
