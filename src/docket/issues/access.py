"""The permission gate for issues. Every issue read path starts from `visible_issues`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Actor, Who, as_actor
from docket.core.errors import Forbidden, NotFound, Unauthenticated
from docket.core.prepared import Prepared, columns, instance
from docket.issues.fields import FIELDS, REPORTER_FIELDS
from docket.issues.models import Issue, IssueGrant
from docket.projects.access import (
    Perm,
    load_roles,
    own_tickets_only,
    permissions_in,
    project_roles,
    require,
    sees_only_own,
    visible_projects,
)
from docket.projects.models import Project, Role

ISSUE_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9]{1,9})-([1-9][0-9]{0,9})$")
CONFIDENTIAL_ROLES = {Role.ADMIN, Role.MEMBER}


# Read on almost every request: compiled once (core/prepared.py).
_GRANTS = Prepared(
    lambda user_id: IssueGrant.objects.filter(user_id=user_id).order_by().values("issue_id"),
    arguments=1,
)


def granted_issue_ids(who: Who) -> list[int]:
    """Issues `who` was explicitly added to. Loaded once per Actor."""
    actor = as_actor(who)
    if not actor.is_authenticated:
        return []
    if actor.grants is None:
        actor.grants = [row["issue_id"] for row in _GRANTS.rows(actor.account.id)]
    return actor.grants


def know_many(actors: Iterable[Actor]) -> None:
    """Load what `can_see` asks about each of `actors` (roles, grants) in three queries for
    them all: for jobs that ask the gate about many people at once (notifications)."""
    actors = list(actors)
    load_roles(actors)
    pending = {a.id: a for a in actors if a.id is not None and a.grants is None}
    if not pending:
        return
    found: dict[int, list[int]] = {user_id: [] for user_id in pending}
    rows = IssueGrant.objects.filter(user_id__in=list(pending)).values_list("user_id", "issue_id")
    for user_id, issue_id in rows:
        found[user_id].append(issue_id)
    for user_id, actor in pending.items():
        actor.grants = found[user_id]


def visible_issues(user: Who) -> QuerySet[Issue]:
    """Issues `user` may see: not deleted, and either
    - in a visible project, not confidential, and (on a support desk that shows reporters
      only their own tickets) not someone else's; or
    - in a project where they are a member or admin (confidential ones too); or
    - reported by, assigned to, or explicitly shared with them."""
    issues = Issue.objects.filter(deleted_at__isnull=True)
    if is_site_admin(user):
        return issues
    own_only = own_tickets_only(user)
    open_to_all = Q(confidential=False, project__in=visible_projects(user))
    if own_only:
        open_to_all &= ~Q(project_id__in=own_only)
    if not user.is_authenticated:
        return issues.filter(open_to_all)
    insider_projects = [
        pid for pid, role in project_roles(user).items() if role in CONFIDENTIAL_ROLES
    ]
    involved = Q(reporter_id=user.id) | Q(assignee_id=user.id)
    granted = granted_issue_ids(user)
    if granted:
        involved |= Q(id__in=granted)
    return issues.filter(open_to_all | Q(project_id__in=insider_projects) | involved)


def visible_in(user: Who, project_ids: list[int]) -> QuerySet[Issue]:
    """`visible_issues(user)` in these projects. For a user who sees every one of them whole
    (a site admin, or a member or admin of each), the plain project filter: the gate's OR of
    projects, reporter, assignee and grants made PostgreSQL read a 23,000-issue project's
    list of 50 through the reporter and assignee indexes too (0.87 s at a million issues)."""
    if is_site_admin(user) or (
        user.is_authenticated
        and all(project_roles(user).get(pid) in CONFIDENTIAL_ROLES for pid in project_ids)
    ):
        return Issue.objects.filter(deleted_at__isnull=True, project_id__in=project_ids)
    return visible_issues(user).filter(project_id__in=project_ids)


def can_see(user: Who, issue: Issue) -> bool:
    """The same rule as `visible_issues`, for one issue already in memory."""
    perms = permissions_in(user, issue.project)
    if issue.deleted_at is not None:
        return Perm.MODERATE in perms  # only admins see (and may restore) deleted issues
    if is_site_admin(user) or Perm.SEE_CONFIDENTIAL in perms:
        return True
    if user.is_authenticated and (
        user.id in (issue.reporter_id, issue.assignee_id) or issue.id in granted_issue_ids(user)
    ):
        return True
    if Perm.VIEW not in perms or issue.confidential:
        return False
    return not sees_only_own(user, issue.project)


def sees_internal(user: Who, project: Project) -> bool:
    """Staff: who may read and write a project's internal notes (its members and admins, and
    site admins). Reporters, viewers, external contacts and the public never do."""
    return is_site_admin(user) or Perm.SEE_CONFIDENTIAL in permissions_in(user, project)


def parse_key(key: str) -> tuple[str, int]:
    match = ISSUE_KEY.fullmatch(key)  # fullmatch: `$` alone would accept "WEB-1\n"
    if not match:
        raise NotFound(f"no issue {key[:40]}")
    return match.group(1).upper(), int(match.group(2))


# The issue and what every page of it shows, in one query compiled once (core/prepared.py).
_WITH: dict[str, Any] = {  # foreign key -> the model it points to
    name: Issue._meta.get_field(name).related_model
    for name in ("project", "status", "reporter", "assignee", "milestone", "team")
}
_ISSUE_BY_KEY = Prepared(
    lambda project_key, number: Issue.objects.filter(
        project__key=project_key, number=number
    ).values(
        *columns(Issue), *(c for name, model in _WITH.items() for c in columns(model, f"{name}__"))
    ),
    arguments=2,
)


def issue_by_key(project_key: str, number: int) -> Issue | None:
    """The issue, its project, status, reporter, assignee, milestone and team at hand (as
    `select_related` loads them), whoever may see it: callers check."""
    rows = _ISSUE_BY_KEY.rows(project_key, number)
    issue = instance(Issue, rows[0]) if rows else None
    if issue is not None:
        for name, model in _WITH.items():
            field: Any = Issue._meta.get_field(name)
            field.set_cached_value(issue, instance(model, rows[0], f"{name}__"))
    return issue


def get_issue_for(user: Who, key: str, need: Perm = Perm.VIEW, *, deleted: bool = False) -> Issue:
    """Load an issue by key if `user` may see it (404 otherwise) and holds `need` (403)."""
    actor = as_actor(user)
    know_the_caller(actor)
    issue = issue_by_key(*parse_key(key))
    if issue is None or (issue.deleted_at is not None and not deleted):
        raise NotFound(f"no issue {key}")
    if not can_see(actor, issue):
        raise NotFound(f"no issue {key}")
    require_on_issue(actor, issue, need)
    return issue


def know_the_caller(actor: Actor) -> None:
    """Load what the gate asks about `actor` (project roles, issues shared with them) before
    looking anything up, so it is loaded whether the issue exists or not: otherwise a 404
    for a hidden issue does this work and one for a missing issue does not, and the
    difference in time tells an outsider which keys exist."""
    project_roles(actor)
    granted_issue_ids(actor)


def require_on_issue(user: Who, issue: Issue, need: Perm) -> None:
    if need == Perm.VIEW:
        if not can_see(user, issue):
            raise NotFound(f"no issue {issue.key}")
        return  # an explicitly added person sees the issue without a role in its project
    if need == Perm.EDIT_OWN_ISSUE:
        perms = permissions_in(user, issue.project)
        if Perm.EDIT_ISSUE in perms:
            return
        if Perm.EDIT_OWN_ISSUE in perms and issue.reporter_id == user.id:
            return
        raise Forbidden(f"you may not edit {issue.key}")
    require(user, issue.project, need)


def check_field_permissions(user: Who, issue: Issue, fields: set[str]) -> None:
    """May `user` change these fields of `issue`? (Forbidden/Unauthenticated if not.)
    Who may edit what is in the field table (issues/fields.py)."""
    if not user.is_authenticated:
        raise Unauthenticated("sign in or send an API token to edit issues")
    perms = permissions_in(user, issue.project)
    for name in sorted(fields):
        needs = FIELDS[name].edit_permission if name in FIELDS else Perm.EDIT_ISSUE
        if needs == Perm.MODERATE and needs not in perms:
            raise Forbidden(f"only project admins can change whether an issue is {name}")
    if Perm.EDIT_ISSUE in perms:
        return
    own = Perm.EDIT_OWN_ISSUE in perms and issue.reporter_id == user.id
    if own and fields <= REPORTER_FIELDS:
        return
    if own:
        names = ", ".join(sorted(fields - REPORTER_FIELDS))
        raise Forbidden(f"reporters may not change {names}; ask a project member")
    raise Forbidden(f"you may not edit {issue.key}")
