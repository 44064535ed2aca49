"""(e) kill -9 during `docket import`, then the same import again: no duplicates.

Contract: re-running an import that was killed part-way (or one that finished) brings
every record in exactly once: no issue twice, no comment twice, numbers dense.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.faults.conftest import Database, check_integrity, long_or
from tests.servers import DOCKET, run_docket

pytestmark = pytest.mark.slow

ISSUES = long_or(3000, 20000)
KILLS = long_or(1, 4)
BATCH = 100


def write_file(path: Path) -> None:
    lines = [
        {"kind": "user", "username": "ada", "email": "ada@example.com", "name": "Ada"},
        {
            "kind": "project",
            "key": "IMP",
            "name": "Imported",
            "members": [{"user": "ada", "role": "member"}],
        },
    ]
    for n in range(ISSUES):
        lines.append(
            {
                "kind": "issue",
                "project": "IMP",
                "title": f"imported issue {n:05d}",
                "description": f"record {n} of the import file",
                "reporter": "ada",
                "created_at": "2026-01-05T10:00:00+00:00",
                "comments": [{"author": "ada", "body": f"comment on record {n}"}],
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def start_import(env: dict[str, str], path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [DOCKET, "import", str(path), "--as", "importer", "--batch-size", str(BATCH)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def test_an_import_killed_midway_and_run_again_brings_each_record_in_once(
    scratch_env: dict[str, str], tmp_path: Path
):
    made = run_docket(
        scratch_env,
        *("createadmin", "--username", "importer", "--email", "importer@example.com"),
        "--password-stdin",
        stdin="faults-admin-password-123\n",
    )
    assert made.returncode == 0, made.stderr
    source = tmp_path / "import.jsonl"
    write_file(source)
    db = Database(scratch_env)

    killed_at = []
    for _ in range(KILLS):
        start = db.value("SELECT COUNT(*) FROM issues_issue")
        importing = start_import(scratch_env, source)
        deadline = time.monotonic() + 120
        while db.value("SELECT COUNT(*) FROM issues_issue") <= start + BATCH:
            assert importing.poll() is None, importing.stderr.read() if importing.stderr else ""
            assert time.monotonic() < deadline, "the import wrote nothing in 120 s"
            time.sleep(0.02)
        os.killpg(importing.pid, signal.SIGKILL)
        importing.wait()
        count = db.value("SELECT COUNT(*) FROM issues_issue")
        killed_at.append(count)
        if count >= ISSUES:
            pytest.fail(f"the import finished before the kill ({count} issues): make it longer")
        check_integrity(scratch_env)

    for run in ("after the kill", "once more"):
        again = run_docket(scratch_env, "import", str(source), "--as", "importer")
        assert again.returncode == 0, (run, again.stderr[-2000:])
        titles = db.rows(
            "SELECT title, COUNT(*) FROM issues_issue GROUP BY title HAVING COUNT(*) > 1"
        )
        assert titles == [], f"{run} (killed at {killed_at} issues): duplicates {titles[:5]}"
        assert db.value("SELECT COUNT(*) FROM issues_issue") == ISSUES, run
        assert db.value("SELECT COUNT(*) FROM issues_comment") == ISSUES, run
        check_integrity(scratch_env)
