"""The SLA sweep over 100,000 open issues held to a policy: how long one pass takes.

    DOCKET_DATA_DIR=/tmp/slab python bench/sla_bench.py [--issues 100000]
    DOCKET_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sla_bench python bench/sla_bench.py

On an empty database (migrated here; on PostgreSQL the database named in the URL is created
if missing, and its tables are dropped and remade): one support project (its template's
default policy: business hours, steps at 75 % and 100 %), `--issues` open issues written
with bulk inserts, each with a running first-response and resolution clock whose next
moment to look at lies 1 hour to 30 days ahead (200,000 clocks). Then times
`docket.sla.engine.sweep` (the worker's periodic pass) in three cases:

- idle: nothing due (what almost every pass is);
- 50 due: 50 clocks past 75 % (a warning event each);
- 500 due: clocks past 100 % (a breach event, a priority raise through update_issue as the
  SLA bot, and the summary columns).

A pass stops taking clocks after PASS_BUDGET_SECONDS (engine.py) and leaves the rest due for
the next pass; the script runs passes until every due clock is handled and reports the
median and max of one pass in milliseconds, and how many passes the backlog took.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")


def _ensure_pg_database() -> None:
    url = os.environ.get("DOCKET_DATABASE_URL", "")
    if not url.startswith("postgres"):
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

from docket.accounts.models import User  # noqa: E402
from docket.core.clock import now  # noqa: E402
from docket.issues.models import Issue  # noqa: E402
from docket.projects import actions as project_actions  # noqa: E402
from docket.sla import engine  # noqa: E402
from docket.sla.models import Clock, Policy  # noqa: E402


def world(count: int) -> Policy:
    admin = User.objects.create_user("slab_admin", "a@example.com", "x-bench-pass-1",
                                     is_superuser=True)  # fmt: skip
    project = project_actions.create_project(
        actor=admin, key="SB", name="SLA bench", visibility="internal", workflow="support"
    )
    policy = Policy.objects.get(project=project)
    state = project.workflow.states.get(is_initial=True)
    moment = now()
    rng = random.Random(7)
    for start in range(0, count, 5000):
        size = min(5000, count - start)
        issues = Issue.objects.bulk_create(
            Issue(project=project, number=start + n + 1, title=f"Bench {start + n}",
                  status=state, reporter=admin, created_at=moment, updated_at=moment,
                  priority=3, sla_state="running")
            for n in range(size)
        )  # fmt: skip
        if connection.vendor == "sqlite":  # bulk_create gives SQLite ids from 5.x too; be sure
            assert all(i.pk for i in issues)
        clocks = []
        for issue in issues:
            for metric, target in (("first_response", 480), ("resolution", 2400)):
                ahead = dt.timedelta(seconds=rng.randint(3600, 30 * 86400))
                clocks.append(
                    Clock(issue=issue, policy=policy, metric=metric, target_seconds=target * 60,
                          elapsed_seconds=0, running_since=moment, deadline=moment + ahead,
                          next_fire_at=moment + ahead, computed_at=moment)
                )  # fmt: skip
        Clock.objects.bulk_create(clocks)
    project.next_number = count + 1
    project.save(update_fields=["next_number"])
    return policy


def make_due(count: int, share: float, moment: dt.datetime) -> None:
    """`count` first-response clocks that have run `share` of their target by `moment`."""
    ids = list(
        Clock.objects.filter(metric="first_response", next_fire_at__gt=moment)
        .order_by("id").values_list("id", flat=True)[:count]
    )  # fmt: skip
    target = 480 * 60
    Clock.objects.filter(id__in=ids).update(
        elapsed_seconds=target * share, running_since=moment, next_fire_at=moment
    )


def timed(moment: dt.datetime) -> tuple[float, int]:
    start = time.perf_counter()
    handled = engine.sweep(moment)
    return (time.perf_counter() - start) * 1000, handled


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    world(args.issues)
    print(f"{connection.vendor}: {args.issues} issues, {Clock.objects.count()} clocks "
          f"set up in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    moment = now()
    idle = [timed(moment)[0] for _ in range(20)]
    report("idle (nothing due)", idle)
    for label, count, share in (("50 due, past 75 %", 50, 0.8), ("500 due, past 100 %", 500, 1.1)):
        times = []
        for _ in range(args.rounds):
            moment += dt.timedelta(seconds=1)
            make_due(count, share, moment)
            passes, left = 0, count
            while left > 0:
                ms, handled = timed(moment)
                times.append(ms)
                passes, left = passes + 1, left - handled
                assert handled, "a pass with clocks due handled none"
            print(f"    {count} due: {passes} passes")
        report(label, times)


def report(label: str, times: list[float]) -> None:
    print(f"  {label:24} median {statistics.median(times):8.1f} ms   max {max(times):8.1f} ms"
          f"   ({len(times)} passes)")  # fmt: skip


if __name__ == "__main__":
    main()
