"""Database faults answer with their own status and a clear message, never a bare 500.

A full disk is 507 and saves nothing; a lost connection under a read is retried once on a
fresh connection, under a write it is 503 + Retry-After (the client retries with its
Idempotency-Key). /healthz reports "degraded" while writes may fail for lack of space. A
lock held too long is covered with real processes in tests/e2e/test_busy_database.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings

from docket.core import db_faults
from docket.issues import api as issues_api
from docket.issues.models import Issue
from tests.factories import make_issue

PROBLEM = "application/problem+json"


@contextmanager
def database_cannot_grow() -> Iterator[None]:
    """SQLite's max_page_count at the current size: the next page it needs is "disk full"
    (SQLITE_FULL, the same error a full volume gives)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA max_page_count = 4294967294")


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite's max_page_count gives a real 'disk full' in-process; PostgreSQL has no "
    "per-database size cap, and its server's disk is shared, so it cannot be filled here",
)
def test_a_full_disk_answers_507_saves_nothing_and_recovers_by_itself(cast):
    api = cast.api(cast.alice)
    big = {"title": "A long report", "description": "x" * 90_000}
    before = Issue.objects.count()
    with database_cannot_grow():
        refused = api.post("/projects/WEB/issues", big)
        health = Client().get("/healthz").json()
    assert refused.status_code == 507, refused.content
    assert refused["Content-Type"] == PROBLEM
    assert "disk is full, so nothing was saved" in refused.json()["detail"]
    assert Issue.objects.count() == before
    assert health["status"] == "degraded"
    assert health["problems"] == ["a write failed for lack of disk space in the last minute"]

    assert api.post("/projects/WEB/issues", big).status_code == 201
    health = Client().get("/healthz").json()
    assert (health["status"], health["problems"]) == ("ok", [])


def test_healthz_is_degraded_but_up_when_free_space_is_below_the_floor(db):
    with override_settings(DOCKET_MIN_FREE_BYTES=2**62):
        health = Client().get("/healthz")
    assert health.status_code == 200  # reads still work; rotating the server out frees nothing
    body = health.json()
    assert body["status"] == "degraded"
    assert body["problems"] and all(" KiB free at " in p for p in body["problems"])


def _lost_connection() -> OperationalError:
    """What Django raises when PostgreSQL terminates the connection under a query."""
    error = OperationalError("terminating connection due to administrator command")
    error.__cause__ = psycopg.errors.AdminShutdown("terminating connection")
    return error


@pytest.fixture
def connection_lost_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first lookup of an issue loses its database connection; later ones work.

    Dropping the connection is recorded instead of done: the test's transaction lives on
    it (tests/faults kills real PostgreSQL backends under a real server)."""
    calls: list[str] = []
    monkeypatch.setattr(db_faults, "drop_broken_connections", lambda: calls.append("dropped"))
    real = issues_api.get_issue_for

    def flaky(actor, key):  # type: ignore[no-untyped-def]
        calls.append(key)
        if len(calls) == 1:
            raise _lost_connection()
        return real(actor, key)

    monkeypatch.setattr(issues_api, "get_issue_for", flaky)
    return calls


def test_a_read_whose_connection_was_lost_is_retried_once_and_succeeds(cast, connection_lost_once):
    issue = make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).get(f"/issues/{issue.key}")
    assert response.status_code == 200, response.content
    assert response.json()["key"] == issue.key
    assert connection_lost_once == [issue.key, "dropped", issue.key]


def test_a_write_whose_connection_was_lost_answers_503_and_is_not_repeated(
    cast, connection_lost_once
):
    issue = make_issue(cast.alice, cast.web)
    response = cast.api(cast.bob).post(f"/issues/{issue.key}/comments", {"body": "hello"})
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "1"
    assert response.json()["title"] == "Database connection lost"
    assert "Idempotency-Key" in response.json()["detail"]
    assert connection_lost_once == [issue.key, "dropped"]
    assert not issue.comments.exists()
