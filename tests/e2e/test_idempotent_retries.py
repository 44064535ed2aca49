"""Retries racing each other against a real server: a client that sends the same create with
one `Idempotency-Key` over several connections at once gets one issue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = pytest.mark.slow


def test_concurrent_retries_with_one_key_create_one_issue(server):
    token = server.token()
    with server.client(token) as api:
        assert api.post("/projects", json={"key": "IDEM", "name": "Retries"}).status_code == 201

    def send(_: int) -> httpx.Response:
        with server.client(token) as api:
            return api.post(
                "/projects/IDEM/issues",
                json={"title": "Sent over a flaky network"},
                headers={"Idempotency-Key": "flaky-1"},
            )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    created = [a for a in answers if a.status_code == 201]
    # One ran; the others waited for it and got its answer replayed (SQLite serialises
    # writers), or were told it was still running (409, PostgreSQL's non-blocking lock).
    assert {a.status_code for a in answers} <= {201, 409} and created
    assert {a.json()["key"] for a in created} == {"IDEM-1"}
    assert sum(a.headers.get("Idempotency-Replayed") != "true" for a in created) == 1
    with server.client(token) as api:
        listed = api.get("/issues", params={"project": "IDEM"}).json()["items"]
        assert [i["key"] for i in listed] == ["IDEM-1"]
        replayed = send(0)
        assert replayed.status_code == 201 and replayed.headers["Idempotency-Replayed"] == "true"
