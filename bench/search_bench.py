"""Full-text search, in process: `search_issues(user, word, limit=50)` at several sizes.

    python bench/search_bench.py --issues 10000 100000                 # SQLite
    python bench/search_bench.py --db postgres --issues 10000 100000   # PostgreSQL
    python bench/search_bench.py --issues 100000 --reuse               # keep loaded data

Per size: generate the sample data (docket.cli.sampledata, cached in bench/out/search-bench/),
load it with `docket createadmin` + `docket import` into a scratch SQLite file or a scratch
PostgreSQL database (created and dropped here; the server is DOCKET_PG_URL, default
postgres://postgres@127.0.0.1:5432/), settle it (FTS5 segment merge; PostgreSQL ANALYZE),
then time each query in a child process: warm-up, then --repeat runs, p50/p95 in ms.
Words: their share of issues is counted in the loaded database and printed. Users: `member`
(member of every project: sees everything) and `outsider` (signed in, member of nothing:
internal projects only, no confidential issues). Results: bench/out/search-bench/*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out" / "search-bench"
PG_URL = os.environ.get("DOCKET_PG_URL", "postgres://postgres@127.0.0.1:5432/")
QUERIES = ["74", "login", "workaround", "page", "the", "project:OPS assignee:ada.lovelace the"]
PASSWORD = "bench-password-1"  # noqa: S105


def docket(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    command = [str(Path(sys.executable).parent / "docket"), *args]
    done = subprocess.run(command, env=env, input=stdin, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"docket {args[0]} failed:\n{done.stderr[-2000:]}")
    return done.stderr


def dataset(issues: int) -> Path:
    path = OUT / f"issues-{issues}.jsonl"
    if not path.exists():
        from docket.cli.sampledata import write

        OUT.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            write(out, issues, seed=42)
    return path


def _pg(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL + "postgres", autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def environment(db: str, issues: int) -> dict[str, str]:
    data = OUT / f"{db}-n{issues}"
    env = {**os.environ, "DOCKET_DATA_DIR": str(data)}
    if db == "postgres":
        env["DOCKET_DATABASE_URL"] = f"{PG_URL}docket_search_bench_{issues}"
    return env


def load(db: str, issues: int, reuse: bool) -> dict[str, Any]:
    env = environment(db, issues)
    marker = Path(env["DOCKET_DATA_DIR"]) / "loaded.json"
    if reuse and marker.exists():
        return dict(json.loads(marker.read_text()))
    drop(db, issues)
    Path(env["DOCKET_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    if db == "postgres":
        _pg(f"CREATE DATABASE docket_search_bench_{issues}")
    docket(env, "createadmin", "--username", "admin", "--password-stdin", stdin=PASSWORD)
    started = time.perf_counter()
    log = docket(env, "import", str(dataset(issues)))
    info = {"import_seconds": round(time.perf_counter() - started, 1), "import_log": log.strip()}
    marker.write_text(json.dumps(info))
    return info


def drop(db: str, issues: int) -> None:
    import shutil

    shutil.rmtree(environment(db, issues)["DOCKET_DATA_DIR"], ignore_errors=True)
    if db == "postgres":
        _pg(f"DROP DATABASE IF EXISTS docket_search_bench_{issues} WITH (FORCE)")


def measure(repeat: int) -> dict[str, Any]:
    """In the child: Django set up on the loaded database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
    django.setup()
    from docket.accounts.models import User
    from docket.issues.models import Issue
    from docket.issues.search import search_issues
    from docket.issues.search_index import issue_backend

    issue_backend().optimize()
    settle()
    total = Issue.objects.count()
    member = User.objects.get(username="ada.lovelace")
    outsider, _ = User.objects.get_or_create(username="outsider", email="o@example.com")
    results: dict[str, Any] = {"issues": total, "queries": {}}
    for query in QUERIES:
        share = _share(query, total)
        for name, user in (("member", member), ("outsider", outsider)):
            times = _time(lambda u=user, q=query: search_issues(u, q, 50), repeat)
            hits = len(search_issues(user, query, 50))
            results["queries"][f"{query} | {name}"] = {"share": share, "hits": hits, **times}
    return results


def settle() -> None:
    """PostgreSQL: planner statistics for every table, as autovacuum gathers them within a
    minute or so of a bulk load (before that, plans can be 30x slower)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _share(query: str, total: int) -> float:
    from docket.issues.access import visible_issues
    from docket.issues.query_fields import compile_issue_query

    admin = _admin()
    q, _ = compile_issue_query(query, admin)
    return round(visible_issues(admin).filter(q).count() / total, 4)


def _admin() -> Any:
    from docket.accounts.models import User

    return User.objects.get(username="admin")


def _time(call: Any, repeat: int) -> dict[str, float]:
    for _ in range(5):
        call()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    runs.sort()
    return {
        "p50_ms": round(statistics.median(runs), 2),
        "p95_ms": round(runs[max(0, int(len(runs) * 0.95) - 1)], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--issues", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--reuse", action="store_true", help="keep loaded data between runs")
    parser.add_argument("--keep", action="store_true", help="do not drop the data afterwards")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeat)))
        return 0
    for issues in args.issues:
        info = load(args.db, issues, args.reuse)
        child = [sys.executable, __file__, "--child", "--repeat", str(args.repeat)]
        done = subprocess.run(
            child, env=environment(args.db, issues), capture_output=True, text=True, check=True
        )
        result = {"db": args.db, **info, **json.loads(done.stdout)}
        (OUT / f"results-{args.db}-n{issues}.json").write_text(json.dumps(result, indent=2))
        report(result)
        if not (args.reuse or args.keep):
            drop(args.db, issues)
    return 0


def report(result: dict[str, Any]) -> None:
    print(f"\n{result['db']} N={result['issues']}  import {result['import_seconds']}s")
    print(f"{'query | user':58} {'share':>7} {'hits':>5} {'p50 ms':>8} {'p95 ms':>8}")
    for name, row in result["queries"].items():
        print(
            f"{name:58} {row['share']:7.3f} {row['hits']:5d} "
            f"{row['p50_ms']:8.2f} {row['p95_ms']:8.2f}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
