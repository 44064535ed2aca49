"""`docket doctor`: every part a Docket site depends on, each with ok / warn / fail and the fix.

`docket check` answers "may this server take traffic" (exit 1 or 0, for scripts and
probes); the doctor explains a site to its operator, one line per part, and exits 1 only
when something fails.
"""

from __future__ import annotations

import io
import os
import shutil
import smtplib
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

OK, WARN, FAIL = "ok", "warn", "fail"
LOW_DISK_WARN_BYTES = 1024**3  # under a GiB left: warn before the write floor is reached
MIN_SQLITE = (3, 35)  # RETURNING, and the JSON and FTS5 features the queries use
MIN_POSTGRES = 13


@dataclass
class Finding:
    status: str
    part: str
    detail: str
    fix: str = ""


def examine() -> list[Finding]:
    """Run every check; a check that raises becomes a failure naming the error."""
    findings: list[Finding] = []
    for check in CHECKS:
        no_database = any(f.part == "database" and f.status == FAIL for f in findings)
        if check in NEEDS_DATABASE and no_database:
            findings.append(Finding(FAIL, check.__name__.strip("_"), "not checked: no database"))
            continue
        try:
            findings.extend(check())
        except Exception as exc:  # a broken part must not hide the rest
            findings.append(Finding(FAIL, check.__name__.strip("_"), repr(exc)))
    return findings


def _configuration() -> list[Finding]:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    found = []
    try:
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
        found.append(Finding(OK, "configuration", "Django's system checks pass"))
    except SystemCheckError as exc:
        found.append(Finding(FAIL, "configuration", str(exc).strip(), "see docs/configuration.md"))
    if settings.DEBUG:
        found.append(
            Finding(
                WARN,
                "configuration",
                "DOCKET_DEBUG is on: errors show code and settings",
                "unset DOCKET_DEBUG on a site people use",
            )
        )
    found.append(_secret_key())
    return found


def _secret_key() -> Finding:
    if os.environ.get("DOCKET_SECRET_KEY"):
        return Finding(OK, "secret key", "from DOCKET_SECRET_KEY")
    key_file = Path(settings.DATA_DIR) / "secret_key"
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        return Finding(
            WARN,
            "secret key",
            f"{key_file} is readable by others (mode {mode:o})",
            f"chmod 600 {key_file}",
        )
    return Finding(OK, "secret key", f"{key_file} (mode 600); keep it with your backups")


def _database() -> list[Finding]:
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:
        return [
            Finding(
                FAIL,
                "database",
                f"cannot connect: {exc}".strip(),
                "check DOCKET_DATABASE_URL and that the server runs",
            )
        ]
    if connection.vendor == "sqlite":
        return [_sqlite(connection)]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        number = int(cursor.fetchone()[0])
    db = settings.DATABASES["default"]
    where = f"{db.get('HOST') or 'local socket'}:{db.get('PORT') or 5432}/{db['NAME']}"
    version = f"{number // 10000}.{number % 10000}"
    if number // 10000 < MIN_POSTGRES:
        return [
            Finding(
                WARN,
                "database",
                f"PostgreSQL {version} at {where}",
                f"upgrade to PostgreSQL {MIN_POSTGRES} or newer (tested on 15)",
            )
        ]
    return [Finding(OK, "database", f"PostgreSQL {version} at {where}")]


def _sqlite(connection: object) -> Finding:
    name = settings.DATABASES["default"]["NAME"]
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
    version = sqlite3.sqlite_version_info
    detail = f"SQLite {sqlite3.sqlite_version} at {name}, journal {journal}"
    if version[:2] < MIN_SQLITE:
        wanted = ".".join(map(str, MIN_SQLITE))
        return Finding(FAIL, "database", detail, f"Python's SQLite must be {wanted} or newer")
    if journal.lower() != "wal":
        return Finding(WARN, "database", detail, "Docket sets WAL on connect; is the file shared?")
    return Finding(OK, "database", detail)


def _migrations() -> list[Finding]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending[:3])
        more = f" and {len(pending) - 3} more" if len(pending) > 3 else ""
        return [
            Finding(
                FAIL,
                "migrations",
                f"{len(pending)} not applied: {names}{more}",
                "run `docket migrate` (`docket serve` does it when it starts)",
            )
        ]
    return [Finding(OK, "migrations", "all applied")]


def _worker() -> list[Finding]:
    from docket.worker.health import worker_health

    state, problems = worker_health()
    beat = state["last_beat_seconds_ago"]
    lag = state["oldest_pending_seconds"]
    detail = (
        f"last beat {'never' if beat is None else f'{beat:.0f} s ago'}, "
        f"{state['events_pending']} event(s) pending"
        + ("" if lag is None else f", the oldest {lag:.0f} s")
        + f", jobs on {state['jobs_backend']}"
    )
    if problems:
        fix = "start one: `docket worker` (`docket serve` starts one unless --no-worker)"
        return [Finding(FAIL if beat is not None else WARN, "worker", "; ".join(problems), fix)]
    return [Finding(OK, "worker", detail)]


