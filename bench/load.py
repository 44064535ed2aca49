"""Open-model load: requests arrive at a fixed rate whatever the server does.

    python bench/load.py --rate 100 --duration 60                    # SQLite, serve's default
    python bench/load.py --rate 100 --duration 60 --workers 2 --database postgres
    python bench/load.py --url http://127.0.0.1:8000 --token dkt_... --rate 50    # any server

Arrivals are scheduled in advance (Poisson by default, `--arrival constant` for an even
beat) and each request is sent at its scheduled time on its own task, however many are
still waiting for an answer: a slow server gets more concurrent requests, never fewer (a
closed-loop tool such as locust, wrk or run.py's clients waits for an answer before asking
again, so it slows down with the server and hides the queue). Latency is measured from the
*scheduled* send time to the end of the response body, so time a request spent waiting in
the client (for a connection, for the event loop) counts against the server, as a user
would see it: no coordinated omission.

Without --url it builds its own server like bench/suite.py: the dataset from
bench/generate.py (cached in bench/out/data/), a site admin, `docket import`, a token and
`docket serve --workers W` in a scratch data dir (SQLite) or a scratch PostgreSQL database
(`--database postgres`, on the server in DOCKET_DATABASE_URL or --database-url;
`--pg-db`, default docket_load, is dropped and created afresh). The run's files go to
bench/out/<stamp>-load-<db>-w<W>-r<rate>/ (results.json, server.log).

The mix (weights in per cent, `--mix kind=weight,...` to change them): reads 70 (API issue
by key, the issue page, the API history), lists and queries 20 (API filtered list, API
query-language list, the web list with a query, full-text search), writes 10 (create an
issue, add a comment, change a field) through the API with a token; pages with a session.

It reports per kind and overall p50/p95/p99/max over the answered requests, errors by
status or exception, the achieved rate, a 10-second timeline, the server's RSS (sum over
its process tree, /proc, sampled every second) and CPU. Exit status 1 when any request
failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    API,
    Client,
    create_payloads,
    discover,
    machine_busy_seconds,
    percentile,
    tree_cpu,
)

# Reads 70, lists and queries 20, writes 10.
DEFAULT_MIX = {
    "api_get": 35,
    "issue_page": 25,
    "api_history": 10,
    "api_list": 7,
    "api_query": 5,
    "list_page": 5,
    "search": 3,
    "create": 3,
    "comment": 4,
    "patch": 3,
}
WRITES = {"create", "comment", "patch"}
PAGES = {"issue_page", "list_page"}
PRIORITIES = ("low", "medium", "high")
WINDOW_S = 10
IDLE_S = 4.0  # close keep-alive connections idle this long (uvicorn drops them at 5 s)


# --- what to ask for --------------------------------------------------------------------------


@dataclass
class Plan:
    """Everything the requests are drawn from, found on the server before the run."""

    project: str
    keys: list[str]
    assignees: list[str]
    payloads: list[bytes]
    rng: random.Random
    counter: int = 0

    def request(self, kind: str) -> tuple[str, str, bytes | None]:
        """(method, path, JSON body) for one request of `kind`."""
        rng, p = self.rng, self.project
        self.counter += 1
        if kind == "api_get":
            return "GET", f"{API}/issues/{rng.choice(self.keys)}", None
        if kind == "issue_page":
            return "GET", f"/{rng.choice(self.keys)}", None
        if kind == "api_history":
            return "GET", f"{API}/issues/{rng.choice(self.keys)}/history?limit=50", None
        assignee = rng.choice(self.assignees)
        if kind == "api_list":
            query = {"project": p, "state": "open", "assignee": assignee}
            query |= {"sort": "priority-desc", "limit": 50}
            return "GET", f"{API}/issues?" + urlencode(query), None
        if kind == "api_query":
            q = f"project:{p} is:open priority:>=high -label:docs assignee:{quoted(assignee)}"
            query = {"q": q + " sort:updated-desc", "limit": 50}
            return "GET", f"{API}/issues?" + urlencode(query), None
        if kind == "list_page":
            q = f"is:open assignee:{quoted(assignee)} sort:priority-desc"
            return "GET", f"/p/{p}/?" + urlencode({"q": q}), None
        if kind == "search":
            word = rng.choice(("login", "timeout", "export", "cache", "crash", "upload"))
            return "GET", f"{API}/search?" + urlencode({"q": word, "limit": 20}), None
        if kind == "create":
            return "POST", f"{API}/projects/{p}/issues", rng.choice(self.payloads)
        if kind == "comment":
            body = {
                "body": f"Load comment {self.counter}: seen again on build {rng.randint(1, 999)}."
            }
            path = f"{API}/issues/{rng.choice(self.keys)}/comments"
            return "POST", path, json.dumps(body).encode()
        if kind == "patch":
            body = {"priority": rng.choice(PRIORITIES)}
            return "PATCH", f"{API}/issues/{rng.choice(self.keys)}", json.dumps(body).encode()
        raise ValueError(f"unknown request kind {kind!r}")


def quoted(value: str) -> str:
    if value and all(c.isalnum() or c in "._-@" for c in value):
        return value
    return '"' + value.replace('"', '\\"') + '"'


def parse_mix(text: str | None) -> dict[str, int]:
    if not text:
        return dict(DEFAULT_MIX)
    mix = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in DEFAULT_MIX:
            raise SystemExit(f"--mix: unknown kind {kind!r}; kinds: {', '.join(DEFAULT_MIX)}")
        mix[kind.strip()] = int(weight)
    return mix


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str
    scheduled: float  # seconds from the start of the measured run (negative in warm-up)
    latency: float  # seconds from the scheduled send to the last byte (or to the failure)
    lag: float  # seconds between the scheduled and the actual send (the client's own delay)
    status: int | None
    error: str | None
    retry_after: str | None = None


@dataclass
class Recorder:
    outcomes: list[Outcome] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (t, bytes)
    in_flight: int = 0
    peak_in_flight: int = 0


class Pool:
    """Keep-alive HTTP/1.1 connections to one server, at most `cap` open at once.

    A minimal client on asyncio streams instead of httpx: with hundreds of requests in
    flight httpx's pool cost this process half a core at 100 req/s and sent requests up to
    1.5 s late (measured), which an open-model driver must not do. Requests beyond `cap`
    wait for a connection, and that wait counts in their latency.
    """

    def __init__(self, url: str, cap: int):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cap = cap
        self.open = 0
        self.idle: list[tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], float]] = []
        self.waiters: deque[asyncio.Future[Any]] = deque()

    async def acquire(
        self, fresh: bool = False
    ) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], bool]:
        """(connection, reused). The newest idle connection first; one idle for longer than
        the server keeps it (uvicorn: 5 s) is closed instead; `fresh` opens a new one."""
        while self.idle and not fresh:
            conn, since = self.idle.pop()
            if time.perf_counter() - since < IDLE_S:
                return conn, True
            self.discard(conn)
        if self.open >= self.cap:
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            handed = await waiter  # a connection, or None: open one in its place
            if handed is not None and not fresh:
                return handed, True
            if handed is not None:
                handed[1].close()  # its slot is ours: open a new connection in it
        else:
            self.open += 1
        try:
            return await asyncio.open_connection(self.host, self.port), False
        except BaseException:
            self.discard(None)
            raise

    def release(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.idle.append((conn, time.perf_counter()))

    def discard(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        if conn is not None:
            conn[1].close()
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to it
                return
        self.open -= 1

    async def request(
        self, method: str, path: str, headers: str, body: bytes | None
    ) -> tuple[int, dict[str, str]]:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{headers}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        data = head.encode("latin-1") + b"\r\n" + (body or b"")
        for attempt in (0, 1):
            conn, reused = await self.acquire(fresh=bool(attempt))
            try:
                reader, writer = conn
                writer.write(data)
                try:
                    status_line = await reader.readline()
                except (ConnectionResetError, BrokenPipeError):
                    if not reused or attempt:
                        raise
                    status_line = b""
                if not status_line and reused and not attempt:
                    self.discard(conn)  # an idle connection the server had closed: once more
                    continue
                if not status_line:
                    raise ConnectionError("connection closed without an answer")
                status, answer, keep = await read_response(status_line, reader)
            except BaseException:
                self.discard(conn)
                raise
            if keep:
                self.release(conn)
            else:
                self.discard(conn)
            return status, answer
        raise AssertionError("unreachable")

    def close(self) -> None:
        for (_, writer), _ in self.idle:
            writer.close()
        self.idle.clear()


async def read_response(
    status_line: bytes, reader: asyncio.StreamReader
) -> tuple[int, dict[str, str], bool]:
    """Status, headers and whether the connection stays open; the body is read and dropped."""
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    keep = headers.get("connection", "").lower() != "close"
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif status not in (204, 304):
        await reader.read()  # to the end of the connection
        keep = False
    return status, headers, keep


async def fire(
    pool: Pool,
    headers: dict[str, str],
    plan: Plan,
    kind: str,
    due: float,
    origin: float,
    timeout: float,
    rec: Recorder,
) -> None:
    method, path, body = plan.request(kind)
    started = time.perf_counter()
    rec.in_flight += 1
    rec.peak_in_flight = max(rec.peak_in_flight, rec.in_flight)
    status = error = retry_after = None
    try:
        # The deadline counts from the scheduled time, like the latency.
        async with asyncio.timeout(max(0.001, due + timeout - time.perf_counter())):
            status, answer = await pool.request(
                method, path, headers["page" if kind in PAGES else "api"], body
            )
        retry_after = answer.get("retry-after")
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except TimeoutError:
        error = f"timeout ({timeout:g} s)"
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        error = type(exc).__name__
    finally:
        rec.in_flight -= 1
    done = time.perf_counter()
    rec.outcomes.append(
        Outcome(kind, due - origin, done - due, started - due, status, error, retry_after)
    )


def arrivals(rate: float, seconds: float, poisson: bool, rng: random.Random) -> list[float]:
    """Send times (seconds from the start) of `rate` requests a second for `seconds`."""
    times, t = [], 0.0
    while True:
        t += rng.expovariate(rate) if poisson else 1.0 / rate
        if t >= seconds:
            return times
        times.append(t)


def tree_rss(root: int) -> int | None:
    """Resident memory of `root` and its descendants, in bytes (Linux /proc)."""
    tree = tree_cpu(root)
    if tree is None:
        return None
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


async def sample_rss(server_pid: int, origin: float, rec: Recorder, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        rss = await loop.run_in_executor(None, tree_rss, server_pid)
        if rss is not None:
            rec.rss.append((time.perf_counter() - origin, rss))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def drive(
    args: argparse.Namespace,
    url: str,
    token: str,
    plan: Plan,
    session: str | None,
    server_pid: int | None,
) -> tuple[Recorder, dict[str, Any]]:
    mix = parse_mix(args.mix)
    rng = random.Random(args.seed)
    pool = Pool(url, args.connections)
    common = "Accept-Encoding: gzip\r\n"
    headers = {
        "api": f"{common}Accept: application/json\r\nAuthorization: Bearer {token}\r\n",
        "page": f"{common}Accept: text/html\r\nCookie: sessionid={session or ''}\r\n",
    }
    rec = Recorder()
    total = args.warmup + args.duration
    times = arrivals(args.rate, total, args.arrival == "poisson", rng)
    kinds = rng.choices(list(mix), weights=list(mix.values()), k=len(times))
    tasks: set[asyncio.Task[None]] = set()
    stop = asyncio.Event()
    start = time.perf_counter() + 0.2
    origin = start + args.warmup  # the measured part starts here
    sampler = asyncio.create_task(sample_rss(server_pid, origin, rec, stop)) if server_pid else None
    cpu0 = cpu1 = None
    busy0 = busy1 = None
    self0 = self1 = 0.0
    measured_started = False
    for offset, kind in zip(times, kinds, strict=True):
        due = start + offset
        if not measured_started and offset >= args.warmup:
            measured_started = True
            cpu0, busy0, self0 = tree_cpu(server_pid), machine_busy_seconds(), time.process_time()
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(fire(pool, headers, plan, kind, due, origin, args.timeout, rec))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    sent_until = time.perf_counter()
    cpu1, busy1, self1 = tree_cpu(server_pid), machine_busy_seconds(), time.process_time()
    if tasks:
        await asyncio.wait(set(tasks))
    stop.set()
    if sampler:
        await sampler
    pool.close()
    wall = max(1e-9, sent_until - origin)
    cpu: dict[str, Any] = {"client_cores": round((self1 - self0) / wall, 3)}
    if cpu0 is not None and cpu1 is not None:
        spent = {pid: t - cpu0.get(pid, 0.0) for pid, t in cpu1.items()}
        cpu["server_cores"] = round(sum(spent.values()) / wall, 3)
        cpu["server_cores_by_process"] = sorted(
            (round(t / wall, 2) for t in spent.values() if t > 0.05 * wall), reverse=True
        )
        if busy0 is not None and busy1 is not None:
            other = busy1 - busy0 - sum(spent.values()) - (self1 - self0)
            cpu["other_cores"] = round(max(0.0, other) / wall, 3)
    return rec, cpu


# --- figures ----------------------------------------------------------------------------------


def stats(latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(x * 1000 for x in latencies)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "p50_ms": round(percentile(ordered, 50), 1),
        "p95_ms": round(percentile(ordered, 95), 1),
        "p99_ms": round(percentile(ordered, 99), 1),
        "max_ms": round(ordered[-1], 1),
    }


def summarize(rec: Recorder, args: argparse.Namespace, cpu: dict[str, Any]) -> dict[str, Any]:
    measured = [o for o in rec.outcomes if o.scheduled >= 0]
    ok = [o for o in measured if o.error is None]
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in measured:
        by_kind[o.kind].append(o)
    errors = Counter(o.error for o in measured if o.error)
    shed = [o for o in measured if o.status == 503]
    kinds = {}
    for kind in DEFAULT_MIX:
        outs = by_kind.get(kind, [])
        if not outs:
            continue
        kinds[kind] = stats([o.latency for o in outs if o.error is None]) | {
            "sent": len(outs),
            "errors": dict(Counter(o.error for o in outs if o.error)),
        }
    # Errors are answered too: how fast a refusal came back matters when shedding load.
    failed = [o for o in measured if o.error is not None and o.status is not None]
    timeline = []
    for start in range(0, int(math.ceil(args.duration)), WINDOW_S):
        window = [o for o in measured if start <= o.scheduled < start + WINDOW_S]
        good = [o.latency for o in window if o.error is None]
        rss = [r for t, r in rec.rss if start <= t < start + WINDOW_S]
        timeline.append(
            {"from_s": start, "sent": len(window), "ok": len(good)}
            | {k: v for k, v in stats(good).items() if k in ("p50_ms", "p95_ms", "p99_ms")}
            | {"errors": len(window) - len(good)}
            | ({"rss_mb": round(max(rss) / 2**20, 1)} if rss else {})
        )
    rss_all = [(t, r) for t, r in rec.rss if t >= 0]
    memory: dict[str, Any] = {}
    if rss_all:
        first = [r for t, r in rss_all if t < 60] or [rss_all[0][1]]
        last = [r for t, r in rss_all if t >= rss_all[-1][0] - 60] or [rss_all[-1][1]]
        memory = {
            "rss_mb_start": round(rss_all[0][1] / 2**20, 1),
            "rss_mb_end": round(rss_all[-1][1] / 2**20, 1),
            "rss_mb_max": round(max(r for _, r in rss_all) / 2**20, 1),
            "rss_mb_first_minute_mean": round(sum(first) / len(first) / 2**20, 1),
            "rss_mb_last_minute_mean": round(sum(last) / len(last) / 2**20, 1),
        }
    lags = sorted(o.lag * 1000 for o in measured)
    return {
        "sent": len(measured),
        "ok": len(ok),
        "target_rate": args.rate,
        "offered_rate": round(len(measured) / args.duration, 1),
        "achieved_rate": round(len(ok) / args.duration, 1),
        "overall": stats([o.latency for o in ok]),
        "reads": stats([o.latency for o in ok if o.kind not in WRITES]),
        "writes": stats([o.latency for o in ok if o.kind in WRITES]),
        "errors": dict(errors),
        "errors_total": sum(errors.values()),
        "refusals": stats([o.latency for o in failed]),
        "shed_503": len(shed),
        "shed_503_with_retry_after": sum(1 for o in shed if o.retry_after),
        "kinds": kinds,
        "timeline": timeline,
        "memory": memory,
        "cpu": cpu,
        "client_send_lag_ms": {
            "p50": round(percentile(lags, 50), 2) if lags else None,
            "p99": round(percentile(lags, 99), 2) if lags else None,
            "max": round(lags[-1], 2) if lags else None,
        },
        "peak_in_flight": rec.peak_in_flight,
    }


def fmt(s: dict[str, Any]) -> str:
    if not s.get("n"):
        return "           -"
    return (
        f"{s['p50_ms']:7.1f} {s['p95_ms']:7.1f} {s['p99_ms']:7.1f} {s['max_ms']:8.1f}  n={s['n']}"
    )


def print_report(result: dict[str, Any]) -> None:
    meta = result["meta"]
    print(
        f"\n{meta.get('label', '')}: open model, {meta['arrival']} arrivals, target "
        f"{result['target_rate']:g} req/s for {meta['duration_s']:g} s (after "
        f"{meta['warmup_s']:g} s warm-up)"
    )
    print(
        f"sent {result['sent']}, ok {result['ok']} ({result['achieved_rate']:g} ok/s), "
        f"errors {result['errors_total']} {result['errors'] or ''}, 503s {result['shed_503']} "
        f"({result['shed_503_with_retry_after']} with Retry-After), peak in flight "
        f"{result['peak_in_flight']}"
    )
    print(f"{'':14}{'p50':>7} {'p95':>7} {'p99':>7} {'max':>8}   (ms, from the scheduled send)")
    for name in ("overall", "reads", "writes"):
        print(f"{name:14}{fmt(result[name])}")
    if result["refusals"].get("n"):
        print(f"{'(refusals)':14}{fmt(result['refusals'])}")
    for kind, s in result["kinds"].items():
        err = f"  errors {s['errors']}" if s["errors"] else ""
        print(f"  {kind:12}{fmt(s)}{err}")
    print("timeline (10 s windows): from_s sent ok p95 p99 errors rss_mb")
    for w in result["timeline"]:
        print(
            f"  {w['from_s']:4d} {w['sent']:5d} {w['ok']:5d} {w.get('p95_ms', '-'):>7} "
            f"{w.get('p99_ms', '-'):>7} {w['errors']:5d} {w.get('rss_mb', '-'):>7}"
        )
    if result["memory"]:
        m = result["memory"]
        print(
            f"server RSS: {m['rss_mb_start']} MB at start, {m['rss_mb_end']} at end, max "
            f"{m['rss_mb_max']}; first minute mean {m['rss_mb_first_minute_mean']}, last "
            f"minute {m['rss_mb_last_minute_mean']}"
        )
    print(f"cpu (cores): {result['cpu']}; client send lag ms {result['client_send_lag_ms']}")
    lag = result["client_send_lag_ms"]["p99"]
    if lag is not None and lag > 5:
        print(f"WARNING: the client sent 1% of requests {lag:.0f}+ ms late (it was short of CPU)")


# --- a server of our own ----------------------------------------------------------------------


def own_server(args: argparse.Namespace) -> tuple[Any, ...]:
    """Build a scratch server like bench/suite.py; returns (url, token, password, server,
    cleanup, meta)."""
    import suite

    engine = "sqlite" if args.database == "sqlite" else "postgres"
    pg_base = args.database_url or os.environ.get("DOCKET_DATABASE_URL", "")
    if engine == "postgres" and not pg_base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--database postgres needs DOCKET_DATABASE_URL or --database-url")
    if engine == "postgres" and args.pg_db in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to drop {args.pg_db!r}: pick another --pg-db")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = suite.OUT / f"{stamp}-load-{engine}-w{args.workers}-r{args.rate:g}"
    data_dir = run_dir / "data"
    data_dir.mkdir(parents=True)
    args.run_dir = run_dir
    env = {k: v for k, v in os.environ.items() if k != "DOCKET_DATABASE_URL"}
    env |= {"DOCKET_DATA_DIR": str(data_dir), "COLUMNS": "300", "PYTHONUNBUFFERED": "1"}
    if engine == "postgres":
        suite.say(f"PostgreSQL: fresh scratch database {args.pg_db}")
        env["DOCKET_DATABASE_URL"] = suite.pg_recreate(pg_base, args.pg_db)
    for item in args.server_env:
        key, _, value = item.partition("=")
        env[key] = value
    docket = suite.docket_command()
    imported = load_dataset(args, engine, env, run_dir, pg_base, docket)
    password = imported["password"]
    token = suite.run([*docket, "token", "create", suite.ADMIN, "--name", "load"], env)
    token = token.stdout.strip().splitlines()[-1]
    port = args.port or suite.free_port()
    server = suite.start_server(env, port, args.workers, run_dir / "server.log")

    def cleanup() -> None:
        suite.stop_server(server)
        if not args.keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)
            if engine == "postgres":
                suite.pg_recreate(pg_base, args.pg_db, create=False)

    meta = {
        "database": engine,
        "workers": args.workers,
        "issues": imported["issues"],
        "commit": suite.git_state(),
        "docket_src": docket_source(env),
        "run_dir": str(run_dir),
    }
    return f"http://127.0.0.1:{port}", token, password, server, cleanup, meta


def docket_source(env: dict[str, str]) -> str:
    """Where the server imports Docket from (PYTHONPATH can point it at another tree)."""
    import subprocess

    found = subprocess.run(
        [sys.executable, "-c", "import docket; print(docket.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip()


def load_dataset(
    args: argparse.Namespace,
    engine: str,
    env: dict[str, str],
    run_dir: Path,
    pg_base: str,
    docket: list[str],
) -> dict[str, Any]:
    """A site admin and the imported dataset in the run's database: imported afresh once,
    then copied from a cache (bench/out/data/load-<db>-<N>.sqlite3, or the PostgreSQL
    database docket_load_seed_<N>, a template) unless --fresh. Returns the import's figures
    and the admin's password."""
    import suite

    cache = suite.OUT / "data" / f"load-{engine}-{args.issues}"
    seed_db = f"docket_load_seed_{args.issues}"
    password_file = cache.with_suffix(".password")
    if not args.fresh and password_file.exists():
        if engine == "sqlite":
            shutil.copy(
                cache.with_suffix(".sqlite3"), Path(env["DOCKET_DATA_DIR"]) / "docket.sqlite3"
            )
        else:
            clone_pg(pg_base, seed_db, args.pg_db)
        suite.say(f"dataset copied from the cache ({cache.name}; --fresh to import again)")
        info = json.loads(password_file.read_text())
        return info
    password = secrets.token_urlsafe(18)
    suite.say(f"creating site admin {suite.ADMIN!r} (and the schema)")
    suite.run(
        [*docket, "createadmin", "--username", suite.ADMIN, "--email", "bench@example.com"]
        + ["--password-stdin"],
        env,
        input=password + "\n",
    )
    imported = suite.bulk_load(suite.dataset(args.issues, 42), env, run_dir, 1000)
    drain_worker(env)
    info = {"password": password, "issues": imported["issues"]}
    if engine == "sqlite":
        shutil.copy(Path(env["DOCKET_DATA_DIR"]) / "docket.sqlite3", cache.with_suffix(".sqlite3"))
    else:
        clone_pg(pg_base, args.pg_db, seed_db)
    password_file.write_text(json.dumps(info))
    return info


