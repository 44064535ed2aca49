"""The whole benchmark, end to end, on a fresh database.

    python bench/suite.py --issues 10000 --workers 2          # SQLite in bench/out/<run>/data
    DOCKET_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ python bench/suite.py
    python bench/suite.py --issues 10000 --profile 15          # plus a py-spy profile

Steps: generate the dataset (cached in bench/out/data/), create a site admin, time
`docket import`, start `docket serve --workers W`, mint a token, run bench/run.py against
it, optionally profile the server under get-by-key load with py-spy, stop the server.
With DOCKET_DATABASE_URL (PostgreSQL) a scratch database (--pg-db, default docket_bench) is
created on that server and dropped afterwards; the database named in the URL is not touched.
Everything lands in bench/out/<run>/ (results.json, import.json, server.log, profile-*).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
ADMIN = "bench"
IMPORTED = re.compile(
    r"Imported\s+(\d+)\s+issues,\s+(\d+)\s+comments,\s+(\d+)\s+users,\s+(\d+)\s+projects\s+"
    r"in\s+([\d.]+)s"
)


def say(message: str) -> None:
    print(f"[suite {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def docket_command() -> list[str]:
    script = Path(sys.executable).parent / "docket"
    return [str(script)] if script.exists() else [sys.executable, "-m", "docket.cli.main"]


def run(cmd: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd[:3])}... failed ({result.returncode}):\n{result.stderr[-2000:]}"
        )
    return result


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (Linux), 0 elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def git_state() -> str:
    """The commit measured, with +dirty when src/ has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL scratch database --------------------------------------------------------------


