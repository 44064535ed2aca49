"""`docket backup` and `docket restore`: a consistent copy of a running instance, and back.

A backup is a directory:

    manifest.json        what it holds: versions, row counts, every file's size and sha256
    database.sqlite3     SQLite's online backup (one step, so one consistent snapshot), or
    database.pgdump      pg_dump's custom format, taken inside an exported snapshot
    attachments/ab/cd/…  the attachment files the snapshot's rows name (checked against the
                         sha256 the database holds for each), from the directory or the
                         S3 bucket (DOCKET_ATTACHMENTS_S3_BUCKET); restore writes them
                         into whichever this instance uses
    secret_key           the data dir's key (sessions, signed cursors), when it has one

The database copy and the list of attachments come from the same snapshot, so the files
match the rows: an upload after the snapshot is not in the copy, and neither is its row.
Restoring checks every checksum before touching anything, and refuses an instance that holds
projects or issues unless told (`--force`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

FORMAT = "docket-backup"
FORMAT_VERSION = 1
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
# What the manifest counts (model labels), and what restore compares against it.
COUNTED = {
    "users": "accounts.User",
    "tokens": "accounts.ApiToken",
    "projects": "projects.Project",
    "issues": "issues.Issue",
    "events": "issues.IssueEvent",
    "comments": "issues.Comment",
    "attachments": "attachments.Attachment",
}


class BackupError(Exception):
    """Why a backup or restore cannot go on; nothing was changed."""


@dataclass
class Snapshot:
    counts: dict[str, int]
    attachments: list[tuple[str, str]]  # (stored name, sha256) of every attachment row


# --- backing up ---------------------------------------------------------------------------------


def backup(target: Path) -> dict[str, Any]:
    """Write a backup of this instance into `target` (a new or empty directory)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; give a new directory")
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # it holds password hashes and token digests: the owner's alone
    try:
        if _vendor() == "sqlite":
            snapshot = _backup_sqlite(target / SQLITE_FILE)
        else:
            snapshot = _backup_postgres(target / POSTGRES_FILE)
        missing = _copy_attachments(snapshot.attachments, target / "attachments")
        key_file = Path(settings.DATA_DIR) / "secret_key"
        if key_file.exists() and not os.environ.get("DOCKET_SECRET_KEY"):
            shutil.copy2(key_file, target / "secret_key")
            os.chmod(target / "secret_key", 0o600)
        manifest = _manifest(target, snapshot, missing)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # half a backup is worse than none
        raise
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _backup_sqlite(copy: Path) -> Snapshot:
    live = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
    try:
        with _closing(sqlite3.connect(copy)) as out:
            live.backup(out)  # pages=-1: the whole database in one step, one snapshot
    finally:
        live.close()
    with _closing(sqlite3.connect(copy)) as out:
        return _read_snapshot(out.cursor())


def _backup_postgres(dump: Path) -> Snapshot:
    """pg_dump inside a snapshot this connection exports, so the counts and the attachment
    list are read from exactly what the dump holds."""
    from django.db import connection, transaction

    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        snapshot = _read_snapshot(cursor)
        command = ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot_id}"]
        done = subprocess.run(
            [*command, f"--file={dump}"],
            env=_pg_environment(),
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return snapshot


def _table(name: str) -> str:
    from django.apps import apps

    return str(apps.get_model(COUNTED[name])._meta.db_table)


def _read_snapshot(cursor: Any) -> Snapshot:
    counts = {}
    for name in COUNTED:
        cursor.execute(f"SELECT COUNT(*) FROM {_table(name)}")  # noqa: S608 - our own tables
        counts[name] = cursor.fetchone()[0]
    cursor.execute(f"SELECT stored_name, sha256 FROM {_table('attachments')}")  # noqa: S608
    return Snapshot(counts, [(name, digest) for name, digest in cursor.fetchall()])


def _copy_attachments(rows: list[tuple[str, str]], into: Path) -> list[str]:
    """Copy each attachment file (from the directory or the S3 bucket), checking it against
    its row's sha256; return the names of files that are gone (reported in the manifest, not
    fatal: the rows still restore)."""
    from docket.attachments import storage

    missing = []
    for stored_name, expected in rows:
        destination = into / storage.relative_name(stored_name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            source = storage.open_file(stored_name)
        except FileNotFoundError:
            missing.append(stored_name)
            continue
        with source, destination.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        if _sha256(destination) != expected:
            raise BackupError(
                f"attachment {stored_name} does not match its checksum: the file at "
                f"{storage.describe()}/{storage.relative_name(stored_name)} is damaged; "
                "restore it from an older backup"
            )
    return missing


def _manifest(target: Path, snapshot: Snapshot, missing: list[str]) -> dict[str, Any]:
    from importlib.metadata import version

    from django.db import connection

    files = sorted(p for p in target.rglob("*") if p.is_file())
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "docket_version": version("docket"),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": {
            "vendor": connection.vendor,
            "server_version": _server_version(),
            "migrations": _applied_migrations(),
        },
        "counts": snapshot.counts,
        "missing_attachments": missing,
        "files": [
            {"path": str(p.relative_to(target)), "size": p.stat().st_size, "sha256": _sha256(p)}
            for p in files
        ],
    }


