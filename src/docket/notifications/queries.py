"""Reading the inbox: a person's notifications grouped by issue, through the gate.

Only issues the reader may see *now* show (the gate, issues.access.visible_issues): a
notification about an issue they have since lost access to stays hidden, title and all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from docket.accounts.actor import Who, account_of
from docket.core.pagination import BadCursor, decode_cursor, encode_cursor
from docket.issues.access import visible_issues
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
    "event__new", "event__comment_id", "event__comment__deleted_at", "event__version",
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
    return Notification.objects.filter(
        recipient=account_of(actor),
        in_inbox=True,
        done_at__isnull=True,
        issue_id__in=visible_issues(actor).values("id"),
    )


def unread_count(actor: Who) -> int:
    return open_notifications(actor).filter(read_at__isnull=True).count()


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
    items: dict[int, list[dict[str, Any]]] = {issue_id: [] for issue_id in ids}
    for row in newest:
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
