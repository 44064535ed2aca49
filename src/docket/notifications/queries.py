"""Reading the inbox: a person's notifications grouped by issue, through the gate.

Only issues the reader may see *now* show (the gate, issues.access.visible_issues): a
notification about an issue they have since lost access to stays hidden, title and all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from docket.accounts.actor import Who, account_of
from docket.core.pagination import BadCursor, decode_cursor, encode_cursor
from docket.core.prepared import Prepared
from docket.issues.access import sees_internal, visible_issues
from docket.issues.models import Issue
from docket.issues.queries import event_out
from docket.notifications.models import Notification
from docket.projects.access import Perm, permissions_in

LISTING = "notifications"
PER_ISSUE = 10  # the newest notifications shown per issue; `count` tells how many there are
MAX_LIMIT = 100

_ITEM_FIELDS = (
    "id", "issue_id", "kind", "created_at", "read_at", "actor__username",
    "reminder__kind", "reminder__due_date",
    "event_id", "event__kind", "event__actor__username", "event__field", "event__old",
    "event__new", "event__comment_id", "event__comment__deleted_at", "event__comment__internal",
    "event__version",
    "event__created_at",
)  # fmt: skip


@dataclass
class Thread:
    """The open notifications of one issue, newest first."""

    issue: Issue
    count: int
    unread: int
    last_at: Any
    items: list[dict[str, Any]]


def open_notifications(actor: Who) -> QuerySet[Notification]:
    """`actor`'s inbox: not done, about issues they may see now."""
    mine = Notification.objects.filter(
        recipient=account_of(actor), in_inbox=True, done_at__isnull=True
    )
    return mine.filter(issue_id__in=_visible_among(actor, mine))


# On every signed-in page's top bar: compiled once (core/prepared.py), through the partial
# index notify_unread. One row per unread notification: its issue.
_UNREAD = Prepared(
    lambda user_id: (
        Notification.objects.filter(
            recipient_id=user_id, in_inbox=True, done_at__isnull=True, read_at__isnull=True
        )
        .order_by()
        .values("issue_id")
    ),
    arguments=1,
)


def unread_count(actor: Who) -> int:
    """Unread notifications about issues `actor` may see now: one prepared query when none is
    unread, and the gate asked of just their issues when some are."""
    user = account_of(actor)
    if user is None:
        return 0
    per_issue = Counter(row["issue_id"] for row in _UNREAD.rows(user.pk))
    if not per_issue:
        return 0
    seen = visible_issues(actor).filter(id__in=list(per_issue)).values_list("id", flat=True)
    return sum(per_issue[issue_id] for issue_id in seen)


def _visible_among(actor: Who, rows: QuerySet[Notification]) -> list[int]:
    """The issues of `rows` that `actor` may see now. Asked of the few issues the rows name,
    not as a subquery: SQLite planned that by listing every visible issue first (24-41 ms on
    32,000 issues for a person with nothing unread)."""
    named = list(rows.values_list("issue_id", flat=True).distinct())
    if not named:
        return []
    return list(visible_issues(actor).filter(id__in=named).values_list("id", flat=True))


def inbox(
    actor: Who, *, unread: bool = False, cursor: str | None = None, limit: int = 25
) -> tuple[list[Thread], str | None]:
    """One page of issues with open notifications (only unread ones with `unread`), the most
    recently notified first; and the cursor of the next page."""
    limit = max(1, min(limit, MAX_LIMIT))
    rows = open_notifications(actor)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    threads = (
        rows.values("issue_id")
        .annotate(
            last_id=Max("id"),
            last_at=Max("created_at"),
            count=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
        )
        .order_by("-last_id")
    )
    if cursor:
        [before] = decode_cursor(LISTING, cursor, 1)
        if not isinstance(before, int) or isinstance(before, bool):
            raise BadCursor("cursor is malformed")
        threads = threads.filter(last_id__lt=before)
    page = list(threads[: limit + 1])
    next_cursor = (
        encode_cursor(LISTING, [page[limit - 1]["last_id"]]) if len(page) > limit else None
    )
    page = page[:limit]
    return _threads(actor, rows, page), next_cursor


def _threads(actor: Who, rows: QuerySet[Notification], page: list[dict[str, Any]]) -> list[Thread]:
    ids = [group["issue_id"] for group in page]
    issues = Issue.objects.select_related("project").in_bulk(ids)
    newest = (
        rows.filter(issue_id__in=ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("issue_id")], order_by=F("id").desc()))
        .filter(rank__lte=PER_ISSUE)
        .order_by("-id")
        .values(*_ITEM_FIELDS)
    )
    moderates = {
        issue.id: Perm.MODERATE in permissions_in(actor, issue.project) for issue in issues.values()
    }
    staff = {issue.id: sees_internal(actor, issue.project) for issue in issues.values()}
    items: dict[int, list[dict[str, Any]]] = {issue_id: [] for issue_id in ids}
    for row in newest:
        if row["event__comment__internal"] and not staff[row["issue_id"]]:
            continue  # told of a note while they were staff: not theirs to read any more
        items[row["issue_id"]].append(item_out(row, moderates[row["issue_id"]]))
    return [
        Thread(issues[g["issue_id"]], g["count"], g["unread"], g["last_at"], items[g["issue_id"]])
        for g in page
    ]


def item_out(row: dict[str, Any], moderator: bool) -> dict[str, Any]:
    """One notification as the API shows it; an event as the issue's history shows it to
    the reader (a deleted comment's text for moderators only)."""
    event = None
    if row["event_id"] is not None:
        event = event_out(
            {name.removeprefix("event__"): row[name] for name in row if name.startswith("event__")}
            | {"id": row["event_id"], "actor__username": row["event__actor__username"]},
            moderator,
        )
    reminder = None
    if row["reminder__kind"] is not None:
        reminder = {"kind": row["reminder__kind"], "due_date": row["reminder__due_date"]}
    return {
        "id": row["id"],
        "kind": row["kind"],
        "at": row["created_at"],
        "read": row["read_at"] is not None,
        "actor": row["actor__username"],
        "event": event,
        "reminder": reminder,
    }
