"""kill -9 of `docket migrate` part-way, then migrating again (the reference's fault 7).

Contract: after the re-run the schema and every table's row count equal a database
migrated in one go, and `migrate --check` finds nothing pending.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.faults.conftest import Database, long_or
from tests.servers import DOCKET, run_docket, scratch_environment

pytestmark = pytest.mark.slow

KILLS = long_or(2, 10)


def schema(db: Database) -> list[tuple]:
    if db.postgres:
        return (
            db.rows(
                "SELECT table_name, column_name, data_type, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                "ORDER BY 1, 2"
            )
            + db.rows(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
            )
            + db.rows(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' "
                "ORDER BY 1"
            )
            + db.rows(
                "SELECT event_object_table, trigger_name, action_statement "
                "FROM information_schema.triggers ORDER BY 1, 2"
            )
        )
    return db.rows(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    )


def row_counts(db: Database) -> dict[str, int]:
    if db.postgres:
        tables = [
            name
            for (name,) in db.rows(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
    else:
        tables = [n for (n,) in db.rows("SELECT name FROM sqlite_master WHERE type = 'table'")]
    tables = [t for t in tables if not t.startswith("sqlite_")]
    return {t: db.value(f'SELECT COUNT(*) FROM "{t}"') for t in sorted(tables)}  # noqa: S608


def migrate_for(env: dict[str, str], seconds: float) -> bool:
    """Run `docket migrate` and SIGKILL it after `seconds`; True if it was still running."""
    process = subprocess.Popen(
        [DOCKET, "migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return True


def test_a_migration_killed_at_any_point_finishes_on_the_next_run(tmp_path: Path):
    with (
        scratch_environment(tmp_path / "fresh") as fresh,
        scratch_environment(tmp_path / "killed") as killed,
    ):
        started = time.monotonic()
        done = run_docket(fresh, "migrate")
        took = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        expected_schema, expected_rows = schema(Database(fresh)), row_counts(Database(fresh))

        interrupted = 0
        for n in range(1, KILLS + 1):  # kill points spread over one migration's time
            interrupted += migrate_for(killed, took * n / (KILLS + 1))
        assert interrupted, f"every migrate finished before its kill (one takes {took:.1f} s)"
        again = run_docket(killed, "migrate")
        assert again.returncode == 0, again.stderr[-2000:]
        pending = run_docket(killed, "manage", "migrate", "--check")
        assert pending.returncode == 0, pending.stdout + pending.stderr

        db = Database(killed)
        assert schema(db) == expected_schema
        assert row_counts(db) == expected_rows
        if not db.postgres:
            assert db.rows("PRAGMA integrity_check") == [("ok",)]
