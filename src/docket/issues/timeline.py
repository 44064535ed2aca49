"""An issue's timeline: its comments and its history interleaved by time, newest first, one
bounded page at a time (the issue page shows the latest page and loads older ones on demand).

`comments_page` and `history_page` (queries.py) walk oldest first, one stream each; a page of
the newest items of both streams needs them merged, so this walks both newest first and keeps
one cursor that remembers where each stream stopped. Both streams are filtered as those
functions filter them: deleted comments are left out, a deleted comment's text is shown
to moderators only (queries.event_out), and internal notes with their events to staff only.

`commented` and `comment_edited` events are left out: the comment itself stands for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS

from docket.accounts.actor import Who
from docket.accounts.models import User
from docket.core.pagination import BadCursor, decode_cursor, encode_cursor
from docket.core.prepared import Prepared, columns, instance
from docket.issues import links
from docket.issues.access import sees_internal
from docket.issues.models import Comment, EventKind, Issue, IssueEvent
from docket.issues.queries import EVENT_FIELDS, event_out
from docket.projects.access import Perm, permissions_in

LISTING = "timeline"
SHOWN_AS_COMMENTS = (EventKind.COMMENTED, EventKind.COMMENT_EDITED)
MAX_LIMIT = 200


@dataclass
class Entry:
    """One line of the timeline: a comment (a Comment row) or an event (history_page's shape)."""

    kind: str  # "comment" or "event"
    at: Any
    id: int
    comment: Comment | None = None
    event: dict[str, Any] | None = None

    @property
    def order(self) -> tuple[Any, int, int]:
        # At the same moment (a transition with a comment) the change comes before the words.
        return (self.at, 1 if self.kind == "comment" else 0, self.id)


def _bounds(cursor: str | None) -> tuple[int | None, int | None]:
    if not cursor:
        return None, None
    comment_before, event_before = decode_cursor(LISTING, cursor, 2)
    for bound in (comment_before, event_before):
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
            raise BadCursor("cursor is malformed")
    return comment_before, event_before


# Newest first, older than a bound (no cursor: older than any id), `limit` at most. Each in
# two forms: for the project's staff (internal notes and their events included) and for
# everyone else (left out in the query: never loaded for them).
_COMMENT_FIELDS = columns(Comment)


def _comments_query(internal_too: bool) -> Prepared:
    def query(issue_id: int, before: int, limit: int) -> Any:
        rows = Comment.objects.filter(issue_id=issue_id, deleted_at__isnull=True, id__lt=before)
        if not internal_too:
            rows = rows.filter(internal=False)
        return rows.order_by("-id").values(*_COMMENT_FIELDS, "author__username")[:limit]

    return Prepared(query, arguments=2)


def _events_query(internal_too: bool) -> Prepared:
    def query(issue_id: int, before: int, limit: int) -> Any:
        rows = IssueEvent.objects.filter(issue_id=issue_id, id__lt=before)
        if not internal_too:
            rows = rows.exclude(comment__internal=True)
        return (
            rows.exclude(kind__in=SHOWN_AS_COMMENTS).order_by("-id").values(*EVENT_FIELDS)[:limit]
        )

    return Prepared(query, arguments=2)


_COMMENTS = {staff: _comments_query(staff) for staff in (True, False)}
_EVENTS = {staff: _events_query(staff) for staff in (True, False)}
NO_BOUND = 2**62  # older than any id


def _comment(row: dict[str, Any]) -> Comment:
    """A Comment as the ORM would load it (its author's username at hand)."""
    comment = cast(Comment, instance(Comment, row))
    author = User.from_db(
        DEFAULT_DB_ALIAS, ("id", "username"), (row["author_id"], row["author__username"])
    )
    Comment.author.field.set_cached_value(comment, author)
    return comment


def timeline_page(
    user: Who, issue: Issue, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Entry], str | None]:
    """Up to `limit` entries, newest first, older than `cursor`; and the cursor of the next
    (older) page, or None. Two queries, whatever the issue's size."""
    limit = max(1, min(limit, MAX_LIMIT))
    comment_before, event_before = _bounds(cursor)
    moderator = Perm.MODERATE in permissions_in(user, issue.project)
    staff = sees_internal(user, issue.project)
    shape = (limit + 1,)
    said = [
        Entry("comment", row["created_at"], row["id"], comment=_comment(row))
        for row in _COMMENTS[staff].rows(issue.id, comment_before or NO_BOUND, shape=shape)
    ]
    done = [
        Entry("event", row["created_at"], row["id"], event=event_out(row, moderator))
        for row in _EVENTS[staff].rows(issue.id, event_before or NO_BOUND, shape=shape)
    ]
    links.mask_hidden(user, [entry.event for entry in done if entry.event is not None])
    # Merge the two newest-first streams; what is taken from each is always a prefix of it,
    # so "older than the last one taken" is exactly where each stream goes on.
    taken: list[Entry] = []
    i = j = 0
    while len(taken) < limit and (i < len(said) or j < len(done)):
        if j >= len(done) or (i < len(said) and said[i].order > done[j].order):
            taken.append(said[i])
            i += 1
        else:
            taken.append(done[j])
            j += 1
    if i >= len(said) and j >= len(done):
        return taken, None
    next_comment = said[i - 1].id if i else comment_before
    next_event = done[j - 1].id if j else event_before
    return taken, encode_cursor(LISTING, [next_comment, next_event])
