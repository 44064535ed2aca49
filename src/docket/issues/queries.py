"""Reads of issues, comments and history. All start from the permission gate."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy

from docket.accounts.actor import Who
from docket.core.errors import BadParameter
from docket.core.pagination import keyset_page
from docket.issues import custom_fields, links
from docket.issues.access import sees_internal, visible_in, visible_issues
from docket.issues.fields import (
    MAX_NAMES,
    PRIORITY_BY_NAME,
    ROW_COLUMNS,
    SEVERITY_BY_NAME,
    row_values,
)
from docket.issues.models import Comment, Issue, IssueEvent, IssueType, Label
from docket.issues.query_fields import (
    LABELED,
    compile_issue_query,
    projects_required,
    state_names,
)
from docket.issues.references import render_all_for, render_for
from docket.projects.access import Perm, permissions_in
from docket.projects.models import Component, Project, WorkflowState
from docket.query import QueryError

OLDEST_FIRST = [OrderBy(F("pk"))]


@dataclass
class IssueFilter:
    projects: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    state: str | None = None  # "open" (not done) / "closed" (done)
    assignees: list[str] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)  # team slugs (a team's queue page)


def with_related(issues: QuerySet[Issue]) -> QuerySet[Issue]:
    return issues.select_related("project", "status", "reporter", "assignee", "milestone", "team")


def with_names(issues: list[Issue]) -> list[Issue]:
    """Attach label and component names to `issues` in one query. (Django's
    prefetch_related builds a manager per row and cost ~45% of a 50-issue page.)"""
    names = _names_of([issue.pk for issue in issues])
    for issue in issues:
        issue._names = names[issue.pk]  # type: ignore[attr-defined]
    return issues


def _names_of(ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    """{issue id: (label names, component names)}, in one plain SQL query: building the two
    ORM queries cost more than a page's whole read from the database."""
    names: dict[int, tuple[list[str], list[str]]] = {pk: ([], []) for pk in ids}
    if not ids:
        return names
    with connection.cursor() as cursor:
        cursor.execute(_names_sql(len(ids)), [*ids, *ids])
        for issue_id, kind, name in cursor.fetchall():
            names[issue_id][kind].append(name)
    return names


@functools.lru_cache(maxsize=256)
def _names_sql(count: int) -> str:
    marks = ", ".join(["%s"] * count)
    parts = [
        f"SELECT t.issue_id, {kind}, n.name FROM {through._meta.db_table} t "  # noqa: S608 - model names and %s only
        f"JOIN {named._meta.db_table} n ON n.id = t.{column} WHERE t.issue_id IN ({marks})"
        for kind, (through, named, column) in enumerate(
            [
                (Issue.labels.through, Label, "label_id"),
                (Issue.components.through, Component, "component_id"),
            ]
        )
    ]
    return " UNION ALL ".join(parts)


# What an issue's API shape is made of, as column paths: lists fetch exactly these as plain
# values (building the ~300 model instances of a 50-issue page was most of its cost), and
# `issue_out` reads the same names off one loaded issue. The editable fields' columns and how
# they read out come from the field table (fields.py); the read-only ones (ids, times, the SLA
# summary) are named here.
ROW_FIELDS = (
    "id",
    "number",
    "version",
    "created_at",
    "updated_at",
    "resolved_at",
    "project__key",
    "status__category",
    "reporter__username",
    "sla_due_at",
    "sla_state",
    *ROW_COLUMNS,
)


def _shape(row: dict[str, Any], labels: list[str], components: list[str]) -> dict[str, Any]:
    """The API shape of an issue from its ROW_FIELDS values and its label/component names."""
    return {
        "key": f"{row['project__key']}-{row['number']}",
        "project": row["project__key"],
        "number": row["number"],
        **row_values(row),
        "status_category": row["status__category"],
        "reporter": row["reporter__username"],
        "labels": sorted(labels),
        "components": sorted(components),
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "resolved_at": row["resolved_at"],
        # The SLA summary the sla app keeps on the issue (issues/sla_summary.py): read-only.
        "sla_state": row["sla_state"] or None,
        "sla_due_at": row["sla_due_at"],
    }


def issue_out(issue: Issue) -> dict[str, Any]:
    """The API shape of an issue (load relations with `with_related` and `with_names`)."""
    if not hasattr(issue, "_names"):
        with_names([issue])
    label_names, component_names = issue._names  # type: ignore[attr-defined]
    row = {name: _value_at(issue, name) for name in ROW_FIELDS}
    return _shape(row, label_names, component_names)


def _value_at(issue: Issue, path: str) -> Any:
    """`status__name` → issue.status.name; None past a missing relation."""
    value: Any = issue
    for part in path.split("__"):
        value = getattr(value, part)
        if value is None:
            return None
    return value


def rows_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """API-shaped issues from ROW_FIELDS value rows (`issues.values(*ROW_FIELDS)`)."""
    names = _names_of([row["id"] for row in rows])
    return [_shape(row, *names[row["id"]]) for row in rows]


