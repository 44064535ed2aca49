"""Fault injection against real `docket serve` processes (see docs/faults.md).

Helpers: a server that can be killed and restarted on the same database (`Fleet`), writers
that remember every write the server acknowledged (`Ledger`), direct access to the
server's database (`Database`), and `check_integrity`, which every fault test ends with.
The long form (more writers, longer, more kills) runs with DOCKET_FAULTS_LONG=1.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import (
    Server,
    run_docket,
    scratch_environment,
    spawn_server,
    stop_process_group,
)

LONG = os.environ.get("DOCKET_FAULTS_LONG") == "1"
PROJECT = "FLT"


def long_or(short: Any, long: Any) -> Any:
    """`long` in the long form (DOCKET_FAULTS_LONG=1), else `short`."""
    return long if LONG else short


def on_postgres() -> bool:
    return os.environ.get("DOCKET_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


# --- servers ------------------------------------------------------------------------------------


class Fleet:
    """One scratch database and the `docket serve` processes started on it, one at a time."""

    def __init__(self, env: dict[str, str], tmp_path: Path):
        self.env = env
        self.log = tmp_path / "server.log"
        self.server: Server | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    def start(self, workers: int = 1, **extra_env: str) -> Server:
        assert self.process is None, "stop or kill the running server first"
        env = {**self.env, **extra_env}
        self.server, self.process = spawn_server(env, self.log, workers=workers, port=self.port)
        self.port = int(self.server.url.rsplit(":", 1)[1])
        return self.server

    def kill9(self) -> None:
        """SIGKILL to the server and every worker: no shutdown code runs."""
        assert self.process is not None
        stop_process_group(self.process, signal.SIGKILL)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def scratch_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A migrated data dir and database with the first admin (tests/servers.py: a copy of a
    template one server made, not seconds of migrating per test)."""
    with scratch_environment(tmp_path / "data", ready=True) as env:
        yield env


@pytest.fixture
def fleet(scratch_env: dict[str, str], tmp_path: Path) -> Iterator[Fleet]:
    running = Fleet(scratch_env, tmp_path)
    try:
        yield running
    finally:
        if running.process is not None:
            running.kill9()  # the test is over: no need to wait for a graceful stop


def make_project(server: Server, token: str, key: str = PROJECT) -> None:
    with server.client(token) as api:
        created = api.post("/projects", json={"key": key, "name": f"Faults {key}"})
        assert created.status_code == 201, (created.text, log_tail(server))


def log_tail(server: Server, chars: int = 4000) -> str:
    """The end of the server's log, for a failure message."""
    return server.log.read_text(errors="replace")[-chars:] if server.log.exists() else ""


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """The problem-details body of `response`, checking its content type."""
    kind = response.headers.get("content-type", "")
    assert kind.startswith("application/problem+json"), (response.status_code, kind, response.text)
    body = response.json()
    assert isinstance(body, dict) and body.get("status") == response.status_code, body
    return body


# --- writers ------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the server acknowledged (2xx) to the writers, and what else they saw."""

    issues: dict[str, str] = field(default_factory=dict)  # key -> title
    comments: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (key, body)
    statuses: dict[str, int] = field(default_factory=dict)  # "201", "ConnectError", ...
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, what: str) -> None:
        with self.lock:
            self.statuses[what] = self.statuses.get(what, 0) + 1

    def acknowledged(self) -> int:
        return len(self.issues) + len(self.comments)


def write_until(
    server: Server, token: str, ledger: Ledger, writer: int, stop: threading.Event
) -> None:
    """Create issues and comment on the ones this writer made until `stop` (or the server
    goes away). Only a 2xx answer goes into the ledger."""
    n = 0
    mine: list[str] = []
    with server.client(token) as api:
        while not stop.is_set():
            n += 1
            try:
                if not mine or n % 3:
                    title = f"writer {writer} issue {n} {os.urandom(4).hex()}"
                    response = api.post(f"/projects/{PROJECT}/issues", json={"title": title})
                    ledger.saw(str(response.status_code))
                    if response.status_code == 201:
                        key = response.json()["key"]
                        assert response.json()["title"] == title
                        with ledger.lock:
                            ledger.issues[key] = title
                        mine.append(key)
                else:
                    key = mine[n % len(mine)]
                    body = f"writer {writer} comment {n} {os.urandom(4).hex()}"
                    response = api.post(f"/issues/{key}/comments", json={"body": body})
                    ledger.saw(str(response.status_code))
                    if response.status_code == 201:
                        with ledger.lock:
                            ledger.comments[response.json()["id"]] = (key, body)
            except httpx.HTTPError as exc:
                ledger.saw(type(exc).__name__)
                if stop.wait(0.05):
                    return


