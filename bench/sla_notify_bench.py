"""From an SLA breach to its notification, with a real worker running (`docket worker`).

    DOCKET_DATA_DIR=/tmp/slan python bench/sla_notify_bench.py [--issues 40] [--spread 20]
    DOCKET_DATABASE_URL=postgres://…/db python bench/sla_notify_bench.py

On a fresh database (migrated here): a project whose policy gives medium issues a first
response target of 1 minute (around the clock) and tells the assignee at 100 %. With a
`docket worker` process running (its default 0.5 s idle interval), `--issues` assigned
issues are filed `--spread` seconds apart in all; this process then watches the inbox rows
(polling every 50 ms) and reports, per breach, the time from the clock's deadline to the
assignee's inbox notification being there: p50, p95, max.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from docket.accounts.models import User  # noqa: E402
from docket.core.clock import now  # noqa: E402
from docket.issues import actions  # noqa: E402
from docket.notifications.models import Notification  # noqa: E402
from docket.projects import actions as project_actions  # noqa: E402
from docket.sla import actions as sla_actions  # noqa: E402
from docket.sla.models import Clock  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=40)
    parser.add_argument("--spread", type=float, default=20.0)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    admin = User.objects.create_user("sn_admin", "a@example.com", "x-bench-pass-1",
                                     is_superuser=True)  # fmt: skip
    agent = User.objects.create_user("sn_agent", "b@example.com", "x-bench-pass-1")
    project = project_actions.create_project(actor=admin, key="SN", name="SLA notify")
    project_actions.set_member(actor=admin, project=project, user="sn_agent", role="member")
    sla_actions.create_policy(actor=admin, project=project, values={
        "name": "One minute", "first_response": {"medium": 1},
        "steps": [{"at": 100, "do": ["notify_assignee"]}],
    })  # fmt: skip
    docket = Path(sys.executable).with_name("docket")
    worker = subprocess.Popen([str(docket), "worker"], env=os.environ.copy())
    try:
        time.sleep(3)  # the worker starts (and finds nothing to migrate)
        issues = []
        for n in range(args.issues):
            fields = {"title": f"Breach {n}", "assignee": "sn_agent"}
            issues.append(actions.create_issue(actor=admin, project=project, fields=fields).pk)
            time.sleep(args.spread / args.issues)
        seen: dict[int, float] = {}
        give_up = time.monotonic() + 60 + args.spread + 60
        while len(seen) < len(issues) and time.monotonic() < give_up:
            rows = (
                Notification.objects.filter(
                    recipient=agent, event__kind="sla_breached", in_inbox=True
                )
                .exclude(issue_id__in=list(seen))
                .values_list("issue_id", flat=True)
            )
            moment = now()
            for issue_id in rows:
                seen[issue_id] = moment.timestamp()
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(10)
    deadlines = dict(Clock.objects.filter(issue_id__in=issues, metric="first_response")
                     .values_list("issue_id", "deadline"))  # fmt: skip
    delays = sorted(seen[i] - deadlines[i].timestamp() for i in seen)
    missing = len(issues) - len(seen)
    p95 = delays[max(0, round(0.95 * len(delays)) - 1)] if delays else float("nan")
    p50, worst = statistics.median(delays), max(delays)
    print(f"{len(delays)} breaches seen ({missing} missing): deadline -> inbox "
          f"p50 {p50:.2f} s, p95 {p95:.2f} s, max {worst:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
