"""Watchers: people following an issue. Anyone who can see an issue may watch it; its reporter
and its assignee start watching automatically (issues/actions.py calls `add_watchers`).

A watch is only a name on a list. It grants nothing: every read of the issue still goes
through the gate (issues/access.py), so a watcher who loses access sees nothing, and lists
of watchers only ever name people, never anything about issues they cannot see.
Watching is personal, not a change to the issue: it writes no event and no new version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from docket.accounts.actor import Who, account_of, user_of
from docket.core.clock import now
from docket.core.errors import Unauthenticated
from docket.core.prepared import Prepared
from docket.issues.access import require_on_issue
from docket.issues.models import Issue, Watch
from docket.projects.access import Perm

MAX_LISTED = 200  # watchers named in one list; the count is always exact


def _signed_in(actor: Who) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise Unauthenticated("sign in or send an API token to watch issues")


def watch(*, actor: Who, issue: Issue) -> bool:
    """Start watching `issue` (404 if the actor cannot see it). True if newly watching;
    watching twice is not an error."""
    _signed_in(actor)
    require_on_issue(actor, issue, Perm.VIEW)
    if Watch.objects.filter(issue=issue, user=account_of(actor)).exists():
        return False
    try:
        with transaction.atomic():
            Watch.objects.create(issue=issue, user=account_of(actor), created_at=now())
    except IntegrityError:  # a concurrent request got there first: the same outcome
        return False
    return True


def unwatch(*, actor: Who, issue: Issue) -> bool:
    """Stop watching `issue`. True if the actor was watching."""
    _signed_in(actor)
    require_on_issue(actor, issue, Perm.VIEW)
    deleted, _ = Watch.objects.filter(issue=issue, user=account_of(actor)).delete()
    return bool(deleted)


def add_watchers(
    issue: Issue,
    users: Iterable[Who | None],
    moment: dt.datetime | None = None,
    *,
    new: bool = False,
) -> None:
    """Make `users` watch `issue` (for the issue actions: reporter and assignee). Users
    already watching are skipped; None and anonymous entries are ignored. `new`: the issue
    was created in this transaction, so nobody watches it yet (no need to look)."""
    signed_in = (user_of(who) for who in users)
    wanted = {u.pk: u for u in signed_in if u is not None}
    if not wanted:
        return
    have: set[int] = set()
    if not new:
        have = set(
            Watch.objects.filter(issue=issue, user_id__in=list(wanted)).values_list(
                "user_id", flat=True
            )
        )
    moment = moment or now()
    Watch.objects.bulk_create(
        [
            Watch(issue=issue, user=u, created_at=moment)
            for pk, u in wanted.items()
            if pk not in have
        ],
        ignore_conflicts=True,
    )


def watchers_of(issue: Issue, *, limit: int = MAX_LISTED) -> tuple[list[str], int]:
    """Usernames of the active people watching `issue` (alphabetical, at most `limit`) and
    how many there are. The caller has already passed the gate for `issue`."""
    watches = Watch.objects.filter(issue=issue, user__is_active=True)
    names = list(
        watches.order_by("user__username").values_list("user__username", flat=True)[:limit]
    )
    count = len(names) if len(names) < limit else watches.count()
    return names, count


def is_watching(user: Who, issue: Issue) -> bool:
    account = user_of(user)
    return account is not None and Watch.objects.filter(issue=issue, user=account).exists()


# Read on every issue page: compiled once (core/prepared.py). `me` 0 stands for nobody.
_WATCHERS = Prepared(
    lambda issue_id, me: (
        Watch.objects.filter(issue_id=issue_id, user__is_active=True)
        .values("issue_id")
        .annotate(count=Count("id"), mine=Count("id", filter=Q(user_id=me)))
    ),
    arguments=2,
)


def watch_state(user: Who, issue: Issue) -> dict[str, Any]:
    """What the issue page shows: how many watch, and whether `user` does — one query."""
    me = user.pk if getattr(user, "is_authenticated", False) else 0
    found = _WATCHERS.rows(issue.id, me)
    if not found:
        return {"count": 0, "watching": False}
    return {"count": found[0]["count"], "watching": bool(me and found[0]["mine"])}
