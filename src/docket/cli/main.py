"""The `docket` command: run and administer a Docket server.

Global options set DOCKET_* variables before Django starts, so every command honours
DOCKET_DATA_DIR and DOCKET_DATABASE_URL, whether given as flags or in the environment.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO, cast

import typer
from rich.console import Console

app = typer.Typer(
    help="Docket, a self-hosted issue tracker.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
token_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
err = Console(stderr=True, soft_wrap=True)
# An idle connection is closed after this. Uvicorn's own 5 s loses a race with clients and
# proxies that reuse a connection idle for about that long: the request meets a closing
# socket and fails without an answer (4 of 17,842 in the 1M load run, docs/benchmark.md).
# Keep it longer than the idle timeout of whatever sits in front (nginx, load balancers: 60 s).
KEEP_ALIVE_SECONDS = 75


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@app.callback()
def options(
    data_dir: Annotated[
        str | None, typer.Option(help="Where Docket keeps its data (DOCKET_DATA_DIR)")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="sqlite:///… or postgres://… (DOCKET_DATABASE_URL)")
    ] = None,
) -> None:
    if data_dir:
        os.environ["DOCKET_DATA_DIR"] = data_dir
    if database_url:
        os.environ["DOCKET_DATABASE_URL"] = database_url


def _migrate(quiet: bool = True) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0 if quiet else 1)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    _django()
    _migrate(quiet=False)


def _first_admin(username: str, email: str, password: str | None) -> None:
    """Create the first site admin if there is none, printing a generated password once."""
    from docket.accounts.actions import ensure_first_admin

    created, generated = ensure_first_admin(username=username, email=email, password=password)
    if not created:
        return
    shown = f", password [bold]{generated}[/bold] (shown once; change it after signing in)"
    err.print(
        f"[bold green]Created the first admin[/bold green]: username [bold]{username}[/bold]"
        + (shown if generated else "")
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(help="Server processes (default: one per CPU, at most 4)", min=1),
    ] = None,
    admin_username: Annotated[str, typer.Option(help="First admin's username")] = "admin",
    admin_email: Annotated[str, typer.Option(help="First admin's email")] = "admin@localhost",
    admin_password: Annotated[
        str | None,
        typer.Option(
            envvar="DOCKET_ADMIN_PASSWORD", help="First admin's password (default: generated)"
        ),
    ] = None,
    log_level: Annotated[str, typer.Option()] = "warning",
    worker: Annotated[
        bool,
        typer.Option(
            help="Run one background worker alongside (mail, notifications, reminders); "
            "turn off when workers run separately (`docket worker`)"
        ),
    ] = True,
    keep_alive: Annotated[
        int,
        typer.Option(
            envvar="DOCKET_KEEP_ALIVE",
            min=1,
            help="Seconds an idle connection is kept open; longer than any proxy's in front",
        ),
    ] = KEEP_ALIVE_SECONDS,
) -> None:
    """Migrate, create the first admin if there is none, and start the server."""
    os.environ.setdefault("DOCKET_BASE_URL", f"http://{_url_host(host)}:{port}")
    _django()
    from django.conf import settings

    from docket.core.staticfiles import collect_static

    if _port_taken(host, port):
        _fail(f"port {port} on {host} is already in use (another Docket?); choose one with --port")
    _migrate()
    _first_admin(admin_username, admin_email, admin_password)
    collect_static()
    import uvicorn

    db = settings.DATABASES["default"]
    err.print(
        f"Docket on [bold]http://{host}:{port}[/bold]  (API docs /api/v1/docs, admin /admin/)"
    )
    err.print(
        f"Data: {settings.DATA_DIR}  Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}"
    )
    workers = workers or default_workers()
    os.environ["DOCKET_SERVER_PROCESSES"] = str(workers)  # read by config/asgi.py
    companion = _start_worker() if worker else None
    mail = _start_mail() if settings.DOCKET_MAIL_LISTEN else None
    try:
        uvicorn.run(
            "docket.config.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_keep_alive=keep_alive,
        )
    finally:
        if mail is not None:
            mail.terminate()
            mail.wait(timeout=30)
        if companion is not None:
            companion.terminate()
            companion.wait(timeout=30)


def _port_taken(host: str, port: int) -> bool:
    """Whether something already listens on host:port: said plainly before starting, rather
    than after printing the address as if all were well."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def default_workers() -> int:
    """One server process per CPU this process may use, at most 4 (~130–250 MB each).

    Python runs one thread at a time per process, so on a 2-core machine one process left a
    core idle and queued requests behind each other: at 100 req/s p95 93 ms with one
    process, 37 ms with two (docs/benchmark.md, "Load")."""
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def _url_host(host: str) -> str:
    """The host part of a link to a server listening on `host`."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - recognising it, not binding to it
        return "127.0.0.1"  # listening everywhere: set DOCKET_BASE_URL to the public name
    return f"[{host}]" if ":" in host else host


def _start_worker() -> subprocess.Popen[bytes]:
    """One `docket worker` beside the server; it ends with the server, even after a kill -9."""
    command = [sys.executable, "-m", "docket.cli.main", "worker", "--parent", str(os.getpid())]
    return subprocess.Popen(command)


def _start_mail() -> subprocess.Popen[bytes]:
    """`docket mail` beside the server (DOCKET_MAIL_LISTEN is set); it ends with the server."""
    command = [sys.executable, "-m", "docket.cli.main", "mail", "--parent", str(os.getpid())]
    return subprocess.Popen(command)


ONCE_ROUNDS = 100  # `worker --once`: bounded, should a job keep queueing another


@app.command("worker")
def worker_command(
    once: Annotated[
        bool,
        typer.Option(
            help="Do what is due now (events, sweeps, jobs) until none is left, then exit"
        ),
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds to wait when idle")] = 0.5,
    parent: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run background work: queued jobs (mail), event consumers (notifications), sweeps
    (reminders). Several workers may run at once, on one machine or many."""
    # Its batches bind ~1,000 ids a statement, which server-side binding made a quarter slower
    # to work through after a 100,000-issue import; its statements are few and rarely hot, so
    # prepared statements gain it little (docs/benchmark.md). Set the variable to override.
    os.environ.setdefault("DOCKET_DB_PREPARED_STATEMENTS", "false")
    _django()
    if parent is None:  # `docket serve` migrated before starting this one
        _migrate(quiet=True)
    from docket.worker.runner import Worker, run_ready_jobs

    runner = Worker(interval=interval, parent_pid=parent)
    if once:
        done = 0
        try:
            for _ in range(ONCE_ROUNDS):  # what one round's work queued (a mail) is due too
                found = runner.step() + run_ready_jobs()
                done += found
                if not found:
                    break
        finally:
            runner.close()
        err.print(f"did {done} thing(s)")
        return
    runner.run()


