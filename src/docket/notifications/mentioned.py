"""Who an event newly @mentions: the one place the consumer asks.

Until `docket.issues.mentions` lands (a teammate is building it: a `Mention` model and who
a comment or description edit newly mentioned), this reads the text in the event itself:
`@username` in a new comment, in an edited comment or description (only names that were not
there before), or in the description of a new issue. Switch `newly_mentioned` over to the
mentions module when it exists; the consumer does not change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from docket.accounts.models import User
from docket.issues.models import EventKind, IssueEvent

# Usernames as Django allows them (letters, digits, @.+-_), not glued to a word before.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]{1,150})")


def _names(text: Any) -> set[str]:
    return {name.rstrip(".") for name in MENTION.findall(text)} if isinstance(text, str) else set()


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
