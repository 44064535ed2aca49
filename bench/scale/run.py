"""The scale load run (issue 20): reference architecture (b) on one machine, Jira's action mix
at a fixed arrival rate, and a report.

    .venv/bin/python bench/scale/run.py \
        --database-url postgres://postgres@127.0.0.1:5432/docket_scale \
        --rate 30 --users 60 --warmup 120 --measure 600 [--server-workers 1] [--profile 60]

Starts, each in its own process group (stopped at the end, by id):
- two app processes, `docket serve --no-worker --workers W` on --ports (default 8931, 8932);
- one `docket worker`, with jobs on Redis (DOCKET_JOBS_URL) and the live-update doorbell on
  Redis (DOCKET_LIVE_BACKEND=redis, DOCKET_REDIS_URL): the same settings on all three;
- locust (bench/scale/locustfile.py, headless), spreading requests over both app processes.

Everything shares the one PostgreSQL named by --database-url (the dataset of generate.py).
During the run it samples, every --sample seconds, the CPU time and RSS of each app process
tree, the worker, every PostgreSQL process and locust (psutil). The report covers the
measured window only (after --warmup, when locust resets its statistics):
`<out>/report.json` and `<out>/report.md` — per action: count, errors, rate, p50/p95/p99/max
(exact, from every response time in the window), the pass mark (p95 <= 100 ms, 0 errors);
the achieved rate and how late the open-model schedule ran; CPU (cores) and RSS per process
group; the load average before the run; the database size.
With --profile N, `py-spy record` samples the first app process for N seconds after the
warm-up (profile.svg, profile.txt).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV_BIN = Path(sys.executable).parent
P95_TARGET_MS = 100.0


def _get(url: str, timeout: float = 5.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=ROOT)  # fmt: skip


def _stop(proc: subprocess.Popen[bytes], name: str) -> None:
    """SIGTERM to the process group this script started, SIGKILL after 20 s."""
    if proc.poll() is not None:
        return
    pgid = os.getpgid(proc.pid)
    os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop in 20 s: SIGKILL", flush=True)
        os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=10)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _postgres() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "username"]):
        if proc.info["name"] in ("postgres", "postmaster"):
            found.append(proc)
    return found


class Sampler(threading.Thread):
    """CPU seconds and RSS of each process group, every `every` seconds, timestamped."""

    def __init__(self, groups: dict[str, Any], every: float):
        super().__init__(daemon=True)
        self.groups, self.every = groups, every
        self.samples: list[dict[str, Any]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            sample: dict[str, Any] = {"t": time.time(), "groups": {}}
            for name, find in self.groups.items():
                cpu: dict[int, float] = {}
                rss = 0
                for proc in find():
                    try:
                        with proc.oneshot():
                            times = proc.cpu_times()
                            cpu[proc.pid] = times.user + times.system
                            rss += proc.memory_info().rss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        continue
                sample["groups"][name] = {"cpu": cpu, "rss": rss}
            sample["machine_cpu"] = psutil.cpu_times_percent(interval=None)._asdict()
            self.samples.append(sample)
            self.done.wait(self.every)


def usage(samples: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    """Average cores and RSS (mean, max) per group over [start, end]: CPU from the growth of
    each process's CPU seconds between consecutive samples (processes that come and go count
    while they are seen)."""
    window = [s for s in samples if start <= s["t"] <= end]
    if len(window) < 2:
        return {}
    out: dict[str, Any] = {}
    seconds = window[-1]["t"] - window[0]["t"]
    for name in window[0]["groups"]:
        used = 0.0
        for before, after in zip(window, window[1:], strict=False):
            b, a = before["groups"][name]["cpu"], after["groups"][name]["cpu"]
            used += sum(max(0.0, a[pid] - b[pid]) for pid in a if pid in b)
        rss = [s["groups"][name]["rss"] for s in window]
        out[name] = {
            "cores": round(used / seconds, 3),
            "rss_mb_mean": round(sum(rss) / len(rss) / 2**20, 1),
            "rss_mb_max": round(max(rss) / 2**20, 1),
        }
    return out


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank."""
    if not ordered:
        return 0.0
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


