"""Deactivating and reactivating people. Their history stays; their open work moves on.

Lives with the issues because handing over open issues is an issue change: each one goes
through `update_issue`, so it gets its own event and version like any other reassignment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Actor, Who
from docket.accounts.models import ApiToken, User
from docket.audit.log import record as audit
from docket.core.clock import now
from docket.core.errors import Forbidden, Invalid, NotFound
from docket.issues import actions
from docket.issues.models import Issue
from docket.projects.access import ASSIGNABLE_ROLES, role_in
from docket.projects.models import WorkflowState


@dataclass
class Handover:
    username: str
    reassigned_to: str | None
    reassigned: list[str] = field(default_factory=list)
    unassigned: list[str] = field(default_factory=list)
    tokens_revoked: int = 0


def _person(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username[:150]}")
    return user


@transaction.atomic
def deactivate_user(*, actor: Who, username: str, reassign_to: str | None = None) -> Handover:
    """Stop `username` from signing in or using tokens, keep everything they did, and hand
    their open issues to `reassign_to` where that person may be assigned; the rest become
    unassigned, so they show up in every "assignee:none" triage list."""
    if not is_site_admin(actor):
        raise Forbidden("only site admins can deactivate users")
    user = _person(username)
    if user.pk == actor.pk:
        raise Invalid.field("username", "you cannot deactivate yourself")
    if not user.is_active:
        raise Invalid.field("username", f"{user.username} is already deactivated")
    heir = _heir(user, reassign_to)
    user.is_active = False  # Django refuses the sessions of inactive users from now on
    user.sessions_epoch += 1  # ...and these stay refused after a reactivation
    user.save(update_fields=["is_active", "sessions_epoch"])
    handover = Handover(user.username, heir.username if heir else None)
    handover.tokens_revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now()
    )
    open_issues = (
        Issue.objects.filter(assignee=user, deleted_at__isnull=True)
        .exclude(status__category=WorkflowState.Category.DONE)
        .select_related("project")
        .order_by("id")
    )
    heirs_roles = Actor(heir) if heir else None  # their roles, loaded once for every issue
    for issue in open_issues:
        assignable = heirs_roles and role_in(heirs_roles, issue.project) in ASSIGNABLE_ROLES
        takes_over = heir if assignable else None
        new = takes_over.username if takes_over else None
        actions.update_issue(actor=actor, issue=issue, changes={"assignee": new})
        (handover.reassigned if takes_over else handover.unassigned).append(issue.key)
    audit(
        actor, "user.deactivated", target=user.username, reassigned_to=handover.reassigned_to,
        reassigned=handover.reassigned, unassigned=handover.unassigned,
        tokens_revoked=handover.tokens_revoked,
    )  # fmt: skip
    return handover


def _heir(user: User, reassign_to: str | None) -> User | None:
    if reassign_to is None:
        return None
    heir = User.objects.filter(username=reassign_to, is_active=True).first()
    if heir is None:
        raise Invalid.field("reassign_to", f"no active user '{reassign_to[:150]}'")
    if heir.pk == user.pk:
        raise Invalid.field("reassign_to", "must be someone else")
    return heir


@transaction.atomic
def reactivate_user(*, actor: Who, username: str) -> User:
    """Lets them sign in again. Tokens stay revoked and issues stay with their new owners."""
    if not is_site_admin(actor):
        raise Forbidden("only site admins can reactivate users")
    user = _person(username)
    if user.is_active:
        raise Invalid.field("username", f"{user.username} is active")
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit(actor, "user.reactivated", target=user.username)
    return user
