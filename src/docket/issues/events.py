"""The one recorder of issue history. Every writer of an issue — the issue actions, sharing,
attachments, the importer — records its IssueEvent rows here, inside its own transaction.

After the transaction commits, `events_committed` is sent once (not once per event): the
signal consumers of the log listen to (the live-update doorbell today; the worker that
notifications and automation ride on next). A rolled-back transaction sends nothing, so a
consumer is never woken for history that does not exist. Consumers must still read the log
itself (ordered by id) — the signal only says "there is something new", never what.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.dispatch import Signal

from docket.accounts.actor import Who, user_of
from docket.core.rows import insert_returning_id, insert_rows
from docket.issues import search_index
from docket.issues.models import Issue, IssueEvent

log = logging.getLogger(__name__)

# Sent (sender=IssueEvent) once after each commit that recorded at least one event.
events_committed = Signal()


def record(issue: Issue, actor: Who, kind: str, moment: dt.datetime, **data: Any) -> IssueEvent:
    """Write one event for `issue` at its current version and keep the full-text index in
    step, in the caller's transaction. `data`: field, old, new, comment."""
    event = IssueEvent(
        issue=issue,
        actor=user_of(actor),  # None for anonymous callers
        kind=kind,
        version=issue.version,
        created_at=moment,
        **data,
    )
    # One INSERT … RETURNING written here, not `save()`: the ORM compiled the INSERT anew
    # for every event, a tenth of a create's time on SQLite.
    event.pk = insert_returning_id(
        IssueEvent,
        EVENT_COLUMNS,
        _row(event.issue_id, event.actor_id, event.kind, event.field, event.old, event.new,
             event.comment_id, event.version, event.created_at)
    )  # fmt: skip
    event._state.adding = False
    event._state.db = DEFAULT_DB_ALIAS
    search_index.follow_event(event)
    announce_on_commit()
    return event


class NewEvent(NamedTuple):
    """One event for `record_bulk`: ids instead of objects, values already in outside form.
    (A tuple: an import makes one per issue and comment, and a frozen dataclass costs 3x.)"""

    issue_id: int
    actor_id: int | None
    kind: str
    version: int
    created_at: dt.datetime
    field: str = ""
    old: Any = None
    new: Any = None
    comment_id: int | None = None


def record_bulk(events: Sequence[NewEvent]) -> None:
    """Write many events with plain INSERTs (the importer's path: building model instances
    cost most of an import). The caller indexes the text itself, once per batch
    (`search_index.index_new_issues`)."""
    if not events:
        return
    rows = [
        _row(e.issue_id, e.actor_id, e.kind, e.field, e.old, e.new, e.comment_id, e.version,
             e.created_at)
        for e in events
    ]  # fmt: skip
    insert_rows(IssueEvent, EVENT_COLUMNS, rows)
    announce_on_commit()


def _row(
    issue_id: int, actor_id: int | None, kind: str, field: str, old: Any, new: Any,
    comment_id: int | None, version: int, created_at: dt.datetime,
) -> tuple[Any, ...]:  # fmt: skip
    """An event's values as its columns take them (in EVENT_COLUMNS order), as the ORM would
    write them; a JSON value of None stays SQL NULL, as the ORM stores it."""
    ops = connection.ops
    return (
        issue_id, actor_id, str(kind), field,
        None if old is None else ops.adapt_json_value(old, None),
        None if new is None else ops.adapt_json_value(new, None),
        comment_id, version, ops.adapt_datetimefield_value(created_at),
    )  # fmt: skip


# The columns of `_row`'s values.
EVENT_COLUMNS = (
    "issue_id", "actor_id", "kind", "field", "old", "new", "comment_id", "version", "created_at",
)  # fmt: skip


def announce_on_commit() -> None:
    """Schedule one `events_committed` for the current transaction (none if it rolls back:
    Django drops the callbacks of a rolled-back block)."""
    pending = transaction.get_connection().run_on_commit
    if not any(callback is _announce for _, callback, _ in pending):
        transaction.on_commit(_announce, robust=True)


def _announce() -> None:
    for receiver, error in events_committed.send_robust(sender=IssueEvent):
        if isinstance(error, Exception):  # the commit stands; a consumer catches up by polling
            log.error("events_committed: %r failed", receiver, exc_info=error)
