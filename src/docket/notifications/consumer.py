"""The notifications consumer of the event log (registered in apps.py; docket.worker runs it).

`handle` is given a batch of events inside the transaction that advances the consumer's
cursor: the inbox rows, the mail waiting to go (`Notification.email`), the new watches and
the armed reminders commit together with "these events are done". Writes are keyed
(one notification per recipient and event), so a batch read again after a gap or a reset
cursor tells nobody twice.

Events older than RECENT when they are read (history brought in by `docket import`, a worker
that was down for days) notify nobody: they still arm due-date reminders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from docket.core import clock
from docket.issues.models import IssueEvent, Watch
from docket.notifications import reminders
from docket.notifications.audience import Told, who_hears
from docket.notifications.models import Notification

NAME = "notifications"
RECENT = dt.timedelta(days=1)
# The events' issues with what the gate asks of them, loaded with the batch (one query).
RELATED = ("issue", "issue__project", "actor", "comment")


def handle(events: Sequence[IssueEvent]) -> None:
    moment = clock.now()
    reminders.follow_due_dates(events, moment)
    fresh = [event for event in events if moment - event.created_at <= RECENT]
    if not fresh:
        return
    told, new_watches = who_hears(fresh)
    Watch.objects.bulk_create(new_watches, ignore_conflicts=True)
    Notification.objects.bulk_create(
        [_row(one) for one in told], ignore_conflicts=True, batch_size=500
    )


def _row(told: Told) -> Notification:
    event = told.event
    return Notification(
        recipient=told.user,
        issue_id=event.issue_id,
        event=event,
        actor_id=event.actor_id,
        kind=told.kind,
        created_at=event.created_at,
        in_inbox=told.inbox,
        email=Notification.Email.PENDING if told.email else Notification.Email.NONE,
    )
