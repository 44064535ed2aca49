"""Start-up to exit of the terminal client (`docket ...` as a fresh process each time), against
a running server: p50/p95 over repeated runs (docs/benchmark.md, "Terminal client").

    DOCKET_URL=http://127.0.0.1:8000 DOCKET_TOKEN=dkt_... \\
        .venv/bin/python bench/client_bench.py --key WEB-1 --runs 40
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DOCKET = str(Path(sys.executable).with_name("docket"))


def timed(args: list[str], runs: int) -> tuple[list[float], float]:
    """Wall seconds per run, and the mean CPU seconds (user + system) of the child: on a
    loaded machine wall time mostly measures waiting for a core, CPU time what we spend."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    command = [sys.executable, *args[1:]] if args[:1] == ["python"] else [DOCKET, *args]
    subprocess.run(command, env=env, capture_output=True, check=True)  # warm caches
    seconds = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        seconds.append(time.perf_counter() - started)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / runs
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True, help="an issue to view")
    parser.add_argument("--runs", type=int, default=40)
    options = parser.parse_args()
    cases = {
        "python -c pass (the floor: interpreter start)": ["python", "-c", "pass"],
        "docket --version": ["--version"],
        "docket issue list": ["issue", "list"],
        "docket issue list --json": ["issue", "list", "--json"],
        f"docket issue view {options.key}": ["issue", "view", options.key],
        "server CLI: docket --data-dir /tmp check --help": [
            "--data-dir",
            "/tmp",
            "check",
            "--help",
        ],
    }
    print(f"{'command':<50} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8}")
    for name, args in cases.items():
        runs, cpu = timed(args, options.runs)
        runs.sort()
        p95 = runs[max(0, round(0.95 * len(runs)) - 1)]
        median = statistics.median(runs) * 1000
        print(f"{name:<50} {median:8.0f} {p95 * 1000:8.0f} {cpu * 1000:8.0f}")


if __name__ == "__main__":
    main()
