"""An online backup taken under concurrent writes, restored into an empty data dir (the
reference's fault 10), the way docs/operations.md says to take it.

Contract: the restored database is intact and holds every write acknowledged before the
backup started; a server started on it serves them.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.faults.conftest import (
    Fleet,
    Ledger,
    check_integrity,
    long_or,
    make_project,
    writers,
)
from tests.servers import scratch_environment, spawn_server, stop_process_group

WRITERS = long_or(8, 16)


def backup(env: dict[str, str], target: Path) -> None:
    """sqlite3's .backup or pg_dump -Fc, as in docs/operations.md."""
    url = env.get("DOCKET_DATABASE_URL", "")
    source = Path(env["DOCKET_DATA_DIR"]) / "docket.sqlite3"
    if url:
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
        command = ["pg_dump", "-Fc", "-f", str(target), url.replace("postgres://", "postgresql://")]
    elif shutil.which("sqlite3") is None:  # the same online backup API as the shell's .backup
        with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
            live.backup(copy)
        return
    else:
        command = ["sqlite3", str(source), f".backup '{target}'"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def restore(dump: Path, env: dict[str, str]) -> None:
    url = env.get("DOCKET_DATABASE_URL", "")
    if url:
        done = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "-d",
                url.replace("postgres://", "postgresql://"),
                str(dump),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    else:
        data = Path(env["DOCKET_DATA_DIR"])
        data.mkdir(parents=True, exist_ok=True)
        shutil.copy(dump, data / "docket.sqlite3")


def test_a_backup_under_writes_restores_every_write_acknowledged_before_it(
    fleet: Fleet, tmp_path: Path
):
    server = fleet.start(workers=long_or(1, 2))
    token = server.token()
    make_project(server, token)
    ledger = Ledger()
    dump = tmp_path / "backup.db"
    with writers(server, token, WRITERS, ledger):
        time.sleep(long_or(1.0, 5.0))
        with ledger.lock:
            before = Ledger(issues=dict(ledger.issues), comments=dict(ledger.comments))
        backup(fleet.env, dump)
        time.sleep(0.3)  # writes go on after the backup too
    fleet.kill9()  # the backup is taken; the old server's fate does not matter
    assert before.acknowledged() > 0

    with scratch_environment(tmp_path / "restored") as env:
        restore(dump, env)
        # Sessions and signed cursors need the same key; the database has the rest.
        secret = Path(fleet.env["DOCKET_DATA_DIR"]) / "secret_key"
        Path(env["DOCKET_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(secret, Path(env["DOCKET_DATA_DIR"]) / "secret_key")
        restored, process = spawn_server(env, tmp_path / "restored.log", workers=1)
        try:
            counts = check_integrity(env, before, restored, token)
        finally:
            stop_process_group(process)
    assert counts["issues"] >= len(before.issues)
