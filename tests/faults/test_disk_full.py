"""(d) The data dir's disk fills up (a small tmpfs; needs root to mount it).

Contract: writes answer 507 with a problem JSON saying the disk is full and nothing was
saved; GET /healthz answers 200 with {"status": "degraded", ...}; reads keep working; once
space is freed, writes succeed again without a restart; the database is intact.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import (
    PROJECT,
    Database,
    Fleet,
    Ledger,
    check_integrity,
    make_project,
    on_postgres,
    problem_of,
)

pytestmark = pytest.mark.skipif(
    on_postgres(),
    reason="the PostgreSQL server's disk cannot be filled from a test; SQLite runs only",
)
DISK = "48m"  # the schema, the collected static files (~20 MB) and a little room


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """tmp_path/data as a tmpfs of DISK (the server's DOCKET_DATA_DIR)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "data"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> Path:
    """Write zeros into directory/filler until the disk refuses."""
    filler = directory / "filler"
    chunk = b"\0" * (1 << 20)
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        try:  # the last partial megabyte
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


def test_a_full_disk_refuses_writes_with_507_and_recovers_without_restart(
    small_disk: Path, fleet: Fleet
):
    # Below 1 MiB free counts as "nearly full" for /healthz, so the empty disk is "ok".
    server = fleet.start(workers=1, DOCKET_MIN_FREE_BYTES=str(1 << 20))
    token = server.token()
    make_project(server, token)
    ledger = Ledger()
    with server.client(token) as api:
        made = api.post(f"/projects/{PROJECT}/issues", json={"title": "before the disk filled"})
        assert made.status_code == 201, made.text
        key = made.json()["key"]
        ledger.issues[key] = "before the disk filled"
        assert httpx.get(server.url + "/healthz").json()["status"] == "ok"

        # An empty WAL, so the next write needs new space (a grown WAL is reused in place).
        db = Database(fleet.env)
        with sqlite3.connect(db.path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {
            "issues": db.value("SELECT COUNT(*) FROM issues_issue"),
            "comments": db.value("SELECT COUNT(*) FROM issues_comment"),
            "events": db.value("SELECT COUNT(*) FROM issues_issueevent"),
        }
        filler = fill(small_disk)

        refused = [
            api.post(
                f"/projects/{PROJECT}/issues", json={"title": "no room", "description": "x" * 5000}
            ),
            api.post(f"/issues/{key}/comments", json={"body": "no room " * 500}),
            api.patch(f"/issues/{key}", json={"description": "no room " * 500}),
        ]
        for response in refused:
            assert response.status_code == 507, (response.request.url, response.text)
            problem = problem_of(response)
            text = (problem.get("title", "") + " " + problem.get("detail", "")).lower()
            assert "disk" in text and "full" in text, problem
            assert "nothing was saved" in text or "not saved" in text, problem

        health = httpx.get(server.url + "/healthz")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "degraded", health.json()
        said = str(health.json()).lower()
        assert "disk" in said or "space" in said, health.json()  # degraded for the disk
        read = api.get(f"/issues/{key}")
        assert read.status_code == 200, read.text
        assert read.json()["description"] == ""
        listed = api.get("/issues", params={"project": PROJECT})
        assert listed.status_code == 200 and len(listed.json()["items"]) == 1, listed.text

        filler.unlink()
        again = api.post(f"/projects/{PROJECT}/issues", json={"title": "after space was freed"})
        assert again.status_code == 201, again.text
        ledger.issues[again.json()["key"]] = "after space was freed"
        comment = api.post(f"/issues/{key}/comments", json={"body": "room again"})
        assert comment.status_code == 201, comment.text
        ledger.comments[comment.json()["id"]] = (key, "room again")

    # Nothing of the refused writes was kept: only the two made after space was freed.
    assert db.value("SELECT COUNT(*) FROM issues_issue") == counts["issues"] + 1
    assert db.value("SELECT COUNT(*) FROM issues_comment") == counts["comments"] + 1
    assert db.value("SELECT COUNT(*) FROM issues_issueevent") == counts["events"] + 2
    check_integrity(fleet.env, ledger, server, token)