@app.command("mail")
def mail_command(
    listen: Annotated[
        str | None, typer.Option(help="host:port to listen on (DOCKET_MAIL_LISTEN)")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="lmtp or smtp (DOCKET_MAIL_MODE)")] = None,
    parent: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Take in mail for the projects' addresses: an LMTP (or SMTP) server a mail server hands
    mail to (docs/mail.md). Runs until stopped."""
    _django()
    import signal
    import threading

    from django.conf import settings

    from docket.mailin.listener import MailController, parse_listen

    try:
        host, port = parse_listen(listen or settings.DOCKET_MAIL_LISTEN or "127.0.0.1:8025")
        controller = MailController(host, port, mode)
    except ValueError as exc:
        _fail(str(exc))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    controller.start()
    err.print(f"taking mail on {host}:{port} ({controller.mode.upper()})")
    try:
        while not stop.wait(1):
            if parent is not None and os.getppid() != parent:  # `docket serve` is gone
                break
    finally:
        controller.stop()


@app.command()
def createadmin(
    username: Annotated[str | None, typer.Option(help="Username")] = None,
    email: Annotated[str, typer.Option(help="Email address")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Create a site admin (prompts for what is not given)."""
    _django()
    from docket.accounts.actions import create_user
    from docket.core.errors import DocketError

    _migrate()
    if username is None:
        username = typer.prompt("Username")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        create_user(actor=None, username=username, email=email, password=password, site_admin=True)
    except DocketError as exc:
        _fail(exc.detail)
    err.print(f"Created site admin {username}")


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="Whose token")],
    name: Annotated[str, typer.Option(help="What the token is for")] = "cli",
    scopes: Annotated[str, typer.Option(help="Comma-separated: read,write,admin")] = "read,write",
    expires_in_days: Annotated[
        int | None, typer.Option(help="Days until it expires (default: never)")
    ] = None,
) -> None:
    """Mint a token; prints only the token, for scripts."""
    _django()
    from docket.accounts.models import User
    from docket.accounts.tokens import create_token
    from docket.core.errors import DocketError

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        _fail(f"no active user {username!r}")
    try:
        _, secret = create_token(
            actor=user, name=name, scopes=scopes.split(","), expires_in_days=expires_in_days
        )
    except DocketError as exc:
        _fail(exc.detail)
    print(secret)


