"""Issue tables: the columns every list shows, and running a query for a page of rows."""

from __future__ import annotations

from typing import Any

from docket.accounts.actor import Actor
from docket.issues.links import mark_blocked
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
# Columns a list shows when asked (`?columns=sla`), each after the column named here.
EXTRA_COLUMNS = {"sla": ("SLA", "priority")}


def chosen_columns(text: str) -> list[str]:
    """The extra columns a `columns=` parameter names (comma-separated; unknown names are
    left out), in the order of EXTRA_COLUMNS."""
    wanted = {part.strip().lower() for part in text.split(",")}
    return [name for name in EXTRA_COLUMNS if name in wanted]


def table(
    issues: list[Any], *, extra_columns: list[str] | None = None, **more: Any
) -> dict[str, Any]:
    """Context for jinja2/web/partials/issue_table.html; `extra_columns` from
    `chosen_columns` (the SLA column's badges: web/markup.py `sla_badge`)."""
    columns = list(COLUMNS)
    for name in extra_columns or []:
        title, after = EXTRA_COLUMNS[name]
        at = next(n for n, (column, _) in enumerate(columns) if column == after) + 1
        columns.insert(at, (name, title))
    return {
        "issues": issues,
        "columns": columns,
        "optional_columns": OPTIONAL_COLUMNS,
        "sla_column": "sla" in (extra_columns or []),
        **more,
    }


def run_query(
    user: Actor, query: str, *, cursor: str | None = None, limit: int = 50, project: str = ""
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of visible issues matching `query` as API-shaped dicts (raises QueryError)."""
    found = IssueFilter(projects=[project] if project else [])
    issues, next_cursor = list_issues(user, found, query=query, cursor=cursor, limit=limit)
    mark_blocked(user, issues)  # the Blocked badge: one query for the page
    return issues, next_cursor
