"""Who may do what in a project. The one table of role → permissions, and the gate helpers.

"Missing" and "may not see" both raise NotFound, so a 404 never tells an outsider that a
private project exists; Forbidden is only for things the caller can see but not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from itertools import chain

from django.conf import settings
from django.db.models import Q, QuerySet

from docket.accounts.access import has_admin_scope, is_site_admin
from docket.accounts.actor import Actor, Who, as_actor
from docket.core.errors import Forbidden, NotFound, Unauthenticated
from docket.core.prepared import Prepared, columns, instance
from docket.projects.models import ROLE_RANK, Membership, Project, Role, Workflow


class Perm(StrEnum):
    VIEW = "view"
    CREATE_ISSUE = "create_issue"
    COMMENT = "comment"
    EDIT_OWN_ISSUE = "edit_own_issue"
    EDIT_ISSUE = "edit_issue"
    SEE_CONFIDENTIAL = "see_confidential"
    MODERATE = "moderate"  # edit/delete others' comments, delete/restore issues, confidentiality
    MANAGE_PROJECT = "manage_project"  # settings and members


_REPORTER = {Perm.VIEW, Perm.CREATE_ISSUE, Perm.COMMENT, Perm.EDIT_OWN_ISSUE}
_MEMBER = _REPORTER | {Perm.EDIT_ISSUE, Perm.SEE_CONFIDENTIAL}
ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.VIEWER: frozenset({Perm.VIEW}),
    Role.REPORTER: frozenset(_REPORTER),
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(Perm),
}
ASSIGNABLE_ROLES = {Role.MEMBER, Role.ADMIN}
# Powers an API token only exercises with the `admin` scope (read/write tokens act as a member).
ADMIN_POWERS = frozenset({Perm.MANAGE_PROJECT, Perm.MODERATE})
# Roles that see every ticket of a support desk (`reporters_see_own_only`).
SEES_ALL_TICKETS = {Role.ADMIN, Role.MEMBER, Role.VIEWER}
# A support desk's staff: the people its customers may see (visible_memberships).
STAFF_ROLES = {Role.ADMIN, Role.MEMBER}


# Read on almost every request: compiled once (core/prepared.py). Two halves, not one OR:
# an OR across the team join cannot use either index, and PostgreSQL read every membership
# (45,000 at 1M issues: 9.3 ms a request, 0.3 ms as two index lookups).
_ROLES = Prepared(
    lambda user_id: (
        Membership.objects.filter(user_id=user_id)
        .order_by()
        .values("project_id", "role")
        .union(
            Membership.objects.filter(team__members=user_id)
            .order_by()
            .values("project_id", "role"),
            all=True,
        )
    ),
    arguments=1,
)
_PROJECT_BY_KEY = Prepared(
    lambda key: Project.objects.filter(key=key).values(
        *columns(Project), *columns(Workflow, "workflow__")
    ),
    arguments=1,
)


def project_roles(who: Who) -> dict[int, str]:
    """Every project role `who` holds (directly or through a team), strongest wins.

    Loaded once per Actor (a request or a job).
    """
    actor = as_actor(who)
    if not actor.is_authenticated:
        return {}
    if actor.roles is not None:
        return actor.roles
    roles: dict[int, str] = {}
    for row in _ROLES.rows(actor.id):
        _keep_strongest(roles, row["project_id"], row["role"])
    actor.roles = roles
    return roles


def _keep_strongest(roles: dict[int, str], project_id: int, role: str) -> None:
    current = roles.get(project_id)
    if current is None or ROLE_RANK[Role(role)] > ROLE_RANK[Role(current)]:
        roles[project_id] = role


def load_roles(actors: Iterable[Actor]) -> None:
    """Load the project roles of many actors at once (two queries, whoever they are), by the
    rule of `project_roles`: for a job that asks the gate about many people (notifications)."""
    pending = {a.id: a for a in actors if a.id is not None and a.roles is None}
    if not pending:
        return
    found: dict[int, dict[int, str]] = {user_id: {} for user_id in pending}
    direct = Membership.objects.filter(user_id__in=list(pending)).values_list(
        "user_id", "project_id", "role"
    )
    through_teams = Membership.objects.filter(team__members__in=list(pending)).values_list(
        "team__members", "project_id", "role"
    )
    for user_id, project_id, role in chain(direct, through_teams):
        _keep_strongest(found[user_id], project_id, role)
    for user_id, actor in pending.items():
        actor.roles = found[user_id]


def forget_roles(who: Who) -> None:
    """After `who`'s roles or grants changed: the next check loads them again (a plain user
    carries no cache)."""
    if isinstance(who, Actor):
        who.forget()


def role_in(user: Who, project: Project) -> str | None:
    if is_site_admin(user):
        return Role.ADMIN
    return project_roles(user).get(project.id)


def permissions_in(user: Who, project: Project) -> frozenset[Perm]:
    role = role_in(user, project)
    if role:
        granted = ROLE_PERMISSIONS[role]
        return granted if has_admin_scope(user) else granted - ADMIN_POWERS
    if project.visibility == Project.Visibility.PUBLIC and (
        user.is_authenticated or settings.DOCKET_ANONYMOUS_READ
    ):
        return frozenset({Perm.VIEW})
    if project.visibility == Project.Visibility.INTERNAL and user.is_authenticated:
        return frozenset({Perm.VIEW})
    return frozenset()


def own_tickets_only(who: Who) -> list[int]:
    """Support desks where `who` sees only their own tickets: projects that say so, unless
    they are a site admin or hold a role that sees every ticket. Loaded once per Actor."""
    actor = as_actor(who)
    if is_site_admin(actor):
        return []
    if actor.own_only is not None:
        return actor.own_only
    trusted = [pid for pid, role in project_roles(actor).items() if role in SEES_ALL_TICKETS]
    projects = Project.objects.filter(reporters_see_own_only=True).exclude(id__in=trusted)
    found = list(projects.values_list("id", flat=True))
    if actor.is_authenticated:
        actor.own_only = found
    return found


def sees_only_own(user: Who, project: Project) -> bool:
    if not project.reporters_see_own_only or is_site_admin(user):
        return False
    return project_roles(user).get(project.id) not in SEES_ALL_TICKETS


def visible_memberships(user: Who, project: Project) -> QuerySet[Membership]:
    """The project's memberships `user` may know of. On a support desk those who see only
    their own tickets (customers, outsiders, anonymous visitors) see its staff — members and
    admins, users or teams — and their own (and their teams'): the other customers stay as
    hidden as their tickets. Everyone else sees every membership."""
    rows = Membership.objects.filter(project=project)
    if not sees_only_own(user, project):
        return rows
    shown = Q(role__in=STAFF_ROLES)
    if user.is_authenticated:
        shown |= Q(user_id=user.id) | Q(team__members=user.id)
    return rows.filter(shown)


def visible_people(user: Who, project: Project) -> Q:
    """A filter of users: the people of `project` (a role directly or through a team) that
    `user` may know of, by the rule of `visible_memberships`."""
    if not sees_only_own(user, project):
        return Q(memberships__project=project) | Q(teams__memberships__project=project)
    shown = Q(memberships__project=project, memberships__role__in=STAFF_ROLES)
    shown |= Q(teams__memberships__project=project, teams__memberships__role__in=STAFF_ROLES)
    if user.is_authenticated:
        mine = Q(memberships__project=project) | Q(teams__memberships__project=project)
        shown |= Q(pk=user.id) & mine
    return shown


def known_people(user: Who) -> Q:
    """A filter of users: everyone `user` may know of across the projects they can see, by the
    rule of `visible_memberships` — on a support desk where they see only their own tickets,
    its staff and themselves, never its other customers; elsewhere every member."""
    projects = visible_projects(user)
    own_only = own_tickets_only(user)
    full = projects.exclude(id__in=own_only)
    known = Q(memberships__project__in=full) | Q(teams__memberships__project__in=full)
    if own_only:
        desks = projects.filter(id__in=own_only)
        known |= Q(memberships__project__in=desks, memberships__role__in=STAFF_ROLES)
        known |= Q(teams__memberships__project__in=desks, teams__memberships__role__in=STAFF_ROLES)
    if user.is_authenticated:
        known |= Q(pk=user.id)
    return known


def visible_projects(user: Who) -> QuerySet[Project]:
    """The permission gate for projects: every project read starts here."""
    projects = Project.objects.all()
    if is_site_admin(user):
        return projects
    visible = Q(visibility=Project.Visibility.PUBLIC) if settings.DOCKET_ANONYMOUS_READ else Q()
    if not user.is_authenticated:
        return projects.filter(visible) if visible else projects.none()
    visible |= Q(visibility__in=[Project.Visibility.PUBLIC, Project.Visibility.INTERNAL])
    visible |= Q(id__in=list(project_roles(user)))
    return projects.filter(visible)


def project_by_key(key: str) -> Project | None:
    """The project and its workflow (as `select_related` loads them), whoever may see it."""
    rows = _PROJECT_BY_KEY.rows(key)
    project = instance(Project, rows[0]) if rows else None
    if project is not None:
        Project.workflow.field.set_cached_value(project, instance(Workflow, rows[0], "workflow__"))
    return project


def get_project_for(user: Who, key: str, need: Perm = Perm.VIEW) -> Project:
    actor = as_actor(user)
    # Roles first, whether the project exists or not: a 404 for a private project then does
    # the same work as one for a missing project (the time would tell which keys exist).
    project_roles(actor)
    project = project_by_key(key.upper())
    if project is None or Perm.VIEW not in permissions_in(actor, project):
        raise NotFound(f"no project {key}")
    require(actor, project, need)
    return project


def role_allows(user: Who, project: Project, need: Perm) -> bool:
    """Whether `user`'s role in `project` carries `need`, whatever their token's scopes."""
    role = role_in(user, project)
    return role is not None and need in ROLE_PERMISSIONS[role]


def require(user: Who, project: Project, need: Perm) -> None:
    if need not in permissions_in(user, project):
        if not user.is_authenticated:
            raise Unauthenticated("sign in or send an API token to do this")
        if need in ADMIN_POWERS and not has_admin_scope(user) and role_allows(user, project, need):
            # Only when the role would allow it: blame the token, not the role.
            raise Forbidden(
                f"this API token lacks the 'admin' scope, which {need.value.replace('_', ' ')} "
                "needs; use a token with it or sign in"
            )
        raise Forbidden(f"your role in {project.key} does not allow {need.value.replace('_', ' ')}")