def _import_actor(username: str | None) -> Any:
    from docket.accounts.models import User

    admins = User.objects.filter(is_superuser=True, is_active=True).order_by("id")
    actor = admins.filter(username=username).first() if username else admins.first()
    if actor is None:
        _fail("need a site admin to import as; run `docket createadmin` first")
    return actor


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="The file to import (- for stdin: docket only)")],
    as_user: Annotated[str | None, typer.Option("--as", help="Site admin to import as")] = None,
    batch_size: Annotated[int, typer.Option(help="Issues per transaction")] = 1000,
    source: Annotated[
        str | None,
        typer.Option(
            help="Name of the source its records' ids belong to (default: the file's source "
            "line, else its name; FORMAT:PROJECT for other formats); a re-run skips what this "
            "source already brought in"
        ),
    ] = None,
    format_name: Annotated[
        str,
        typer.Option(
            "--format",
            help="docket (JSON Lines), csv, jira-xml, jira-csv, github, trello, bugzilla",
        ),
    ] = "docket",
    project: Annotated[
        str | None, typer.Option(help="Project key to import into (other formats; made if new)")
    ] = None,
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="CSV: field=Column (repeatable)")
    ] = None,
    mapping_file: Annotated[
        Path | None, typer.Option("--map-file", help="CSV: a file of field=Column lines or JSON")
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help="CSV: gitbugs-jira, gitbugs-bugzilla or jira")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Other formats: stop at the first bad row, importing nothing")
    ] = False,
) -> None:
    """Import users, projects and issues (with comments and history) from JSON Lines, or
    issues from another tracker's export (--format, --project; docs/import-export.md).
    Idempotent: records already imported from the same source are skipped (or updated)."""
    _django()
    if format_name != "docket":
        _import_foreign(
            path, as_user, batch_size, source, format_name, project, mapping, mapping_file,
            preset, strict,
        )  # fmt: skip
        return
    from docket.cli.importfile import load
    from docket.core.errors import DocketError

    _migrate()
    actor = _import_actor(as_user)
    started = time.perf_counter()
    stdin = str(path) == "-"
    handle = sys.stdin if stdin else path.open(encoding="utf-8")
    try:
        with _progress("Importing") as show:
            stats = load(
                actor,
                handle,
                source=source,
                default_source="stdin" if stdin else path.name,
                batch_size=batch_size,
                progress=_import_counts(show),
            )
    except DocketError as exc:
        _fail(
            f"import stopped, the current batch was not saved: {exc.detail}. Earlier batches "
            "were; run the import again to add the rest (they are skipped)"
        )
    _refresh_statistics()
    seconds = time.perf_counter() - started
    err.print(
        f"Imported {stats.issues} issues, {stats.comments} comments, {stats.users} users, "
        f"{stats.projects} projects in {seconds:.1f}s "
        f"({stats.issues / max(seconds, 1e-9):.0f} issues/s)"
    )
    err.print(
        f"Skipped, already here from source {stats.source!r}: {stats.skipped_issues} issues "
        f"({stats.skipped_comments} comments), {stats.skipped_users} users, "
        f"{stats.skipped_projects} projects"
    )


def _import_foreign(
    path: Path,
    as_user: str | None,
    batch_size: int,
    source: str | None,
    format_name: str,
    project: str | None,
    mapping: list[str] | None,
    mapping_file: Path | None,
    preset: str | None,
    strict: bool,
) -> None:
    from docket.cli import foreign_import
    from docket.core.errors import DocketError

    if not project:
        _fail("--project KEY: the project to import into")
    _migrate()
    actor = _import_actor(as_user)
    try:
        summary = foreign_import.run(
            actor=actor, path=path, format_name=format_name, project_key=project,
            pairs=mapping or [], mapping_path=mapping_file, preset=preset, source=source,
            strict=strict, batch_size=batch_size, console=err,
        )  # fmt: skip
    except (DocketError, OSError) as exc:
        detail = exc.detail if isinstance(exc, DocketError) else str(exc)
        _fail(foreign_import.strict_failure(detail) if strict else detail)
    _refresh_statistics()
    foreign_import.report(summary, err)


