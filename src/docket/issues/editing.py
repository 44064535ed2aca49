"""What someone looking at one issue may do with it, and what they are offered while doing it:
which fields they may edit, the transitions they may take now, the values a field can take,
who changed a field since a version, and the people they can @mention.

Read-only questions, answered by the same rules the actions enforce (the actions check again
on every write): nothing here grants anything. The caller has passed the gate for the issue.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from docket.accounts.actor import Who
from docket.accounts.models import User
from docket.core.errors import DocketError, NotFound
from docket.core.rows import one_or_none
from docket.issues.access import check_field_permissions, sees_internal
from docket.issues.choices import project_labels, team_slugs
from docket.issues.fields import (
    INLINE_FIELDS,
    PRIORITY_BY_NAME,
    RESOLUTION_NAMES,
    SEVERITY_BY_NAME,
    TYPE_NAMES,
)
from docket.issues.models import Comment, Issue, IssueEvent
from docket.projects.access import (
    ASSIGNABLE_ROLES,
    Perm,
    permissions_in,
    role_in,
    visible_people,
)
from docket.projects.models import Component, Milestone, Project
from docket.projects.workflow_rules import Mover, available, rules_with_targets

MAX_CHOICES = 200  # options listed for one field (assignees, milestones, components, labels)
MAX_MENTIONS = 8


def editable_fields(user: Who, issue: Issue) -> frozenset[str]:
    """The inline fields `user` may change on `issue`, asking the action's own check."""
    allowed = set()
    for field in INLINE_FIELDS:
        try:
            check_field_permissions(user, issue, {field})
        except DocketError:
            continue
        allowed.add(field)
    return frozenset(allowed)


def may_be_assigned(user: Who, project: Project) -> bool:
    """Whether `user` can be an assignee in `project` (the rule `assignee` checks on write)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        role_in(user, project) in ASSIGNABLE_ROLES
    )


def comment_powers(user: Who, issue: Issue) -> dict[str, bool]:
    """`comment`: may add comments; `moderate`: may edit or delete anyone's comments (authors
    may change their own while they may comment). The comment actions check it again."""
    perms = permissions_in(user, issue.project)
    return {"comment": Perm.COMMENT in perms, "moderate": Perm.MODERATE in perms}


def may_change_comment(user: Who, powers: dict[str, bool], author_id: int) -> bool:
    if powers["moderate"]:
        return True
    return powers["comment"] and getattr(user, "id", None) == author_id


def comment_on(reader: Who, issue: Issue, comment_id: int) -> Comment:
    """A comment of `issue` that is not deleted and `reader` may read (404 otherwise): an
    internal note only for the project's staff."""
    found = one_or_none(
        Comment.objects.filter(id=comment_id, issue=issue, deleted_at__isnull=True).select_related(
            "author"
        )
    )
    if found is None or (found.internal and not sees_internal(reader, issue.project)):
        raise NotFound(f"no comment {comment_id} on {issue.key}")
    return found


def transitions_for(user: Who, issue: Issue) -> list[dict[str, Any]]:
    """The transitions `user` may take from the issue's state now (the page's buttons and
    GET /api/v1/issues/{key}/transitions)."""
    rules, states = rules_with_targets(issue.project.workflow_id)
    mover = Mover.of(user, issue.project, issue.reporter_id)
    return [
        {
            "id": rule.id,
            "name": rule.name,
            "to": states[rule.target].name.lower(),
            "to_category": states[rule.target].category,
            "required_fields": list(rule.required_fields),
            "effects": list(rule.effects),
            "done": states[rule.target].is_done,
        }
        for rule in available(rules, issue.status_id, mover)
    ]


def assignable_people(project: Project, *, limit: int = MAX_CHOICES) -> list[str]:
    """Usernames of active people who may be assigned in `project` (directly or by a team)."""
    roles = list(ASSIGNABLE_ROLES)
    people = User.objects.filter(is_active=True).filter(
        Q(memberships__project=project, memberships__role__in=roles)
        | Q(teams__memberships__project=project, teams__memberships__role__in=roles)
    )
    return list(people.order_by("username").values_list("username", flat=True).distinct()[:limit])


def choices(viewer: Who, issue: Issue, field: str) -> list[str]:
    """The values an editor offers `viewer` for `field` (empty: free input). Labels are
    those `viewer` may know of: a label only hidden issues carry is itself hidden."""
    project = issue.project
    if field == "type":
        return list(TYPE_NAMES)
    if field == "priority":
        return list(PRIORITY_BY_NAME)
    if field == "severity":
        return list(SEVERITY_BY_NAME)
    if field == "resolution":
        return list(RESOLUTION_NAMES)
    if field == "assignee":
        return assignable_people(project)
    if field == "milestone":
        milestones = Milestone.objects.filter(project=project).order_by("closed", "name")
        return list(milestones.values_list("name", flat=True)[:MAX_CHOICES])
    if field == "components":
        components = Component.objects.filter(project=project).order_by("name")
        return list(components.values_list("name", flat=True)[:MAX_CHOICES])
    if field == "labels":
        return project_labels(project, viewer)
    if field == "team":
        return team_slugs()
    return []


def last_change(issue: Issue, field: str, since_version: int) -> dict[str, Any] | None:
    """Who last changed `field` after `since_version`, and when (for a conflict report)."""
    event = (
        IssueEvent.objects.filter(issue=issue, field=field, version__gt=since_version)
        .select_related("actor")
        .order_by("-id")
        .first()
    )
    if event is None:
        return None
    return {"actor": event.actor.username if event.actor else None, "at": event.created_at}


def mention_candidates(
    viewer: Who, issue: Issue, prefix: str, *, limit: int = MAX_MENTIONS
) -> list[dict[str, str]]:
    """People of the issue's project (any role, directly or by a team) whose username or name
    starts with `prefix`, for @mention completion. Never anyone outside the project, nor
    anyone `viewer` may not know of (a support desk's other customers)."""
    people = User.objects.filter(is_active=True).filter(visible_people(viewer, issue.project))
    prefix = prefix.strip().lstrip("@")[:150]
    if prefix:
        people = people.filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
    rows = people.order_by("username").values_list("username", "first_name", "last_name")
    return [
        {"username": username, "name": f"{first} {last}".strip()}
        for username, first, last in rows.distinct()[:limit]
    ]
