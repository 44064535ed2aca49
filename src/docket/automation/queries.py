"""Reads for the pages: which timeline entries a rule wrote (shown as "Automation: <rule>")."""

from __future__ import annotations

from collections.abc import Sequence

from docket.automation.models import RuleEffect


def rule_names(
    event_ids: Sequence[int], comment_ids: Sequence[int] = ()
) -> tuple[dict[int, str], dict[int, str]]:
    """The rule behind each of these events, and behind each of these comments (by the event
    that added it): ({event id: rule name}, {comment id: rule name}). Two small queries at
    most; none for an empty page."""
    events: dict[int, str] = {}
    comments: dict[int, str] = {}
    if event_ids:
        rows = RuleEffect.objects.filter(event_id__in=list(event_ids))
        events = dict(rows.values_list("event_id", "rule_name"))
    if comment_ids:
        rows = RuleEffect.objects.filter(
            event__comment_id__in=list(comment_ids), event__kind="commented"
        )
        comments = dict(rows.values_list("event__comment_id", "rule_name"))
    return events, comments
