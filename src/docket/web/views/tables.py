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
CF = "cf."  # a custom field's column: `?columns=cf.tier` on a project's list


def chosen_columns(text: str, custom: dict[str, str] | None = None) -> list[str]:
    """The extra columns a `columns=` parameter names (comma-separated; unknown names are
    left out), in the order of EXTRA_COLUMNS, then `cf.<name>` for the custom fields of
    `custom` ({name: label}, a project's list) in their order."""
    wanted = {part.strip().lower() for part in text.split(",")}
    fixed = [name for name in EXTRA_COLUMNS if name in wanted]
    return fixed + [CF + name for name in custom or {} if CF + name in wanted]


def table(
    issues: list[Any],
    *,
    extra_columns: list[str] | None = None,
    custom: dict[str, str] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """Context for jinja2/web/partials/issue_table.html; `extra_columns` from
    `chosen_columns` (the SLA column's badges: web/markup.py `sla_badge`; custom field
    columns last, titled by the labels of `custom`, their rows need `custom_fields`)."""
    columns = list(COLUMNS)
    shown_custom = [n[len(CF) :] for n in extra_columns or [] if n.startswith(CF)]
    columns += [(CF + name, (custom or {}).get(name, name)) for name in shown_custom]
    for name in [n for n in extra_columns or [] if not n.startswith(CF)]:
        title, after = EXTRA_COLUMNS[name]
        at = next(n for n, (column, _) in enumerate(columns) if column == after) + 1
        columns.insert(at, (name, title))
    return {
        "issues": issues,
        "columns": columns,
        "optional_columns": OPTIONAL_COLUMNS,
        "sla_column": "sla" in (extra_columns or []),
        "custom_columns": shown_custom,
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
