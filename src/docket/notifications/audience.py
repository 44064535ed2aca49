"""Who hears about which event, and as what kind of notification.

For a batch of events: the issue's reporter and assignee, its watchers, and the people the
event names (a new assignee, @mentions, someone given access) — never the event's actor,
never anyone but the project's staff for an internal note (issues.access.sees_internal),
never an inactive account, never anyone the gate (issues.access.can_see) does not let see the
issue *now*, as the batch is handled; then each person's preferences and mutes. Everything
about the batch's people is loaded up front in a fixed number of queries (watchers, users,
their roles and grants, preferences and mutes), whatever the batch's size.

Who watches is the actions' business, in the same transaction as the change: reporters,
assignees, commenters and the newly mentioned (if they may see the issue) start watching.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.issues.access import can_see, know_many, sees_internal
from docket.issues.models import EventKind, IssueEvent, Watch
from docket.notifications.mentioned import newly_mentioned
from docket.notifications.models import Channel, Kind
from docket.notifications.preferences import Wishes, load_wishes

# The kind an event is for everyone it reaches who is not named by it (None: only the people
# it names hear of it).
GENERAL_KIND: dict[str, str | None] = {
    EventKind.CREATED: None,  # a new issue: its assignee and the people it mentions
    EventKind.CHANGED: Kind.CHANGED,
    EventKind.COMMENTED: Kind.COMMENTED,
    EventKind.COMMENT_EDITED: None,  # only people newly mentioned in it
    EventKind.COMMENT_DELETED: None,
    EventKind.DELETED: Kind.CHANGED,
    EventKind.RESTORED: Kind.CHANGED,
    EventKind.ACCESS_GRANTED: None,  # only the person given access
    EventKind.ACCESS_REVOKED: None,
    # SLA escalation steps (docs/sla.md): only the people the step names (`new["notify"]`).
    EventKind.SLA_WARNING: None,
    EventKind.SLA_BREACHED: None,
    EventKind.SLA_ESCALATED: None,
    EventKind.NOTICE: None,  # only the people the notice names (`new["to"]`)
}
SLA_KINDS = frozenset({EventKind.SLA_WARNING, EventKind.SLA_BREACHED, EventKind.SLA_ESCALATED})
STATUS_FIELDS = frozenset({"status", "resolution"})
Sees = Callable[[int, IssueEvent], bool]  # may this user see this event's issue (now)?


@dataclass(frozen=True)
class Told:
    """One person to tell about one event: as `kind`, in which channels."""

    user: User
    event: IssueEvent
    kind: str
    inbox: bool
    email: bool


@dataclass
class Batch:
    """What the batch's people are: loaded once for all its events."""

    watchers: dict[int, dict[int, dt.datetime]]  # issue id -> watching user id -> since when
    mentioned: dict[int, set[int]]  # event id -> newly mentioned user ids
    named: dict[str, int]  # username -> id, for assignees and grantees named by events
    users: dict[int, User]  # active users among everyone concerned
    actors: dict[int, Actor]
    wishes: Wishes


def general_kind(event: IssueEvent) -> str | None:
    if event.kind == EventKind.CHANGED and event.field in STATUS_FIELDS:
        return Kind.STATUS
    return GENERAL_KIND.get(event.kind)


def named_kinds(event: IssueEvent, batch: Batch) -> dict[int, str]:
    """The people the event itself names, and what it is to them (strongest kind wins)."""
    named: dict[int, str] = {}
    for user_id in batch.mentioned.get(event.id, ()):
        named[user_id] = Kind.MENTIONED
    if event.kind == EventKind.ACCESS_GRANTED and isinstance(event.new, str):
        grantee = batch.named.get(event.new)
        if grantee is not None:
            named[grantee] = Kind.MENTIONED
    assignee = _new_assignee(event, batch)
    if assignee is not None:
        named[assignee] = Kind.ASSIGNED
    for user_id in sla_told(event):
        named.setdefault(user_id, Kind.DUE)
    for name in noticed(event):
        if name in batch.named:
            named.setdefault(batch.named[name], Kind.MENTIONED)
    return named


def noticed(event: IssueEvent) -> list[str]:
    """The usernames a notice (issues/notices.py) names."""
    if event.kind != EventKind.NOTICE or not isinstance(event.new, dict):
        return []
    return [name for name in event.new.get("to") or () if isinstance(name, str)]


def sla_told(event: IssueEvent) -> set[int]:
    """Whom an SLA step tells, as its `notify` list says: the assignee (the project lead
    when nobody is assigned) and the project lead. As 'due soon or overdue' notifications."""
    if event.kind not in SLA_KINDS or not isinstance(event.new, dict):
        return set()
    wanted = set(event.new.get("notify") or ())
    issue = event.issue
    lead = issue.project.lead_id
    people = set()
    if "notify_assignee" in wanted:
        people.add(issue.assignee_id or lead)
    if "notify_lead" in wanted:
        people.add(lead)
    return {p for p in people if p is not None}


