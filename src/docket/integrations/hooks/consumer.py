"""The webhooks consumer of the event log (registered in apps.py; docket.worker runs it).

Given a batch inside the transaction that advances its cursor, it queues one Delivery per
(hook, event) that the hook asks for: its kinds, and its query evaluated in memory against the
issue as it is now, as the hook's owner sees it; and a `webhook_requested` event (an
automation rule's webhook action) to the hook it names alone. Deliveries are unique per
(hook, event), so
a batch read again (a gap, a crash before the commit) queues nothing twice. Sending is the
sweep's (sender.py), outside any transaction.

Events older than RECENT when read (imported history, a worker down for days) and events
from before a hook existed queue nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from docket.accounts.actor import Actor
from docket.core.clock import now
from docket.core.outbound.signing import new_message_id
from docket.integrations.hooks.actions import max_attempts
from docket.integrations.hooks.models import Delivery, Webhook
from docket.integrations.hooks.payloads import event_payload
from docket.issues.models import EventKind, Issue, IssueEvent
from docket.issues.query_fields import check_issue_query, issue_context, issues_for_evaluation
from docket.query import CheckedQuery, QueryError, evaluate

NAME = "hooks"
RELATED = ("issue", "issue__project", "issue__status", "issue__assignee", "actor", "comment")
RECENT = dt.timedelta(days=1)

# A hook's parsed query, kept while the hook is unchanged (id -> (updated_at, query)).
_queries: dict[int, tuple[dt.datetime, CheckedQuery | None]] = {}


def handle(events: Sequence[IssueEvent]) -> None:
    moment = now()
    fresh = [e for e in events if moment - e.created_at <= RECENT]
    hooks = _hooks_by_project({e.issue.project_id for e in fresh})
    if not hooks:
        return
    current = _issues_for_queries(fresh, hooks)
    owners: dict[int, Actor] = {}
    rows = []
    for event in fresh:
        for hook in hooks.get(event.issue.project_id, []):
            if wanted(hook, event, current, owners, moment):
                rows.append(_delivery(hook, event, moment))
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)


def _hooks_by_project(project_ids: set[int]) -> dict[int, list[Webhook]]:
    found: dict[int, list[Webhook]] = defaultdict(list)
    if project_ids:
        rows = Webhook.objects.filter(project_id__in=project_ids, enabled=True)
        for hook in rows.select_related("owner"):
            found[hook.project_id].append(hook)
    return found


def query_of(hook: Webhook) -> CheckedQuery | None:
    cached = _queries.get(hook.id)
    if cached is not None and cached[0] == hook.updated_at:
        return cached[1]
    checked = check_issue_query(hook.query) if hook.query.strip() else None
    _queries[hook.id] = (hook.updated_at, checked)
    return checked


def wanted(
    hook: Webhook,
    event: IssueEvent,
    current: dict[int, Issue],
    owners: dict[int, Actor],
    moment: dt.datetime,
) -> bool:
    """Whether `hook` asks for `event`: made before it, of a kind it takes, about an issue
    its query matches (a query that no longer validates matches nothing)."""
    if event.created_at < hook.created_at:
        return False
    if event.kind == EventKind.WEBHOOK_REQUESTED:  # an automation rule's webhook action
        return named(event) == hook.name.strip().casefold()
    if hook.kinds and event.kind not in hook.kinds:
        return False
    if not hook.query.strip():
        return True
    issue = current.get(event.issue_id)
    if issue is None or hook.owner is None:
        return False
    viewer = owners.setdefault(hook.owner.pk, Actor(hook.owner))
    try:
        checked = query_of(hook)
    except QueryError:
        return False
    return checked is None or evaluate(checked, issue, issue_context(viewer, moment))


def named(event: IssueEvent) -> str:
    """The hook a `webhook_requested` event asks for, by name: that hook alone gets it,
    whatever its kinds and query."""
    asked = event.new.get("hook") if isinstance(event.new, dict) else None
    return asked.strip().casefold() if isinstance(asked, str) else ""


def _issues_for_queries(
    events: Sequence[IssueEvent], hooks: dict[int, list[Webhook]]
) -> dict[int, Issue]:
    """The issues as they are now, with what queries read, for the events whose project has
    a hook with a query (one query for the batch; none when no hook filters)."""
    filtered = {pid for pid, found in hooks.items() if any(h.query.strip() for h in found)}
    ids = {e.issue_id for e in events if e.issue.project_id in filtered}
    if not ids:
        return {}
    return issues_for_evaluation(ids)


def _delivery(hook: Webhook, event: IssueEvent, moment: dt.datetime) -> Delivery:
    return Delivery(
        hook=hook, event=event, message_id=new_message_id(),
        payload=event_payload(event, event.issue), max_attempts=max_attempts(),
        due_at=moment, created_at=moment,
    )  # fmt: skip
