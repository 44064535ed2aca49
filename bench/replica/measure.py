"""Architecture (c) measured: replication lag, and the replica-served pages against the primary.

    python bench/replica/measure.py lag --seconds 120 [--json-out FILE]
        samples the primary's pg_stat_replication (replay_lag, bytes not yet replayed) every
        --interval seconds while something else writes (e.g. `docket import`).

    python bench/replica/measure.py pages --database docket_replica [--write-rate 10]
        starts `docket serve` on DATABASE of the primary with DOCKET_DATABASE_REPLICA_URL at its
        copy on the replica, signs in, and times the issue list and search pages, each request
        alternately with and without the `docket_wrote` cookie: with it the server reads the
        primary, without it the replica (same server, same code, same moment). Meanwhile
        --write-rate issues/s are filed through the API, each followed until the replica has
        it (the lag as a reader sees it), and replay_lag is sampled.

Both need `bench/replica/replica.sh setup` first (bench/replica/README.md). The machine is
shared: the load average is printed with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from run import Client  # noqa: E402

PRIMARY = "postgresql://postgres@127.0.0.1:5432"
REPLICA = "postgresql://postgres@127.0.0.1:5433"
USER = f"replica-bench-{secrets.token_hex(3)}"  # one per run: createadmin refuses a taken name


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(pct(values, 50), 2),
        "p95": round(pct(values, 95), 2),
        "max": round(max(values), 2) if values else float("nan"),
        "mean": round(statistics.fmean(values), 2) if values else float("nan"),
    }


class LagSampler(threading.Thread):
    """pg_stat_replication on the primary every `interval` s: replay_lag (ms; 0 when the
    replica has nothing left to replay, which PostgreSQL reports as NULL) and the bytes
    written but not yet replayed."""

    def __init__(self, primary: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.primary = primary
        self.interval = interval
        self.lag_ms: list[float] = []
        self.behind_bytes: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(f"{self.primary}/postgres", autocommit=True) as conn:
            while not self.stop.is_set():
                row = conn.execute(
                    "SELECT coalesce(extract(epoch FROM replay_lag) * 1000, 0),"
                    " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)"
                    " FROM pg_stat_replication LIMIT 1"
                ).fetchone()
                if row is not None:
                    self.lag_ms.append(float(row[0]))
                    self.behind_bytes.append(float(row[1]))
                self.stop.wait(self.interval)

    def result(self) -> dict[str, Any]:
        return {
            "replay_lag_ms": summary(self.lag_ms),
            "not_replayed_kb": {
                k: (round(v / 1024, 1) if k != "n" else v)
                for k, v in summary(self.behind_bytes).items()
            },
        }


def cmd_lag(args: argparse.Namespace) -> dict[str, Any]:
    sampler = LagSampler(args.primary, args.interval)
    sampler.start()
    start_load = loadavg()
    done = threading.Event()  # --seconds, or SIGTERM / Ctrl-C when the write load ends
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait(args.seconds)
    sampler.stop.set()
    sampler.join()
    return {"load_start": start_load, "load_end": loadavg(), **sampler.result()}


def docket(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    script = Path(sys.executable).parent / "docket"
    run = subprocess.run(
        [str(script), *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )
    if run.returncode != 0:
        raise SystemExit(f"docket {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}")
    return run.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Writer(threading.Thread):
    """Files up to `rate` issues/s through the API, one at a time; after each, polls the replica
    until the row is there: the time from the 201 to the row being readable on the replica.
    (One at a time: a slow server gets fewer; `achieved_per_s` says how many it got.)"""

    def __init__(self, url: str, token: str, project: str, replica_db: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.client = Client(url, token)
        self.project = project
        self.replica_db = replica_db
        self.rate = rate
        self.visible_ms: list[float] = []
        self.create_ms: list[float] = []
        self.errors = 0
        self.first_error: str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.replica_db, autocommit=True) as replica:
            n = 0
            next_at = time.monotonic()
            while not self.stop.is_set():
                n += 1
                body = json.dumps({"title": f"replica bench {n}", "description": "x " * 50})
                started = time.perf_counter()
                status, data = self.client.request(
                    "POST", f"/api/v1/projects/{self.project}/issues", body.encode()
                )
                created = time.perf_counter()
                if status != 201:
                    self.errors += 1
                    if self.first_error is None:
                        self.first_error = f"HTTP {status}: {data[:300]!r}"
                else:
                    number = json.loads(data)["number"]
                    self.create_ms.append((created - started) * 1000)
                    while not replica.execute(
                        "SELECT 1 FROM issues_issue i JOIN projects_project p"
                        " ON p.id = i.project_id WHERE p.key = %s AND i.number = %s",
                        (self.project, number),
                    ).fetchone():
                        time.sleep(0.002)
                    self.visible_ms.append((time.perf_counter() - created) * 1000)
                next_at += 1 / self.rate
                self.stop.wait(max(0.0, next_at - time.monotonic()))


def session_client(url: str, password: str) -> Client:
    client = Client(url, token="")
    client.headers = {"Accept": "text/html", "Accept-Encoding": "gzip"}
    client.post_headers = {"Content-Type": "application/json"}
    client.request("GET", "/healthz")
    status, _ = client.request(
        "POST",
        "/api/v1/auth/login",
        json.dumps({"username": USER, "password": password}).encode(),
    )
    if status != 200 or client.conn is None:
        raise SystemExit(f"sign-in failed: HTTP {status}")
    # http.client keeps no cookies: sign in again on a raw connection to read Set-Cookie.
    conn = client.conn
    conn.request(
        "POST",
        "/api/v1/auth/login",
        body=json.dumps({"username": USER, "password": password}).encode(),
        headers=client.post_headers,
    )
    response = conn.getresponse()
    response.read()
    cookies = response.headers.get_all("Set-Cookie") or []
    session = next(c.split(";")[0] for c in cookies if c.startswith("sessionid="))
    client.headers["Cookie"] = session
    return client


def replica_reads(replica_db: str) -> int:
    with psycopg.connect(replica_db, autocommit=True) as conn:
        row = conn.execute(
            "SELECT tup_returned + tup_fetched FROM pg_stat_database"
            " WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def cmd_pages(args: argparse.Namespace) -> dict[str, Any]:
    primary_db = f"{args.primary}/{args.database}"
    replica_db = f"{args.replica}/{args.database}"
    data_dir = Path(tempfile.mkdtemp(prefix="docket-replica-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKET_")}
    env |= {
        "DOCKET_DATA_DIR": str(data_dir),
        "DOCKET_DATABASE_URL": primary_db.replace("postgresql://", "postgres://", 1),
        "DOCKET_DATABASE_REPLICA_URL": replica_db.replace("postgresql://", "postgres://", 1),
        "DOCKET_REPLICA_STICKY_SECONDS": "10",
        "DOCKET_HEALTH_REQUIRES_WORKER": "false",
        "DOCKET_THROTTLE_IP_FAILURES": "0",
        "DOCKET_THROTTLE_ACCOUNT_FAILURES": "0",
    }
    password = secrets.token_urlsafe(18)
    docket(
        "createadmin",
        "--username",
        USER,
        "--email",
        "replica-bench@example.com",
        "--password-stdin",
        env=env,
        stdin=password + "\n",
    )
    # The writes: as a member of the project (a site admin alone may not file issues there);
    # bench/suite.py's importing admin `bench` is one.
    token = docket("token", "create", args.writer, "--name", "replica-bench", env=env).splitlines()[
        -1
    ]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "docket"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-worker",
        ],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if Client(url, "").request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"server did not start; see {data_dir / 'server.log'}")
            time.sleep(0.3)
        return measure_pages(args, url, token, password, replica_db)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        if not args.keep_server_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


def measure_pages(
    args: argparse.Namespace, url: str, token: str, password: str, replica_db: str
) -> dict[str, Any]:
    client = session_client(url, password)
    session = client.headers["Cookie"]
    paths = {
        "list": f"/issues/?q=project:{args.project} is:open sort:priority-desc",
        "list_assignee": f"/issues/?q=project:{args.project} is:open assignee:{args.assignee}",
        "search": f"/search?q={args.search}",
    }
    paths = {k: v.replace(" ", "+") for k, v in paths.items()}
    primary_cookie = f"{session}; docket_wrote=1"

    def get(path: str, on_primary: bool) -> float:
        client.headers["Cookie"] = primary_cookie if on_primary else session
        started = time.perf_counter()
        status, _ = client.request("GET", path)
        took = (time.perf_counter() - started) * 1000
        if status != 200:
            raise SystemExit(f"GET {path} -> {status}")
        return took

    # The routing, checked: rows the replica's database returned, with and without the cookie.
    check: dict[str, int] = {}
    for side, on_primary in (("primary", True), ("replica", False)):
        before = replica_reads(replica_db)
        for path in paths.values():
            for _ in range(3):
                get(path, on_primary)
        time.sleep(0.6)  # pg_stat_database is flushed at most every 500 ms
        check[side] = replica_reads(replica_db) - before
    print(f"rows read on the replica: with cookie {check['primary']}, without {check['replica']}")

    for path in paths.values():  # warm-up, both sides
        for _ in range(args.warmup):
            get(path, True)
            get(path, False)

    sampler = LagSampler(args.primary, args.interval)
    writer = (
        Writer(url, token, args.project, replica_db, args.write_rate) if args.write_rate else None
    )
    load_start = loadavg()
    measured_from = time.monotonic()
    sampler.start()
    if writer:
        writer.start()
    times: dict[str, dict[str, list[float]]] = {k: {"primary": [], "replica": []} for k in paths}
    for i in range(args.requests):
        for name, path in paths.items():
            first_primary = i % 2 == 0  # alternate which side goes first
            for on_primary in (first_primary, not first_primary):
                times[name]["primary" if on_primary else "replica"].append(get(path, on_primary))
    load_end = loadavg()
    seconds = time.monotonic() - measured_from
    if writer:
        writer.stop.set()
        writer.join()
    sampler.stop.set()
    sampler.join()
    result: dict[str, Any] = {
        "database": args.database,
        "workers": args.workers,
        "requests_per_side": args.requests,
        "write_rate": args.write_rate,
        "load_start": load_start,
        "load_end": load_end,
        "seconds": round(seconds, 1),
        "routing_check_rows_read_on_replica": check,
        "pages_ms": {
            name: {side: summary(values) for side, values in sides.items()}
            for name, sides in times.items()
        },
        "paths": paths,
        **sampler.result(),
    }
    if writer:
        result["writes"] = {
            "created": len(writer.create_ms),
            "achieved_per_s": round(len(writer.create_ms) / seconds, 2),
            "errors": writer.errors,
            "first_error": writer.first_error,
            "create_ms": summary(writer.create_ms),
            "visible_on_replica_after_ms": summary(writer.visible_ms),
        }
    return result


def print_pages(result: dict[str, Any]) -> None:
    print(
        f"load {result['load_start']} -> {result['load_end']}; "
        f"{result['requests_per_side']} requests per page and side; "
        f"writes {result['write_rate']}/s"
    )
    print(f"{'page':15} {'primary p50':>12} {'p95':>8} {'replica p50':>12} {'p95':>8}")
    for name, sides in result["pages_ms"].items():
        p, r = sides["primary"], sides["replica"]
        print(f"{name:15} {p['p50']:12.1f} {p['p95']:8.1f} {r['p50']:12.1f} {r['p95']:8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--primary", default=PRIMARY, help="primary server (no database)")
    parser.add_argument("--replica", default=REPLICA, help="replica server (no database)")
    parser.add_argument("--interval", type=float, default=0.25, help="lag sampling, seconds")
    parser.add_argument("--json-out", type=Path)
    sub = parser.add_subparsers(dest="command", required=True)
    lag = sub.add_parser("lag", help="sample replication lag for --seconds")
    lag.add_argument("--seconds", type=float, default=3600, help="or until SIGTERM/Ctrl-C")
    pages = sub.add_parser("pages", help="pages via the replica vs the primary")
    pages.add_argument("--database", default="docket_replica")
    pages.add_argument("--project", default="WEB")
    pages.add_argument("--assignee", default="grace.backus22")
    pages.add_argument("--search", default="login")
    pages.add_argument("--requests", type=int, default=100, help="per page and side")
    pages.add_argument("--warmup", type=int, default=10)
    pages.add_argument("--workers", type=int, default=2)
    pages.add_argument("--write-rate", type=float, default=0.0, help="API creates per second")
    pages.add_argument("--writer", default="bench", help="user filing the --write-rate issues")
    pages.add_argument("--keep-server-dir", action="store_true")
    args = parser.parse_args(argv)
    args.primary = args.primary.replace("postgres://", "postgresql://", 1).rstrip("/")
    args.replica = args.replica.replace("postgres://", "postgresql://", 1).rstrip("/")
    if args.command == "lag":
        result = cmd_lag(args)
        print(json.dumps(result, indent=2))
    else:
        result = cmd_pages(args)
        print_pages(result)
        print(json.dumps({k: v for k, v in result.items() if k != "pages_ms"}, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