def _rows_in_order(user: Who, ids: list[int]) -> list[dict[str, Any]]:
    """ROW_FIELDS of the issues `ids` that `user` may see, in that order. Through the gate
    again: the page's rows are read apart from the query that chose them (keyset_page)."""
    found = {row["id"]: row for row in visible_issues(user).filter(pk__in=ids).values(*ROW_FIELDS)}
    return [found[i] for i in ids if i in found]


def issues_by_id(user: Who, ids: list[int]) -> dict[int, dict[str, Any]]:
    """API-shaped issues by id (search hits), of those `user` may see."""
    rows = list(visible_issues(user).filter(pk__in=ids).values(*ROW_FIELDS))
    shaped = rows_out(rows)
    links.mask_hidden_parents(user, shaped)
    return {row["id"]: issue for row, issue in zip(rows, shaped, strict=True)}


def issue_detail_out(issue: Issue, reader: Who) -> dict[str, Any]:
    """One issue on its own: `issue_out` plus the description rendered to safe HTML for
    `reader` (references: issues/references.py). Kept out of list rows, where rendering every
    description would cost too much."""
    shaped = issue_out(issue)
    links.mask_hidden_parents(reader, [shaped])
    return {
        **shaped,
        "description_html": render_for(reader, issue.description),
        "custom_fields": custom_fields.values_for(reader, issue),
    }


def _usernames(field: str, names: list[str], me: Who) -> Q:
    wanted = [me.username if n == "@me" and me.is_authenticated else n for n in names]
    query = Q(**{f"{field}__username__in": [n for n in wanted if n != "none"]})
    if "none" in wanted:
        query |= Q(**{f"{field}__isnull": True})
    return query


def _names(field: str, values: list[str], allowed: dict[str, Any] | list[str]) -> list[Any]:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise BadParameter.field(
            field, f"unknown value {bad[0]!r}; use one of {', '.join(allowed)}"
        )
    return [allowed[v] for v in values] if isinstance(allowed, dict) else values


def filtered_issues(user: Who, f: IssueFilter, query: str = "") -> QuerySet[Issue]:
    """The issues `user` may see that match the filter parameters, gated within the projects
    the parameters or the query (`project:KEY`, ANDed) confine it to (`visible_in`); the
    caller still applies the query itself."""
    keys = [p.upper() for p in f.projects] or projects_required(query)
    if keys:
        ids = list(Project.objects.filter(key__in=keys).values_list("id", flat=True))
        issues = visible_in(user, ids)
    else:
        issues = visible_issues(user)
    return _filter(issues, f, user, keys)


def _filter(issues: QuerySet[Issue], f: IssueFilter, me: Who, keys: list[str]) -> QuerySet[Issue]:
    if f.statuses:
        issues = issues.filter(status__name__in=_status_names(f.statuses, me))
    if f.state == "open":
        issues = issues.exclude(status__category=WorkflowState.Category.DONE)
    elif f.state == "closed":
        issues = issues.filter(status__category=WorkflowState.Category.DONE)
    if f.assignees:
        issues = issues.filter(_usernames("assignee", f.assignees, me))
    if f.reporters:
        issues = issues.filter(_usernames("reporter", f.reporters, me))
    if f.priorities:
        issues = issues.filter(priority__in=_names("priority", f.priorities, PRIORITY_BY_NAME))
    if f.severities:
        issues = issues.filter(severity__in=_names("severity", f.severities, SEVERITY_BY_NAME))
    if f.types:
        issues = issues.filter(type__in=_names("type", f.types, list(IssueType.values)))
    if f.labels:
        issues = issues.filter(_carrying_all(f.labels, keys))
    if f.teams:
        issues = issues.filter(team__slug__in=f.teams)
    return issues


def _carrying_all(labels: list[str], keys: list[str]) -> Q:
    """Issues carrying every one of `labels`: one grouped subquery, not a join per label (30
    joins took a PostgreSQL backend to 23 GB; SQLite refuses more than 64 tables); only the
    label rows of projects `keys` when the list is confined to them."""
    names = sorted(set(labels))
    if len(names) > MAX_NAMES:
        raise BadParameter.field("label", f"at most {MAX_NAMES} labels (got {len(names)})")
    where = Q(label__project__key__in=keys) if keys else Q()
    return LABELED.within_all([Q(label__name=name) & where for name in names])


def _status_names(names: list[str], viewer: Who) -> list[str]:
    # State names are stored in title case per workflow ("In Progress"); match any case. Only
    # names the viewer may know of count, as in the query language's `status:`.
    by_lower = {name.lower(): name for name in state_names(viewer)}
    unknown = [n for n in names if n.lower() not in by_lower]
    if unknown:
        choices = ", ".join(sorted(by_lower))
        raise BadParameter.field("status", f"unknown value {unknown[0]!r}; use one of {choices}")
    return [by_lower[n.lower()] for n in names]


