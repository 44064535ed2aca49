"""Who gets an issue: the three routing strategies automation rules use (issue 14), as plain
functions. Each returns a person or None (nobody suitable); none of them assigns anything —
the caller passes the answer to `update_issue`, which checks it again.

Candidates are a team's members who are active and, when a project is given, may be assigned
in it (a member or admin role, directly or through one of their teams: the rule `assignee`
checks on write). So a deactivated member, or one without a role in the project, is skipped.

- `round_robin`: members in turn (by user id), continuing after the one picked last. The
  position is a `RoundRobinCursor` row per (team, scope), read under SELECT … FOR UPDATE, so
  concurrent routers queue on it and never pick the same turn; it survives restarts. Members
  joining, leaving or being deactivated keep the turns fair: the rotation continues with the
  next id after the last one picked.
- `fewest_open_issues`: the member with the fewest open (not done, not deleted) issues
  assigned, counted across every project; ties go to the lowest username.
- `component_lead`: the component's lead, if set, active and assignable in its project.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from docket.accounts.models import Team, User
from docket.issues.models import RoundRobinCursor
from docket.projects.access import ASSIGNABLE_ROLES, role_in
from docket.projects.models import Component, Project, WorkflowState


def assignable_in(project: Project) -> Q:
    """A filter of users: those who may be assigned in `project` (directly or by a team)."""
    roles = list(ASSIGNABLE_ROLES)
    return Q(memberships__project=project, memberships__role__in=roles) | Q(
        teams__memberships__project=project, teams__memberships__role__in=roles
    )


def candidates(team: Team, project: Project | None = None) -> QuerySet[User]:
    """The team's active members (who may be assigned in `project`, if given), by id. One
    row each: the project filter runs as a subquery, so its joins cannot repeat a member."""
    members = User.objects.filter(teams=team, is_active=True)
    if project is not None:
        members = members.filter(pk__in=User.objects.filter(assignable_in(project)).values("pk"))
    return members.order_by("id")


@transaction.atomic
def round_robin(team: Team, *, project: Project | None = None, scope: str = "") -> User | None:
    """The next member in turn, moving the team's cursor for `scope` to them (in the caller's
    transaction when there is one: a rolled-back assignment gives the turn back)."""
    cursor, _ = RoundRobinCursor.objects.get_or_create(team=team, scope=scope)
    cursor = RoundRobinCursor.objects.select_for_update().get(pk=cursor.pk)
    ids = list(candidates(team, project).values_list("id", flat=True))
    if not ids:
        return None
    last = cursor.last_user_id or 0
    chosen = next((i for i in ids if i > last), ids[0])
    cursor.last_user_id = chosen
    cursor.turns += 1
    cursor.save(update_fields=["last_user", "turns"])
    return User.objects.get(pk=chosen)


def open_issue_counts(team: Team, project: Project | None = None) -> list[tuple[str, int]]:
    """(username, open issues assigned) of each candidate, fewest first, ties by username."""
    open_issues = Q(assigned_issues__deleted_at__isnull=True) & ~Q(
        assigned_issues__status__category=WorkflowState.Category.DONE
    )
    rows = (
        User.objects.filter(pk__in=candidates(team, project).values("pk"))
        .annotate(open_count=Count("assigned_issues", filter=open_issues))
        .order_by("open_count", "username")
        .values_list("username", "open_count")
    )
    return list(rows)


def fewest_open_issues(team: Team, *, project: Project | None = None) -> User | None:
    """The candidate with the fewest open issues assigned (anywhere); ties: lowest username."""
    counts = open_issue_counts(team, project)
    return User.objects.get(username=counts[0][0]) if counts else None


def component_lead(component: Component) -> User | None:
    """The component's lead, or None when unset, deactivated, or no longer assignable in the
    component's project."""
    lead = component.lead
    if lead is None or not lead.is_active:
        return None
    return lead if role_in(lead, component.project) in ASSIGNABLE_ROLES else None
