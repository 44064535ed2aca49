"""How fast the notifications consumer turns events into inbox rows, and what a request that
changes an issue pays (it only writes its events: nothing about notifications runs inline).

    DOCKET_DATA_DIR=/tmp/nb python bench/notify_bench.py [--changes 5000] [--watchers 5]
    DOCKET_DATABASE_URL=postgres://…/db python bench/notify_bench.py
    python bench/notify_bench.py --requests-only   # the PATCH timing alone (runs on commits
                                                  # before the notifications app, to compare)

On an empty database (migrated here): one project, `--changes / 10` issues reported by one
person and watched by `--watchers` others, then `--changes` field changes by another person
written through the event recorder's bulk path (as the importer writes them, stamped now).
Times `docket.worker.consumers.dispatch` from before those events until caught up, and
`PATCH /api/v1/issues/KEY` in-process (Django's test client, a token, 200 requests).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from docket.accounts.models import User  # noqa: E402
from docket.accounts.tokens import create_token  # noqa: E402
from docket.core.clock import now  # noqa: E402
from docket.issues import actions  # noqa: E402
from docket.issues.events import NewEvent, record_bulk  # noqa: E402
from docket.issues.models import EventKind, Issue, IssueEvent, Watch  # noqa: E402
from docket.projects import actions as project_actions  # noqa: E402


def _people(watchers: int) -> tuple[User, User, list[User]]:
    make = User.objects.create_user
    reporter = make("nb_reporter", "reporter@example.com", "x-bench-pass-1")
    changer = make("nb_changer", "changer@example.com", "x-bench-pass-1", is_superuser=True)
    crowd = [make(f"nb_watcher{n}", f"w{n}@example.com", "x-bench-pass-1") for n in range(watchers)]
    return reporter, changer, crowd


def _world(changes: int, watchers: int) -> tuple[User, list[Issue]]:
    reporter, changer, crowd = _people(watchers)
    project = project_actions.create_project(
        actor=changer, key="NB", name="Notify bench", visibility="internal"
    )
    for user in [reporter, *crowd]:
        project_actions.set_member(
            actor=changer, project=project, user=user.username, role="member"
        )
    issues = [
        actions.create_issue(actor=reporter, project=project, fields={"title": f"Bench {n}"})
        for n in range(max(1, changes // 10))
    ]
    Watch.objects.bulk_create(
        [Watch(issue=i, user=u, created_at=now()) for i in issues for u in crowd],
        ignore_conflicts=True,
    )
    return changer, issues


def bench_consumer(changes: int, watchers: int) -> None:
    from docket.notifications.models import Notification
    from docket.worker import consumers
    from docket.worker.models import ConsumerCursor

    changer, issues = _world(changes, watchers)
    consumer = next(c for c in consumers.registered() if c.name == "notifications")
    while consumers.dispatch(consumer):  # the setup's own events
        pass
    start = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first()
    moment = now()
    record_bulk(
        [
            NewEvent(
                i.id,
                changer.id,
                EventKind.CHANGED,
                i.version + 1 + n,
                moment,
                field="priority",
                old="medium",
                new="high",
            )  # fmt: skip
            for n in range(changes // len(issues))
            for i in issues
        ]
    )
    before = Notification.objects.count()
    ConsumerCursor.objects.filter(name="notifications").update(last_event_id=start)
    handled, batches, queries = 0, 0, 0
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        while given := consumers.dispatch(consumer):
            handled += given
            batches += 1
    took = time.perf_counter() - started
    queries = len(captured.captured_queries)
    made = Notification.objects.count() - before
    print(
        f"{connection.vendor}: {handled} events, {made} notifications in {took:.2f} s: "
        f"{handled / took:,.0f} events/s, {made / took:,.0f} notifications/s; "
        f"{batches} batches, {queries / max(batches, 1):.1f} queries per batch"
    )


def bench_requests(count: int = 200) -> None:
    changer = User.objects.filter(username="nb_changer").first()
    if changer is None:
        changer, _ = _world(10, 5)
    token = create_token(actor=changer, name="bench", scopes=["read", "write", "admin"])[1]
    issue = Issue.objects.filter(project__key="NB").order_by("id").first()
    assert issue is not None
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/issues/NB-{issue.number}"
    times, queries = [], []
    for n in range(count + 20):
        body = '{"priority": "%s"}' % ("high" if n % 2 else "low")
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            answer = client.patch(url, body, content_type="application/json")
            elapsed = time.perf_counter() - started
        assert answer.status_code == 200, answer.content
        if n >= 20:  # warmed up
            times.append(elapsed * 1000)
            queries.append(len(captured.captured_queries))
    cuts = statistics.quantiles(times, n=20)
    print(
        f"{connection.vendor}: PATCH {url}: median {statistics.median(times):.2f} ms, "
        f"p95 {cuts[-1]:.2f} ms, {statistics.median(queries):.0f} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=5000)
    parser.add_argument("--watchers", type=int, default=5)
    parser.add_argument("--requests-only", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not args.requests_only:
        bench_consumer(args.changes, args.watchers)
    bench_requests()


if __name__ == "__main__":
    main()
