"""Comments on issues: add, edit (by the author) and delete (by the author or a moderator).
Each writes its history event in the same transaction; a deleted comment's text stays in the
event log, readable by project admins."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from docket.accounts.actor import Who, account_of, as_actor
from docket.audit.log import record as audit
from docket.core.clock import now
from docket.core.errors import Forbidden, NotFound
from docket.core.rows import one_or_none
from docket.issues.access import require_on_issue, sees_internal
from docket.issues.events import record
from docket.issues.fields import MAX_COMMENT, clean_text
from docket.issues.mentions import forget_comment, mentioned_users, record_mentions
from docket.issues.models import Comment, EventKind, Issue
from docket.issues.watching import add_watchers
from docket.projects.access import Perm, role_allows


@transaction.atomic
def add_comment(*, actor: Who, issue: Issue, body: str, internal: bool = False) -> Comment:
    """A comment; `internal`: a note for the project's staff alone (members and admins)."""
    require_on_issue(actor, issue, Perm.COMMENT)
    if internal and not sees_internal(actor, issue.project):
        raise Forbidden("only the project's members and admins may write internal notes")
    body = clean_text("body", body, max_length=MAX_COMMENT, required=True)
    moment = now()
    comment = Comment.objects.create(
        issue=issue, author=account_of(actor), body=body, created_at=moment, updated_at=moment,
        internal=internal,
    )  # fmt: skip
    Issue.objects.filter(pk=issue.pk).update(updated_at=moment)
    record(issue, actor, EventKind.COMMENTED, moment, comment=comment, new=body)
    add_watchers(issue, [actor], moment)  # the rest of the conversation reaches them
    _mentions(issue, comment, moment, first=True)
    return comment


def _mentions(issue: Issue, comment: Comment, moment: dt.datetime, *, first: bool) -> None:
    if not comment.internal:
        record_mentions(issue, comment.body, moment, comment=comment, first=first)
        return
    # An internal note keeps no Mention rows (`mentions:` must not find an issue by a note);
    # the staff it names start watching, and notifications tell only staff (audience.py).
    staff = [u for u in mentioned_users(comment.body) if sees_internal(as_actor(u), issue.project)]
    add_watchers(issue, staff, moment)


def comment_to_change(actor: Who, issue: Issue, comment_id: int) -> Comment:
    """A comment of `issue` that `actor` may edit or delete: their own while they may comment,
    anyone's as a moderator (404 if there is none, 403 if not theirs to change)."""
    comment = one_or_none(
        Comment.objects.filter(id=comment_id, issue=issue, deleted_at__isnull=True)
    )
    if comment is None or (comment.internal and not sees_internal(actor, issue.project)):
        raise NotFound(f"no comment {comment_id} on {issue.key}")
    if comment.author_id != actor.id:
        if actor.is_authenticated and not role_allows(actor, issue.project, Perm.MODERATE):
            raise Forbidden("only its author or a project admin may change this comment")
        require_on_issue(actor, issue, Perm.MODERATE)  # 401, or a token without `admin`
    else:
        require_on_issue(actor, issue, Perm.COMMENT)
    return comment


@transaction.atomic
def edit_comment(*, actor: Who, issue: Issue, comment_id: int, body: str) -> Comment:
    comment = comment_to_change(actor, issue, comment_id)
    body = clean_text("body", body, max_length=MAX_COMMENT, required=True)
    if body == comment.body:
        return comment
    old, moment = comment.body, now()
    comment.body, comment.updated_at = body, moment
    comment.save(update_fields=["body", "updated_at"])
    record(issue, actor, EventKind.COMMENT_EDITED, moment, comment=comment, old=old, new=body)
    _mentions(issue, comment, moment, first=False)
    return comment


@transaction.atomic
def delete_comment(*, actor: Who, issue: Issue, comment_id: int) -> None:
    """Hide a comment. Its text stays in the event log, readable by project admins."""
    comment = comment_to_change(actor, issue, comment_id)
    moment = now()
    comment.deleted_at = moment
    comment.save(update_fields=["deleted_at"])
    record(issue, actor, EventKind.COMMENT_DELETED, moment, comment=comment, old=comment.body)
    forget_comment(comment)
    if comment.author_id != actor.id:  # a moderator removing someone else's words
        audit(
            actor, "comment.deleted", project=issue.project, target=issue.key,
            comment=comment.id, author=comment.author.username,
        )  # fmt: skip