def _refresh_statistics() -> None:
    """After a bulk load the planner's statistics are stale (PostgreSQL plans were seen
    30x slower until autovacuum caught up); refresh them now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "PRAGMA optimize")


@app.command("export")
def export_command(
    project: Annotated[
        str | None, typer.Option(help="A project's key (default: every project you can see)")
    ] = None,
    query: Annotated[str, typer.Option("--query", "-q", help="A query, as on the list")] = "",
    form: Annotated[str, typer.Option("--format", help="csv or json (JSON Lines)")] = "csv",
    columns: Annotated[
        str | None, typer.Option(help="CSV columns, comma-separated (default: the usual ones)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout)")
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Export what this user can see (default: as a site admin)"),
    ] = None,
) -> None:
    """Export a project's issues, or a query's, to CSV or to JSON Lines that `docket import`
    reads back (comments and history included). Streams: memory stays flat."""
    _django()
    from docket.cli.exportfile import export
    from docket.core.errors import DocketError

    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        # A bar only beside a file: on a terminal stdout the export itself is the output.
        with _progress("Exporting" if output else None) as show:
            out = cast(TextIO, _Counted(handle, show)) if show else handle
            done = export(
                out, project=project, query=query, form=form, columns=columns, username=as_user
            )
    except DocketError as exc:
        _fail(exc.detail)
    finally:
        if output:
            handle.close()
    where = f" to {output}" if output else ""
    err.print(f"Exported{where} as {done['as']} ({done['characters']:,} characters)")


@app.command()
def demo(
    issues: Annotated[int, typer.Option(help="How many issues")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Load demo projects: ten weeks of a small team's issues with their history, and what
    the admin finds on My work. Skips (exit 0) when the demo is already loaded."""
    _django()
    import json

    from docket.cli import demo_story
    from docket.cli.demo_data import PEOPLE, PROJECTS, records
    from docket.cli.demo_rules import add_demo_rules
    from docket.cli.importfile import load
    from docket.projects.models import Project

    _migrate()
    if Project.objects.filter(key="WEB").exists():
        err.print("The demo data is already loaded (project WEB exists): skipping.")
        return
    started = time.monotonic()
    _first_admin("admin", "admin@localhost", os.environ.get("DOCKET_ADMIN_PASSWORD"))
    actor = _import_actor(None)
    moment = dt.datetime.now(dt.UTC)
    made = [json.dumps(r) for r in records(issues, now=moment, seed=seed, admin=actor.username)]
    first_issue = next(i for i, line in enumerate(made) if line.startswith('{"kind": "issue"'))
    load(actor, made[:first_issue], source="demo")  # people and projects
    demo_story.prepare(actor, moment)  # milestones, leads, custom fields the issues use
    stats = load(actor, made[first_issue:], source="demo")
    demo_story.tell(actor)
    rules = add_demo_rules(actor, PEOPLE)
    err.print(
        f"Loaded {stats.issues} issues with {stats.comments} comments and their history in "
        f"{len(PROJECTS)} projects, {len(PEOPLE)} users (no password), {rules} automation rules "
        f"in {time.monotonic() - started:.1f} s. Sign in as {actor.username}: My work has "
        "the story."
    )


@app.command()
def check(
    require_worker: Annotated[
        bool, typer.Option(help="Exit 1 too when no worker is beating (for a running site)")
    ] = False,
) -> None:
    """Check configuration, database (and the job queue's Redis, when set), migrations and disk
    space (exit 1 if anything is off), and report the background worker's beat and backlog."""
    _django()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from docket.core.db_faults import storage_problems
    from docket.worker.health import job_queue_problems, worker_health

    try:
        call_command("check", stdout=io.StringIO())
    except SystemCheckError as exc:
        _fail(str(exc))
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        _fail(f"{len(pending)} migration(s) not applied; run `docket migrate`")
    problems = storage_problems() + job_queue_problems()
    if problems:
        _fail("degraded: " + "; ".join(problems))
    worker, worker_problems = worker_health()
    if worker_problems and require_worker:
        _fail("degraded: " + "; ".join(worker_problems))
    for problem in worker_problems:
        err.print(f"[yellow]warning[/yellow]: {problem}")
    queue = " and the job queue on Redis" if worker["jobs_backend"] == "redis" else ""
    print(f"ok: database {connection.vendor}{queue} reachable, migrations applied, disk space ok")
    print(
        f"worker: last beat {_seconds(worker['last_beat_seconds_ago'])} ago, "
        f"{worker['events_pending']} event(s) pending"
    )