def drain_worker(env: dict[str, str]) -> None:
    """Let the worker read the import's events before the dataset is cached: otherwise the
    server's own worker spends the first minute or two of every run catching up on ~110,000
    events (a core's worth of CPU) while the load is measured."""
    import suite

    started = time.monotonic()
    script = (
        "import django; django.setup()\n"
        "from docket.worker.runner import Worker\n"
        "worker, done = Worker(), 0\n"
        "while (step := worker.step()):\n"
        "    done += step\n"
        "print(done)\n"
    )
    drained = subprocess.run(
        [sys.executable, "-c", script],
        env=env | {"DJANGO_SETTINGS_MODULE": "docket.config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    suite.say(
        f"worker caught up: {int(drained.stdout.split()[-1]):,} events and jobs "
        f"in {time.monotonic() - started:.1f}s"
    )


def clone_pg(base: str, source: str, target: str) -> None:
    """CREATE DATABASE target TEMPLATE source (target dropped first)."""
    import psycopg
    from psycopg import sql

    import suite

    maintenance = suite._pg_url(base, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(target), sql.Identifier(source)
            )
        )


def sign_in(url: str, username: str, password: str) -> str:
    response = httpx.post(
        url + f"{API}/auth/login", json={"username": username, "password": password}, timeout=10
    )
    session = response.cookies.get("sessionid")
    if response.status_code != 200 or not session:
        raise SystemExit(f"sign-in as {username!r} failed: HTTP {response.status_code}")
    return session


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rate", type=float, default=100.0, help="requests per second (100)")
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds (60)")
    p.add_argument("--warmup", type=float, default=10.0, help="seconds at --rate first, unmeasured")
    p.add_argument("--arrival", choices=("poisson", "constant"), default="poisson")
    p.add_argument(
        "--mix",
        help="kind=weight,... (default: "
        + ",".join(f"{k}={v}" for k, v in DEFAULT_MIX.items())
        + ")",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds from the scheduled send")
    p.add_argument("--connections", type=int, default=256, help="client connection cap (256)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--project", default="WEB", help="project for lists and creates")
    p.add_argument("--label", default="", help="a name for this run in the report")
    p.add_argument("--json-out", type=Path, help="write the results here too")
    target = p.add_argument_group("an existing server")
    target.add_argument("--url", help="measure this server instead of starting one")
    target.add_argument("--token", default=os.environ.get("DOCKET_TOKEN"), help="API token")
    target.add_argument("--username", help="sign in as this user for the pages")
    target.add_argument("--password", default=os.environ.get("DOCKET_PASSWORD"))
    target.add_argument("--server-pid", type=int, help="sample this process tree's RSS and CPU")
    own = p.add_argument_group("a server of its own")
    own.add_argument(
        "--workers", type=int, help="docket serve --workers (default: serve's, one per CPU)"
    )
    own.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    own.add_argument("--database-url", help="PostgreSQL server (else DOCKET_DATABASE_URL)")
    own.add_argument("--pg-db", default="docket_load", help="scratch database (dropped!)")
    own.add_argument("--issues", type=int, default=32000, help="dataset size (32,000)")
    own.add_argument("--port", type=int, default=0)
    own.add_argument("--keep-data", action="store_true")
    own.add_argument("--fresh", action="store_true", help="import again instead of the cache")
    own.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server (repeatable)",
    )
    args = p.parse_args(argv)
    if args.workers is None and not args.url:
        from docket.cli.main import default_workers

        args.workers = default_workers()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cleanup = None
    meta: dict[str, Any] = {}
    args.run_dir = None
    if args.url:
        if not args.token:
            raise SystemExit("--url needs --token (or DOCKET_TOKEN)")
        url, token, server_pid = args.url.rstrip("/"), args.token, args.server_pid
        session = (
            sign_in(url, args.username, args.password) if args.username and args.password else None
        )
        if session is None and any(k in parse_mix(args.mix) for k in ("issue_page", "list_page")):
            raise SystemExit("pages need --username and --password (or drop them with --mix)")
    else:
        url, token, password, server, cleanup, meta = own_server(args)
        server_pid = server.pid
        session = sign_in(url, "bench", password)  # suite.ADMIN
    try:
        client = Client(url, token)
        found = discover(client, args.project, args.seed)
        client.close()
        plan = Plan(
            project=args.project,
            keys=found["keys"],
            assignees=found["assignees"],
            payloads=create_payloads(found, 200, args.seed),
            rng=random.Random(args.seed + 7),
        )
        loadavg = os.getloadavg()
        rec, cpu = asyncio.run(drive(args, url, token, plan, session, server_pid))
    finally:
        if cleanup is not None:
            cleanup()
    result = summarize(rec, args, cpu)
    label = args.label or (
        f"{meta.get('database', 'server')} workers={meta.get('workers', '?')} "
        f"@ {meta.get('commit', '?')}"
    )
    result["meta"] = meta | {
        "label": label,
        "url": url,
        "arrival": args.arrival,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "mix": parse_mix(args.mix),
        "seed": args.seed,
        "loadavg_before": [round(x, 2) for x in loadavg],
        "when": dt.datetime.now().isoformat(timespec="seconds"),
    }
    print_report(result)
    text = json.dumps(result, indent=2) + "\n"
    if args.run_dir is not None:
        (args.run_dir / "results.json").write_text(text)
    if args.json_out:
        args.json_out.write_text(text)
    return 1 if result["errors_total"] else 0


if __name__ == "__main__":
    sys.exit(main())