def summarize(raw: dict[str, Any], seconds: float) -> dict[str, Any]:
    actions = {}
    for name, times in sorted(raw["times"].items()):
        ordered = sorted(times)
        errors = raw["errors"].get(name, 0)
        p95 = percentile(ordered, 0.95)
        actions[name] = {
            "count": len(ordered) + errors,
            "errors": errors,
            "rate_per_s": round((len(ordered) + errors) / seconds, 2),
            "p50_ms": round(percentile(ordered, 0.50), 1),
            "p95_ms": round(p95, 1),
            "p99_ms": round(percentile(ordered, 0.99), 1),
            "max_ms": round(ordered[-1], 1) if ordered else 0.0,
            "pass": errors == 0 and p95 <= P95_TARGET_MS,
        }
    return actions


def database_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Run {report['started']} — {report['measured_seconds']:.0f} s measured after "
        f"{report['warmup_seconds']:.0f} s warm-up; target {report['rate_target']}/s with "
        f"{report['users']} locust users; achieved {report['achieved_rate']}/s; "
        f"errors {report['errors']}; load average before {report['load_before']}",
        "",
        "| action | count | errors | rate/s | p50 ms | p95 ms | p99 ms | max ms | p95 <= 100 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, a in report["actions"].items():
        lines.append(
            f"| {name} | {a['count']} | {a['errors']} | {a['rate_per_s']} | {a['p50_ms']} | "
            f"{a['p95_ms']} | {a['p99_ms']} | {a['max_ms']} | {'yes' if a['pass'] else 'NO'} |"
        )
    lines += ["", "| process | CPU (cores) | RSS mean MB | RSS max MB |"]
    lines += ["| --- | ---: | ---: | ---: |"]
    for name, u in report["usage"].items():
        lines.append(f"| {name} | {u['cores']} | {u['rss_mb_mean']} | {u['rss_mb_max']} |")
    late = report.get("lateness", {})
    lines += [
        "",
        f"Open-model schedule: {late.get('sends', 0)} sends, lateness p50 "
        f"{late.get('lateness_p50_s', 0)} s, p95 {late.get('lateness_p95_s', 0)} s, max "
        f"{late.get('lateness_max_s', 0)} s; {late.get('late_over_100ms', 0)} sends more than "
        "100 ms behind schedule.",
        f"Machine CPU busy (all processes, both cores): {report.get('machine_busy_percent')}%",
        f"Database size: {report['database_bytes'] / 1e9:.2f} GB",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "DOCKET_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/docket_scale"))  # fmt: skip
    parser.add_argument("--ports", default="8931,8932")
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--rate", type=float, default=30.0, help="actions per second")
    parser.add_argument("--users", type=int, default=60, help="locust users (signed-in people)")
    parser.add_argument("--warmup", type=float, default=120.0)
    parser.add_argument("--measure", type=float, default=600.0)
    parser.add_argument("--jobs-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--sample", type=float, default=2.0, help="seconds between samples")
    parser.add_argument("--profile", type=float, default=0.0, help="py-spy seconds (0: none)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.profile and not (VENV_BIN / "py-spy").exists():  # else it fails after the warm-up
        raise SystemExit(f"--profile needs py-spy in {VENV_BIN}: pip install -e '.[bench]'")

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = (args.out or ROOT / "bench" / "out" / "scale" / f"run-{stamp}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    ports = [int(p) for p in args.ports.split(",")]
    hosts = [f"http://127.0.0.1:{p}" for p in ports]
    for host in hosts:
        if _get(f"{host}/healthz", 1.0):
            raise SystemExit(f"something already answers on {host}")
    load_before = os.getloadavg()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"before: {uptime}", flush=True)
    env = {
        **os.environ,
        "DOCKET_DATABASE_URL": args.database_url,
        "DOCKET_SECRET_KEY": "scale-bench-one-secret-for-every-process-0123456789",
        "DOCKET_DATA_DIR": str(out / "data"),  # attachments: one directory for all
        "DOCKET_JOBS_URL": args.jobs_url,
        "DOCKET_LIVE_BACKEND": "redis",
        "DOCKET_REDIS_URL": args.redis_url,
    }
    docket = str(VENV_BIN / "docket")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    sampler = None
    try:
        procs["worker"] = _start([docket, "worker"], env, out / "worker.log")
        for n, port in enumerate(ports):
            cmd = [docket, "serve", "--no-worker", "--workers", str(args.server_workers),
                   "--port", str(port)]  # fmt: skip
            procs[f"app{n + 1}"] = _start(cmd, env, out / f"app{n + 1}.log")
            time.sleep(3)  # one migration check at a time
        deadline = time.time() + 180
        for host in hosts:
            while _get(f"{host}/healthz") != 200:
                if time.time() > deadline or any(p.poll() is not None for p in procs.values()):
                    raise SystemExit(f"{host} did not become healthy; see {out}/*.log")
                time.sleep(1)
        print(f"up: {', '.join(hosts)} and a worker", flush=True)
        groups: dict[str, Any] = {
            name: (lambda pid=proc.pid: _tree(pid)) for name, proc in procs.items()
        }
        groups["postgresql"] = _postgres
        total = args.warmup + args.measure
        locust_env = {
            **os.environ,
            "SCALE_HOSTS": ",".join(hosts),
            "SCALE_RATE": str(args.rate),
            "SCALE_USERS": str(args.users),
            "SCALE_WARMUP": str(args.warmup),
            "SCALE_DATABASE_URL": args.database_url,
            "SCALE_OUT": str(out),
        }
        cmd = [str(VENV_BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
               "-u", str(args.users), "-r", "5", "-t", f"{total:.0f}s", "--stop-timeout", "10",
               "--csv", str(out / "locust"), "--only-summary", "--loglevel", "WARNING"]  # fmt: skip
        procs["locust"] = _start(cmd, locust_env, out / "locust.log")
        groups["locust"] = lambda pid=procs["locust"].pid: _tree(pid)
        sampler = Sampler(groups, args.sample)
        sampler.start()
        profiler = None
        if args.profile:
            time.sleep(args.warmup + 5)
            profiler = subprocess.Popen(
                [str(VENV_BIN / "py-spy"), "record", "-p", str(procs["app1"].pid), "-d",
                 str(int(args.profile)), "-r", "50", "--nonblocking", "-o",
                 str(out / "profile.txt"), "--format", "raw"],
                stdout=(out / "py-spy.log").open("wb"), stderr=subprocess.STDOUT,
            )  # fmt: skip
        procs["locust"].wait(timeout=total + 300)
        if profiler is not None:
            profiler.wait(timeout=60)
    finally:
        if sampler is not None:
            sampler.done.set()
        for name in ("locust", "app1", "app2", "worker"):
            if name in procs:
                _stop(procs[name], name)
    late = json.loads((out / "lateness.json").read_text())
    raw = json.loads((out / "responses.json").read_text())
    start, end = late["window"]["start"], late["window"]["end"]
    seconds = end - start
    actions = summarize(raw, seconds)
    busy = [100 - s["machine_cpu"]["idle"] for s in (sampler.samples if sampler else [])
            if start <= s["t"] <= end]  # fmt: skip
    report = {
        "started": stamp,
        "rate_target": args.rate,
        "users": args.users,
        "warmup_seconds": args.warmup,
        "measured_seconds": round(seconds, 1),
        "achieved_rate": round(sum(a["count"] for a in actions.values()) / seconds, 2),
        "errors": sum(a["errors"] for a in actions.values()),
        "error_samples": raw.get("error_samples", [])[:20],
        "actions": actions,
        "all_pass": all(a["pass"] for a in actions.values()),
        "lateness": late,
        "usage": usage(sampler.samples if sampler else [], start, end),
        "machine_busy_percent": round(sum(busy) / len(busy), 1) if busy else None,
        "load_before": [round(x, 2) for x in load_before],
        "uptime_before": uptime,
        "server_workers": args.server_workers,
        "ports": ports,
        "database_bytes": database_size(args.database_url),
        "jobs_url": args.jobs_url,
        "redis_url": args.redis_url,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2))
    text = markdown(report)
    (out / "report.md").write_text(text)
    latest = out.parent / "latest"
    if latest.is_symlink() or not latest.exists():
        latest.unlink(missing_ok=True)
        latest.symlink_to(out.name)
    print(text)
    print(f"written {out}/report.md")
    return 0 if report["all_pass"] and report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
