"""An online backup taken under concurrent writes, restored into an empty instance (the
reference's fault 10), with `docket backup` and `docket restore` (docs/operations.md).

Contract: the restored database is intact and holds every write acknowledged before the
backup started; a server started on it serves them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.faults.conftest import (
    PROJECT,
    Fleet,
    Ledger,
    check_integrity,
    long_or,
    make_project,
    on_postgres,
    writers,
)
from tests.servers import (
    Server,
    run_docket,
    scratch_environment,
    spawn_server,
    stop_process_group,
)

pytestmark = pytest.mark.slow

WRITERS = long_or(8, 16)


def attach(server: Server, token: str, key: str, payload: bytes) -> int:
    with server.client(token) as api:
        made = api.post(f"/issues/{key}/attachments", files={"file": ("trace.log", payload)})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_a_backup_under_writes_restores_every_write_acknowledged_before_it(
    fleet: Fleet, tmp_path: Path
):
    """`docket backup` while writers run, `docket restore` into an empty instance: every
    write acknowledged before the backup is there, with attachments, users and tokens."""
    server = fleet.start(workers=long_or(1, 2))
    token = server.token()
    make_project(server, token)
    with server.client(token) as api:
        first = api.post(f"/projects/{PROJECT}/issues", json={"title": "has a file"}).json()
    payload = os.urandom(200_000)
    attachment = attach(server, token, first["key"], payload)
    ledger = Ledger()
    copy = tmp_path / "backup"
    with writers(server, token, WRITERS, ledger):
        time.sleep(long_or(1.0, 5.0))
        with ledger.lock:
            before = Ledger(issues=dict(ledger.issues), comments=dict(ledger.comments))
        backed_up = run_docket(fleet.env, "backup", str(copy))
        time.sleep(0.3)  # writes go on after the backup too
    assert backed_up.returncode == 0, backed_up.stderr
    fleet.kill9()  # the backup is taken; the old server's fate does not matter
    assert before.acknowledged() > 0
    assert copy.stat().st_mode & 0o077 == 0  # password hashes inside: the owner's alone
    manifest = json.loads((copy / "manifest.json").read_text())
    assert manifest["counts"]["attachments"] == 1 and manifest["missing_attachments"] == []

    with scratch_environment(tmp_path / "restored") as env:
        restored_run = run_docket(env, "restore", str(copy))
        assert restored_run.returncode == 0, restored_run.stderr
        restored, process = spawn_server(env, tmp_path / "restored.log", workers=1)
        try:
            counts = check_integrity(env, before, restored, token)  # the old token works
            with restored.client(token) as api:
                assert api.get("/me").json()["username"] == "admin"
                download = api.get(f"/attachments/{attachment}/download")
                assert download.status_code == 200 and download.content == payload
                assert api.get(f"/issues/{first['key']}").json()["title"] == "has a file"
            # Once it holds data, a second restore is refused and changes nothing.
            again = run_docket(env, "restore", str(copy))
            assert again.returncode == 1 and "not empty" in again.stderr
        finally:
            stop_process_group(process)
    assert counts["issues"] == manifest["counts"]["issues"] >= len(before.issues)
    assert counts["comments"] == manifest["counts"]["comments"]


def test_a_damaged_or_foreign_backup_is_refused_before_anything_changes(tmp_path: Path):
    with scratch_environment(tmp_path / "source", ready=True) as source:
        copy = tmp_path / "backup"
        done = run_docket(source, "backup", str(copy))
        assert done.returncode == 0, done.stderr
        refused = run_docket(source, "backup", str(copy))
        assert refused.returncode == 1 and "not empty" in refused.stderr
    database = copy / ("database.pgdump" if on_postgres() else "database.sqlite3")
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database.write_bytes(bytes(data))
    with scratch_environment(tmp_path / "target") as env:
        damaged = run_docket(env, "restore", str(copy))
        assert damaged.returncode == 1
        assert f"{database.name} fails its checksum" in damaged.stderr
        not_a_backup = run_docket(env, "restore", str(tmp_path))
        assert not_a_backup.returncode == 1 and "no manifest.json" in not_a_backup.stderr
        assert not (Path(env["DOCKET_DATA_DIR"]) / "docket.sqlite3").exists() or on_postgres()