def _new_assignee(event: IssueEvent, batch: Batch) -> int | None:
    if event.kind == EventKind.CHANGED and event.field == "assignee":
        name = event.new
    elif event.kind == EventKind.CREATED and isinstance(event.new, dict):
        name = event.new.get("assignee")
    else:
        return None
    return batch.named.get(name) if isinstance(name, str) else None


def _names_in(events: Sequence[IssueEvent]) -> set[str]:
    names: set[str] = set()
    for event in events:
        if event.kind == EventKind.ACCESS_GRANTED and isinstance(event.new, str):
            names.add(event.new)
        elif event.kind == EventKind.CHANGED and event.field == "assignee":
            if isinstance(event.new, str):
                names.add(event.new)
        elif (
            event.kind == EventKind.CREATED
            and isinstance(event.new, dict)
            and isinstance(event.new.get("assignee"), str)
        ):
            names.add(event.new["assignee"])
        names.update(noticed(event))
    return names


def load_batch(events: Sequence[IssueEvent]) -> Batch:
    """Everything about the batch's people, in a fixed number of queries."""
    issue_ids = {event.issue_id for event in events}
    watchers: dict[int, dict[int, dt.datetime]] = defaultdict(dict)
    for issue_id, user_id, since in Watch.objects.filter(issue_id__in=list(issue_ids)).values_list(
        "issue_id", "user_id", "created_at"
    ):
        watchers[issue_id][user_id] = since
    mentioned = newly_mentioned(events)
    names = _names_in(events)
    named = (
        dict(User.objects.filter(username__in=names).values_list("username", "id")) if names else {}
    )
    concerned: set[int | None] = set(named.values())
    for event in events:
        concerned |= {event.issue.reporter_id, event.issue.assignee_id}
        concerned |= mentioned.get(event.id, set())
        concerned |= sla_told(event)
        if event.actor_id is not None:
            concerned.add(event.actor_id)
    for people in watchers.values():
        concerned |= people.keys()
    wanted = [user_id for user_id in concerned if user_id is not None]
    users = {
        user.pk: user
        for user in User.objects.filter(id__in=wanted, is_active=True).only(
            "id", "username", "email", "first_name", "last_name", "is_active", "is_superuser"
        )
    }
    actors = {user_id: Actor(user) for user_id, user in users.items()}
    know_many(actors.values())
    wishes = load_wishes(users, {event.issue.project_id for event in events}, issue_ids)
    return Batch(watchers, mentioned, named, users, actors, wishes)


def who_hears(events: Sequence[IssueEvent]) -> list[Told]:
    """Everyone to tell about each event of the batch, in event order."""
    batch = load_batch(events)
    told: list[Told] = []
    seeing: dict[tuple[int, int], bool] = {}

    def sees(user_id: int, event: IssueEvent) -> bool:
        key = (user_id, event.issue_id)
        if key not in seeing:
            seeing[key] = can_see(batch.actors[user_id], event.issue)
        return seeing[key]

    for event in events:
        told.extend(_told_about(event, batch, sees))
    return told


def _internal(event: IssueEvent) -> bool:
    return event.comment is not None and event.comment.internal


def _watching_at(watchers: dict[int, dt.datetime], moment: dt.datetime) -> set[int]:
    """Who was watching at `moment`: a batch read later must not tell someone who started
    watching afterwards (by commenting, say) about what happened before."""
    return {user_id for user_id, since in watchers.items() if since <= moment}


def _told_about(event: IssueEvent, batch: Batch, sees: Sees) -> list[Told]:
    issue = event.issue
    named = named_kinds(event, batch)
    general = general_kind(event)
    audience: set[int | None] = set(named)
    if general is not None:
        audience |= _watching_at(batch.watchers[issue.id], event.created_at)
        audience |= {issue.reporter_id, issue.assignee_id}
    told = []
    for user_id in sorted(a for a in audience if a is not None):
        user = batch.users.get(user_id)
        kind = named.get(user_id, general)
        if user is None or kind is None or user_id == event.actor_id:
            continue
        if not sees(user_id, event):
            continue
        if _internal(event) and not sees_internal(batch.actors[user_id], issue.project):
            continue  # an internal note (and its @mentions) reaches the project's staff alone
        if batch.wishes.muted(user_id, issue.project_id, issue.id, kind):
            continue
        inbox = batch.wishes.wants(user_id, kind, Channel.INBOX)
        email = bool(user.email) and batch.wishes.wants(user_id, kind, Channel.EMAIL)
        if inbox or email:
            told.append(Told(user, event, kind, inbox, email))
    return told
