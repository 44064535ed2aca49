"""Who an event newly @mentions: the one place the consumer asks.

The names come from `issues.mentions.mentioned_names` (what renders as a mention: not in code
or links), read from the event's own text: a new comment, an edited comment or description
(only names that were not there before), the description of a new issue. The users behind the
names are looked up once for the whole batch (`issues.mentions.newly_mentioned` would ask once
per event). The gate is still asked before anyone is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from docket.accounts.models import User
from docket.issues.mentions import mentioned_names
from docket.issues.models import EventKind, IssueEvent


def _names(text: Any) -> set[str]:
    return set(mentioned_names(text)) if isinstance(text, str) else set()


def _named(event: IssueEvent) -> set[str]:
    if event.kind == EventKind.COMMENTED:
        return _names(event.new)
    if event.kind == EventKind.COMMENT_EDITED or (
        event.kind == EventKind.CHANGED and event.field == "description"
    ):
        return _names(event.new) - _names(event.old)
    if event.kind == EventKind.CREATED and isinstance(event.new, dict):
        return _names(event.new.get("description"))
    return set()


def newly_mentioned(events: Sequence[IssueEvent]) -> dict[int, set[int]]:
    """Event id -> ids of the active users it newly mentions (one query for the batch)."""
    named = {event.id: _named(event) for event in events}
    wanted = set().union(*named.values()) if named else set()
    if not wanted:
        return {}
    ids = dict(
        User.objects.filter(username__in=wanted, is_active=True).values_list("username", "id")
    )
    return {
        event_id: {ids[name] for name in names if name in ids}
        for event_id, names in named.items()
        if names
    }
