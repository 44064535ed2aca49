"""An issue's timeline: its comments and its history interleaved by time, newest first, one
bounded page at a time (the issue page shows the latest page and loads older ones on demand).

`comments_page` and `history_page` (queries.py) walk oldest first, one stream each; a page of
the newest items of both streams needs them merged, so this walks both newest first and keeps
one cursor that remembers where each stream stopped. Both streams are filtered as those
functions filter them: deleted comments are left out, and a deleted comment's text is shown
to moderators only (queries._event_out).

`commented` and `comment_edited` events are left out: the comment itself stands for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docket.core.pagination import BadCursor, decode_cursor, encode_cursor
from docket.issues.models import Comment, EventKind, Issue, IssueEvent
from docket.issues.queries import _event_out
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


def timeline_page(
    user: Any, issue: Issue, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Entry], str | None]:
    """Up to `limit` entries, newest first, older than `cursor`; and the cursor of the next
    (older) page, or None. Two queries, whatever the issue's size."""
    limit = max(1, min(limit, MAX_LIMIT))
    comment_before, event_before = _bounds(cursor)
    comments = Comment.objects.filter(issue=issue, deleted_at__isnull=True).select_related("author")
    if comment_before is not None:
        comments = comments.filter(id__lt=comment_before)
    events = (
        IssueEvent.objects.filter(issue=issue)
        .exclude(kind__in=SHOWN_AS_COMMENTS)
        .select_related("actor", "comment")
        .defer("comment__body")
    )
    if event_before is not None:
        events = events.filter(id__lt=event_before)
    moderator = Perm.MODERATE in permissions_in(user, issue.project)
    said = [
        Entry("comment", c.created_at, c.id, comment=c)
        for c in comments.order_by("-id")[: limit + 1]
    ]
    done = [
        Entry("event", e.created_at, e.id, event=_event_out(e, moderator))
        for e in events.order_by("-id")[: limit + 1]
    ]
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
