"""Two deliveries for the same group at once open one incident: the intake's row lock makes
them take turns, and a partial unique index allows one open group per key."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import IntegrityError, connection, connections, transaction

from docket.core.clock import now
from docket.integrations.alerts import actions
from docket.integrations.alerts.models import AlertGroup
from tests.integrations.alerts.conftest import comments, incidents, make_intake, sample

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only PostgreSQL runs two writers at once (SQLite's BEGIN IMMEDIATE serialises "
    "them); run with DOCKET_DATABASE_URL=postgres://…",
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_firings_open_one_incident(cast: Any) -> None:
    intake = make_intake(cast.alice, cast.web)
    # Warm the process up (compiled queries, caches) with another group, so the senders
    # below race in the delivery itself.
    assert intake.post(sample("alertmanager/zulip__firing_2_alerts.json")).status_code == 200
    body = sample("alertmanager/prometheus-msteams__firing_3_alerts.json")
    senders = 8
    start = threading.Barrier(senders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            start.wait(10)
            # The delivery itself, as the endpoint calls it, on this thread's own connection.
            answer = actions.receive(intake.row, json.loads(body))
            with lock:
                outcomes.append(answer["outcome"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Counter(outcomes) == {"opened": 1, "unchanged": senders - 1}
    [_, issue] = incidents(cast.web)
    assert comments(issue) == []
    assert AlertGroup.objects.get(issue=issue).deliveries == senders


@pytest.mark.django_db(transaction=True)
def test_one_open_group_per_key(cast: Any) -> None:
    intake = make_intake(cast.alice, cast.web)
    moment = now()
    row = {"intake": intake.row, "key_hash": "k", "group_key": "g", "created_at": moment,
           "updated_at": moment}  # fmt: skip
    AlertGroup.objects.create(**row)
    AlertGroup.objects.create(**row, open=False)  # closed ones may repeat
    with pytest.raises(IntegrityError), transaction.atomic():
        AlertGroup.objects.create(**row)
