"""Which fault a real database error is, and the per-statement time budget.

Each error here is raised by the database itself (a second connection holding a lock, a
terminated backend, a statement past its budget), then named by core.db_faults.classify.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings

from docket.core.db_faults import Fault, classify, install_budget, statement_budget

SLOW_SQLITE = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 100000000) "
    "SELECT count(*) FROM n"
)


@pytest.fixture
def second_connection(db) -> Iterator[BaseDatabaseWrapper]:
    """Another connection to the test database, as another process would hold."""
    other = connections.create_connection("default")
    try:
        yield other
    finally:
        other.close()


def _error_from(conn: BaseDatabaseWrapper, sql: str) -> DatabaseError:
    with pytest.raises(DatabaseError) as raised, conn.cursor() as cursor:
        cursor.execute(sql)
    return raised.value


def test_a_write_lock_held_elsewhere_is_busy(second_connection):
    if connection.vendor == "sqlite":
        # The test's own transaction holds the write lock (BEGIN IMMEDIATE).
        connection.ensure_connection()
        second_connection.ensure_connection()
        second_connection.connection.execute("PRAGMA busy_timeout = 0")
        error = _error_from(second_connection, "BEGIN IMMEDIATE")
    else:
        connection.cursor().execute("LOCK TABLE issues_issue IN EXCLUSIVE MODE")
        lock = "BEGIN; LOCK TABLE issues_issue IN EXCLUSIVE MODE NOWAIT"
        error = _error_from(second_connection, lock)
    assert classify(error) is Fault.BUSY


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no server to lose")
def test_a_terminated_backend_is_a_lost_connection_then_and_after(second_connection):
    during = _error_from(second_connection, "SELECT pg_terminate_backend(pg_backend_pid())")
    assert classify(during) is Fault.CONNECTION_LOST
    after = _error_from(second_connection, "SELECT 1")
    assert classify(after) is Fault.CONNECTION_LOST


@override_settings(DOCKET_STATEMENT_TIMEOUT_MS=200)
def test_a_statement_past_its_budget_is_stopped_and_too_slow(db):
    install_budget()
    sql = SLOW_SQLITE if connection.vendor == "sqlite" else "SELECT pg_sleep(5)"
    started = time.monotonic()
    with statement_budget():
        with pytest.raises(DatabaseError) as raised, transaction.atomic():
            connection.cursor().execute(sql)
        with connection.cursor() as cursor:  # the next statement has its own budget
            cursor.execute("SELECT 1")
    error = raised.value
    assert classify(error) is Fault.TOO_SLOW
    assert time.monotonic() - started < 2


def test_other_errors_are_not_faults(db):
    error = _error_from(connection, "SELECT * FROM no_such_table")
    assert classify(error) is None
    assert classify(ValueError("no")) is None
    assert classify(OSError(28, "No space left on device")) is Fault.DISK_FULL
    assert classify(sqlite3.Error("plain")) is None
    assert classify(psycopg.errors.AdminShutdown("x")) is None  # not wrapped by Django