def matching_issues(user: Who, f: IssueFilter, query: str = "") -> QuerySet[Issue]:
    """The issues `user` may see that match the filter parameters and the query, unordered.
    Raises QueryError for a bad query."""
    where, _ = compile_issue_query(query, user)
    return filtered_issues(user, f, query).filter(where)


def _ordering(query: str, sort: str | None, user: Who) -> list[OrderBy]:
    """The query's ordering; a `sort` parameter (`priority-desc`, `-priority`) overrides the
    query's own `sort:`."""
    if sort:
        term = f"{sort[1:]}-desc" if sort.startswith("-") else sort
        try:
            return compile_issue_query(f"sort:{term}", user)[1]
        except QueryError as exc:
            raise BadParameter.field("sort", exc.message) from None
    return compile_issue_query(query, user)[1]


def list_issues(
    user: Who,
    f: IssueFilter,
    *,
    query: str = "",
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    matched: QuerySet[Issue] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of issues visible to `user` that match the filter parameters and the query
    (Docket query language), in the API shape, keyset-paginated so deep pages stay fast.
    `matched`: `matching_issues(user, f, query)` when the caller built it already (a page
    that also counts them)."""
    issues = matched if matched is not None else matching_issues(user, f, query)
    ordering = _ordering(query, sort, user)
    if connection.vendor == "postgresql":
        # The page's keys first, then its rows (keyset_page): PostgreSQL planned a list's
        # eight joins in up to 62 ms and joined every candidate before sorting; at 1M
        # issues two steps read a project's lists 2-3x faster. SQLite plans in microseconds
        # and joins in-process, and there the second query cost 0.5-1 ms more at 100,000.
        fetch = functools.partial(_rows_in_order, user)
        page, next_cursor = keyset_page(issues, ordering, "issues", cursor, limit, fetch=fetch)
    else:
        rows = issues.values(*ROW_FIELDS)
        page, next_cursor = keyset_page(rows, ordering, "issues", cursor, limit)
    shaped = rows_out(page)
    links.mask_hidden_parents(user, shaped)
    return shaped, next_cursor


def comments_page(
    reader: Who, issue: Issue, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Comment], str | None]:
    """The comments `reader` may read: internal notes for the project's staff alone."""
    comments = Comment.objects.filter(issue=issue, deleted_at__isnull=True).select_related("author")
    if not sees_internal(reader, issue.project):
        comments = comments.filter(internal=False)
    return keyset_page(comments, OLDEST_FIRST, "comments", cursor, limit)


def comments_out(
    reader: Who, issue: Issue, comments: list[Comment], *, until: float | None = None
) -> list[dict[str, Any]]:
    """Comments in the API shape, rendered for `reader` together (their references resolved
    at once). `until`: a shared render deadline (see `markdown.deadline`)."""
    bodies = render_all_for(reader, [c.body for c in comments], until=until)
    return [_comment_shape(c, issue, html) for c, html in zip(comments, bodies, strict=True)]


def comment_out(reader: Who, comment: Comment, issue: Issue) -> dict[str, Any]:
    return comments_out(reader, issue, [comment])[0]


def _comment_shape(comment: Comment, issue: Issue, body_html: str) -> dict[str, Any]:
    return {
        "id": comment.id,
        "issue": issue.key,
        "author": comment.author.username,
        "body": comment.body,
        "body_html": body_html,
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "edited": comment.updated_at != comment.created_at,
        "internal": comment.internal,
    }


def history_page(
    user: Who, issue: Issue, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[dict[str, Any]], str | None]:
    """The issue's events, oldest first. Deleted comment text is shown to moderators only;
    the events of internal notes to the project's staff only (the rest never learn of them)."""
    events = IssueEvent.objects.filter(issue=issue)
    if not sees_internal(user, issue.project):
        events = events.exclude(comment__internal=True)
    events = events.values(*EVENT_FIELDS)
    rows, next_cursor = keyset_page(events, OLDEST_FIRST, "history", cursor, limit)
    moderator = Perm.MODERATE in permissions_in(user, issue.project)
    items = [event_out(row, moderator) for row in rows]
    links.mask_hidden(user, items)  # a link's other issue, if hidden from the reader
    return items, next_cursor


# An event as history_page and the timeline read it (`.values(*EVENT_FIELDS)`).
EVENT_FIELDS = (
    "id", "kind", "actor__username", "field", "old", "new", "comment_id", "comment__deleted_at",
    "comment__internal", "version", "created_at",
)  # fmt: skip


def event_out(row: dict[str, Any], moderator: bool) -> dict[str, Any]:
    # A deleted comment's text, in every event about it, is for moderators only.
    hidden = not moderator and row["comment__deleted_at"] is not None
    return {
        "id": row["id"],
        "kind": row["kind"],
        "actor": row["actor__username"],
        "field": row["field"] or None,
        "old": None if hidden else row["old"],
        "new": None if hidden else row["new"],
        "comment_id": row["comment_id"],
        "internal": bool(row.get("comment__internal")),
        "version": row["version"],
        "at": row["created_at"],
    }
