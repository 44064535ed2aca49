"""Consumers of the issue event log: the event log is the outbox.

A consumer (notifications now; rules, webhooks and chat later) reads IssueEvent rows in id
order from its own durable cursor (ConsumerCursor), a batch at a time. Its handler runs in
the same transaction that advances the cursor, so whatever the handler writes (inbox rows,
queued mail, webhook deliveries) commits together with "these events are done": a crash
before the commit repeats the batch, a crash after it never does. Handlers must still be
idempotent (unique keys on what they write), because of the gap rule below.

Gaps: on PostgreSQL ids are taken when a row is inserted but become visible when its
transaction commits, so event 41 may appear after event 42 has been read. The cursor never
moves past a gap younger than GAP_WAIT_SECONDS; the events after it are read again on the
next pass (which is why handlers must be idempotent). A gap older than that is a rolled-back
transaction or a deleted issue's history and is passed. On SQLite writers commit in id order
and there are no gaps to wait for.

A consumer's cursor row is made by its app's migration, at the end of the log as it was then:
a new consumer does not replay the history before it existed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction

from docket.core.clock import now
from docket.issues.models import IssueEvent
from docket.worker.models import ConsumerCursor

log = logging.getLogger(__name__)

BATCH = 500
GAP_WAIT_SECONDS = 30
LAG_COUNT_CAP = 100_000  # /healthz counts the backlog up to this, so it stays cheap

Handler = Callable[[Sequence[IssueEvent]], None]


@dataclass(frozen=True)
class Consumer:
    name: str
    handle: Handler  # called inside the transaction that advances the cursor
    related: tuple[str, ...] = ("issue", "actor", "comment")  # select_related for the batch


_consumers: dict[str, Consumer] = {}


def register(consumer: Consumer) -> None:
    """Add a consumer (from its app's ready()); the worker runs every registered one."""
    _consumers[consumer.name] = consumer


def unregister(name: str) -> None:
    _consumers.pop(name, None)


def registered() -> list[Consumer]:
    return list(_consumers.values())


def start_cursor(name: str) -> None:
    """Create `name`'s cursor at the end of the log (for a consumer app's migration)."""
    last = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ConsumerCursor.objects.get_or_create(
        name=name, defaults={"last_event_id": last, "updated_at": now()}
    )


class SharedReads:
    """One worker round's reads of the log, shared by the consumers that stand at the same
    position (all of them, once caught up, and through a catch-up): a batch is read once,
    with every consumer's related rows, not once per consumer. Loading the events as models
    was two thirds of a catch-up after an import.

    Handlers must not change the events or the rows read with them (they read issues afresh
    where they need them as they are now). Reads made in an earlier consumer's transaction
    are as good as a read of one's own: events never change, and a gap in them is treated
    as in any batch (see `safe_position`)."""

    def __init__(self) -> None:
        self.related = tuple(sorted({name for c in _consumers.values() for name in c.related}))
        self._batches: dict[tuple[int, int], list[IssueEvent]] = {}

    def read(self, after: int, batch: int) -> list[IssueEvent]:
        key = (after, batch)
        if key not in self._batches:
            self._batches[key] = _read(after, batch, self.related)
        return self._batches[key]


def _read(after: int, batch: int, related: Sequence[str]) -> list[IssueEvent]:
    events = IssueEvent.objects.filter(id__gt=after).select_related(*related).order_by("id")
    return list(events[:batch])


def dispatch(consumer: Consumer, batch: int = BATCH, shared: SharedReads | None = None) -> int:
    """Hand the next batch of events to `consumer`; the number of events it was given.

    Several workers may call this at once: the cursor row is locked for the batch (SELECT …
    FOR UPDATE on PostgreSQL; SQLite's write lock), so each batch goes to one of them. An idle
    log is seen without any lock: two plain reads, so a polling worker never holds up writers."""
    if not _anything_new(consumer.name):
        return 0
    with transaction.atomic():
        cursor = _locked_cursor(consumer.name)
        after = cursor.last_event_id
        events = shared.read(after, batch) if shared else _read(after, batch, consumer.related)
        if not events:
            return 0
        consumer.handle(list(events))
        cursor.last_event_id = safe_position(cursor.last_event_id, events, now())
        cursor.updated_at = now()
        cursor.save(update_fields=["last_event_id", "updated_at"])
    return len(events)


def _anything_new(name: str) -> bool:
    position = ConsumerCursor.objects.filter(name=name).values_list("last_event_id", flat=True)
    last = position.first()
    return last is None or IssueEvent.objects.filter(id__gt=last).exists()


def _locked_cursor(name: str) -> ConsumerCursor:
    cursor = ConsumerCursor.objects.select_for_update().filter(name=name).first()
    if cursor is None:  # its migration did not run (a consumer registered without one)
        start_cursor(name)
        cursor = ConsumerCursor.objects.select_for_update().get(name=name)
    return cursor


def safe_position(start: int, events: Sequence[IssueEvent], moment: dt.datetime) -> int:
    """The furthest id the cursor may move to: the last event read, unless a gap that may
    still fill (younger than GAP_WAIT_SECONDS) comes before it."""
    position = start
    for event in events:
        if event.id != position + 1 and _may_still_fill(event, moment):
            return position
        position = event.id
    return position


def _may_still_fill(after_gap: IssueEvent, moment: dt.datetime) -> bool:
    return (moment - after_gap.created_at).total_seconds() < GAP_WAIT_SECONDS


def lag() -> tuple[int, float | None]:
    """Events written but not yet handed to the slowest consumer, and the age in seconds of
    the oldest of them (None when there are none)."""
    cursors = ConsumerCursor.objects.filter(name__in=list(_consumers))
    behind = min((c.last_event_id for c in cursors), default=None)
    if behind is None:
        return 0, None
    pending = IssueEvent.objects.filter(id__gt=behind)
    oldest = pending.order_by("id").values_list("created_at", flat=True).first()
    if oldest is None:
        return 0, None
    return pending[:LAG_COUNT_CAP].count(), (now() - oldest).total_seconds()
