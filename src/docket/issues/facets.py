"""A list's total and its facets: how many issues a query matches, and how many of them have
each status, priority, assignee and label — counted in ONE grouped SQL statement over the
issues the reader may see (the permission gate), never by loading issues into Python.

Counting stops at a cap (as issues/capped.py does): an exact count of 21,000 open issues
cost ~25–50 ms on SQLite at 100,000 issues, the four facets over them ~120 ms; over the
first 1,001 matches (in the list's order) the whole statement takes ~3 ms, the total alone
~1.5 ms. Past the cap the total reads "1,000+" and the facets count those first matches
(the page says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections
from django.db.models import QuerySet

from docket.accounts.actor import Who
from docket.accounts.models import User
from docket.issues.fields import PRIORITY_BY_NAME
from docket.issues.models import Issue, Label
from docket.issues.queries import IssueFilter, matching_issues
from docket.issues.query_fields import compile_issue_query
from docket.projects.models import WorkflowState

COUNT_CAP = 1000
PRIORITY_NAMES = {number: name for name, number in PRIORITY_BY_NAME.items()}
FACETS = ("status", "priority", "assignee", "label")


@dataclass
class Value:
    name: str  # as the query language writes it ("none": unassigned)
    count: int
    color: str = ""  # a label's colour
    category: str = ""  # a status's workflow category


@dataclass
class Facets:
    total: int  # at most COUNT_CAP (then `capped`)
    capped: bool
    values: dict[str, list[Value]] = field(default_factory=dict)  # FACETS, most first


def count_matches(matched: QuerySet[Issue], *, cap: int = COUNT_CAP) -> Facets:
    """Only the total (the list page's own "N issues"; ~1–2 ms at 100,000 issues), capped.
    `matched`: `queries.matching_issues`, as the list itself was read."""
    total = matched.order_by()[: cap + 1].count()
    return Facets(total=min(total, cap), capped=total > cap)


def count_and_facets(
    user: Who, scope: IssueFilter, query: str, *, cap: int = COUNT_CAP, shown: int = 8
) -> Facets:
    """The total of issues `user` may see matching `scope` and `query` (up to `cap`), and up
    to `shown` values of each facet, most frequent first. Raises QueryError like the list."""
    issues = matching_issues(user, scope, query)
    ordering = compile_issue_query(query, user)[1]
    first = issues.order_by(*ordering).values_list("id", "status_id", "priority", "assignee_id")
    sql, params = first[: cap + 1].query.sql_with_params()
    found: dict[str, list[Value]] = {name: [] for name in FACETS}
    total = 0
    with connections[issues.db].cursor() as cursor:
        cursor.execute(_statement(sql), params)
        for kind, name, number, count, extra in cursor.fetchall():
            if kind == "total":
                total = count
            elif kind == "priority":
                found[kind].append(Value(PRIORITY_NAMES.get(number, str(number)), count))
            elif kind == "status":
                found[kind].append(Value(name, count, category=extra or ""))
            elif kind == "label":
                found[kind].append(Value(name, count, color=extra or ""))
            else:
                found[kind].append(Value(name or "none", count))
    for values in found.values():
        values.sort(key=lambda v: (-v.count, v.name))
        del values[shown:]
    capped = total > cap
    return Facets(total=min(total, cap), capped=capped, values=found)


def _statement(matching: str) -> str:
    """One statement: the matches once (a CTE, materialised as it is used five times by both
    SQLite and PostgreSQL), then the total and a GROUP BY per facet, joined by UNION ALL.
    Statuses and labels group by name: `status:` and `label:` match by name across projects."""
    states = WorkflowState._meta.db_table
    users = User._meta.db_table
    labels = Label._meta.db_table
    tagged = Issue.labels.through._meta.db_table
    text = "CAST(NULL AS VARCHAR(200))"
    return (
        f"WITH m (id, status_id, priority, assignee_id) AS ({matching}) "  # noqa: S608 - model tables only
        f"SELECT 'total', {text}, CAST(NULL AS INTEGER), COUNT(*), {text} FROM m "
        f"UNION ALL SELECT 'status', s.name, NULL, COUNT(*), MIN(s.category) FROM m "
        f"JOIN {states} s ON s.id = m.status_id GROUP BY s.name "
        "UNION ALL SELECT 'priority', NULL, m.priority, COUNT(*), NULL FROM m GROUP BY m.priority "
        f"UNION ALL SELECT 'assignee', u.username, NULL, COUNT(*), NULL FROM m "
        f"LEFT JOIN {users} u ON u.id = m.assignee_id GROUP BY u.username "
        f"UNION ALL SELECT 'label', l.name, NULL, COUNT(*), MIN(l.color) FROM m "
        f"JOIN {tagged} t ON t.issue_id = m.id JOIN {labels} l ON l.id = t.label_id "
        "GROUP BY l.name"
    )


def label_colors(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(project key, label name): colour} for the labels a page of issues shows, in one
    query (the rows carry label names only)."""
    if not pairs:
        return {}
    keys = {key for key, _ in pairs}
    names = {name for _, name in pairs}
    rows = Label.objects.filter(project__key__in=keys, name__in=names)
    return {
        (key, name): color for key, name, color in rows.values_list("project__key", "name", "color")
    }
