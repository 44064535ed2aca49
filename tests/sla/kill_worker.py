"""A stand-in for the worker's SLA sweep in its own process, for tests/sla/test_kill9.py:

python -m tests.sla.kill_worker setup            # an incident and its clocks; prints its id
python -m tests.sla.kill_worker die MINUTES      # sweep MINUTES after now; kill -9 itself
                                                 # inside the first step, before commit
python -m tests.sla.kill_worker sweep MINUTES    # sweep MINUTES after now
python -m tests.sla.kill_worker report ISSUE_ID  # JSON: steps fired, events, priority
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")

import django  # noqa: E402

django.setup()

from docket.accounts.models import User  # noqa: E402
from docket.core.clock import now  # noqa: E402
from docket.issues import actions  # noqa: E402
from docket.issues.models import IssueEvent  # noqa: E402
from docket.projects.actions import create_project  # noqa: E402
from docket.sla import engine  # noqa: E402
from docket.sla.consumer import NAME  # noqa: E402
from docket.sla.models import Escalation  # noqa: E402
from docket.worker import consumers  # noqa: E402


def setup() -> None:
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "killadmin", "k@example.com", "x-test-pass-1"
    )
    project = create_project(actor=admin, key="OPS", name="Ops", workflow="incident")
    issue = actions.create_issue(
        actor=admin, project=project, fields={"title": "Pager", "priority": "high"}
    )
    sla = next(c for c in consumers.registered() if c.name == NAME)
    while consumers.dispatch(sla):
        pass
    print(issue.pk)


def sweep(minutes: float, die: bool) -> None:
    if die:
        real = engine.record_sla_event

        def record_then_die(*args: object, **kwargs: object) -> object:
            real(*args, **kwargs)  # type: ignore[arg-type]
            os.kill(os.getpid(), signal.SIGKILL)  # mid-transaction: nothing commits
            raise AssertionError("unreachable")

        engine.record_sla_event = record_then_die  # type: ignore[assignment]
    print(engine.sweep(now() + dt.timedelta(minutes=minutes)))


def report(issue_id: int) -> None:
    kinds = ["sla_warning", "sla_breached", "sla_escalated"]
    events = IssueEvent.objects.filter(issue_id=issue_id)
    print(json.dumps({
        "steps": sorted(Escalation.objects.filter(issue_id=issue_id, metric="first_response")
                        .values_list("step", flat=True)),
        "events": [[e.kind, e.field, e.new["percent"]] for e in events.filter(kind__in=kinds)],
        "raises": events.filter(field="priority").count(),
    }))  # fmt: skip


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        setup()
    elif command == "report":
        report(int(sys.argv[2]))
    else:
        sweep(float(sys.argv[2]), die=command == "die")
