"""Export of a large tracker: `docket export` of every issue to CSV (and JSON Lines), timed,
with the exporting process's peak memory.

    python bench/export_bench.py [--issues 100000] [--seed 42] [--data-dir DIR] [--json]
    DOCKET_DATABASE_URL=postgres://…/db python bench/export_bench.py …

Loads the generated dataset (bench/generate.py, cached in bench/out/data/) with `docket
import` into DIR (a fresh temporary one by default; an existing DIR with the issues already
in is reused), then runs `docket export` as real processes and reads each one's own peak
resident memory (`os.wait4`'s maxrss) and its peak anonymous memory (RssAnon, sampled: the
heap, without the database file's pages SQLite maps in, mmap_size 256 MiB, which count
towards RSS but are the kernel's page cache). The baseline is the same command
exporting nothing (a query no issue matches): what Python, Django and the app take before
the first row. Reported: rows, seconds, rows/s, output MB, peak RSS and peak over the
baseline. Run it once, on an otherwise quiet machine if the figures are to be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DOCKET = str(Path(sys.executable).with_name("docket"))
NOTHING = 'title:"no issue has this title 6c1f"'


def dataset(issues: int, seed: int) -> Path:
    path = OUT / "data" / f"issues-{issues}-s{seed}.jsonl"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "generate.py"), "--issues", str(issues),
             "--seed", str(seed), "-o", str(path)],
            check=True,
        )  # fmt: skip
    return path


def anon_kib(pid: int) -> int:
    """The process's anonymous resident memory (heap, stacks: not the database file's
    pages SQLite maps in, which count towards RSS but are the page cache's, reclaimable)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return 0


def run(env: dict[str, str], *args: str) -> dict[str, float]:
    """One `docket` process: its wall time, its own peak RSS (`wait4`) and its peak
    anonymous RSS (sampled every 20 ms from /proc), in MiB."""
    started = time.perf_counter()
    process = subprocess.Popen([DOCKET, *args], env=env, stderr=subprocess.PIPE)
    peak_anon = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak_anon = max(peak_anon, anon_kib(process.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"docket {' '.join(args)} failed: {error}")
    return {
        "seconds": seconds,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "peak_anon_mib": peak_anon / 1024,
    }


def loaded(env: dict[str, str], path: Path) -> None:
    """Migrate, make the admin and import the dataset, unless the issues are there."""
    probe = subprocess.run(
        [DOCKET, "export", "--format", "csv", "--columns", "key", "--query", "key:WEB-1"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if probe.returncode == 0 and "WEB-1" in probe.stdout:
        print("dataset already loaded; reusing it", file=sys.stderr)
        return
    subprocess.run(
        [DOCKET, "createadmin", "--username", "benchadmin", "--password-stdin"],
        env=env, input="bench-admin-password-1\n", text=True, check=True,
    )  # fmt: skip
    started = time.perf_counter()
    subprocess.run([DOCKET, "import", str(path)], env=env, check=True)
    print(f"imported in {time.perf_counter() - started:.0f}s", file=sys.stderr)


def export(env: dict[str, str], form: str, target: Path, query: str = "") -> dict[str, float]:
    args = ["export", "--format", form, "-o", str(target)]
    measured = run(env, *args, *(["--query", query] if query else []))
    lines = sum(1 for _ in target.open(encoding="utf-8"))
    rows = lines - 1 if form == "csv" else lines  # the header; JSON counts every record
    size = target.stat().st_size
    measured.update(rows=rows, output_mib=size / 2**20, rows_per_s=rows / measured["seconds"])
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", help="reuse this data directory (default: a fresh one)")
    parser.add_argument("--json", action="store_true", help="also export JSON Lines")
    args = parser.parse_args()
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="exb"))
    env = {**os.environ, "DOCKET_DATA_DIR": str(data_dir)}
    try:
        loaded(env, dataset(args.issues, args.seed))
        work = Path(tempfile.mkdtemp(prefix="exb-out"))
        report = {"baseline": export(env, "csv", work / "none.csv", NOTHING)}
        report["csv"] = export(env, "csv", work / "all.csv")
        if args.json:
            report["json"] = export(env, "json", work / "all.jsonl")
        shutil.rmtree(work)
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    base, anon = report["baseline"]["peak_rss_mib"], report["baseline"]["peak_anon_mib"]
    for name in ("csv", "json"):
        if name in report:
            r = report[name]
            r["over_baseline_mib"] = r["peak_rss_mib"] - base
            print(
                f"{name}: {r['rows']:,} rows in {r['seconds']:.1f}s ({r['rows_per_s']:,.0f}/s), "
                f"{r['output_mib']:.0f} MiB written; peak RSS {r['peak_rss_mib']:.0f} MiB "
                f"({r['over_baseline_mib']:.0f} over the {base:.0f} MiB of an empty export), "
                f"anonymous {r['peak_anon_mib']:.0f} MiB (empty export: {anon:.0f})"
            )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
