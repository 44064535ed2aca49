"""Database faults a request can meet, and the clear answer each one gets.

A busy lock, a full disk, a connection killed under the request and a statement past its
time budget are not bugs in Docket: each gets its own status and message instead of a 500,
so clients know whether to retry (503 + Retry-After), wait for an operator (507) or narrow
their request. `classify` names the fault behind an exception; `answer` turns it into the
response; `DatabaseFaults` (core/middleware.py) applies both and retries a read whose
connection was lost.

The time budget: each web request may spend DOCKET_STATEMENT_TIMEOUT_MS of database time
per statement — PostgreSQL's statement_timeout (and lock_timeout for row locks), and on
SQLite a progress handler that interrupts a statement running past it. Command-line work
(migrations, imports) runs without the budget: `install_budget` is called only where
requests are served.
"""

from __future__ import annotations

import enum
import errno
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from docket.core.http import problem

# SQLite runs the progress handler every this many virtual-machine steps (~0.1 ms of work).
PROGRESS_STEPS = 10_000
# PostgreSQL SQLSTATEs by fault (Appendix A of its manual).
_PG_BUSY = {"55P03", "40P01", "40001"}  # lock_not_available, deadlock, serialization failure
_PG_DISK_FULL = {"53100"}
_PG_TOO_SLOW = {"57014"}  # query_canceled: statement_timeout
_PG_LOST_CLASSES = ("08", "57P")  # connection exceptions; admin/crash shutdown


class Fault(enum.Enum):
    BUSY = "busy"
    DISK_FULL = "disk_full"
    CONNECTION_LOST = "connection_lost"
    TOO_SLOW = "too_slow"


def classify(exc: BaseException) -> Fault | None:
    """The database fault behind `exc`, or None when it is something else (a bug: 500)."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return Fault.DISK_FULL
    if not isinstance(exc, DatabaseError):
        return None
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        return _sqlite_fault(cause)
    sqlstate = getattr(cause, "sqlstate", None)
    if isinstance(sqlstate, str):
        return _postgres_fault(sqlstate)
    if isinstance(exc, InterfaceError) or _driver_lost_connection(cause):
        return Fault.CONNECTION_LOST
    return None


def _sqlite_fault(error: sqlite3.Error) -> Fault | None:
    name = getattr(error, "sqlite_errorname", "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return Fault.BUSY
    if name == "SQLITE_FULL":
        return Fault.DISK_FULL
    if name == "SQLITE_INTERRUPT":
        return Fault.TOO_SLOW
    return None


def _postgres_fault(sqlstate: str) -> Fault | None:
    if sqlstate in _PG_BUSY:
        return Fault.BUSY
    if sqlstate in _PG_DISK_FULL:
        return Fault.DISK_FULL
    if sqlstate in _PG_TOO_SLOW:
        return Fault.TOO_SLOW
    if sqlstate.startswith(_PG_LOST_CLASSES):
        return Fault.CONNECTION_LOST
    return None


def _driver_lost_connection(cause: BaseException | None) -> bool:
    """psycopg reports a socket closed under it, or a connection already closed, as an
    OperationalError without a SQLSTATE (the server sent none)."""
    return (
        cause is not None
        and type(cause).__module__.startswith("psycopg")
        and (type(cause).__name__ == "OperationalError")
    )


_BUSY_RETRY_SECONDS = 2
_LOST_RETRY_SECONDS = 1


def answer(fault: Fault, request: HttpRequest) -> HttpResponse:
    """The response for a request that met `fault`: nothing it asked for was saved."""
    if fault is Fault.DISK_FULL:
        note_disk_full()
    return respond(request, *_wording(fault))


def respond(
    request: HttpRequest, status: int, title: str, detail: str, retry_after: int | None
) -> HttpResponse:
    """A problem document for the API, a short page for a browser."""
    return respond_at(request.path_info, status, title, detail, retry_after)


def respond_at(
    path: str, status: int, title: str, detail: str, retry_after: int | None
) -> HttpResponse:
    """`respond` before there is a request (a server too busy to build one)."""
    if path.startswith("/api/"):
        response = problem(status, title, detail)
    else:
        page = "<!doctype html><title>{}</title><h1>{}</h1><p>{}</p>"
        response = HttpResponse(format_html(page, title, title, detail), status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _wording(fault: Fault) -> tuple[int, str, str, int | None]:
    if fault is Fault.BUSY:
        waited = settings.DOCKET_LOCK_TIMEOUT_SECONDS
        detail = (
            f"the database stayed busy with another write for {waited} s, the most this "
            "server waits; nothing was saved, try again shortly"
        )
        return 503, "Database busy", detail, _BUSY_RETRY_SECONDS
    if fault is Fault.DISK_FULL:
        detail = (
            "the server's disk is full, so nothing was saved; reading still works, and "
            "writing resumes by itself once an administrator frees space"
        )
        return 507, "Insufficient storage", detail, None
    if fault is Fault.CONNECTION_LOST:
        detail = (
            "the connection to the database was lost during the request; a write was not "
            "acknowledged (retry it, with the same Idempotency-Key to be safe)"
        )
        return 503, "Database connection lost", detail, _LOST_RETRY_SECONDS
    budget = settings.DOCKET_STATEMENT_TIMEOUT_MS / 1000
    detail = (
        f"the request needed more than the {budget:g} s of database time a statement may "
        "use; narrow it (fewer query terms, a smaller page)"
    )
    return 503, "Request took too long", detail, None


def drop_broken_connections() -> None:
    """Close this thread's connections so the next query opens a fresh one."""
    for conn in connections.all(initialized_only=True):
        conn.close()


