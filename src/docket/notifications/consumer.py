"""The notifications consumer of the event log (registered in apps.py; docket.worker runs it).

`handle` is given a batch of events inside the transaction that advances the consumer's
cursor: the inbox rows, the mail waiting to go (`Notification.email`) and the armed reminders
commit together with "these events are done". Writes are keyed
(one notification per recipient and event), so a batch read again after a gap or a reset
cursor tells nobody twice.

Events older than RECENT when they are read (history brought in by `docket import`, a worker
that was down for days) notify nobody: they still arm due-date reminders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection

from docket.core import clock
from docket.core.rows import insert_rows
from docket.issues.models import IssueEvent
from docket.notifications import contacts, reminders
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
    told = who_hears(fresh)
    # Plain INSERTs: building and preparing thousands of model instances per batch cost
    # most of the consumer's time (bench/notify_bench.py).
    insert_rows(Notification, COLUMNS, [_row(one) for one in told], skip_taken=True)
    contacts.reply(fresh, moment)  # external contacts hear by mail, from the project's address


COLUMNS = ("recipient", "issue", "event", "actor", "kind", "created_at", "in_inbox", "email")


def _row(told: Told) -> tuple[object, ...]:
    event = told.event
    return (
        told.user.pk,
        event.issue_id,
        event.id,
        event.actor_id,
        told.kind,
        connection.ops.adapt_datetimefield_value(event.created_at),
        told.inbox,
        Notification.Email.PENDING if told.email else Notification.Email.NONE,
    )
