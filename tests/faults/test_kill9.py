"""(a) kill -9 of the server under concurrent writers, and restarting it on the same data."""

from __future__ import annotations

import random
import time

import pytest

from tests.faults.conftest import (
    PROJECT,
    Fleet,
    Ledger,
    check_integrity,
    long_or,
    make_project,
    writers,
)

pytestmark = pytest.mark.slow

WRITERS = long_or(8, 16)
ROUNDS = long_or(2, 12)
WORKERS = long_or(1, 2)  # server processes: one is quicker to restart


def test_kill_9_under_concurrent_writers_loses_no_acknowledged_write(fleet: Fleet):
    server = fleet.start(workers=WORKERS)
    token = server.token()
    make_project(server, token)
    ledger = Ledger()
    rng = random.Random()
    for round_ in range(ROUNDS):
        before = ledger.acknowledged()
        with writers(server, token, WRITERS, ledger):
            time.sleep(rng.uniform(0.4, long_or(1.2, 3.0)))
            fleet.kill9()
        assert ledger.acknowledged() > before, (round_, ledger.statuses, fleet.log_text()[-3000:])
        server = fleet.start(workers=WORKERS)
        counts = check_integrity(fleet.env, ledger, server, token)
        # Writes the server committed but could not acknowledge may exist; none may be lost.
        assert counts["issues"] >= len(ledger.issues)
        assert counts["comments"] >= len(ledger.comments)
    answered = {s for s in ledger.statuses if s.isdigit()}
    assert answered == {"201"}, ledger.statuses  # no 4xx/5xx while the server was up
    assert set(ledger.statuses) - answered, "no request was cut by the kills"


def test_a_create_retried_with_its_idempotency_key_makes_no_duplicate(fleet: Fleet):
    """The reference's fault 1: a client that lost the answer to a POST (the server was
    killed after the commit) retries it with the same Idempotency-Key; the retry must answer
    with the same issue, not create a second one."""
    server = fleet.start(workers=1)
    token = server.token()
    make_project(server, token)
    headers = {"Idempotency-Key": "faults-retry-0001"}
    with server.client(token) as api:
        first = api.post(f"/projects/{PROJECT}/issues", json={"title": "once"}, headers=headers)
        assert first.status_code == 201, first.text
    fleet.kill9()  # as if the answer had been lost with the server
    server = fleet.start(workers=1)
    with server.client(token) as api:
        retry = api.post(f"/projects/{PROJECT}/issues", json={"title": "once"}, headers=headers)
        assert retry.status_code in (200, 201), retry.text
        assert retry.json()["key"] == first.json()["key"], (first.json(), retry.json())
        listed = api.get("/issues", params={"project": PROJECT}).json()["items"]
    assert [i["title"] for i in listed] == ["once"]
    check_integrity(fleet.env)
