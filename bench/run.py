"""Measure a running Docket server over real HTTP.

    python bench/run.py --url http://127.0.0.1:8765 --token dkt_... --project WEB \
        --seconds 10 --clients 8 --json-out bench/out/results.json

Phases (each warmed up first, then measured):

  get         sequential GET /api/v1/issues/{key} on random existing keys
  list        sequential GET /api/v1/issues?project=P&state=open&assignee=U&sort=priority-desc
              &limit=50, cycling over assignees that have open issues in P
  throughput  --clients concurrent keep-alive connections doing get-by-key for --seconds:
              `wrk` when it is installed (1 thread, low overhead), else one Python process
              per client
  create      sequential POST /api/v1/projects/{P}/issues (~100-word description); run last
              so the reads above see the dataset as imported

Extra phases (not run by default; `--phases all` runs everything):

  query       sequential GET /api/v1/issues?q=project:P is:open priority:>=high -label:L
              assignee:U sort:updated-desc&limit=50, cycling over the same assignees as list
  search      sequential GET /api/v1/search?q=WORD&limit=50, twice: a word in a few per cent
              of issues (--search-rare, `login`) and one in nearly all (--search-common, `the`),
              reported as search_rare and search_common
  transition  sequential POST /api/v1/issues/{key}/transitions {"to": ...} on open issues of P,
              each taken open -> in progress -> open ... in turn (the moves are checked first
              with GET /issues/{key}/transitions)

Sequential phases use one keep-alive http.client connection (about 0.1 ms of client CPU a
request); the client's and, with --server-pid, the server's CPU use are reported so client
overhead is visible. Latencies count successful responses only; errors are counted apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

# What Docket aims for at N=100,000 issues on a 2-core machine, and two peers measured at
# N=10,000 on SQLite (Roundup 2.6, Trac 1.6). Latencies in ms, rates per second.
TARGETS: dict[str, tuple[str, float]] = {
    "get_p95_ms": ("<=", 5.0),
    "list_p95_ms": ("<=", 10.0),
    "create_p95_ms": ("<=", 10.0),
    "throughput_rps": (">=", 500.0),
    "bulk_load_issues_per_s": (">=", 5000.0),
    "query_p95_ms": ("<=", 15.0),
    "search_rare_p95_ms": ("<=", 25.0),
    "search_common_p95_ms": ("<=", 25.0),
    "transition_p95_ms": ("<=", 10.0),
}
PEERS: dict[str, dict[str, float]] = {
    "Roundup 2.6": {
        "get_p95_ms": 27,
        "list_p95_ms": 60,
        "create_p95_ms": 69,
        "throughput_rps": 79,
        "bulk_load_issues_per_s": 53,
    },
    "Trac 1.6": {
        "get_p95_ms": 55,
        "list_p95_ms": 76,
        "create_p95_ms": 30,
        "throughput_rps": 22,
        "bulk_load_issues_per_s": 1529,
    },
}
HEADLINE = [
    ("create_p95_ms", "create p95", "ms"),
    ("get_p95_ms", "get-by-key p95", "ms"),
    ("list_p95_ms", "filtered list p95", "ms"),
    ("throughput_rps", "clients x get-by-key", "req/s"),
    ("bulk_load_issues_per_s", "bulk load (docket import)", "issues/s"),
    ("query_p95_ms", "compound query p95", "ms"),
    ("search_rare_p95_ms", "search p95 (rare word)", "ms"),
    ("search_common_p95_ms", "search p95 (common word)", "ms"),
    ("transition_p95_ms", "transition p95", "ms"),
]
HEADLINE_ALWAYS = {m for m, _, _ in HEADLINE[:5]}  # shown even when not measured
PHASES = ("get", "list", "throughput", "create")  # the default set
EXTRA_PHASES = ("query", "search", "transition")
ALL_PHASES = PHASES + EXTRA_PHASES
# Result keys in the order the details table shows them.
RESULT_ORDER = (
    "create",
    "get",
    "list",
    "query",
    "search_rare",
    "search_common",
    "transition",
    "throughput",
)
API = "/api/v1"


# --- HTTP -------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects (and counts it) if the server closed it."""

    def __init__(self, url: str, token: str, timeout: float = 30.0):
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise SystemExit(f"--url must be http://host:port (got {url!r})")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        # Like a browser or httpx, accept gzip: the server's compression is part of its time.
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
        }
        self.post_headers = {**self.headers, "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None
        self.reconnects = 0
        self.transferred = 0  # bytes of the last response's body as sent, before gunzip

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = self.headers if body is None else self.post_headers
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.reconnects += 1
            try:
                self.conn.request(method, self.prefix + path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                self.transferred = len(data)
                if response.getheader("Content-Encoding") == "gzip":
                    data = gzip.decompress(data)
            except (http.client.HTTPException, OSError):
                self.close()  # a keep-alive connection the server timed out: retry once
                if attempt:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, data
        raise AssertionError("unreachable")

    def json(self, path: str, payload: Any = None, method: str = "GET") -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.request(method if payload is None else "POST", path, body)
        if status >= 300:
            raise SystemExit(f"{method} {path} -> HTTP {status}: {data[:300]!r}")
        return json.loads(data)


# --- CPU accounting ---------------------------------------------------------------------------

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_cpu(root: int | None) -> dict[int, float] | None:
    """CPU seconds used so far by `root` and each of its descendants (Linux /proc), or None."""
    if not root or not os.path.isdir("/proc"):
        return None
    children: dict[int, list[int]] = {}
    used: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        used[pid] = int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    if root not in used:
        return None
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        tree[pid] = used.get(pid, 0) / _CLK_TCK
        todo.extend(children.get(pid, []))
    return tree


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait
    return (sum(fields[:8]) - fields[3] - fields[4]) / _CLK_TCK


class CpuMeter:
    """Wall time and CPU use in a phase: this process and its reaped children (the client),
    the server's process tree, and everything else on the machine (other = noise)."""

    def __init__(self, server_pid: int | None):
        self.server_pid = server_pid

    def __enter__(self) -> CpuMeter:
        self.wall0 = time.perf_counter()
        self.self0 = time.process_time()
        self.kids0 = _children_cpu()
        self.server0 = tree_cpu(self.server_pid)
        self.busy0 = machine_busy_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.client_cpu = time.process_time() - self.self0 + _children_cpu() - self.kids0
        server1 = tree_cpu(self.server_pid)
        busy1 = machine_busy_seconds()
        self.server_cpu = None
        self.per_process: list[float] = []
        if self.server0 is not None and server1 is not None:
            spent = {pid: t - self.server0.get(pid, 0.0) for pid, t in server1.items()}
            self.server_cpu = sum(spent.values())
            # Busy server processes, busiest first: shows whether the workers share the load.
            self.per_process = sorted((t for t in spent.values() if t > 0.02), reverse=True)
        self.other_cpu = None
        if self.busy0 is not None and busy1 is not None and self.server_cpu is not None:
            self.other_cpu = max(0.0, busy1 - self.busy0 - self.server_cpu - self.client_cpu)

    def report(self) -> dict[str, float | None]:
        wall = max(self.wall, 1e-9)
        return {
            "wall_s": round(self.wall, 3),
            "client_cpu_cores": round(self.client_cpu / wall, 3),
            "server_cpu_cores": None
            if self.server_cpu is None
            else round(self.server_cpu / wall, 3),
            "other_cpu_cores": None if self.other_cpu is None else round(self.other_cpu / wall, 3),
            "server_cores_by_process": [round(t / wall, 2) for t in self.per_process],
        }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- statistics -------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarize_ms(latencies_ns: list[int]) -> dict[str, float | int]:
    ordered = sorted(ns / 1e6 for ns in latencies_ns)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "p50_ms": round(percentile(ordered, 50), 3),
        "p95_ms": round(percentile(ordered, 95), 3),
        "p99_ms": round(percentile(ordered, 99), 3),
        "mean_ms": round(sum(ordered) / len(ordered), 3),
        "max_ms": round(ordered[-1], 3),
    }


# --- discovering what to ask for --------------------------------------------------------------


def discover(client: Client, project: str, seed: int) -> dict[str, Any]:
    projects = [p["key"] for p in client.json(f"{API}/projects")]
    if project not in projects:
        raise SystemExit(f"project {project!r} not found or not visible; have {projects}")
    highest: dict[str, int] = {}
    for key in projects:
        page = client.json(
            f"{API}/issues?" + urlencode({"project": key, "sort": "key-desc", "limit": 1})
        )
        if page["items"]:
            highest[key] = page["items"][0]["number"]
    # Assignees who have open issues in the project, so every listing has something to show.
    assignees: set[str] = set()
    query = {"project": project, "state": "open", "sort": "created-desc", "limit": 200}
    for _ in range(3):
        page = client.json(f"{API}/issues?" + urlencode(query))
        assignees |= {i["assignee"] for i in page["items"] if i["assignee"]}
        if not page["next_cursor"]:
            break
        query["cursor"] = page["next_cursor"]
    if not assignees:  # an empty project: fall back to its members
        members = client.json(f"{API}/projects/{project}/members")
        assignees = {m["user"] for m in members if m["user"]}
    components = [c["name"] for c in client.json(f"{API}/projects/{project}/components")]
    milestones = [m["name"] for m in client.json(f"{API}/projects/{project}/milestones")]
    rng = random.Random(seed)
    keys = [f"{k}-{n}" for k, n in highest.items()]  # the newest of each project exist
    weighted = [(k, n) for k, n in highest.items()]
    total = sum(n for _, n in weighted)
    for _ in range(min(5000, total)):
        key, top = rng.choices(weighted, weights=[n for _, n in weighted])[0]
        keys.append(f"{key}-{rng.randint(1, top)}")
    rng.shuffle(keys)
    return {
        "projects": highest,
        "issues_seen": total,
        "keys": keys,
        "assignees": sorted(assignees),
        "components": components,
        "milestones": milestones,
    }


def create_payloads(found: dict[str, Any], count: int, seed: int) -> list[bytes]:
    """Realistic new issues: sample-data titles and ~100-word descriptions, a real assignee."""
    try:
        from docket.cli.sampledata import generate

        records = [r for r in generate(count, seed=seed + 1, user_count=1) if r["kind"] == "issue"]
    except ImportError:  # run outside Docket's venv: plain text of the same size
        words = ("the quick brown fox jumps over the lazy dog " * 12).split()[:100]
        records = [
            {"title": f"Benchmark issue {i}", "description": " ".join(words)} for i in range(count)
        ]
    rng = random.Random(seed)
    payloads = []
    for record in records:
        payload = {
            k: record[k]
            for k in ("title", "description", "type", "priority", "severity", "labels")
            if k in record
        }
        if found["assignees"] and rng.random() < 0.8:
            payload["assignee"] = rng.choice(found["assignees"])
        if found["components"]:
            payload["components"] = [rng.choice(found["components"])]
        if found["milestones"] and rng.random() < 0.75:
            payload["milestone"] = rng.choice(found["milestones"])
        payloads.append(json.dumps(payload, separators=(",", ":")).encode())
    return payloads


def _quoted(value: str) -> str:
    """A query-language value: bare when it is a plain word, else double-quoted."""
    if value and all(c.isalnum() or c in "._-@" for c in value):
        return value
    return '"' + value.replace('"', '\\"') + '"'


def transition_issues(client: Client, project: str, count: int) -> list[str]:
    """Keys of up to `count` issues of `project` in state Open whose workflow lets the caller
    move them to In Progress and back (checked on the first with GET .../transitions)."""
    page = client.json(
        f"{API}/issues?"
        + urlencode({"project": project, "status": "open", "sort": "key-desc", "limit": count})
    )
    keys = [i["key"] for i in page["items"] if str(i.get("status", "")).lower() == "open"]
    if not keys:
        raise SystemExit(f"transition: no issues in state open in {project}")
    moves = client.json(f"{API}/issues/{quote(keys[0])}/transitions")
    if "in progress" not in {t["to"] for t in moves["transitions"]}:
        raise SystemExit(f"transition: {keys[0]} cannot move open -> in progress: {moves}")
    return keys


# --- sequential latency -----------------------------------------------------------------------

Request = tuple[str, str, bytes | None]


def latency_phase(
    client: Client,
    make: Callable[[int], Request],
    ok: int,
    *,
    seconds: float,
    requests: int | None,
    warmup: int,
    server_pid: int | None,
    check: Callable[[int, bytes], None] | None = None,
) -> dict[str, Any]:
    for i in range(warmup):
        status, data = client.request(*make(-1 - i))
        if check:
            check(status, data)
    latencies: list[int] = []
    errors: dict[str, int] = {}
    body_bytes = 0
    reconnects = client.reconnects
    clock = time.perf_counter_ns
    limit = requests if requests else 10**9
    deadline = clock() + int(seconds * 1e9)
    with CpuMeter(server_pid) as meter:
        for i in range(limit):
            method, path, body = make(i)
            start = clock()
            status, data = client.request(method, path, body)
            end = clock()
            if status == ok:
                latencies.append(end - start)
                body_bytes += len(data)
            else:
                errors[str(status)] = errors.get(str(status), 0) + 1
            if not requests and end >= deadline:
                break
    result: dict[str, Any] = summarize_ms(latencies)
    done = len(latencies) + sum(errors.values())
    result.update(
        errors=sum(errors.values()),
        error_statuses=errors,
        rps=round(done / max(meter.wall, 1e-9), 1),
        avg_body_bytes=round(body_bytes / max(len(latencies), 1)),
        reconnects=client.reconnects - reconnects,
        **meter.report(),
    )
    return result


# --- concurrent throughput --------------------------------------------------------------------

WRK_SCRIPT = """
local paths = {%(paths)s}
local count = #paths
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Accept"] = "application/json"
local counter = 0
local thread_seed = %(seed)d

setup = function(thread)
  thread_seed = thread_seed + 1
  thread:set("seed", thread_seed)
end

init = function(args)
  math.randomseed(seed or %(seed)d)
end

request = function()
  return wrk.format("GET", paths[math.random(count)])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\\"requests\\":%%d,\\"duration_us\\":%%d,\\"bytes\\":%%d,\\"connect\\":%%d," ..
    "\\"read\\":%%d,\\"write\\":%%d,\\"status\\":%%d,\\"timeout\\":%%d,\\"p50_us\\":%%d," ..
    "\\"p95_us\\":%%d,\\"p99_us\\":%%d,\\"max_us\\":%%d,\\"mean_us\\":%%.1f}\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def throughput_wrk(
    wrk: str,
    url: str,
    token: str,
    paths: list[str],
    clients: int,
    seconds: float,
    server_pid: int | None,
    seed: int,
    threads: int,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="docket-bench-") as tmp:
        script = Path(tmp) / "get.lua"
        script.write_text(
            WRK_SCRIPT
            % {
                "paths": ",".join(json.dumps(p) for p in paths),
                "token": token.replace('"', ""),
                "seed": seed,
            }
        )
        base = [
            wrk,
            f"-t{min(threads, clients)}",
            f"-c{clients}",
            "--timeout",
            "10s",
            "-s",
            str(script),
        ]
        warm = subprocess.run([*base, "-d2s", url], capture_output=True, text=True, check=False)
        if warm.returncode != 0:
            raise RuntimeError(f"wrk failed: {warm.stderr.strip() or warm.stdout.strip()}")
        with CpuMeter(server_pid) as meter:
            run = subprocess.run(
                [*base, f"-d{max(1, round(seconds))}s", url],
                capture_output=True,
                text=True,
                check=False,
            )
    line = next((x for x in run.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if run.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {run.stderr.strip() or run.stdout.strip()}")
    raw = json.loads(line.removeprefix("BENCHJSON "))
    duration = raw["duration_us"] / 1e6
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    ok = raw["requests"] - raw["status"]
    return {
        "tool": f"wrk -t{min(threads, clients)} -c{clients}",
        "clients": clients,
        "seconds": round(duration, 2),
        "requests": raw["requests"],
        "rps": round(ok / duration, 1),
        "errors": raw["status"] + socket_errors,
        "error_detail": {k: raw[k] for k in ("status", "connect", "read", "write", "timeout")},
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "avg_body_bytes": round(raw["bytes"] / max(raw["requests"], 1)),
        **meter.report(),
    }


def _throughput_worker(
    url: str, token: str, paths: list[str], seed: int, seconds: float, barrier: Any, out: Any
) -> None:
    client = Client(url, token)
    rng = random.Random(seed)
    client.request("GET", rng.choice(paths))  # connect before the clock starts
    barrier.wait()
    clock = time.perf_counter_ns
    start = clock()
    deadline = start + int(seconds * 1e9)
    latencies: list[int] = []
    errors = 0
    end = start
    while end < deadline:
        path = rng.choice(paths)
        t0 = clock()
        try:
            status, _ = client.request("GET", path)
        except (http.client.HTTPException, OSError):
            status = 0
        end = clock()
        if status == 200:
            latencies.append(end - t0)
        else:
            errors += 1
    client.close()
    out.put((latencies, errors, (end - start) / 1e9))


def throughput_python(
    url: str,
    token: str,
    paths: list[str],
    clients: int,
    seconds: float,
    server_pid: int | None,
    seed: int,
    warmup: float = 2.0,
) -> dict[str, Any]:
    ctx = mp.get_context("fork" if sys.platform == "linux" else "spawn")

    def run(duration: float) -> tuple[list[tuple[list[int], int, float]], CpuMeter]:
        barrier, out = ctx.Barrier(clients + 1), ctx.Queue()
        procs = [
            ctx.Process(
                target=_throughput_worker,
                args=(url, token, paths, seed + i, duration, barrier, out),
            )
            for i in range(clients)
        ]
        for proc in procs:
            proc.start()
        barrier.wait(timeout=60)
        with CpuMeter(server_pid) as meter:
            results = [out.get(timeout=duration + 60) for _ in procs]
            for proc in procs:
                proc.join()
        return results, meter

    run(warmup)
    results, meter = run(seconds)
    latencies = [ns for lat, _, _ in results for ns in lat]
    errors = sum(e for _, e, _ in results)
    elapsed = sum(s for _, _, s in results) / len(results)
    return {
        "tool": f"python x{clients} processes",
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(latencies) + errors,
        "rps": round(len(latencies) / elapsed, 1),
        "errors": errors,
        **summarize_ms(latencies),
        **meter.report(),
    }


# --- reporting --------------------------------------------------------------------------------


def headline(results: dict[str, Any]) -> dict[str, float | None]:
    def pick(phase: str, field: str) -> float | None:
        value = results.get(phase, {}).get(field)
        return value if isinstance(value, int | float) else None

    return {
        "create_p95_ms": pick("create", "p95_ms"),
        "get_p95_ms": pick("get", "p95_ms"),
        "list_p95_ms": pick("list", "p95_ms"),
        "throughput_rps": pick("throughput", "rps"),
        "bulk_load_issues_per_s": pick("bulk_load", "issues_per_s"),
        "query_p95_ms": pick("query", "p95_ms"),
        "search_rare_p95_ms": pick("search_rare", "p95_ms"),
        "search_common_p95_ms": pick("search_common", "p95_ms"),
        "transition_p95_ms": pick("transition", "p95_ms"),
    }


def meets(metric: str, value: float | None) -> bool | None:
    if value is None:
        return None
    op, target = TARGETS[metric]
    return value <= target if op == "<=" else value >= target


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.2f} ms"
    return f"{value:,.0f} {unit}"


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:  # a pipe or a file: don't squeeze the tables into 80 columns
        console = Console(width=150)
    meta, results, heads = report["meta"], report["results"], report["headline"]
    title = f"Docket benchmark: {meta.get('label') or meta['url']}"
    table = Table(
        title=title,
        caption="targets are for N=100,000 on a 2-core machine; peers at N=10,000 on SQLite",
    )
    for column in ("metric", "Docket", "target", "", *PEERS):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for metric, label, unit in HEADLINE:
        if metric == "throughput_rps":
            label = f"{meta.get('clients', 8)} {label}"
        value = heads.get(metric)
        if value is None and metric not in HEADLINE_ALWAYS:
            continue  # an extra phase that was not run
        ok = meets(metric, value)
        op, target = TARGETS[metric]
        mark = "" if ok is None else ("[green]ok[/green]" if ok else "[red]miss[/red]")
        peers = [_fmt(PEERS[p].get(metric), unit) for p in PEERS]
        table.add_row(label, _fmt(value, unit), f"{op} {_fmt(target, unit)}", mark, *peers)
    console.print(table)

    detail = Table(title="details (latencies of successful requests)")
    for column in (
        "phase",
        "n",
        "errors",
        "p50",
        "p95",
        "p99",
        "mean",
        "max",
        "req/s",
        "client cores",
        "server cores",
        "server CPU/req",
        "other cores",
    ):
        detail.add_column(column, justify="left" if column == "phase" else "right")
    for phase in RESULT_ORDER:
        r = results.get(phase)
        if not r:
            continue
        name = phase if phase != "throughput" else f"throughput ({r.get('tool')})"

        def cores(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f}"

        detail.add_row(
            name,
            str(r.get("n", r.get("requests", "-"))),
            str(r.get("errors", 0)),
            *(
                f"{r[k]:.2f}" if isinstance(r.get(k), int | float) else "-"
                for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms")
            ),
            f"{r.get('rps', 0):,.0f}",
            cores(r.get("client_cpu_cores")),
            cores(r.get("server_cpu_cores"))
            + (
                f" ({'+'.join(f'{c:.2f}' for c in r['server_cores_by_process'])})"
                if len(r.get("server_cores_by_process") or []) > 1
                else ""
            ),
            "-"
            if r.get("server_cpu_ms_per_request") is None
            else f"{r['server_cpu_ms_per_request']:.2f} ms",
            cores(r.get("other_cpu_cores")),
        )
    console.print(detail)
    noisy = [p for p, r in results.items() if (r.get("other_cpu_cores") or 0) > 0.25]
    if noisy:
        console.print(
            f"[yellow]warning:[/yellow] other processes used CPU during {', '.join(noisy)} "
            "(the 'other cores' column); on a 2-core machine that skews the figures"
        )
    tput = results.get("throughput", {})
    split, workers = tput.get("server_cores_by_process") or [], int(meta.get("workers") or 0)
    if workers > 1 and split and split[0] > 0.75 * sum(split):
        console.print(
            f"[yellow]warning:[/yellow] one server process did {split[0]:.2f} of "
            f"{sum(split):.2f} cores during throughput: the {tput.get('clients')} keep-alive "
            f"connections landed unevenly on the {workers} workers"
        )
    bulk = results.get("bulk_load")
    if bulk:
        console.print(
            f"bulk load: {bulk.get('issues', '?')} issues + {bulk.get('comments', '?')} comments "
            f"in "
            f"{bulk.get('seconds', '?')}s = {bulk.get('issues_per_s', 0):,.0f} issues/s "
            f"({bulk.get('records_per_s', 0):,.0f} issues+comments/s; "
            f"{bulk.get('wall_seconds', '?')}s wall incl. process start; "
            f"other CPU {bulk.get('other_cpu_cores', '?')} cores)"
        )
    found = report.get("dataset", {})
    if found:
        console.print(
            f"dataset: {found.get('issues_seen')} issues in "
            f"{len(found.get('projects', {}))} projects; "
            f"list cycles over {found.get('assignees')} assignees "
            f"(~{results.get('list', {}).get('avg_items', '?')} items a page)"
        )


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Measure a running Docket server over HTTP.")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="server base URL")
    parser.add_argument(
        "--token", default=os.environ.get("DOCKET_TOKEN"), help="API token (or DOCKET_TOKEN)"
    )
    parser.add_argument("--project", default="WEB", help="project for create and filtered list")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument(
        "--requests",
        type=int,
        default=None,
        help="requests per sequential phase (instead of --seconds)",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for throughput")
    parser.add_argument(
        "--warmup", type=int, default=200, help="warm-up requests per sequential phase"
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"subset of {','.join(ALL_PHASES)}, or `all` (default: {','.join(PHASES)})",
    )
    parser.add_argument("--label-filter", default="docs", help="label L excluded in query")
    parser.add_argument("--search-rare", default="login", help="search word in a few %% of issues")
    parser.add_argument("--search-common", default="the", help="search word in nearly all issues")
    parser.add_argument(
        "--transition-issues", type=int, default=50, help="open issues of P cycled in transition"
    )
    parser.add_argument(
        "--python-clients",
        action="store_true",
        help="use Python processes for throughput even when wrk is installed",
    )
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--server-pid",
        type=int,
        default=None,
        help="server's pid, to report its CPU use (its children are included)",
    )
    parser.add_argument(
        "--bulk-load",
        type=Path,
        default=None,
        help="JSON with the import's figures (written by bench/suite.py)",
    )
    parser.add_argument("--label", default="", help="a name for this run, shown in the table")
    parser.add_argument(
        "--meta",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra facts to store in the JSON",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for key and payload choice")
    parser.add_argument("--json-out", type=Path, default=None, help="write results here")
    parser.add_argument("--quiet", action="store_true", help="no table")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token (or DOCKET_TOKEN) is required")
    if args.phases.strip() == "all":
        args.phases = ",".join(ALL_PHASES)
    unknown = set(args.phases.split(",")) - set(ALL_PHASES)
    if unknown:
        parser.error(f"unknown phase(s) {sorted(unknown)}; use {','.join(ALL_PHASES)} or all")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    phases = set(args.phases.split(","))
    url = args.url.rstrip("/")
    client = Client(url, args.token)
    status, _ = client.request("GET", "/healthz")
    if status != 200:
        raise SystemExit(f"{url}/healthz answered {status}; is the server up?")
    found = discover(client, args.project.upper(), args.seed)
    project = args.project.upper()
    wrk = None if args.python_clients else shutil.which("wrk")
    log = (lambda *_: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    results: dict[str, Any] = {}
    budget = {
        "seconds": args.seconds,
        "requests": args.requests,
        "warmup": args.warmup,
        "server_pid": args.server_pid,
    }
    rng = random.Random(args.seed)
    keys = found["keys"]
    if not keys and phases & {"get", "throughput"}:
        log("no issues on the server: skipping get and throughput")
        phases -= {"get", "throughput"}

    if "get" in phases:
        log(f"get-by-key: {len(keys)} random keys over {len(found['projects'])} projects")

        def check_get(status: int, data: bytes) -> None:
            if status != 200 or "key" not in json.loads(data):
                raise SystemExit(f"GET issue warm-up failed: HTTP {status} {data[:200]!r}")

        results["get"] = latency_phase(
            client,
            lambda i: ("GET", f"{API}/issues/{quote(rng.choice(keys))}", None),
            200,
            check=check_get,
            **budget,
        )

    if "list" in phases:
        assignees = found["assignees"]
        log(f"filtered list: open issues of {project}, {len(assignees)} assignees, priority-desc")
        paths = [
            f"{API}/issues?"
            + urlencode(
                {
                    "project": project,
                    "state": "open",
                    "assignee": a,
                    "sort": "priority-desc",
                    "limit": 50,
                }
            )
            for a in assignees
        ]
        items: list[int] = []

        def check_list(status: int, data: bytes) -> None:
            if status != 200:
                raise SystemExit(f"list warm-up failed: HTTP {status} {data[:200]!r}")
            items.append(len(json.loads(data)["items"]))

        results["list"] = latency_phase(
            client, lambda i: ("GET", paths[i % len(paths)], None), 200, check=check_list, **budget
        )
        results["list"]["avg_items"] = round(sum(items) / max(len(items), 1), 1)

    if "query" in phases:
        assignees = found["assignees"]
        label = args.label_filter
        log(
            f"compound query: project:{project} is:open priority:>=high -label:{label} "
            f"assignee:U sort:updated-desc, {len(assignees)} assignees"
        )
        paths = [
            f"{API}/issues?"
            + urlencode(
                {
                    "q": f"project:{project} is:open priority:>=high -label:{_quoted(label)} "
                    f"assignee:{_quoted(a)} sort:updated-desc",
                    "limit": 50,
                }
            )
            for a in assignees
        ]
        query_items: list[int] = []

        def check_query(status: int, data: bytes) -> None:
            if status != 200:
                raise SystemExit(f"query warm-up failed: HTTP {status} {data[:300]!r}")
            query_items.append(len(json.loads(data)["items"]))

        results["query"] = latency_phase(
            client,
            lambda i: ("GET", paths[i % len(paths)], None),
            200,
            check=check_query,
            **{**budget, "warmup": min(args.warmup, 100)},
        )
        results["query"]["avg_items"] = round(sum(query_items) / max(len(query_items), 1), 1)
        results["query"]["example_path"] = paths[0] if paths else None

    if "search" in phases:
        words = (("search_rare", args.search_rare), ("search_common", args.search_common))
        for name, word in words:
            log(f"search: GET {API}/search?q={word}&limit=50 ({name})")
            path = f"{API}/search?" + urlencode({"q": word, "limit": 50})
            hits: list[int] = []

            def check_search(status: int, data: bytes, hits: list[int] = hits) -> None:
                if status != 200:
                    raise SystemExit(f"search warm-up failed: HTTP {status} {data[:300]!r}")
                hits.append(len(json.loads(data)["items"]))

            results[name] = latency_phase(
                client,
                lambda i, path=path: ("GET", path, None),
                200,
                check=check_search,
                **{**budget, "warmup": min(args.warmup, 30)},
            )
            results[name]["word"] = word
            results[name]["avg_items"] = round(sum(hits) / max(len(hits), 1), 1)

    if "throughput" in phases:
        client.close()  # one connection fewer while the clients run
        log(
            f"throughput: {args.clients} clients for {args.seconds:g}s via "
            f"{'wrk' if wrk else 'Python processes'}"
        )
        paths = [f"{API}/issues/{quote(k)}" for k in keys]
        if wrk:
            results["throughput"] = throughput_wrk(
                wrk,
                url,
                args.token,
                paths,
                args.clients,
                args.seconds,
                args.server_pid,
                args.seed,
                args.wrk_threads,
            )
        else:
            results["throughput"] = throughput_python(
                url, args.token, paths, args.clients, args.seconds, args.server_pid, args.seed
            )

    if "transition" in phases:
        moving = transition_issues(client, project, args.transition_issues)
        log(
            f"transition: POST {API}/issues/{{key}}/transitions, {len(moving)} open issues of "
            f"{project}, open <-> in progress"
        )
        states = dict.fromkeys(moving, "open")
        turn = [0]

        def make_transition(_: int) -> Request:
            key = moving[turn[0] % len(moving)]
            turn[0] += 1
            target = "in progress" if states[key] == "open" else "open"
            states[key] = target  # assumed taken; a failure costs one more failure, then heals
            body = json.dumps({"to": target}).encode()
            return "POST", f"{API}/issues/{quote(key)}/transitions", body

        def check_transition(status: int, data: bytes) -> None:
            if status != 200:
                raise SystemExit(f"transition warm-up failed: HTTP {status} {data[:300]!r}")

        results["transition"] = latency_phase(
            client,
            make_transition,
            200,
            check=check_transition,
            **{**budget, "warmup": min(args.warmup, 2 * len(moving))},
        )
        results["transition"]["issues"] = len(moving)

    if "create" in phases:
        count = (args.requests or 500) + args.warmup
        payloads = create_payloads(found, min(count, 2000), args.seed)
        log(f"create: POST {API}/projects/{project}/issues")
        path = f"{API}/projects/{project}/issues"

        def check_create(status: int, data: bytes) -> None:
            if status != 201:
                raise SystemExit(f"create warm-up failed: HTTP {status} {data[:300]!r}")

        results["create"] = latency_phase(
            client,
            lambda i: ("POST", path, payloads[i % len(payloads)]),
            201,
            check=check_create,
            **{**budget, "warmup": min(args.warmup, 50)},
        )
    client.close()
    for r in results.values():  # the server's CPU cost of one request: steadier than latency
        if r.get("server_cpu_cores") is not None and r.get("rps"):
            r["server_cpu_ms_per_request"] = round(1000 * r["server_cpu_cores"] / r["rps"], 2)

    if args.bulk_load:
        results["bulk_load"] = json.loads(args.bulk_load.read_text())
    report = {
        "meta": {
            "label": args.label,
            "url": url,
            "project": project,
            "clients": args.clients,
            "seconds": args.seconds,
            "requests": args.requests,
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
            "wrk": wrk,
            **dict(item.split("=", 1) for item in args.meta if "=" in item),
        },
        "dataset": {
            "projects": found["projects"],
            "issues_seen": found["issues_seen"],
            "assignees": len(found["assignees"]),
        },
        "results": results,
        "headline": headline(results),
        "targets": {k: {"op": op, "value": v} for k, (op, v) in TARGETS.items()},
        "peers": PEERS,
    }
    report["meets_targets"] = {k: meets(k, v) for k, v in report["headline"].items()}
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report, indent=2) + "\n")
    if not args.quiet:
        print_report(report)
    failed = sum(r.get("errors", 0) for r in results.values() if isinstance(r, dict))
    if failed:
        print(f"{failed} request(s) failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