# --- restoring ----------------------------------------------------------------------------------


def verify(source: Path) -> dict[str, Any]:
    """The backup's manifest, after checking that every file it lists is there and whole."""
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} is not a Docket backup (no manifest.json)") from None
    except json.JSONDecodeError as exc:
        raise BackupError(f"{source}/manifest.json is not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a Docket backup (format {manifest.get('format')!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format {manifest.get('format_version')} is not one this Docket reads "
            f"({FORMAT_VERSION})"
        )
    for entry in manifest["files"]:
        path = source / entry["path"]
        if not path.is_file():
            raise BackupError(f"the backup is incomplete: {entry['path']} is missing")
        if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise BackupError(f"the backup is damaged: {entry['path']} fails its checksum")
    return manifest


def occupied(vendor: str) -> dict[str, int]:
    """What this instance holds that a restore would replace (empty: nothing)."""
    from django.db import connection

    tables = set(connection.introspection.table_names())
    held = {}
    for name in ("projects", "issues"):
        table = _table(name)
        if table in tables:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - our own names
                count = cursor.fetchone()[0]
            if count:
                held[name] = count
    return held


def restore(source: Path, force: bool = False) -> dict[str, Any]:
    """Replace this instance's database, attachments and key with the backup's."""
    manifest = verify(source)
    vendor = _vendor()
    made_on = manifest["database"]["vendor"]
    if made_on != vendor:
        raise BackupError(
            f"this backup is of a {made_on} database and this instance uses {vendor}; "
            "move between databases with `docket export` and `docket import`"
        )
    held = occupied(vendor)
    if held and not force:
        what = ", ".join(f"{n} {name}" for name, n in held.items())
        raise BackupError(
            f"this instance is not empty ({what}); a restore replaces everything in it: "
            "pass --force if that is what you want"
        )
    if vendor == "sqlite":
        _restore_sqlite(source / SQLITE_FILE)
    else:
        _restore_postgres(source / POSTGRES_FILE)
    _restore_files(source)
    return manifest


def _restore_sqlite(copy: Path) -> None:
    from django.db import connections

    connections.close_all()
    target = Path(settings.DATABASES["default"]["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    with _closing(sqlite3.connect(copy)) as source, _closing(sqlite3.connect(target)) as out:
        source.backup(out)  # page by page under the target's lock: safe with readers open


def _restore_postgres(dump: Path) -> None:
    """Into a clean `public` schema, in one transaction: a failed restore leaves the old.
    pg_restore turns the dump into SQL that streams into psql, after the schema's drop."""
    from django.db import connections

    for tool in ("pg_restore", "psql"):
        if shutil.which(tool) is None:
            raise BackupError(f"{tool} is not installed (apt-get install postgresql-client)")
    connections.close_all()
    env = _pg_environment()
    reader = subprocess.Popen(
        ["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(dump)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    loaded = subprocess.run(
        [
            *("psql", "--quiet", "--no-psqlrc", "--single-transaction"),
            *("-v", "ON_ERROR_STOP=1", "-c", "DROP SCHEMA IF EXISTS public CASCADE"),
            *("-c", "CREATE SCHEMA public", "-f", "-"),
        ],
        stdin=reader.stdout,
        env=env,
        capture_output=True,
        text=True,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()
    read_error = reader.stderr.read().decode(errors="replace").strip()
    if reader.wait() != 0:
        raise BackupError(f"pg_restore could not read the dump (nothing changed): {read_error}")
    if loaded.returncode != 0:
        raise BackupError(f"restoring the database failed (nothing changed): {loaded.stderr}")


def _restore_files(source: Path) -> None:
    from docket.attachments import storage

    attachments = source / "attachments"
    if attachments.is_dir():  # into the directory or the S3 bucket this instance uses
        for path in attachments.rglob("*"):
            if path.is_file():
                with path.open("rb") as handle:
                    storage.write(path.name, iter(lambda: handle.read(1 << 20), b""))
    key = source / "secret_key"
    if key.exists() and not os.environ.get("DOCKET_SECRET_KEY"):
        data_dir = Path(settings.DATA_DIR)
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(key, data_dir / "secret_key")
        os.chmod(data_dir / "secret_key", 0o600)


def restored_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        return _read_snapshot(cursor).counts


# --- helpers ------------------------------------------------------------------------------------


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


def _server_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return sqlite3.sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


def _applied_migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        latest[app] = max(latest.get(app, ""), name)
    return latest


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database (no password on a command line)."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, value in {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGDATABASE": db.get("NAME"),
    }.items():
        if value:
            env[key] = str(value)
    return env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _closing(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        yield connection
    finally:
        connection.close()
