"""Architecture (c) against a real PostgreSQL streaming replica (bench/replica/replica.sh).

A real `docket serve` reads its lists from a hot standby of the test server and is spoken to
over HTTP by real browsers (cookie jars). Replay on the standby is paused to make the lag
deterministic: a list served by the paused replica cannot show a new issue, the browser that
filed it sees it at once (the `docket_wrote` cookie sends its reads to the primary), and on
resume the issue reaches every list.

Needs `DOCKET_TEST_REPLICA_URL` (postgres://postgres@127.0.0.1:5433/, a streaming replica of
the server in DOCKET_DATABASE_URL); the stopped-replica test also needs
`DOCKET_TEST_REPLICA_CONTROL` (a command taking `stop` / `start`, e.g.
bench/replica/replica.sh). Tests take an advisory lock on the primary: pausing or stopping
the replica affects every database on it, so two test processes take turns.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers import ADMIN_PASSWORD, Server, running_server, scratch_environment

REPLICA_URL = os.environ.get("DOCKET_TEST_REPLICA_URL", "")
PRIMARY_URL = os.environ.get("DOCKET_DATABASE_URL", "")
CONTROL = os.environ.get("DOCKET_TEST_REPLICA_CONTROL", "")
STICKY_SECONDS = 10
LOCK_KEY = 20_5433  # pg_advisory_lock on the primary's `postgres` database

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PRIMARY_URL.startswith(("postgres://", "postgresql://")),
        reason="a streaming replica needs the PostgreSQL run (DOCKET_DATABASE_URL)",
    ),
    pytest.mark.skipif(
        not REPLICA_URL,
        reason="no streaming replica: set DOCKET_TEST_REPLICA_URL after "
        "`bench/replica/replica.sh setup` (bench/replica/README.md)",
    ),
]


def _conninfo(url: str, database: str) -> str:
    base = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    return f"{base}/{database}"


def _sql(url: str, database: str, query: str) -> object:
    import psycopg

    with psycopg.connect(_conninfo(url, database), autocommit=True, connect_timeout=5) as c:
        row = c.execute(query).fetchone()
    return row[0] if row else None


def _wait(condition, seconds: float, what: str) -> float:
    """Poll until `condition()` is true; the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.05)
    return time.monotonic() - started


def _caught_up() -> bool:
    """The replica has replayed everything the primary had written when this was called."""
    target = _sql(PRIMARY_URL, "postgres", "SELECT pg_current_wal_lsn()::text")
    return bool(
        _sql(
            REPLICA_URL,
            "postgres",
            f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn",
        )
    )


def _pause_replay() -> None:
    _sql(REPLICA_URL, "postgres", "SELECT pg_wal_replay_pause()")
    _wait(
        lambda: _sql(REPLICA_URL, "postgres", "SELECT pg_get_wal_replay_pause_state()") == "paused",
        30,
        "replay paused",
    )


