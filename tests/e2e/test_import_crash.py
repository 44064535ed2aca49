"""A real `docket import` killed with SIGKILL mid-run, then run again: every issue exactly
once, numbers continuous and none reused (the finding: the re-run imported everything again)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from docket.cli.sampledata import write
from tests.e2e.conftest import run_docket
from tests.servers import DOCKET

pytestmark = pytest.mark.slow

ISSUES, BATCH = 3000, 200


def _query(env: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    """Read the scratch database directly (the import may still be writing to it)."""
    url = env.get("DOCKET_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            return conn.execute(sql).fetchall()
    with sqlite3.connect(Path(env["DOCKET_DATA_DIR"]) / "docket.sqlite3", timeout=30) as conn:
        return conn.execute(sql).fetchall()


def _issue_count(env: dict[str, str]) -> int:
    try:
        return int(_query(env, "SELECT COUNT(*) FROM issues_issue")[0][0])
    except Exception:  # the tables are not there yet: the import is still migrating
        return 0


def _kill_after_some_batches(env: dict[str, str], path: Path) -> int:
    process = subprocess.Popen(
        [DOCKET, "import", str(path), "--batch-size", str(BATCH)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while _issue_count(env) < 3 * BATCH:
            assert process.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline, "no batch committed within 120 s"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    return process.returncode


def test_an_import_killed_mid_run_resumes_without_duplicates(scratch_env, tmp_path):
    path = tmp_path / "tracker.jsonl"
    with path.open("w") as out:
        write(out, ISSUES, seed=3, user_count=8)
    run_docket(scratch_env, "migrate")
    run_docket(
        scratch_env, "createadmin", "--username", "ops", "--password-stdin",
        stdin="a-long-enough-password-42\n",
    )  # fmt: skip
    assert _kill_after_some_batches(scratch_env, path) == -signal.SIGKILL
    kept = _issue_count(scratch_env)
    assert 3 * BATCH <= kept < ISSUES

    again = run_docket(scratch_env, "import", str(path), "--batch-size", str(BATCH))
    assert again.returncode == 0, again.stderr
    assert f"Imported {ISSUES - kept} issues" in again.stderr
    assert f"{kept} issues" in again.stderr.split("Skipped", 1)[1]

    rows = _query(scratch_env, "SELECT project_id, number, title FROM issues_issue")
    assert len(rows) == ISSUES
    records = [json.loads(line) for line in path.read_text().splitlines()]
    titles = [r["title"] for r in records if r["kind"] == "issue"]
    assert sorted(title for _, _, title in rows) == sorted(titles)  # each exactly once
    for project_id, next_number in _query(
        scratch_env, "SELECT id, next_number FROM projects_project"
    ):
        numbers = sorted(number for pid, number, _ in rows if pid == project_id)
        assert numbers == list(range(1, len(numbers) + 1))  # continuous, none reused
        assert next_number == len(numbers) + 1

    third = run_docket(scratch_env, "import", str(path))
    assert third.returncode == 0 and "Imported 0 issues" in third.stderr
    assert _issue_count(scratch_env) == ISSUES