# --- the per-statement time budget ---------------------------------------------------

_budget = threading.local()


def install_budget() -> None:
    """Give every connection this process opens from now on the per-statement budget."""
    connection_created.connect(_limit_new_connection, dispatch_uid="docket-statement-budget")
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _limit_new_connection(None, conn)


def _limit_new_connection(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    budget_ms = settings.DOCKET_STATEMENT_TIMEOUT_MS
    if budget_ms <= 0:
        return
    if connection.vendor == "sqlite":
        connection.connection.set_progress_handler(_past_deadline, PROGRESS_STEPS)
    elif connection.vendor == "postgresql":
        lock_ms = settings.DOCKET_LOCK_TIMEOUT_SECONDS * 1000
        with connection.connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(budget_ms)}")
            cursor.execute(f"SET lock_timeout = {int(lock_ms)}")


def _past_deadline() -> int:
    deadline: float | None = getattr(_budget, "deadline", None)
    return int(deadline is not None and time.monotonic() > deadline)


@contextmanager
def statement_budget() -> Iterator[None]:
    """Within this block each SQLite statement may run DOCKET_STATEMENT_TIMEOUT_MS.

    The progress handler cannot see where one statement ends and the next begins, so the
    clock restarts at each `cursor.execute` (a Django execute wrapper) instead.
    """
    budget_ms = settings.DOCKET_STATEMENT_TIMEOUT_MS
    if budget_ms <= 0 or connection.vendor != "sqlite":
        yield
        return
    seconds = budget_ms / 1000

    def restart_clock(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        _budget.deadline = time.monotonic() + seconds
        try:
            return execute(sql, params, many, context)
        finally:
            _budget.deadline = None

    with connection.execute_wrapper(restart_clock):
        yield


@contextmanager
def without_waiting() -> Iterator[None]:
    """Writes in this block fail at once (BUSY) instead of waiting for a held lock.

    For bookkeeping that may be skipped (a token's "last used" time): a read request must
    not wait seconds behind another writer to record it. Call it outside any transaction.
    """
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        (waited_ms,) = raw.execute("PRAGMA busy_timeout").fetchone()
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(waited_ms)}")
        return
    if connection.in_atomic_block:  # SET LOCAL would outlive the block: leave it be
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = 1")  # ms, until this transaction ends
        yield


# --- disk space, for /healthz and `docket check` -----------------------------------------

_last_disk_full = 0.0
DISK_FULL_MEMORY_SECONDS = 60


def note_disk_full() -> None:
    global _last_disk_full
    _last_disk_full = time.monotonic()


def note_write_succeeded() -> None:
    """Space has returned: forget the last disk-full failure."""
    global _last_disk_full
    _last_disk_full = 0.0


def storage_problems() -> list[str]:
    """Why writes may fail for lack of space now: a nearly full volume, or a recent failure."""
    problems = []
    floor = settings.DOCKET_MIN_FREE_BYTES
    for what, path in storage_paths():
        free = shutil.disk_usage(path).free
        if free < floor:
            problems.append(f"{what}: {free // 1024} KiB free at {path}, below {floor // 1024} KiB")
    if _last_disk_full and time.monotonic() - _last_disk_full < DISK_FULL_MEMORY_SECONDS:
        problems.append("a write failed for lack of disk space in the last minute")
    return problems


def storage_paths() -> list[tuple[str, Path]]:
    """Where Docket writes: (what, the directory or its nearest existing parent)."""
    paths: list[tuple[str, Path]] = []
    if not settings.DOCKET_ATTACHMENTS_S3_BUCKET:  # in a bucket, they take no disk here
        paths.append(("attachments", Path(settings.DOCKET_ATTACHMENTS_DIR)))
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        paths.insert(0, ("database", Path(database["NAME"]).parent))
    return [(what, _existing(path)) for what, path in paths]


def _existing(path: Path) -> Path:
    """The path, or its nearest existing parent (where it will be created)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