@contextmanager
def _progress(what: str | None) -> Iterator[Callable[[str], None] | None]:
    """A spinner with a line of counts on stderr for long work, on a terminal only (never in
    logs or pipes); yields how to update the line, or None."""
    if what is None or not err.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(what)
        yield lambda text: bar.update(task, description=f"{what}: {text}")


def _import_counts(show: Callable[[str], None] | None) -> Callable[[Any], None] | None:
    """The import's progress hook (called with its stats after each batch)."""
    if show is None:
        return None
    return lambda stats: show(f"{stats.issues:,} issues, {stats.comments:,} comments")


class _Counted(io.TextIOBase):
    """A text file that reports the lines written through it (the export's progress)."""

    def __init__(self, inner: Any, show: Callable[[str], None]) -> None:
        self.inner, self.show, self.lines = inner, show, 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        self.show(f"{self.lines:,} lines")
        return int(self.inner.write(text))


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.0f} s"


@app.command()
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per finding")] = False,
) -> None:
    """Explain this site: configuration, database, migrations, worker, mail, disk, static
    files and DOCKET_BASE_URL, each ok / warn / fail with the fix (exit 1 on a failure)."""
    _django()
    import json

    from docket.cli.doctor import FAIL, examine

    findings = examine()
    out = Console(soft_wrap=True)
    colours = {"ok": "green", "warn": "yellow", "fail": "red"}
    for f in findings:
        if as_json:
            print(json.dumps(f.__dict__))
            continue
        fix = f"\n      [dim]fix:[/dim] {f.fix}" if f.fix and f.status != "ok" else ""
        status = f"[{colours[f.status]}]{f.status:<4}[/{colours[f.status]}]"
        out.print(f"{status}  [bold]{f.part}[/bold]: {f.detail}{fix}", highlight=False)
    if any(f.status == FAIL for f in findings):
        raise typer.Exit(1)


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="A new directory to write the backup into")],
) -> None:
    """Back up this instance while it runs: a consistent copy of the database, the
    attachments and the secret key, with a manifest of checksums (docs/operations.md)."""
    _django()
    from docket.cli.backup import BackupError
    from docket.cli.backup import backup as take_backup

    started = time.monotonic()
    try:
        manifest = take_backup(path)
    except BackupError as exc:
        _fail(str(exc))
    size = sum(f["size"] for f in manifest["files"])
    counts = ", ".join(f"{n:,} {name}" for name, n in manifest["counts"].items())
    err.print(f"Backed up to {path} in {time.monotonic() - started:.1f} s ({size / 1e6:.1f} MB)")
    err.print(f"  {counts}")
    if manifest["missing_attachments"]:
        err.print(
            f"[yellow]warning[/yellow]: {len(manifest['missing_attachments'])} attachment "
            "file(s) were already missing on disk (listed in manifest.json)"
        )


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A directory `docket backup` wrote")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace an instance that holds projects or issues")
    ] = False,
) -> None:
    """Restore a backup into this instance (empty, unless --force), then apply any newer
    migrations. Stop the server first."""
    _django()
    from docket.cli.backup import BackupError, restored_counts
    from docket.cli.backup import restore as bring_back

    started = time.monotonic()
    try:
        manifest = bring_back(path, force=force)
    except BackupError as exc:
        _fail(str(exc))
    _migrate()
    counts = restored_counts()
    if counts != manifest["counts"]:
        _fail(f"restored counts {counts} differ from the backup's {manifest['counts']}")
    shown = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    took = time.monotonic() - started
    err.print(f"Restored {path} (taken {manifest['created_at']}) in {took:.1f} s")
    err.print(f"  {shown}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (e.g. `docket manage changepassword admin`)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["docket manage", *ctx.args])


def main() -> None:
    from docket.cli.launch import wants_client

    if wants_client(sys.argv[1:]):  # `python -m docket.cli.main issue list` works too
        from docket_client.app import main as client

        client()
    command = typer.main.get_command(app)
    _plain_metavars(command)
    command(prog_name="docket")


def _plain_metavars(command: Any) -> None:
    """Help that reads like other tools': `--port PORT`, and a flag without a `<bool>` type
    (typer shows `<str>`, `<int>` and `<bool>` for every option otherwise)."""
    ctx = typer.Context(command)
    for param in [*command.params, command.get_help_option(ctx)]:
        if param is not None and param.metavar is None and param.name:
            param.metavar = "" if getattr(param, "is_flag", False) else param.name.upper()
    for sub in getattr(command, "commands", {}).values():
        _plain_metavars(sub)


if __name__ == "__main__":
    main()