def _mail() -> list[Finding]:
    if not settings.EMAIL_HOST:
        return [
            Finding(
                WARN,
                "mail out",
                f"no SMTP server: mail is written to {settings.EMAIL_FILE_PATH}, not sent",
                "set DOCKET_SMTP_HOST (and _PORT, _USER, _PASSWORD; docs/configuration.md)",
            )
        ]
    host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
    client = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
    try:
        with client(host, port, timeout=5) as smtp:
            smtp.ehlo()
            if settings.EMAIL_USE_TLS:
                smtp.starttls()
                smtp.ehlo()
            if settings.EMAIL_HOST_USER:
                smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
    except (OSError, smtplib.SMTPException) as exc:
        return [
            Finding(
                FAIL,
                "mail out",
                f"SMTP {host}:{port}: {exc}",
                "check DOCKET_SMTP_HOST/_PORT/_TLS/_SSL/_USER/_PASSWORD",
            )
        ]
    security = "STARTTLS" if settings.EMAIL_USE_TLS else "plain"
    security = "SSL" if settings.EMAIL_USE_SSL else security
    signed_in = ", signed in" if settings.EMAIL_HOST_USER else ""
    return [Finding(OK, "mail out", f"SMTP {host}:{port} answers ({security}{signed_in})")]


def _disk() -> list[Finding]:
    from docket.core.db_faults import storage_paths

    found = []
    for what, path in storage_paths():
        free = shutil.disk_usage(path).free
        detail = f"{what}: {free / 1024**3:.1f} GiB free at {path}"
        if free < settings.DOCKET_MIN_FREE_BYTES:
            found.append(Finding(FAIL, "disk", detail, "free space: writes are refused now"))
        elif free < LOW_DISK_WARN_BYTES:
            found.append(Finding(WARN, "disk", detail, "free space before it runs out"))
        else:
            found.append(Finding(OK, "disk", detail))
    return found


def _attachments() -> list[Finding]:
    """With DOCKET_ATTACHMENTS_S3_BUCKET: the bucket answers with Docket's credentials."""
    from docket.attachments import storage

    if storage.is_local():
        return []  # a directory: the disk check covers it
    try:
        where = storage.reachable()
    except storage.StorageUnavailable as exc:
        return [
            Finding(
                FAIL,
                "attachments",
                f"the bucket does not answer: {exc.detail}",
                "check DOCKET_ATTACHMENTS_S3_BUCKET/_ENDPOINT_URL/_REGION and the credentials; "
                "the bucket must exist (Docket does not create it)",
            )
        ]
    return [Finding(OK, "attachments", f"in {where} (the bucket answers)")]


def _static_files() -> list[Finding]:
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return [
            Finding(
                WARN,
                "static files",
                f"not collected into {settings.STATIC_ROOT}: served unhashed and uncached",
                "`docket serve` collects them; elsewhere `docket manage collectstatic --noinput`",
            )
        ]
    return [Finding(OK, "static files", f"collected in {settings.STATIC_ROOT}")]


def _base_url() -> list[Finding]:
    url = settings.BASE_URL
    parts = urlsplit(url)
    part = "DOCKET_BASE_URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            Finding(FAIL, part, f"{url!r} is not an http(s) URL", "e.g. https://docket.example")
        ]
    https = os.environ.get("DOCKET_HTTPS", "").lower() in ("1", "true", "yes", "on")
    if https and parts.scheme != "https":
        return [Finding(FAIL, part, f"{url} while DOCKET_HTTPS is on", "make it https://…")]
    host = parts.hostname
    allowed = settings.ALLOWED_HOSTS
    if not any(_host_allowed(host, pattern) for pattern in allowed):
        return [
            Finding(
                WARN,
                part,
                f"{host} is not in DOCKET_ALLOWED_HOSTS ({', '.join(allowed)}): links in mail "
                "lead to a host Docket refuses",
                f"add {host} to DOCKET_ALLOWED_HOSTS",
            )
        ]
    local = host in ("127.0.0.1", "localhost", "::1")
    public = [h for h in allowed if h not in ("127.0.0.1", "localhost", "[::1]", "testserver")]
    if local and public:
        return [
            Finding(
                WARN,
                part,
                f"{url}: links in mail point at this machine while the site is served as "
                f"{public[0]}",
                f"set DOCKET_BASE_URL=https://{public[0].lstrip('.')}",
            )
        ]
    return [Finding(OK, part, url)]


def _host_allowed(host: str, pattern: str) -> bool:
    pattern = pattern.strip("[]")
    if pattern == "*":
        return True
    if pattern.startswith("."):
        return host == pattern[1:] or host.endswith(pattern)
    return host == pattern


CHECKS: list[Callable[[], list[Finding]]] = [
    _configuration,
    _database,
    _migrations,
    _worker,
    _mail,
    _disk,
    _attachments,
    _static_files,
    _base_url,
]
NEEDS_DATABASE = (_migrations, _worker)
