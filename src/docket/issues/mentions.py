"""@mentions: who a description or a comment names, kept as `Mention` rows.

A mention is `@username` in text, not in code or a link (core/markdown.py finds them, so what
is recorded is exactly what renders as a mention), naming an active user. The actions that
write a description or a comment call `record_mentions` in their own transaction: the rows
follow the text as it reads now (`mentions:` in the query language reads them), and the people
newly mentioned who can see the issue start watching it. People who cannot see it are
recorded (the text does name them) but get nothing; `not_notified` names them for the author.

For the notification consumer: `newly_mentioned(old, new)` on the texts of an event
(`created`: the snapshot's description; `changed` description, `comment_edited`: old and new;
`commented`: new) — it must still ask the gate before telling anyone anything.
"""

from __future__ import annotations

import datetime as dt

from docket.accounts.actor import as_actor
from docket.accounts.models import User
from docket.core import markdown
from docket.issues.access import can_see, sees_internal
from docket.issues.models import Comment, Issue, Mention
from docket.issues.watching import add_watchers


def mentioned_names(text: str | None) -> tuple[str, ...]:
    """The @names in `text` as it renders (not in code or links), first mention first."""
    return markdown.prepare(text).mentions if text and "@" in text else ()


def mentioned_users(text: str | None) -> list[User]:
    """The active users `text` mentions, in the order they are first mentioned."""
    names = mentioned_names(text)
    if not names:
        return []
    found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    return [found[name] for name in names if name in found]


def newly_mentioned(old: str | None, new: str | None) -> list[User]:
    """The active users `new` mentions and `old` did not: who an edit mentioned."""
    before = set(mentioned_names(old))
    return [user for user in mentioned_users(new) if user.username not in before]


def may_see(user: User, issue: Issue) -> bool:
    """The gate's answer for someone other than the caller (one Actor: roles loaded once)."""
    return can_see(as_actor(user), issue)


def record_mentions(
    issue: Issue,
    text: str,
    moment: dt.datetime,
    *,
    comment: Comment | None = None,
    first: bool = False,
) -> list[User]:
    """Bring the Mention rows of `issue`'s description (or of `comment`) in line with `text`,
    and make the newly mentioned who can see the issue watch it. Returns the newly mentioned.
    For the issue and comment actions, inside their transaction; `first`: the text is new
    (a new issue or comment), so there are no rows yet to compare with."""
    users = mentioned_users(text)
    had: set[int] = set()
    if not first:
        rows = Mention.objects.filter(issue=issue, comment=comment)
        had = set(rows.values_list("user_id", flat=True))
        if had:
            rows.exclude(user_id__in=[u.pk for u in users]).delete()
    new = [u for u in users if u.pk not in had]
    if not new:
        return []
    Mention.objects.bulk_create(
        [Mention(issue=issue, comment=comment, user=u, created_at=moment) for u in new]
    )
    add_watchers(issue, [u for u in new if may_see(u, issue)], moment)
    return new


def forget_comment(comment: Comment) -> None:
    """A deleted comment mentions nobody any more (for `delete_comment`)."""
    Mention.objects.filter(comment=comment).delete()


def not_notified(issue: Issue, comment: Comment | None = None) -> list[str]:
    """Usernames the description (or `comment`) mentions who cannot see the issue: they were
    not told and do not watch it. What the author is shown after writing. For an internal
    note: whoever it names who is not the project's staff."""
    if comment is not None and comment.internal:
        project = issue.project
        return [
            u.username
            for u in mentioned_users(comment.body)
            if not sees_internal(as_actor(u), project)
        ]
    if "@" not in (issue.description if comment is None else comment.body):
        return []  # names nobody (a new issue's description, most comments): no query
    mentioned = User.objects.filter(
        mentions__issue=issue, mentions__comment=comment, is_active=True
    ).order_by("username")
    return [user.username for user in mentioned if not may_see(user, issue)]
