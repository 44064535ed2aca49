"""Explicitly added people: sharing one issue with a user who could not otherwise see it
(a confidential finding shown to an auditor, a support ticket shown to a colleague of the
reporter). The gate in issues/access.py honours the grants; these actions write them."""

from __future__ import annotations

from django.db import transaction

from docket.accounts.actor import Who, user_of
from docket.accounts.models import User
from docket.audit.log import record as audit
from docket.core.clock import now
from docket.core.errors import Conflict, Invalid, NotFound
from docket.core.rows import one_or_none
from docket.issues.access import require_on_issue
from docket.issues.actions import locked
from docket.issues.events import record
from docket.issues.models import EventKind, Issue, IssueGrant
from docket.projects.access import Perm


def people_with_access(issue: Issue) -> list[IssueGrant]:
    return list(issue.grants.select_related("user", "granted_by").order_by("user__username"))


def _grantee(username: str) -> User:
    user = one_or_none(User.objects.filter(username=username, is_active=True))
    if user is None:
        raise Invalid.field("user", f"no active user '{username[:150]}'")
    return user


@transaction.atomic
def grant_access(*, actor: Who, issue: Issue, username: str) -> IssueGrant:
    """Let `username` see `issue`. Needs the right to edit others' issues (members, admins)."""
    require_on_issue(actor, issue, Perm.EDIT_ISSUE)
    user = _grantee(username)
    issue = locked(issue)
    if IssueGrant.objects.filter(issue=issue, user=user).exists():
        raise Conflict(f"{user.username} already has access to {issue.key}")
    grant = IssueGrant.objects.create(issue=issue, user=user, granted_by=user_of(actor))
    _access_changed(actor, issue, EventKind.ACCESS_GRANTED, user)
    return grant


@transaction.atomic
def revoke_access(*, actor: Who, issue: Issue, username: str) -> None:
    """Takes effect from the caller's next request: the gate reads grants per request."""
    require_on_issue(actor, issue, Perm.EDIT_ISSUE)
    issue = locked(issue)
    deleted, _ = IssueGrant.objects.filter(issue=issue, user__username=username).delete()
    if not deleted:
        raise NotFound(f"{username[:150]} has no explicit access to {issue.key}")
    user = User.objects.get(username=username)
    _access_changed(actor, issue, EventKind.ACCESS_REVOKED, user)


def _access_changed(actor: Who, issue: Issue, kind: str, user: User) -> None:
    moment = now()
    issue.version += 1
    issue.updated_at = moment
    issue.save(update_fields=["version", "updated_at"])
    added = kind == EventKind.ACCESS_GRANTED
    record(
        issue,
        actor,
        kind,
        moment,
        field="access",
        old=None if added else user.username,
        new=user.username if added else None,
    )
    audit(actor, kind, project=issue.project, target=issue.key, user=user.username)
    # The grantee's own requests read their grants afresh: each has a new Actor.
