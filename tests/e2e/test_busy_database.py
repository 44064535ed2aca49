"""A write that waits too long for another's lock: a clear 503, and nothing else waits.

One server process with one shared thread made every request, /healthz included, wait
behind a writer blocked on a lock, and the writer itself got a bare 500 after 10 s. Now
reads run on their own threads (core/lanes.py) and the blocked write answers 503 with
Retry-After once DOCKET_LOCK_TIMEOUT has passed (core/db_faults.py).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers import Server, running_server

pytestmark = pytest.mark.slow

LOCK_TIMEOUT = 1


@pytest.fixture
def busy_server(ready_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    env = {**ready_env, "DOCKET_LOCK_TIMEOUT": str(LOCK_TIMEOUT)}
    with running_server(env, tmp_path / "server.log", workers=1) as running:
        yield running


@contextmanager
def writes_locked_out(server: Server) -> Iterator[None]:
    """Another process holds the database's write lock (a table lock on PostgreSQL)."""
    url = server.env.get("DOCKET_DATABASE_URL")
    if url is None:
        held = sqlite3.connect(Path(server.env["DOCKET_DATA_DIR"]) / "docket.sqlite3")
        held.isolation_level = None
        held.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            held.execute("ROLLBACK")
            held.close()
        return
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as held:
        # EXCLUSIVE blocks writes; reads pass, as beside SQLite's write lock
        held.execute("LOCK TABLE issues_issue, django_session IN EXCLUSIVE MODE")
        yield
        held.rollback()


def _timed(call) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_blocked_write_answers_503_while_reads_and_health_answer_at_once(busy_server):
    token = busy_server.token()
    with busy_server.client(token) as api:
        assert api.post("/projects", json={"key": "LOCK", "name": "Locked"}).status_code == 201
        assert api.post("/projects/LOCK/issues", json={"title": "before"}).status_code == 201
        with writes_locked_out(busy_server):
            outcome: dict[str, httpx.Response] = {}

            def write() -> None:
                outcome["write"] = api.post("/projects/LOCK/issues", json={"title": "during"})

            writer = threading.Thread(target=write)
            writer.start()
            time.sleep(0.2)  # the write is now waiting for the lock
            read, read_took = _timed(lambda: api.get("/issues/LOCK-1"))
            health, health_took = _timed(lambda: httpx.get(busy_server.url + "/healthz"))
            writer.join()
        after = api.post("/projects/LOCK/issues", json={"title": "after"})
        titles = [
            i["title"] for i in api.get("/issues", params={"project": "LOCK"}).json()["items"]
        ]

    assert read.status_code == 200 and read_took < LOCK_TIMEOUT / 2
    assert health.status_code == 200 and health_took < LOCK_TIMEOUT / 2
    blocked = outcome["write"]
    assert blocked.status_code == 503, blocked.text
    assert blocked.headers["Retry-After"] == "2"
    assert blocked.headers["Content-Type"] == "application/problem+json"
    assert blocked.json()["title"] == "Database busy"
    assert "nothing was saved" in blocked.json()["detail"]
    assert after.status_code == 201
    assert sorted(titles) == ["after", "before"]


def test_a_token_first_used_while_writes_are_locked_out_still_reads_at_once(busy_server):
    """Recording a token's "last used" time is skipped rather than waited for."""
    token = busy_server.token(scopes="read")
    with writes_locked_out(busy_server), busy_server.client(token) as api:
        response, took = _timed(lambda: api.get("/issues"))
    assert response.status_code == 200 and took < LOCK_TIMEOUT / 2


def test_a_page_form_blocked_by_the_lock_gets_a_page_not_json(busy_server):
    with httpx.Client(base_url=busy_server.url) as browser:
        browser.get("/login")
        csrf = browser.cookies["csrftoken"]
        with writes_locked_out(busy_server):
            signed_in = browser.post(
                "/login",
                data={
                    "username": "admin",
                    "password": "e2e-admin-password-123",
                    "csrfmiddlewaretoken": csrf,
                },
                headers={"Referer": busy_server.url + "/login"},
            )
    assert signed_in.status_code == 503, signed_in.text
    assert signed_in.headers["Content-Type"].startswith("text/html")
    assert "Database busy" in signed_in.text and signed_in.headers["Retry-After"] == "2"
