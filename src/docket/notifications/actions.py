"""Changing one's own inbox: marking notifications read or done, and the one-click
unsubscribe of a mail. Preferences and mutes are in preferences.py."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from docket.accounts.actor import Who, account_of
from docket.accounts.models import User
from docket.core import clock
from docket.core.errors import Invalid, NotFound
from docket.issues.access import get_issue_for
from docket.issues.models import Issue
from docket.notifications.emails import read_unsubscribe_token
from docket.notifications.models import Mute, Notification

MAX_IDS = 500


def _chosen(actor: Who, ids: list[int] | None, issue: str | None) -> QuerySet[Notification]:
    """`actor`'s own notifications: by id, or every one about an issue (a key they may see)."""
    if (ids is None) == (issue is None):
        message = "give either ids or issue"
        raise Invalid(message, errors=[{"field": "ids", "message": message}])
    mine = Notification.objects.filter(recipient=account_of(actor), in_inbox=True)
    if ids is not None:
        if len(ids) > MAX_IDS:
            raise Invalid.field("ids", f"must hold at most {MAX_IDS} ids")
        return mine.filter(id__in=ids)
    assert issue is not None
    return mine.filter(issue=get_issue_for(actor, issue))


def mark_read(actor: Who, *, ids: list[int] | None = None, issue: str | None = None) -> int:
    """Mark notifications read (by id, or all of an issue); how many changed."""
    return _chosen(actor, ids, issue).filter(read_at__isnull=True).update(read_at=clock.now())


def mark_all_read(actor: Who) -> int:
    mine = Notification.objects.filter(recipient=account_of(actor), read_at__isnull=True)
    return mine.update(read_at=clock.now())


def mark_done(actor: Who, *, ids: list[int] | None = None, issue: str | None = None) -> int:
    """Take notifications out of the inbox (done is also read); how many changed."""
    moment = clock.now()
    rows = _chosen(actor, ids, issue).filter(done_at__isnull=True)
    read = rows.filter(read_at__isnull=True).update(read_at=moment, done_at=moment)
    return read + rows.update(done_at=moment)


def unsubscribe(token: str) -> Issue:
    """The one-click unsubscribe of a mail: mute its issue for its recipient. The signed
    token is the only credential (RFC 8058: no cookie, no sign-in)."""
    found = read_unsubscribe_token(token)
    user = None
    issue = None
    if found is not None:
        user = User.objects.filter(pk=found[0], is_active=True).first()
        issue = Issue.objects.select_related("project").filter(pk=found[1]).first()
    if user is None or issue is None:
        raise NotFound("this unsubscribe link is not valid")
    try:
        with transaction.atomic():
            Mute.objects.get_or_create(user=user, issue=issue, defaults={"created_at": clock.now()})
    except IntegrityError:  # clicked twice at once: muted either way
        pass
    return issue
