"""Rule evaluation per event with 50 enabled rules in a project (issue 14's figure: p95 <= 1 ms).

    DOCKET_DATA_DIR=/tmp/rb python bench/rules_bench.py [--rules 50] [--events 2000]
    DOCKET_DATABASE_URL=postgres://…/db python bench/rules_bench.py

On an empty database (migrated here): one project with `--rules` enabled rules whose triggers
all fire on a field change (the worst case: every rule's condition is evaluated) and whose
conditions are ordinary Docket queries that do not match (so no action runs), 200 issues with
labels and components, and `--events` field changes written through the event recorder.

Two figures:
- evaluation: for one event, every rule's trigger test and its condition evaluated in memory
  against the issue (automation/engine.py `fires` + `matches`, conditions parsed once), the
  issue loaded beforehand; p50/p95/max per event.
- consumer: `docket.worker.consumers.dispatch` of the automation consumer over all events,
  as the worker runs it (loading each issue, evaluating, logging 50 runs per event); mean per
  event.
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

from docket.accounts.models import User  # noqa: E402
from docket.automation import actions as rule_admin  # noqa: E402
from docket.automation.bot import bot_actor  # noqa: E402
from docket.automation.consumer import NAME  # noqa: E402
from docket.automation.engine import fires, fresh_issue, matches, rules_for  # noqa: E402
from docket.automation.models import RuleRun  # noqa: E402
from docket.core.clock import now  # noqa: E402
from docket.issues import actions  # noqa: E402
from docket.issues.events import NewEvent, record_bulk  # noqa: E402
from docket.issues.models import EventKind, IssueEvent  # noqa: E402
from docket.issues.query_fields import issue_context  # noqa: E402
from docket.projects import actions as project_actions  # noqa: E402
from docket.projects.models import Component  # noqa: E402
from docket.worker import consumers  # noqa: E402
from docket.worker.consumers import start_cursor  # noqa: E402
from docket.worker.models import ConsumerCursor  # noqa: E402

CONDITIONS = [
    'priority:highest label:"rb-{n}"',
    "type:incident -is:closed assignee:none",
    'component:rb-core title:"outage {n}"',
    "severity:critical (label:rb-a OR label:rb-b) created:>-1d",
    'is:open -label:rb-x priority:>=high text:"never {n}"',
]


def _rules(admin: User, project, count: int) -> None:
    for n in range(count):
        rule_admin.create_rule(
            actor=admin, project=project,
            data={
                "name": f"rule {n}",
                "trigger": {"on": "changed"},
                "condition": CONDITIONS[n % len(CONDITIONS)].format(n=n),
                "actions": [{"type": "set", "field": "priority", "value": "highest"}],
            },
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    admin = User.objects.create_user("rb_admin", "rb@example.com", "x-bench-pass-1")
    project = project_actions.create_project(
        actor=admin, key="RB", name="Rules bench", visibility="private"
    )
    Component.objects.create(project=project, name="rb-core")
    issues = [
        actions.create_issue(
            actor=admin,
            project=project,
            fields={
                "title": f"Issue {n}",
                "labels": ["rb-a", f"rb-l{n % 7}"],
                "components": ["rb-core"] if n % 2 else [],
            },
        )  # fmt: skip
        for n in range(200)
    ]
    start_cursor(NAME)
    ConsumerCursor.objects.filter(name=NAME).update(
        last_event_id=IssueEvent.objects.order_by("-id").values_list("id", flat=True).first()
    )
    _rules(admin, project, args.rules)
    moment = now()
    record_bulk(
        [
            NewEvent(
                issues[n % 200].id,
                admin.id,
                EventKind.CHANGED,
                1,
                moment,
                field="description",
                old="",
                new=f"change {n}",
            )  # fmt: skip
            for n in range(args.events)
        ]
    )
    events = list(IssueEvent.objects.filter(field="description").select_related("issue"))

    # 1. Evaluation per event, in memory.
    rules = rules_for([project.id])
    assert len(rules) == args.rules
    bot = bot_actor(admin, project)
    loaded = {i.id: fresh_issue(i.id) for i in issues}
    times = []
    for event in events:
        issue = loaded[event.issue_id]
        began = time.perf_counter()
        ctx = issue_context(bot, moment)
        hits = [r for r in rules if fires(r.trigger, event) and matches(r, issue, bot, moment, ctx)]
        times.append((time.perf_counter() - began) * 1000)
        assert not hits
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{connection.vendor}: {args.rules} rules, {len(events)} events")
    print(
        f"evaluation per event: p50 {statistics.median(times):.3f} ms, p95 {p95:.3f} ms, "
        f"max {times[-1]:.3f} ms"
    )

    # 2. The consumer as the worker runs it.
    consumer = next(c for c in consumers.registered() if c.name == NAME)
    began = time.perf_counter()
    while consumers.dispatch(consumer):
        pass
    spent = time.perf_counter() - began
    logged = RuleRun.objects.count()
    print(
        f"consumer: {spent * 1000 / len(events):.2f} ms per event "
        f"({len(events) / spent:.0f} events/s, {logged} runs logged)"
    )


if __name__ == "__main__":
    main()
