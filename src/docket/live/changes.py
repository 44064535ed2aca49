"""Reading the issue event log for live updates, and the permission gate applied to it.

What a stream sends is only `{"issue", "project", "kind", "field", "version"}`, never titles
or values: the page refetches what it shows through its own permission checks. Who may see
each change is asked at send time with freshly loaded roles, so lost access applies at once.

All functions here are synchronous (run through `sync_to_async` by the hub and streams).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.db import close_old_connections

from docket.accounts.actor import Actor, Who
from docket.accounts.models import User
from docket.core.errors import NotFound
from docket.core.prepared import Prepared
from docket.core.rows import one_or_none
from docket.issues.access import can_see, get_issue_for, sees_internal, visible_issues
from docket.issues.models import EventKind, Issue, IssueEvent
from docket.projects.access import get_project_for
from docket.projects.models import Project

BATCH = 500  # events read per query
CATCH_UP = 500  # events replayed at most after a reconnect (Last-Event-ID)


@dataclass(frozen=True)
class Change:
    """One issue event, as much as a stream needs to route and announce it."""

    id: int
    issue_id: int
    project_id: int
    project: str
    number: int
    kind: str
    field: str
    version: int
    internal: bool = False  # about an internal note: for the project's staff alone

    def payload(self) -> dict[str, Any]:
        return {
            "issue": f"{self.project}-{self.number}",
            "project": self.project,
            "kind": self.kind,
            "field": self.field or None,
            "version": self.version,
        }

    def message(self) -> str:
        data = json.dumps(self.payload(), separators=(",", ":"))
        return f"id: {self.id}\nevent: change\ndata: {data}\n\n"


# --- the log -------------------------------------------------------------------------------

_COLUMNS = (
    "id",
    "issue_id",
    "issue__project_id",
    "issue__project__key",
    "issue__number",
    "kind",
    "field",
    "version",
    "comment__internal",
)


def _changes(rows: Any) -> list[Change]:
    return [
        Change(id_, issue_id, project_id, key, number, kind, field, version, bool(internal))
        for id_, issue_id, project_id, key, number, kind, field, version, internal in (
            rows.values_list(*_COLUMNS)
        )
    ]


def latest_event_id() -> int:
    """`newest_event_id` from outside a request (the hub starting)."""
    close_old_connections()
    return newest_event_id()


_NEWEST = Prepared(lambda: IssueEvent.objects.order_by("-id").values("id")[:1], arguments=0)


def newest_event_id() -> int:
    """The id a page's stream starts after (`/live?after=`): a change made between rendering
    the page and the stream opening still reaches it. Every page asks (prepared)."""
    last = _NEWEST.rows()
    return last[0]["id"] if last else 0


def changes_after(
    after: int, *, below: int | None = None, skip: frozenset[int] = frozenset()
) -> list[Change]:
    """Events with `after` < id (< `below`), oldest first, at most BATCH, minus `skip`."""
    close_old_connections()
    rows = IssueEvent.objects.filter(id__gt=after)
    if below is not None:
        rows = rows.filter(id__lt=below)
    if skip:
        rows = rows.exclude(id__in=skip)
    return _changes(rows.order_by("id")[:BATCH])


def changes_between(after: int, until: int) -> list[Change]:
    """For a reconnecting stream: what it missed, at most CATCH_UP events."""
    close_old_connections()
    rows = IssueEvent.objects.filter(id__gt=after, id__lte=until).order_by("-id")[:CATCH_UP]
    return sorted(_changes(rows), key=lambda c: c.id)


# --- the gate ------------------------------------------------------------------------------


def current_user(user_id: int | None) -> Actor | None:
    """The user as the database has them now, as a new Actor (so roles are read afresh):
    None if they are gone or deactivated."""
    if user_id is None:
        return Actor(AnonymousUser())
    user = one_or_none(User.objects.filter(pk=user_id, is_active=True))
    return Actor(user) if user is not None else None


def visible_ids(user_id: int | None, changes: list[Change]) -> set[int]:
    """The ids of the `changes` (events) the user may see now, through the permission gate:
    on an issue they may see, and about an internal note only if they are its project's
    staff. A deleted issue is seen only by those who may see it deleted (its project's
    admins)."""
    close_old_connections()
    user = current_user(user_id)
    if user is None:
        return set()
    issues = _visible_issue_ids(user, changes)
    internal = {c.project_id for c in changes if c.internal and c.issue_id in issues}
    staff = {p.id for p in Project.objects.filter(id__in=internal) if sees_internal(user, p)}
    return {
        c.id for c in changes if c.issue_id in issues and (not c.internal or c.project_id in staff)
    }


def _visible_issue_ids(user: Actor, changes: list[Change]) -> set[int]:
    ids = {c.issue_id for c in changes}
    visible = set(visible_issues(user).filter(id__in=ids).values_list("id", flat=True))
    gone = {c.issue_id for c in changes if c.kind == EventKind.DELETED} - visible
    if gone:
        deleted = Issue.objects.filter(id__in=gone, deleted_at__isnull=False)
        visible |= {i.id for i in deleted.select_related("project") if can_see(user, i)}
    return visible


@dataclass(frozen=True)
class Scope:
    """What a stream follows: one project, one issue, or (both None) everything visible."""

    project_key: str | None = None
    issue_key: str | None = None
    project_id: int | None = None
    issue_id: int | None = None

    def wants(self, change: Change) -> bool:
        if self.issue_id is not None:
            return change.issue_id == self.issue_id
        if self.project_id is not None:
            return change.project_id == self.project_id
        return True


def resolve_scope(user: Who, project: str | None, issue: str | None) -> Scope:
    """The stream's scope, if the user may see it (NotFound otherwise, as pages do)."""
    if issue:
        found = get_issue_for(user, issue)
        return Scope(issue_key=found.key, issue_id=found.id, project_id=found.project_id)
    if project:
        found_project = get_project_for(user, project)
        return Scope(project_key=found_project.key, project_id=found_project.id)
    return Scope()


def still_allowed(session_key: str | None, user_id: int | None, scope: Scope) -> bool:
    """Whether the stream may go on: the session still signs in the same active user (not
    signed out, password unchanged, not deactivated) and they may still see the scope."""
    close_old_connections()
    user: User | AnonymousUser
    if user_id is None:
        user = AnonymousUser()
        if not settings.DOCKET_ANONYMOUS_READ:
            return False
    else:
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        found = auth.get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
        if not isinstance(found, User) or found.pk != user_id or not found.is_active:
            return False
        user = found
    try:
        resolve_scope(Actor(user), scope.project_key, scope.issue_key)  # roles read once
    except NotFound:
        return False
    return True
