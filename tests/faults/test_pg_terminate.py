"""(b) PostgreSQL backends terminated under load (pg_terminate_backend on the server's
connections while requests run).

Contract: the server keeps answering without a restart; a read that loses its connection
is retried once and succeeds (200); a write that loses it answers 503 with Retry-After;
never a 500. Every acknowledged write is kept.

A read may answer 503 only when a second termination round ran while it did (its retry's
fresh connection can be killed too): a failed read with no round during it lost only the
connection it started on (killed while idle), so its retry should have succeeded.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import (
    PROJECT,
    Fleet,
    Ledger,
    check_integrity,
    long_or,
    make_project,
    on_postgres,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not on_postgres(),
        reason="PostgreSQL backends: runs only when DOCKET_DATABASE_URL is postgres://",
    ),
]

CLIENTS = long_or(6, 12)
SECONDS = long_or(6, 40)
TERMINATE_EVERY_S = 0.5


def terminate_backends(database_url: str) -> int:
    """pg_terminate_backend on every connection to the server's scratch database."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return sum(1 for (done,) in rows if done)


def test_terminated_backends_cost_a_write_503_never_a_500(fleet: Fleet):
    server = fleet.start(workers=2)
    token = server.token()
    make_project(server, token)
    ledger = Ledger()
    keys = []
    with server.client(token) as api:
        for n in range(10):
            made = api.post(f"/projects/{PROJECT}/issues", json={"title": f"seed {n}"})
            assert made.status_code == 201, made.text
            keys.append(made.json()["key"])
            ledger.issues[made.json()["key"]] = f"seed {n}"
    pids_before = server_pids(fleet)

    stop = threading.Event()
    seen: Counter[tuple[str, str]] = Counter()  # (read|write, status)
    bad: list[tuple[str, int, str, dict[str, str], str, float, float]] = []
    rounds: list[tuple[float, float]] = []  # (start, end) of each termination round
    lock = threading.Lock()

    def client(number: int) -> None:
        n = 0
        with server.client(token) as api:
            while not stop.is_set():
                n += 1
                kind = "write" if n % 3 == 0 else "read"
                began = time.monotonic()
                try:
                    if kind == "write":
                        title = f"client {number} write {n}"
                        response = api.post(f"/projects/{PROJECT}/issues", json={"title": title})
                    elif n % 2:
                        response = api.get(f"/issues/{keys[n % len(keys)]}")
                    else:
                        response = api.get("/issues", params={"project": PROJECT, "limit": 20})
                except httpx.HTTPError as exc:
                    with lock:
                        seen[(kind, type(exc).__name__)] += 1
                    continue
                with lock:
                    seen[(kind, str(response.status_code))] += 1
                    if kind == "write" and response.status_code == 201:
                        ledger.issues[response.json()["key"]] = title
                    elif not response.is_success:
                        bad.append(
                            (
                                kind,
                                response.status_code,
                                response.text[:300],
                                dict(response.headers),
                                str(response.request.url),
                                began,
                                time.monotonic(),
                            )
                        )

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    terminated = 0
    deadline = time.monotonic() + SECONDS
    try:
        while time.monotonic() < deadline:
            time.sleep(TERMINATE_EVERY_S)
            began = time.monotonic()
            terminated += terminate_backends(fleet.env["DOCKET_DATABASE_URL"])
            rounds.append((began, time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert terminated > 0, "no backend was terminated"
    assert server_pids(fleet) == pids_before, "the server restarted"
    transport = {k: v for k, v in seen.items() if not k[1].isdigit()}
    assert not transport, f"the server stopped answering: {transport}"
    assert not [b for b in bad if b[1] >= 500 and b[1] != 503], bad  # never a 500
    unexcused = [
        (b[1], b[4], b[2])
        for b in bad
        if b[0] == "read" and not any(a < b[6] and z > b[5] for a, z in rounds)
    ]
    assert not unexcused, (dict(seen), terminated, unexcused)  # retried, and succeeded
    for kind, status, text, headers, *_ in bad:
        assert (kind, status) == ("write", 503), (kind, status, text)
        assert headers.get("retry-after", "").isdigit(), headers
    assert seen[("read", "200")] > 0 and seen[("write", "201")] > 0, seen

    with server.client(token) as api:  # still serving, no restart
        assert httpx.get(server.url + "/healthz").status_code == 200
        after = api.post(f"/projects/{PROJECT}/issues", json={"title": "after the storm"})
        assert after.status_code == 201, after.text
        ledger.issues[after.json()["key"]] = "after the storm"
    check_integrity(fleet.env, ledger, server, token)


def server_pids(fleet: Fleet) -> set[int]:
    """The server process and its workers."""
    assert fleet.process is not None
    group = fleet.process.pid
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2 :].split()[2]) == group:
                pids.add(int(entry))
    return pids
