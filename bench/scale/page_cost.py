"""CPU per request of each action of the scale mix, in-process (Django's test client): the
Python CPU of the request and the CPU its PostgreSQL backend used, so a busy machine inflates
the wall time but hardly the cost. Sum of (share x cost) x rate = the cores the mix needs.

    DOCKET_DATABASE_URL=postgres://postgres@127.0.0.1:5432/docket_scale \
        .venv/bin/python bench/scale/page_cost.py [--user NAME] [--repeat 20]

Signs in (force_login) as a member of a large project; reads only (the write actions are
timed on throwaway changes of issues of that project: a priority flip, a comment, a new
issue, all recorded with their events like any other write).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

SHARES = {
    "view_issue": 34, "jql_search": 11, "dashboard": 10, "browse_projects": 9, "view_board": 15,
    "backlog": 6, "edit_issue": 5, "create_issue": 4, "project_summary": 3, "comment": 2,
}  # fmt: skip
TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument(
        "--each-query", action="store_true", help="time each JQL search query on its own instead"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from docket.accounts.models import User
    from docket.projects.models import Membership

    if args.user:
        user = User.objects.get(username=args.user)
        membership = Membership.objects.filter(user=user, role__in=["member", "admin"]).first()
    else:  # a member of the largest project
        membership = (
            Membership.objects.filter(role="member", user__isnull=False)
            .select_related("project", "user")
            .order_by("-project__next_number", "id")
            .first()
        )
        user = membership.user
    project = membership.project
    key, count = project.key, project.next_number - 1
    rng = random.Random(5)
    client = Client()
    client.force_login(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    print(f"as {user.username}, member of {key} ({count} issues); backend pid {pid}")
    q = quote
    queries = [
        f"project:{key} is:open sort:priority-desc",
        "is:open assignee:me sort:updated-desc",
        f'project:{key} status:"in progress"',
        f"project:{key} label:bug is:open",
        f"project:{key} priority:>=high is:open sort:updated-desc",
        f"project:{key} login",
        "reporter:me sort:created-desc",
    ]
    if args.each_query:
        time_each_query(client, queries, args.repeat)
        return
    reads = {
        "view_issue": lambda: f"/{key}-{rng.randint(1, count)}",
        "jql_search": lambda: "/issues/?q=" + q(rng.choice(queries)),
        "dashboard": lambda: "/dashboard",
        "browse_projects": lambda: "/projects/",
        "view_board": lambda: f"/p/{key}/board",
        "backlog": lambda: f"/p/{key}/?q=" + q("is:open milestone:none sort:priority-desc"),
        "project_summary": lambda: f"/p/{key}/dashboard",
    }
    csrf = {"HTTP_ACCEPT": "application/json"}
    writes = {
        "edit_issue": lambda: client.patch(
            f"/api/v1/issues/{key}-{rng.randint(1, count)}",
            json.dumps({"priority": rng.choice(["low", "medium", "high"])}),
            content_type="application/json", **csrf,
        ),
        "create_issue": lambda: client.post(
            f"/api/v1/projects/{key}/issues",
            json.dumps({"title": "page_cost: a throwaway issue", "type": "task"}),
            content_type="application/json", **csrf,
        ),
        "comment": lambda: client.post(
            f"/api/v1/issues/{key}-{rng.randint(1, count)}/comments",
            json.dumps({"body": "page_cost: a throwaway comment"}),
            content_type="application/json", **csrf,
        ),
    }  # fmt: skip
    results = {}
    failed: dict[str, int] = {}
    for name in SHARES:
        wall, cpu, pg = [], [], []
        for n in range(args.repeat + 3):
            w0, c0, p0 = time.perf_counter(), time.process_time(), backend_cpu(pid)
            response = client.get(reads[name]()) if name in reads else writes[name]()
            w1, c1, p1 = time.perf_counter(), time.process_time(), backend_cpu(pid)
            if response.status_code not in (200, 201):
                failed[name] = failed.get(name, 0) + 1
                print(f"{name}: HTTP {response.status_code} after {(w1 - w0) * 1000:.0f} ms")
            if n >= 3:  # the first three warm caches
                wall.append((w1 - w0) * 1000)
                cpu.append((c1 - c0) * 1000)
                pg.append((p1 - p0) * 1000)
        results[name] = {
            "wall_p50_ms": round(statistics.median(wall), 1),
            "python_cpu_ms": round(statistics.mean(cpu), 1),
            "postgres_cpu_ms": round(statistics.mean(pg), 1),
            "failed": failed.get(name, 0),
        }
    total = sum(SHARES.values())
    need = sum(
        SHARES[n] / total * (r["python_cpu_ms"] + r["postgres_cpu_ms"]) for n, r in results.items()
    )
    print(f"{'action':<16} {'share':>5} {'wall p50':>9} {'python cpu':>11} {'pg cpu':>7}  (ms)"
          "  failed")  # fmt: skip
    for name, r in results.items():
        print(f"{name:<16} {SHARES[name]:>4}% {r['wall_p50_ms']:>9} {r['python_cpu_ms']:>11} "
              f"{r['postgres_cpu_ms']:>7}  {r['failed'] or ''}")  # fmt: skip
    print(f"mix: {need:.1f} ms of CPU an action -> {need * args.rate / 1000:.2f} cores at "
          f"{args.rate:g}/s (the servers' own; locust, the worker and HTTP parsing come on top); "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if args.json_out:
        data = {"user": user.username, "project": key, "results": results, "cpu_ms": need}
        args.json_out.write_text(json.dumps(data, indent=2))


def time_each_query(client: Any, queries: list[str], repeat: int) -> None:
    """The issue list page of each JQL search query of the mix, wall p50 and CPU, in turns (a
    busy moment weighs on all of them alike)."""
    wall: dict[str, list[float]] = {q: [] for q in queries}
    cpu: dict[str, list[float]] = {q: [] for q in queries}
    for n in range(repeat + 2):
        for text in queries:
            w0, c0 = time.perf_counter(), time.process_time()
            response = client.get("/issues/?q=" + quote(text))
            w1, c1 = time.perf_counter(), time.process_time()
            assert response.status_code == 200, (text, response.status_code)
            if n >= 2:  # the first two warm caches
                wall[text].append((w1 - w0) * 1000)
                cpu[text].append((c1 - c0) * 1000)
    print(f"{'query':<58} {'wall p50':>9} {'python cpu':>11}  (ms)")
    for text in queries:
        print(
            f"{text:<58} {statistics.median(wall[text]):>9.1f} {statistics.mean(cpu[text]):>11.1f}"
        )


if __name__ == "__main__":
    main()
