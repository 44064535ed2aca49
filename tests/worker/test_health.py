"""/healthz tells whether a worker is beating and how far behind the event log it is."""

from __future__ import annotations

import datetime as dt

from django.test import Client, override_settings

from docket.core.clock import now
from docket.worker.models import WorkerBeat
from tests.factories import make_issue


@override_settings(DOCKET_HEALTH_REQUIRES_WORKER=True)
def test_no_beating_worker_is_degraded_and_a_fresh_beat_is_ok(db):
    silent = Client().get("/healthz").json()
    assert silent["status"] == "degraded"
    assert silent["problems"] == ["no worker has reported ever: notifications and mail wait"]

    moment = now()
    WorkerBeat.objects.create(worker_id="w", host="h", pid=1, started_at=moment, beat_at=moment)
    beating = Client().get("/healthz").json()
    assert beating["status"] == "ok" and beating["worker"]["last_beat_seconds_ago"] < 5

    WorkerBeat.objects.update(beat_at=moment - dt.timedelta(minutes=2))
    stale = Client().get("/healthz").json()
    assert stale["status"] == "degraded" and "for 120 s" in stale["problems"][0]


def test_the_backlog_of_events_shows_in_health(cast):
    from docket.worker import consumers
    from docket.worker.consumers import Consumer

    consumers.register(Consumer("test-health", lambda events: None))
    try:
        consumers.start_cursor("test-health")
        make_issue(cast.alice, cast.web)
        worker = Client().get("/healthz").json()["worker"]
    finally:
        consumers.unregister("test-health")
    assert worker["events_pending"] == 1 and worker["oldest_pending_seconds"] < 60
