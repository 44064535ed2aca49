"""What each person wants to hear: per kind of notification, in the inbox and by mail
(defaults below until they say otherwise), and the projects and issues they muted.

`Wishes` is what the consumer and the sweeps load for a whole batch of people at once (two
queries); `preferences_of`, `set_preferences`, `mute` and `unmute` serve the API and pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from docket.accounts.actor import Who, account_of
from docket.core import clock
from docket.core.errors import Invalid
from docket.core.prepared import Prepared
from docket.issues.access import get_issue_for, visible_issues
from docket.issues.models import Issue
from docket.notifications.models import Channel, Kind, Mute, Preference
from docket.projects.access import get_project_for, visible_projects

# (inbox, email) when a person has not chosen. Mail for what is about you or moves the
# issue on; other field changes (priority, labels, title…) in the inbox only.
DEFAULTS: dict[str, tuple[bool, bool]] = {
    Kind.ASSIGNED: (True, True),
    Kind.MENTIONED: (True, True),
    Kind.STATUS: (True, True),
    Kind.COMMENTED: (True, True),
    Kind.CHANGED: (True, False),
    Kind.DUE: (True, True),
}
# Being assigned or mentioned reaches a person even on an issue or project they muted.
PIERCES_MUTE = frozenset({Kind.ASSIGNED, Kind.MENTIONED})


@dataclass
class Wishes:
    """Preferences and mutes of a batch of people."""

    choices: dict[tuple[int, str], tuple[bool, bool]] = field(default_factory=dict)
    muted_projects: set[tuple[int, int]] = field(default_factory=set)  # (user, project)
    muted_issues: set[tuple[int, int]] = field(default_factory=set)  # (user, issue)

    def wants(self, user_id: int, kind: str, channel: str) -> bool:
        inbox, email = self.choices.get((user_id, kind), DEFAULTS[kind])
        return inbox if channel == Channel.INBOX else email

    def muted(self, user_id: int, project_id: int, issue_id: int, kind: str) -> bool:
        if kind in PIERCES_MUTE:
            return False
        return (user_id, issue_id) in self.muted_issues or (
            user_id,
            project_id,
        ) in self.muted_projects


def load_wishes(
    user_ids: Iterable[int], project_ids: Iterable[int], issue_ids: Iterable[int]
) -> Wishes:
    """Two queries, however many people: their choices and their mutes among these
    projects and issues."""
    users = list(set(user_ids))
    wishes = Wishes()
    if not users:
        return wishes
    for row in Preference.objects.filter(user_id__in=users).values_list(
        "user_id", "kind", "inbox", "email"
    ):
        wishes.choices[row[0], row[1]] = (row[2], row[3])
    among = Q(project_id__in=list(set(project_ids))) | Q(issue_id__in=list(set(issue_ids)))
    for user_id, project_id, issue_id in Mute.objects.filter(among, user_id__in=users).values_list(
        "user_id", "project_id", "issue_id"
    ):
        if project_id is not None:
            wishes.muted_projects.add((user_id, project_id))
        else:
            wishes.muted_issues.add((user_id, issue_id))
    return wishes


# --- one person's preferences (API and pages) ------------------------------------------------


def preferences_of(actor: Who) -> dict[str, dict[str, bool]]:
    """Every kind with its inbox and email choice (defaults filled in)."""
    user = account_of(actor)
    wishes = load_wishes([user.pk], [], [])
    return {
        kind.value: {
            Channel.INBOX.value: wishes.wants(user.pk, kind, Channel.INBOX),
            Channel.EMAIL.value: wishes.wants(user.pk, kind, Channel.EMAIL),
        }
        for kind in Kind
    }


@transaction.atomic
def set_preferences(actor: Who, choices: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    """Change the choices for the kinds named (others stay); a channel left out keeps its
    current choice. Unknown kinds or channels are refused (422)."""
    user = account_of(actor)
    current = preferences_of(actor)
    for kind, channels in choices.items():
        if kind not in current:
            raise Invalid.field(f"kinds.{kind}"[:60], f"is not one of: {', '.join(Kind.values)}")
        for channel, value in channels.items():
            if channel not in Channel.values or not isinstance(value, bool):
                raise Invalid.field(
                    f"kinds.{kind}.{channel}"[:60], "must be inbox or email: true/false"
                )
        merged = {**current[kind], **channels}
        Preference.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={"inbox": merged[Channel.INBOX], "email": merged[Channel.EMAIL]},
        )
    return preferences_of(actor)


def mutes_of(actor: Who) -> dict[str, list[str]]:
    """The projects and issues `actor` muted that they can still see (keys)."""
    user = account_of(actor)
    mutes = Mute.objects.filter(user=user)
    projects = visible_projects(actor).filter(
        id__in=mutes.filter(project__isnull=False).values("project_id")
    )
    issues = visible_issues(actor).filter(
        id__in=mutes.filter(issue__isnull=False).values("issue_id")
    )
    return {
        "projects": sorted(projects.values_list("key", flat=True)),
        "issues": sorted(
            f"{key}-{number}" for key, number in issues.values_list("project__key", "number")
        ),
    }


_MUTES = Prepared(
    lambda user_id, issue_id, project_id: Mute.objects.filter(
        Q(issue_id=issue_id) | Q(project_id=project_id), user_id=user_id
    ).values("issue_id", "project_id"),
    arguments=3,
)


def muted(actor: Who, issue: Issue) -> dict[str, bool]:
    """Whether `actor` muted `issue`, or its whole project (one query; the issue page asks
    it for an issue the reader is already seeing)."""
    user = account_of(actor)
    if user is None:
        return {"issue": False, "project": False}
    found = _MUTES.rows(user.pk, issue.pk, issue.project_id)
    return {
        "issue": any(row["issue_id"] is not None for row in found),
        "project": any(row["project_id"] is not None for row in found),
    }


def _target(actor: Who, project: str | None, issue: str | None) -> dict[str, Any]:
    if (project is None) == (issue is None):
        message = "give exactly one of project or issue"
        raise Invalid(message, errors=[{"field": "project", "message": message}])
    if project is not None:
        return {"project": get_project_for(actor, project)}  # 404 if they cannot see it
    assert issue is not None
    return {"issue": get_issue_for(actor, issue)}


def mute(actor: Who, *, project: str | None = None, issue: str | None = None) -> bool:
    """Silence a project or an issue for `actor` (one they can see). True if newly muted."""
    target = _target(actor, project, issue)
    try:
        with transaction.atomic():
            _, created = Mute.objects.get_or_create(
                user=account_of(actor), **target, defaults={"created_at": clock.now()}
            )
    except IntegrityError:  # a concurrent request muted it first: the same outcome
        return False
    return created


def unmute(actor: Who, *, project: str | None = None, issue: str | None = None) -> bool:
    """Hear a project or issue again. True if it was muted."""
    target = _target(actor, project, issue)
    deleted, _ = Mute.objects.filter(user=account_of(actor), **target).delete()
    return bool(deleted)
