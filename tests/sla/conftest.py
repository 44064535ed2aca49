"""SLA tests: a clock the tests move (as in the notifications tests), and the worker's SLA
parts run in-process: the consumer that replays clocks and the escalation sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from docket.sla import consumer as sla_consumer
from docket.sla import engine
from docket.worker import consumers
from docket.worker.models import ConsumerCursor
from tests.notifications.conftest import STAMPERS, Clock, cursor_at_the_end

SLA_STAMPERS = (
    *STAMPERS,
    "docket.sla.consumer.now",
    "docket.sla.actions.now",
    "docket.sla.api.now",
)


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    fake = Clock(dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC))
    for name in SLA_STAMPERS:
        monkeypatch.setattr(name, fake)
    return fake


def at(zone: str, *parts: int) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)  # type: ignore[misc]


@pytest.fixture(autouse=True)
def fresh_cursor(db: Any) -> None:
    cursor_at_the_end(sla_consumer.NAME)


def replay_all() -> int:
    """Hand every new event to the SLA consumer, as the worker does."""
    found = next(c for c in consumers.registered() if c.name == sla_consumer.NAME)
    handled = 0
    while True:
        before = ConsumerCursor.objects.get(name=sla_consumer.NAME).last_event_id
        given = consumers.dispatch(found)
        handled += given
        if not given or ConsumerCursor.objects.get(name=sla_consumer.NAME).last_event_id == before:
            return handled


def sweep(clock: Clock) -> int:
    return engine.sweep(clock.current)
