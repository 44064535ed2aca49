"""Notifications tests: a clock the tests move, and running the worker's parts in-process.

The clock stands for `docket.core.clock.now` and for the names the issue writers and the
worker imported from it, so events, the consumer, the sweeps and the reminders all agree on
what time it is, and a test moves it instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from docket.issues.models import IssueEvent
from docket.notifications import emails, reminders
from docket.notifications.consumer import NAME
from docket.notifications.models import Notification
from docket.worker import consumers
from docket.worker.models import ConsumerCursor

STAMPERS = (
    "docket.core.clock.now",
    "docket.issues.actions.now",
    "docket.issues.comments.now",
    "docket.issues.sharing.now",
    "docket.issues.watching.now",
    "docket.worker.consumers.now",
    "docket.worker.sweeps.now",
)


@dataclass
class Clock:
    current: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.current

    def advance(self, **delta: float) -> dt.datetime:
        self.current += dt.timedelta(**delta)
        return self.current


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    fake = Clock(timezone.now().replace(microsecond=0))
    for name in STAMPERS:
        monkeypatch.setattr(name, fake)
    return fake


def cursor_at_the_end(name: str = NAME) -> None:
    """Put consumer `name`'s cursor just before the next event id. On PostgreSQL that is the
    sequence's next value, not the last row's id: other tests' rolled-back rows used ids,
    and the consumer would wait at that gap (and read the events after it again)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = IssueEvent._meta.db_table
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
            last = cursor.fetchone()[0]
    else:
        last = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ConsumerCursor.objects.update_or_create(
        name=name, defaults={"last_event_id": last, "updated_at": timezone.now()}
    )


@pytest.fixture(autouse=True)
def fresh_cursor(db: Any) -> None:
    """The consumer starts each test at the end of the log."""
    cursor_at_the_end()


def consumer() -> consumers.Consumer:
    return next(c for c in consumers.registered() if c.name == NAME)


def dispatch_all() -> int:
    """Hand every new event to the notifications consumer, as the worker does."""
    handled = 0
    while True:
        before = ConsumerCursor.objects.get(name=NAME).last_event_id
        given = consumers.dispatch(consumer())
        handled += given
        if not given or ConsumerCursor.objects.get(name=NAME).last_event_id == before:
            return handled


def mail_due(clock: Clock) -> int:
    """Let the batching window pass and run the mail sweep; mails queued."""
    return emails.send_due(clock.advance(seconds=emails.window().total_seconds() + 1))


def inbox_of(user: Any) -> list[tuple[str, str]]:
    """(issue key, kind) of each inbox notification of `user`, oldest first."""
    rows = Notification.objects.filter(recipient=user, in_inbox=True).order_by("id")
    return [(f"{r.issue.project.key}-{r.issue.number}", r.kind) for r in rows]


@pytest.fixture
def fire_reminders(clock: Clock) -> Iterator[Any]:
    yield lambda: reminders.fire_due(clock.current)
