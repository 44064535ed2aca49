"""The event log as the outbox: a consumer reads each event once, in order, from a durable
cursor advanced in the same transaction as its own writes; gaps that may still fill wait."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from docket.core.clock import now
from docket.issues.models import IssueEvent
from docket.worker import consumers
from docket.worker.consumers import GAP_WAIT_SECONDS, Consumer, dispatch, safe_position
from docket.worker.models import ConsumerCursor
from tests.factories import make_issue


def _event(event_id: int, age_seconds: float) -> IssueEvent:
    return IssueEvent(id=event_id, created_at=now() - dt.timedelta(seconds=age_seconds))


def test_the_cursor_moves_to_the_last_event_when_ids_are_contiguous():
    events = [_event(11, 1), _event(12, 1), _event(13, 1)]
    assert safe_position(10, events, now()) == 13


def test_the_cursor_stops_before_a_young_gap_and_passes_an_old_one():
    young = [_event(11, 1), _event(13, 1), _event(14, 1)]  # 12 may still commit
    assert safe_position(10, young, now()) == 11
    old = [_event(11, GAP_WAIT_SECONDS + 5), _event(13, GAP_WAIT_SECONDS + 5)]
    assert safe_position(10, old, now()) == 13  # 12 was rolled back or deleted
    assert safe_position(10, [_event(12, 1)], now()) == 10  # a gap before the first, too


@pytest.fixture
def seen() -> Iterator[list[int]]:
    """A consumer that records the events it is given; registered for the test only."""
    handled: list[int] = []

    def handle(events: Sequence[IssueEvent]) -> None:
        handled.extend(event.id for event in events)

    consumer = Consumer("test-recorder", handle)
    consumers.register(consumer)
    consumers.start_cursor(consumer.name)
    try:
        yield handled
    finally:
        consumers.unregister(consumer.name)


def _recorder() -> Consumer:
    return next(c for c in consumers.registered() if c.name == "test-recorder")


def test_a_new_consumer_starts_at_the_end_of_the_log_and_reads_each_new_event_once(cast, seen):
    make_issue(cast.alice, cast.web, title="before the consumer")  # event before it existed
    ConsumerCursor.objects.filter(name="test-recorder").delete()
    consumers.start_cursor("test-recorder")
    first = make_issue(cast.alice, cast.web, title="one")
    second = make_issue(cast.alice, cast.web, title="two")
    assert dispatch(_recorder(), batch=1) == 1
    assert dispatch(_recorder()) == 1
    assert dispatch(_recorder()) == 0
    new_events = list(
        IssueEvent.objects.filter(issue__in=[first, second]).values_list("id", flat=True)
    )
    assert seen == sorted(new_events)


def test_a_failing_handler_rolls_back_its_batch_and_the_cursor(cast, seen):
    make_issue(cast.alice, cast.web)
    before = ConsumerCursor.objects.get(name="test-recorder").last_event_id

    def explode(events: Sequence[IssueEvent]) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        dispatch(Consumer("test-recorder", explode))
    assert ConsumerCursor.objects.get(name="test-recorder").last_event_id == before
    assert dispatch(_recorder()) == 1  # the same event, handed over again


def test_consumers_at_one_position_share_one_read_and_the_others_read_their_own(cast):
    """A worker round reads a batch once for all the consumers standing where it starts."""
    make_issue(cast.alice, cast.web, title="zero")  # the cursors start after it: on
    # PostgreSQL a test's first id follows those of earlier, rolled-back tests (a gap)
    given: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    for name, ids in given.items():
        consumers.register(
            Consumer(f"test-{name}", lambda ev, ids=ids: ids.extend(e.id for e in ev))
        )
        consumers.start_cursor(f"test-{name}")
    try:
        first = make_issue(cast.alice, cast.web, title="one")
        assert dispatch(_named("test-c")) == 1  # c is one event ahead of a and b
        second = make_issue(cast.alice, cast.web, title="two")
        shared = consumers.SharedReads()
        with CaptureQueriesContext(connection) as queries:
            for name in given:
                dispatch(_named(f"test-{name}"), shared=shared)
        batch_reads = [q for q in queries if '"issues_issueevent"."kind"' in q["sql"]]
        assert len(batch_reads) == 2  # a and b: one read; c, further on: its own

        ids = [e.id for issue in (first, second) for e in IssueEvent.objects.filter(issue=issue)]
        assert given["a"] == given["b"] == given["c"] == ids  # c: the first one on its own
        with CaptureQueriesContext(connection) as queries:
            [event] = shared.read(ids[0], consumers.BATCH)  # c's batch, kept for the round
            assert (event.id, event.issue.project.key, event.actor.username) == (
                ids[1], "WEB", "alice"
            )  # fmt: skip
        assert len(queries) == 0  # every consumer's related rows came with the read
    finally:
        for name in given:
            consumers.unregister(f"test-{name}")


def _named(name: str) -> Consumer:
    return next(c for c in consumers.registered() if c.name == name)
