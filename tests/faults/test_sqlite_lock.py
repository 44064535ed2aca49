"""(c) Another process holds SQLite's write lock (BEGIN IMMEDIATE on the server's file).

Contract: a write that waits longer than the server's lock timeout (DOCKET_SQLITE_TIMEOUT)
answers 503 with Retry-After and a problem JSON saying the database is busy, and saves
nothing; meanwhile reads and /healthz answer in under a second; a lock held for less than
the timeout is waited out; once the lock is gone, writes succeed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.faults.conftest import (
    PROJECT,
    Database,
    Fleet,
    check_integrity,
    make_project,
    on_postgres,
)

pytestmark = pytest.mark.skipif(on_postgres(), reason="an SQLite file lock: SQLite runs only")

LOCK_TIMEOUT_S = 2


class HeldLock:
    """BEGIN IMMEDIATE on the database from this process: every other writer waits."""

    def __init__(self, db: Database):
        self.conn = sqlite3.connect(
            db.path, timeout=30, isolation_level=None, check_same_thread=False
        )

    def __enter__(self) -> HeldLock:
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def _timed(call) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_write_blocked_past_the_lock_timeout_answers_503_and_reads_keep_going(fleet: Fleet):
    server = fleet.start(workers=1, DOCKET_SQLITE_TIMEOUT=str(LOCK_TIMEOUT_S))
    token = server.token()
    make_project(server, token)
    with server.client(token) as api:
        first = api.post(f"/projects/{PROJECT}/issues", json={"title": "before the lock"})
        assert first.status_code == 201, first.text
    key = first.json()["key"]
    db = Database(fleet.env)
    issues_before = db.value("SELECT COUNT(*) FROM issues_issue")

    with HeldLock(db), ThreadPoolExecutor(max_workers=2) as pool:
        with server.client(token) as writer:
            blocked = pool.submit(
                _timed,
                lambda: writer.post(f"/projects/{PROJECT}/issues", json={"title": "blocked"}),
            )
            time.sleep(0.3)  # the write is waiting for the lock now
            with server.client(token) as reader:
                reads = [
                    _timed(lambda: httpx.get(server.url + "/healthz", timeout=10)),
                    _timed(lambda: reader.get(f"/issues/{key}")),
                    _timed(lambda: reader.get("/issues", params={"project": PROJECT})),
                ]
            response, waited = blocked.result(timeout=60)
        for read, seconds in reads:
            assert read.status_code == 200, (read.request.url, read.status_code, read.text)
            assert seconds < 1.0, f"{read.request.url} took {seconds:.2f} s behind the lock"

        assert response.status_code == 503, (response.status_code, response.text)
        retry_after = response.headers.get("Retry-After", "")
        assert retry_after.isdigit() and int(retry_after) > 0, response.headers
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "busy" in (problem.get("title", "") + problem.get("detail", "")).lower(), problem
        assert waited < LOCK_TIMEOUT_S + 3, f"the write waited {waited:.1f} s"

    assert db.value("SELECT COUNT(*) FROM issues_issue") == issues_before  # nothing saved
    with server.client(token) as api:
        after = api.post(f"/projects/{PROJECT}/issues", json={"title": "after the lock"})
        assert after.status_code == 201, after.text
    check_integrity(fleet.env)


def test_a_lock_shorter_than_the_timeout_is_waited_out(fleet: Fleet):
    server = fleet.start(workers=1, DOCKET_SQLITE_TIMEOUT=str(LOCK_TIMEOUT_S))
    token = server.token()
    make_project(server, token)
    db = Database(fleet.env)
    lock = HeldLock(db)
    lock.__enter__()
    releaser = threading.Timer(LOCK_TIMEOUT_S / 2, lock.__exit__)
    releaser.start()
    try:
        with server.client(token) as api:
            response, waited = _timed(
                lambda: api.post(f"/projects/{PROJECT}/issues", json={"title": "patient"})
            )
    finally:
        releaser.join()
    assert response.status_code == 201, response.text
    assert waited >= LOCK_TIMEOUT_S / 2 - 0.2, f"answered after {waited:.2f} s: was it blocked?"
    check_integrity(fleet.env)