def _resume_replay() -> None:
    _sql(REPLICA_URL, "postgres", "SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="module")
def replica_turn() -> Iterator[None]:
    """This module's turn with the replica (other test processes wait)."""
    import psycopg

    assert _sql(REPLICA_URL, "postgres", "SELECT pg_is_in_recovery()") is True, (
        f"{REPLICA_URL} is not a standby"
    )
    with psycopg.connect(_conninfo(PRIMARY_URL, "postgres"), autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            yield
        finally:
            _resume_replay()
            lock.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


@dataclass
class Replicated:
    server: Server
    token: str

    def browser(self) -> httpx.Client:
        """A signed-in browser of its own (its own cookies)."""
        browser = httpx.Client(base_url=self.server.url, timeout=30)
        browser.get("/login")
        signed_in = browser.post(
            "/login",
            data={
                "username": "admin",
                "password": ADMIN_PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            headers={"Referer": self.server.url + "/login"},
        )
        assert signed_in.status_code == 302, signed_in.text
        # Signing in is a POST, which marks the browser as a writer: start unmarked.
        browser.cookies.delete("docket_wrote")
        return browser

    def file_issue(self, browser: httpx.Client, title: str) -> httpx.Response:
        created = browser.post(
            "/p/REP/new",
            data={
                "title": title,
                "type": "task",
                "priority": "high",
                "severity": "minor",
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            headers={"Referer": self.server.url + "/p/REP/new"},
        )
        assert created.status_code == 302, created.text
        return created

    def api_issue(self, title: str) -> None:
        with self.server.client(self.token) as api:
            created = api.post("/projects/REP/issues", json={"title": title})
        assert created.status_code == 201, created.text


def _listed(browser: httpx.Client, title: str) -> bool:
    page = browser.get("/issues/", params={"q": "project:REP is:open"})
    assert page.status_code == 200, page.text[:2000]
    return title in page.text


@pytest.fixture(scope="module")
def replicated(replica_turn, tmp_path_factory) -> Iterator[Replicated]:
    """`docket serve` on a scratch database of the primary, reading lists from its copy on
    the replica."""
    tmp = tmp_path_factory.mktemp("replicated")
    with scratch_environment(tmp / "data", ready=True) as env:
        database = env["DOCKET_DATABASE_URL"].rsplit("/", 1)[1]
        _wait(_caught_up, 60, "the replica has the new database")
        env["DOCKET_DATABASE_REPLICA_URL"] = _conninfo(REPLICA_URL, database).replace(
            "postgresql://", "postgres://", 1
        )
        env["DOCKET_REPLICA_STICKY_SECONDS"] = str(STICKY_SECONDS)
        with running_server(env, tmp / "server.log", workers=1) as server:
            token = server.token()
            with server.client(token) as api:
                made = api.post("/projects", json={"key": "REP", "name": "Replicated"})
                assert made.status_code == 201, made.text
            yield Replicated(server, token)


def test_a_paused_replica_serves_a_stale_list_but_the_writer_reads_its_own_write(
    replicated,
):
    writer, reader = replicated.browser(), replicated.browser()
    replicated.api_issue("Already there")
    _wait(_caught_up, 30, "the replica caught up")
    assert _listed(reader, "Already there") and _listed(writer, "Already there")

    title = f"Filed while replay is paused {uuid.uuid4().hex[:8]}"
    _pause_replay()
    try:
        created = replicated.file_issue(writer, title)
        assert created.cookies["docket_wrote"] == "1"
        # The writer's browser reads the primary for the next STICKY_SECONDS: its issue is there.
        assert _listed(writer, title)
        # Any other browser reads the paused replica: the issue is not there (yet) — which
        # shows the list really is served by the replica, since the primary has it.
        assert not _listed(reader, title)
        assert not _listed(replicated.browser(), title)
        writer.cookies.delete("docket_wrote")  # the marker expired: the writer reads the replica
        assert not _listed(writer, title)
        # The issue page is never served by the replica.
        issue_page = reader.get(created.headers["location"])
        assert issue_page.status_code == 200 and title in issue_page.text
    finally:
        _resume_replay()
    took = _wait(lambda: _listed(reader, title), STICKY_SECONDS, "the issue reaches the replica")
    assert _listed(writer, title)
    print(f"after resume the issue was listed by the replica in {took:.2f} s")


def test_a_write_reaches_lists_served_by_the_replica_within_the_sticky_window(replicated):
    """Without a pause the replica's lag is short: an issue filed through the API shows in
    another browser's list well within DOCKET_REPLICA_STICKY_SECONDS (the window the cookie
    covers must exceed the lag for read-your-writes to hold)."""
    reader = replicated.browser()
    delays = []
    for n in range(5):
        title = f"Streamed {n} {uuid.uuid4().hex[:8]}"
        replicated.api_issue(title)
        delays.append(_wait(lambda t=title: _listed(reader, t), STICKY_SECONDS, title))
    print("seconds until listed via the replica:", [f"{d:.3f}" for d in delays])
    assert max(delays) < STICKY_SECONDS


def _control(action: str) -> None:
    run = subprocess.run(
        [*shlex.split(CONTROL), action], capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(
    not CONTROL,
    reason="stopping the replica needs DOCKET_TEST_REPLICA_CONTROL (e.g. bench/replica/replica.sh)",
)
def test_a_stopped_replica_hands_the_lists_to_the_primary_until_it_is_back(replicated):
    reader = replicated.browser()
    replicated.api_issue("Before the outage")
    _wait(lambda: _listed(reader, "Before the outage"), 30, "listed via the replica")
    log = Path(replicated.server.log)

    _control("stop")
    try:
        during = f"Filed during the outage {uuid.uuid4().hex[:8]}"
        replicated.api_issue(during)
        # The server's persistent connection to the replica is dead: the health check at
        # the first marked read of a request notices, and the primary serves.
        statuses = []
        for _ in range(5):
            page = reader.get("/issues/", params={"q": "project:REP is:open"})
            statuses.append(page.status_code)
        assert statuses == [200] * 5, statuses
        assert during in page.text
        assert reader.get("/search", params={"q": "outage"}).status_code == 200
        text = log.read_text()
        assert text.count("read replica unreachable") == 1, text[-3000:]
    finally:
        _control("start")
    _wait(_caught_up, 60, "the replica caught up after its restart")

    # Back: after the retry interval (5 s) the lists are the replica's again — provably so,
    # as a paused replica cannot show what is filed next.
    time.sleep(5.5)
    assert _listed(reader, during)
    title = f"Filed after the outage {uuid.uuid4().hex[:8]}"
    _pause_replay()
    try:
        replicated.api_issue(title)
        assert not _listed(reader, title)
    finally:
        _resume_replay()
    _wait(lambda: _listed(reader, title), STICKY_SECONDS, "listed after resume")
    assert "read replica reachable again" in log.read_text()