def _pg_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def pg_recreate(url: str, database: str, *, create: bool = True) -> str:
    """Drop `database` on the server in `url` (and create it afresh); returns its URL."""
    import psycopg
    from psycopg import sql

    maintenance = _pg_url(url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        name = sql.Identifier(database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return _pg_url(url, database)


def database_bytes(env: dict[str, str], run_dir: Path) -> int:
    """The database's size on disk: PostgreSQL's pg_database_size, or SQLite's file after a
    WAL checkpoint (the WAL's pages belong in the main file; its length is reused space)."""
    url = env.get("DOCKET_DATABASE_URL", "")
    if url:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            conn.execute("CHECKPOINT")
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            return int(row[0]) if row else 0
    import sqlite3

    path = run_dir / "data" / "docket.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(f.stat().st_size for f in path.parent.glob("docket.sqlite3*"))


# --- steps ------------------------------------------------------------------------------------


def dataset(issues: int, seed: int) -> Path:
    path = OUT / "data" / f"issues-{issues}-s{seed}.jsonl"
    if path.exists():
        say(f"dataset {path.relative_to(ROOT)} (cached)")
    else:
        say(f"generating {issues} issues (seed {seed})")
        subprocess.run(
            [
                sys.executable,
                str(BENCH / "generate.py"),
                "--issues",
                str(issues),
                "--seed",
                str(seed),
                "-o",
                str(path),
            ],
            check=True,
        )
    return path


def bulk_load(data: Path, env: dict[str, str], run_dir: Path, batch_size: int) -> dict[str, Any]:
    say(f"docket import {data.name}")
    started, busy0, cpu0 = time.perf_counter(), machine_busy_seconds(), children_cpu()
    result = run(
        [*docket_command(), "import", str(data), "--as", ADMIN, "--batch-size", str(batch_size)],
        env,
    )
    wall = time.perf_counter() - started
    cpu = children_cpu() - cpu0
    other = max(0.0, machine_busy_seconds() - busy0 - cpu)
    text = " ".join(result.stderr.split())
    match = IMPORTED.search(text)
    if match is None:
        raise SystemExit(f"cannot read the import's summary from: {text[-500:]}")
    issues, comments, users, projects = (int(g) for g in match.groups()[:4])
    seconds = float(match.group(5))
    seconds = max(seconds, 0.05)
    stats = {
        "issues": issues,
        "comments": comments,
        "users": users,
        "projects": projects,
        "seconds": seconds,
        "wall_seconds": round(wall, 2),
        "issues_per_s": round(issues / seconds, 1),
        "records_per_s": round((issues + comments) / seconds, 1),
        "issues_per_s_wall": round(issues / wall, 1),
        "batch_size": batch_size,
        "import_cpu_s": round(cpu, 2),
        "other_cpu_cores": round(other / wall, 2),
        "file_mb": round(data.stat().st_size / 1e6, 1),
    }
    db_bytes = database_bytes(env, run_dir)
    stats["database_mb"] = round(db_bytes / 1e6, 1)
    stats["bytes_per_issue"] = round(db_bytes / max(issues, 1))
    (run_dir / "import.json").write_text(json.dumps(stats, indent=2) + "\n")
    say(
        f"imported {issues} issues + {comments} comments in {seconds:.1f}s "
        f"({stats['issues_per_s']:,.0f} issues/s; {wall:.1f}s wall incl. startup)"
    )
    return stats


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def events_pending(port: int) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        body = json.loads(conn.getresponse().read())
        conn.close()
        return int(body["worker"]["events_pending"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def wait_for_worker(port: int, limit: float = 900.0) -> float:
    """Seconds until the server's worker has read every event of the import (notifications,
    roll-ups, SLA clocks...), so the phases measure a steady server, not its catch-up."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if events_pending(port) == 0:
            break
        time.sleep(2)
    waited = time.perf_counter() - started
    say(f"worker caught up with the import's events in {waited:.0f} s")
    return waited


def start_server(
    env: dict[str, str], port: int, workers: int, log: Path
) -> subprocess.Popen[bytes]:
    say(f"docket serve --port {port} --workers {workers}")
    with log.open("wb") as handle:
        server = subprocess.Popen(
            [*docket_command(), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 90
    while not healthy(port):
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}); see {log}")
        if time.monotonic() > deadline:
            stop_server(server)
            raise SystemExit(f"the server did not come up in 90s; see {log}")
        time.sleep(0.2)
    time.sleep(1.0 if workers > 1 else 0.2)  # let every worker finish starting
    return server


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    say("stopping the server")
    # The server leads its own session (start_new_session), so this reaches its workers only.
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def measure(
    args: argparse.Namespace,
    port: int,
    env: dict[str, str],
    server_pid: int,
    run_dir: Path,
    label: str,
    meta: dict[str, Any],
    extra: list[str],
) -> int:
    cmd = [
        sys.executable,
        str(BENCH / "run.py"),
        "--url",
        f"http://127.0.0.1:{port}",
        "--project",
        args.project,
        "--seconds",
        str(args.seconds),
        "--clients",
        str(args.clients),
        "--server-pid",
        str(server_pid),
        "--label",
        label,
        *extra,
    ]
    if args.requests:
        cmd += ["--requests", str(args.requests)]
    if args.phases:
        cmd += ["--phases", args.phases]
    if args.python_clients:
        cmd += ["--python-clients"]
    for key, value in meta.items():
        cmd += ["--meta", f"{key}={value}"]
    return subprocess.run(cmd, env=env, check=False).returncode


def measure_web(
    args: argparse.Namespace,
    port: int,
    env: dict[str, str],
    server_pid: int,
    run_dir: Path,
    password: str,
) -> int:
    cmd = [
        sys.executable,
        str(BENCH / "web_bench.py"),
        "--url",
        f"http://127.0.0.1:{port}",
        "--username",
        ADMIN,
        "--password",
        password,
        "--project",
        args.project,
        "--seconds",
        str(args.seconds),
        "--server-pid",
        str(server_pid),
        "--json-out",
        str(run_dir / "web.json"),
    ]
    return subprocess.run(cmd, env=env, check=False).returncode


def profile(
    args: argparse.Namespace, port: int, env: dict[str, str], server_pid: int, run_dir: Path
) -> None:
    """py-spy the server tree under get-by-key load: a flame graph and a top-N text file."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        say("py-spy not installed (pip install py-spy); skipping the profile")
        return
    for fmt, target in (
        ("raw", run_dir / "profile-get.txt"),
        ("flamegraph", run_dir / "profile-get.svg"),
    ):
        say(f"profiling the server with py-spy ({fmt}) for {args.profile}s under get-by-key load")
        spy_proc = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(server_pid),
                "--subprocesses",
                "--rate",
                "250",
                "--duration",
                str(args.profile),
                "--format",
                fmt,
                "--output",
                str(target),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)
        load = [
            sys.executable,
            str(BENCH / "run.py"),
            "--url",
            f"http://127.0.0.1:{port}",
            "--project",
            args.project,
            "--phases",
            "throughput",
            "--clients",
            str(args.clients),
            "--seconds",
            str(args.profile + 1),
            "--quiet",
        ]
        if args.python_clients:
            load.append("--python-clients")
        subprocess.run(load, env=env, check=False, stdout=subprocess.DEVNULL)
        _, err = spy_proc.communicate(timeout=args.profile + 60)
        if spy_proc.returncode != 0 or not target.exists():
            say(f"py-spy failed: {err.strip()[-500:]}")
            return
    top = hot_spots(run_dir / "profile-get.txt")
    (run_dir / "profile-top.txt").write_text(top)
    print(top)


def _frame_name(frame: str) -> str:
    return re.sub(r":\d+\)$", ")", frame)  # fold line numbers: one entry per function


def _area(frame: str) -> str:
    path = frame[frame.rfind("(") + 1 :]
    for marker, name in (
        ("docket/", "docket"),
        ("django/db/", "django.db (ORM)"),
        ("django/", "django (other)"),
        ("ninja/", "ninja"),
        ("pydantic", "pydantic"),
        ("asgiref/", "asgiref"),
        ("uvicorn/", "uvicorn"),
        ("sqlite3/", "sqlite3"),
        ("psycopg", "psycopg"),
        ("json/", "json"),
        ("threading", "threading"),
        ("asyncio/", "asyncio"),
        ("concurrent/", "concurrent"),
    ):
        if marker in path:
            return name
    return "other"


# Frames whose "self" time is a thread blocked in C (a lock, a queue, epoll) that py-spy's
# idle detection let through: hand-offs between the event loop and worker threads, not work.
WAIT_FRAMES = (
    "Condition.wait (threading.py)",
    "Thread._wait_for_tstate_lock (threading.py)",
    "Runner.run (asyncio/runners.py)",
    "_worker (concurrent/futures/thread.py)",
    "spawn_main(",
    "EpollSelector.select (selectors.py)",
    "BaseEventLoop.run_forever (asyncio/base_events.py)",
)


def hot_spots(raw: Path, top: int = 25, title: str = "server under get-by-key load") -> str:
    """Summarise py-spy's collapsed stacks: self and inclusive time per function and area."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = waiting = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [
            _frame_name(f)
            for f in stack.split(";")
            if "(" in f and not f.startswith(("process ", "thread "))
        ]
        if not frames:
            continue
        total += n
        if any(w in frames[-1] for w in WAIT_FRAMES):
            waiting += n
            continue
        own[frames[-1]] += n
        areas[_area(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n
    working = total - waiting
    if not working:
        return "no samples\n"

    def pct(n: int) -> str:
        return f"{100 * n / working:5.1f}%"

    lines = [
        f"py-spy, {title}: {total} samples; {100 * waiting / total:.0f}% of them blocked in "
        "thread/event-loop hand-offs (Condition.wait, queue get, epoll) and left out below;",
        f"percentages are of the other {working} (running) samples.",
        "",
        "self time by area:",
    ]
    lines += [f"  {pct(n)}  {name}" for name, n in areas.most_common()]
    lines += ["", f"top {top} functions by self time:"]
    lines += [f"  {pct(n)}  {name}" for name, n in own.most_common(top)]
    lines += ["", f"top {top} functions by inclusive time:"]
    skip = ("<module>", "Thread._bootstrap", "Thread.run", "spawn_main", "_main (multiproc")
    interesting = [(k, v) for k, v in inclusive.most_common() if not k.startswith(skip)]
    lines += [f"  {pct(n)}  {name}" for name, n in interesting[:top]]
    return "\n".join(lines) + "\n"


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Docket benchmark, end to end.")
    parser.add_argument("--issues", type=int, default=10_000, help="dataset size N")
    parser.add_argument("--seed", type=int, default=42, help="dataset seed")
    parser.add_argument("--workers", type=int, default=2, help="docket serve --workers")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--project", default="WEB")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--requests", type=int, default=None, help="requests per sequential phase")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--phases",
        default="",
        help="run.py --phases: a subset of get,list,throughput,create,query,search,transition "
        "or `all` (default: get,list,throughput,create)",
    )
    parser.add_argument("--python-clients", action="store_true", help="no wrk, even if installed")
    parser.add_argument("--batch-size", type=int, default=1000, help="docket import --batch-size")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DOCKET_DATABASE_URL", ""),
        help="PostgreSQL server to use (default: SQLite); or DOCKET_DATABASE_URL",
    )
    parser.add_argument("--pg-db", default="docket_bench", help="scratch database name")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="SECONDS",
        help="also py-spy the server under get-by-key load for this long",
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the database (SQLite files / PostgreSQL scratch db)",
    )
    parser.add_argument("--run-dir", type=Path, default=None, help="default: bench/out/<stamp>-...")
    parser.add_argument(
        "--web",
        action="store_true",
        help="also bench/web_bench.py (list, filtered list, issue page, board) as the admin",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url.strip()
    engine = "sqlite"
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            raise SystemExit("--database-url / DOCKET_DATABASE_URL must be a postgres:// URL")
        if args.pg_db in ("postgres", "template0", "template1"):
            raise SystemExit(f"refusing to drop {args.pg_db!r}: pick another --pg-db")
        engine = "postgres"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = (args.run_dir or OUT / f"{stamp}-n{args.issues}-{engine}-w{args.workers}").resolve()
    data_dir = run_dir / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    data = dataset(args.issues, args.seed)

    env = {
        **os.environ,
        "DOCKET_DATA_DIR": str(data_dir),
        "COLUMNS": "300",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DOCKET_DATABASE_URL", None)
    if engine == "postgres":
        say(f"PostgreSQL: fresh scratch database {args.pg_db}")
        env["DOCKET_DATABASE_URL"] = pg_recreate(url, args.pg_db)

    server = None
    code = 1
    try:
        password = secrets.token_urlsafe(18)
        say(f"creating site admin {ADMIN!r} (and the schema)")
        started = time.perf_counter()
        run(
            [
                *docket_command(),
                "createadmin",
                "--username",
                ADMIN,
                "--email",
                "bench@example.com",
                "--password-stdin",
            ],
            env,
            input=password + "\n",
        )
        migrate_s = time.perf_counter() - started
        stats = bulk_load(data, env, run_dir, args.batch_size)
        token = (
            run([*docket_command(), "token", "create", ADMIN, "--name", "bench"], env)
            .stdout.strip()
            .splitlines()[-1]
        )
        port = args.port or free_port()
        server = start_server(env, port, args.workers, run_dir / "server.log")
        commit = git_state()
        label = f"N={args.issues:,} {engine} workers={args.workers} @ {commit}"
        meta = {
            "issues": args.issues,
            "seed": args.seed,
            "db": engine,
            "workers": args.workers,
            "createadmin_and_migrate_s": round(migrate_s, 2),
            "commit": commit,
            "run_dir": str(run_dir),
        }
        bench_env = {**env, "DOCKET_TOKEN": token}
        meta["worker_catch_up_s"] = round(wait_for_worker(port))
        extra = [
            "--json-out",
            str(run_dir / "results.json"),
            "--bulk-load",
            str(run_dir / "import.json"),
        ]
        code = measure(args, port, bench_env, server.pid, run_dir, label, meta, extra)
        if args.web:
            web_code = measure_web(args, port, bench_env, server.pid, run_dir, password)
            code = code or web_code
        if args.profile:
            profile(args, port, bench_env, server.pid, run_dir)
        results = run_dir / "results.json"  # --run-dir may be outside the checkout
        shown = results.relative_to(ROOT) if results.is_relative_to(ROOT) else results
        say(f"results: {shown} (import: {stats['issues_per_s']:,.0f} issues/s)")
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)
            if engine == "postgres":
                pg_recreate(url, args.pg_db, create=False)
                say(f"dropped {args.pg_db}")
    latest = OUT / "latest"
    if latest.is_symlink() or not latest.exists():
        latest.unlink(missing_ok=True)
        latest.symlink_to(run_dir.resolve(), target_is_directory=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
