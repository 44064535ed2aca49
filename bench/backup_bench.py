"""`docket backup` and `docket restore` of an existing instance: time and size.

    DOCKET_DATA_DIR=/tmp/dashb python bench/backup_bench.py
    DOCKET_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dash_bench python bench/backup_bench.py

Backs the instance up `--runs` times (each into a new temporary directory, as the command
would run on a live site), restores the last copy into a scratch instance of the same kind
(a new data dir; on PostgreSQL a new database beside the source, dropped afterwards) and
prints the manifest's counts, the size, and the wall time of each step.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

DOCKET = str(Path(sys.executable).with_name("docket"))


def timed(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([DOCKET, *args], env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"docket {' '.join(args)} failed:\n{done.stderr}")
    return took


def scratch_database(url: str) -> tuple[str, str]:
    import psycopg

    name = f"backup_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name, name


def drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    env = dict(os.environ)
    work = Path(tempfile.mkdtemp(prefix="backup-bench-"))
    times = []
    try:
        for run in range(options.runs):
            target = work / f"copy{run}"
            times.append(timed(env, "backup", str(target)))
            if run < options.runs - 1:
                shutil.rmtree(target)
        manifest = json.loads((target / "manifest.json").read_text())
        size = sum(f["size"] for f in manifest["files"])
        restored = {**env, "DOCKET_DATA_DIR": str(work / "restored")}
        url = env.get("DOCKET_DATABASE_URL", "")
        scratch = scratch_database(url) if url else None
        if scratch:
            restored["DOCKET_DATABASE_URL"] = scratch[0]
        try:
            restore_time = timed(restored, "restore", str(target))
        finally:
            if scratch:
                drop_database(url, scratch[1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "database": manifest["database"]["vendor"],
                "counts": manifest["counts"],
                "backup_bytes": size,
                "backup_seconds": [round(t, 2) for t in times],
                "backup_median_seconds": round(statistics.median(times), 2),
                "restore_seconds": round(restore_time, 2),
                "load_average": os.getloadavg()[0],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