@contextmanager
def writers(server: Server, token: str, count: int, ledger: Ledger) -> Iterator[Ledger]:
    """`count` threads writing through `server` while the block runs."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=write_until, args=(server, token, ledger, i, stop), daemon=True)
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        yield ledger
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung"


# --- the database, directly ---------------------------------------------------------------------


class Database:
    """Read the server's database behind its back (the SQLite file or the scratch PostgreSQL
    database of the environment)."""

    def __init__(self, env: dict[str, str]):
        self.url = env.get("DOCKET_DATABASE_URL", "")
        self.path = Path(env["DOCKET_DATA_DIR"]) / "docket.sqlite3"

    @property
    def postgres(self) -> bool:
        return self.url.startswith(("postgres://", "postgresql://"))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.postgres:
            import psycopg

            conninfo = self.url.replace("postgres://", "postgresql://", 1)
            with psycopg.connect(conninfo, autocommit=True) as conn:
                return list(conn.execute(sql).fetchall())  # type: ignore[arg-type]
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def value(self, sql: str) -> Any:
        return self.rows(sql)[0][0]


def issue_keys_sql() -> str:
    return (
        "SELECT p.key, i.number, i.title FROM issues_issue i "
        "JOIN projects_project p ON p.id = i.project_id"
    )


def check_integrity(
    env: dict[str, str],
    ledger: Ledger | None = None,
    server: Server | None = None,
    token: str | None = None,
) -> dict[str, int]:
    """What every fault test ends with. Returns the row counts it checked.

    - SQLite: `PRAGMA integrity_check` is ok and `PRAGMA foreign_key_check` finds nothing;
    - every acknowledged issue exists with the title it was created with and one `created`
      event; every acknowledged comment exists with its body and its `commented` event;
    - issue numbers are unique per project, dense (1..N) and below the project's counter,
      so no number can be handed out twice;
    - counts agree: one `created` event per issue, one `commented` event per comment, no
      event or comment without its issue, every issue's version is its newest event's;
    - with a server: the history of a sample of the acknowledged issues shows the same
      events over HTTP.
    """
    db = Database(env)
    if not db.postgres:
        assert db.rows("PRAGMA integrity_check") == [("ok",)]
        assert db.rows("PRAGMA foreign_key_check") == []
    duplicates = db.rows(
        "SELECT project_id, number, COUNT(*) FROM issues_issue "
        "GROUP BY project_id, number HAVING COUNT(*) > 1"
    )
    assert duplicates == [], f"issue numbers used twice: {duplicates}"
    for project_id, next_number, count, highest in db.rows(
        "SELECT p.id, p.next_number, COUNT(i.id), COALESCE(MAX(i.number), 0) "
        "FROM projects_project p LEFT JOIN issues_issue i ON i.project_id = p.id "
        "GROUP BY p.id, p.next_number"
    ):
        assert highest == count, (
            f"project {project_id}: numbers not dense ({count} issues, max {highest})"
        )
        assert next_number == highest + 1, (
            f"project {project_id}: counter {next_number}, max {highest}"
        )
    issues = db.value("SELECT COUNT(*) FROM issues_issue")
    comments = db.value("SELECT COUNT(*) FROM issues_comment")
    created = db.rows(
        "SELECT issue_id, COUNT(*) FROM issues_issueevent WHERE kind = 'created' GROUP BY issue_id"
    )
    assert len(created) == issues and all(n == 1 for _, n in created), "one created event each"
    assert db.value("SELECT COUNT(*) FROM issues_issueevent WHERE kind = 'commented'") == comments
    assert (
        db.value(
            "SELECT COUNT(*) FROM issues_issueevent e WHERE kind = 'commented' AND NOT EXISTS "
            "(SELECT 1 FROM issues_comment c WHERE c.id = e.comment_id AND c.issue_id = e.issue_id)"
        )
        == 0
    ), "a commented event without its comment"
    assert (
        db.value(
            "SELECT COUNT(*) FROM issues_issue i WHERE i.version <> "
            "(SELECT MAX(e.version) FROM issues_issueevent e WHERE e.issue_id = i.id)"
        )
        == 0
    ), "an issue whose version is not its newest event's"
    if ledger is not None:
        stored = {f"{key}-{number}": title for key, number, title in db.rows(issue_keys_sql())}
        missing = {k: t for k, t in ledger.issues.items() if stored.get(k) != t}
        assert not missing, f"acknowledged issues lost or changed: {list(missing.items())[:5]}"
        bodies = {
            cid: (f"{key}-{number}", body)
            for cid, key, number, body in db.rows(
                "SELECT c.id, p.key, i.number, c.body FROM issues_comment c "
                "JOIN issues_issue i ON i.id = c.issue_id "
                "JOIN projects_project p ON p.id = i.project_id"
            )
        }
        lost = {c: v for c, v in ledger.comments.items() if bodies.get(c) != v}
        assert not lost, f"acknowledged comments lost or changed: {list(lost.items())[:5]}"
        if server is not None and token is not None:
            check_histories(server, token, ledger)
    return {"issues": issues, "comments": comments}


def check_histories(server: Server, token: str, ledger: Ledger, sample: int = 20) -> None:
    """The API's history of up to `sample` acknowledged issues shows their created event and
    an event for each acknowledged comment."""
    by_issue: dict[str, set[int]] = {}
    for cid, (key, _) in ledger.comments.items():
        by_issue.setdefault(key, set()).add(cid)
    keys = sorted(ledger.issues, key=lambda k: (-len(by_issue.get(k, ())), k))[:sample]
    with server.client(token) as api:
        for key in keys:
            response = api.get(f"/issues/{key}/history", params={"limit": 500})
            assert response.status_code == 200, response.text
            events = response.json()["items"]
            assert [e["kind"] for e in events].count("created") == 1, (key, events)
            commented = {e["comment_id"] for e in events if e["kind"] == "commented"}
            assert by_issue.get(key, set()) <= commented, (key, events)


def import_file(env: dict[str, str], path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_docket(env, "import", str(path), "--as", "admin", *args)
