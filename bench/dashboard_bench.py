"""Dashboards at 100,000 issues and ~1M events: server time per dashboard and per "as of"
issue page, in-process (Django's test client, so the figure is the server's own time).

    DOCKET_DATA_DIR=/tmp/dashb python bench/dashboard_bench.py [--issues 100000]
    DOCKET_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dash_bench \
        python bench/dashboard_bench.py

On an empty database (migrated here; on PostgreSQL the database named in the URL is created
if missing, and its tables are dropped and remade): one project (default workflow), 20
members, `--issues` issues spread over the past year written with bulk inserts, each with a
`created` event and ~9 `changed` events (status moves through In Progress to Resolved or
Closed, priority and assignee changes) — about 1M events at 100,000 issues. Then, signed in
as a project member (the ordinary gate, not a site admin's shortcut), it requests the project
dashboard, the personal dashboard, the project "as of" 60 days ago and issue pages "as of"
a day, and prints p50/p95/max in milliseconds: first counted from the issues (roll-ups off,
as before them), then after building the roll-ups through their rebuild path (`docket manage
rebuild_reports`; bulk inserts write no events for the consumer), then again with the
consumer 500 events behind (the dashboards recount the issues those events name).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")


def _ensure_pg_database() -> None:
    url = os.environ.get("DOCKET_DATABASE_URL", "")
    if not url.startswith("postgres") or "--reuse" in sys.argv:
        return
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


_ensure_pg_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from docket.accounts.models import User  # noqa: E402
from docket.core.clock import now  # noqa: E402
from docket.issues.fields import PRIORITY_NAMES  # noqa: E402
from docket.issues.models import Issue, IssueEvent  # noqa: E402
from docket.projects import actions as project_actions  # noqa: E402
from docket.projects.models import Milestone, Project  # noqa: E402
from docket.reports import rollup  # noqa: E402
from docket.worker.models import ConsumerCursor  # noqa: E402

PATHS = [["new", "open"], ["new", "open", "in progress"],
         ["new", "open", "in progress", "resolved"], ["new", "in progress", "closed"],
         ["new", "open", "in progress", "resolved", "open", "in progress", "resolved"]]  # fmt: skip
BATCH = 2000


def _people(count: int) -> tuple[User, list[User]]:
    admin = User.objects.create_user("dash_admin", "a@example.com", "x-bench-pass-1",
                                     is_superuser=True)  # fmt: skip
    people = [
        User.objects.create_user(f"dev{i}", f"dev{i}@example.com", "x-bench-pass-1")
        for i in range(count)
    ]
    return admin, people


def _events_of(issue: Issue, path: list[str], rng: random.Random, people: list[User],
               end: dt.datetime) -> list[IssueEvent]:  # fmt: skip
    moment = issue.created_at
    first = {"status": "new", "priority": "medium", "title": issue.title}
    events = [IssueEvent(issue=issue, kind="created", version=1, created_at=moment, new=first)]
    version = 1
    changes = [("status", a, b) for a, b in zip(path, path[1:], strict=False)]
    changes += [("priority", "medium", PRIORITY_NAMES[issue.priority])]
    changes += [("assignee", None, rng.choice(people).username) for _ in range(5)]
    for field, old, new in changes:
        moment = min(end, moment + dt.timedelta(hours=rng.randint(1, 120)))
        version += 1
        events.append(IssueEvent(issue=issue, kind="changed", field=field, old=old, new=new,
                                 version=version, created_at=moment))  # fmt: skip
    return events


def world(count: int) -> tuple[Project, User]:
    admin, people = _people(20)
    project = project_actions.create_project(
        actor=admin, key="DB", name="Dashboard bench", visibility="private"
    )
    for person in people:
        project_actions.set_member(actor=admin, project=project, user=person.username,
                                   role="member")  # fmt: skip
    states = {s.name.lower(): s for s in project.workflow.states.all()}
    milestones = [Milestone.objects.create(project=project, name=f"M{i}") for i in range(3)]
    rng = random.Random(11)
    end = now()
    start = end - dt.timedelta(days=365)
    events = 0
    for first in range(0, count, BATCH):
        size = min(BATCH, count - first)
        batch, paths = [], []
        for n in range(size):
            path = rng.choice(PATHS)
            created = start + dt.timedelta(seconds=rng.randint(0, 365 * 86400))
            done = path[-1] in ("resolved", "closed")
            resolved = min(end, created + dt.timedelta(hours=rng.randint(2, 2000)))
            paths.append(path)
            batch.append(Issue(
                project=project, number=first + n + 1, title=f"Bench issue {first + n}",
                status=states[path[-1]], reporter=admin, assignee=rng.choice(people),
                priority=rng.randint(1, 5), severity=rng.randint(1, 4),
                milestone=rng.choice(milestones + [None]), created_at=created,
                updated_at=resolved, resolved_at=resolved if done else None,
                due_date=(created + dt.timedelta(days=30)).date() if rng.random() < 0.3 else None,
                version=len(path) + 4,
            ))  # fmt: skip
        issues = Issue.objects.bulk_create(batch)
        rows = []
        for issue, path in zip(issues, paths, strict=True):
            rows += _events_of(issue, path, rng, people, end)
        IssueEvent.objects.bulk_create(rows, batch_size=5000)
        events += len(rows)
    project.next_number = count + 1
    project.save(update_fields=["next_number"])
    print(f"{count} issues, {events} events")
    return project, people[0]


def timed(client: Client, path: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code == 503:  # the per-statement budget (core/db_faults.py) ran out
            print(f"  503 (statement budget) after {times[-1]:.0f} ms: {path}")
            continue
        assert response.status_code == 200, (path, response.status_code)
    return times


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"{name:<40} n={len(times):<4} p50 {statistics.median(times):7.1f} ms  "
          f"p95 {p95:7.1f} ms  max {max(times):7.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="measure the data already there")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if args.reuse:
        member = User.objects.get(username="dev0")
    else:
        began = time.perf_counter()
        _project, member = world(args.issues)
        print(f"dataset written in {time.perf_counter() - began:.0f} s on {connection.vendor}")
    print(f"{Issue.objects.count()} issues, {IssueEvent.objects.count()} events")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(member)
    day = (now() - dt.timedelta(days=60)).date().isoformat()
    print(f"-- counted from the issues (roll-ups off), load {os.getloadavg()[0]:.1f}")
    with override_settings(DOCKET_REPORTS_ROLLUPS=False):
        dashboards(client, args.runs, day, as_of_runs=5)
    began = time.perf_counter()
    count = rollup.rebuild()
    print(f"-- roll-ups rebuilt from {count} issues in {time.perf_counter() - began:.1f} s")
    print(f"-- from the roll-ups, load {os.getloadavg()[0]:.1f}")
    dashboards(client, args.runs, day, as_of_runs=args.runs)
    ConsumerCursor.objects.filter(name=rollup.NAME).update(last_event_id=F("last_event_id") - 500)
    print(f"-- from the roll-ups, the consumer 500 events behind, load {os.getloadavg()[0]:.1f}")
    dashboards(client, args.runs, day, as_of_runs=args.runs)
    issue_pages(client, args.issues, day)


def dashboards(client: Client, runs: int, day: str, as_of_runs: int) -> None:
    timed(client, "/p/DB/dashboard", 2)  # warm caches
    report("project dashboard", timed(client, "/p/DB/dashboard", runs))
    report("project dashboard, weekly, query", timed(
        client, "/p/DB/dashboard?unit=week&q=priority%3Ahigh", runs))  # fmt: skip
    report("personal dashboard", timed(client, "/dashboard", runs))
    report("project as of 60 days ago", timed(client, f"/p/DB/dashboard?as_of={day}", as_of_runs))


def issue_pages(client: Client, count: int, day: str) -> None:
    rng = random.Random(3)
    then = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)
    older = list(Issue.objects.filter(created_at__lt=then).values_list("number", flat=True))
    issue_times = []
    for _ in range(200):
        issue_times += timed(client, f"/DB-{rng.choice(older)}?as_of={day}", 1)
    report("issue page as of 60 days ago", issue_times)
    report("issue page (now), for comparison", [
        t for _ in range(50) for t in timed(client, f"/DB-{rng.randint(1, count)}", 1)
    ])  # fmt: skip


if __name__ == "__main__":
    main()
