"""The one door through which the sla app writes to issues (docs/sla.md, Layering).

The query language lives here, below the sla app, so `sla:breached`, `sla:at-risk` and
`sort:sla` read two summary columns of Issue (`sla_due_at`, `sla_state`) instead of the sla
app's tables; the sla app keeps them current through `set_summaries`, and writes its
escalation history through `record_sla_event`. Neither is an edit: no version bump, no
`updated_at`, so nobody's edit conflicts with a clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from docket.accounts.actor import Who
from docket.issues.events import record
from docket.issues.models import EventKind, Issue, IssueEvent

SLA_KINDS = frozenset({EventKind.SLA_WARNING, EventKind.SLA_BREACHED, EventKind.SLA_ESCALATED})
STATES = frozenset({"", "running", "paused", "met", "at_risk", "breached"})


def set_summaries(summaries: dict[int, tuple[dt.datetime | None, str]]) -> int:
    """Issue id -> (nearest deadline, worst state); rows already right are not written.
    Returns how many rows changed."""
    if not summaries:
        return 0
    current = Issue.objects.filter(id__in=list(summaries)).values_list(
        "id", "sla_due_at", "sla_state"
    )
    changed = []
    for issue_id, due, state in current:
        wanted = summaries[issue_id]
        if wanted[1] not in STATES:
            raise ValueError(f"unknown SLA state {wanted[1]!r}")
        if (due, state) != wanted:
            changed.append(Issue(id=issue_id, sla_due_at=wanted[0], sla_state=wanted[1]))
    # One UPDATE … CASE per batch, not one per issue (the sweep writes up to 100 at once).
    Issue.objects.bulk_update(changed, ["sla_due_at", "sla_state"], batch_size=500)
    return len(changed)


def record_sla_event(
    issue: Issue, actor: Who, kind: str, moment: dt.datetime, metric: str, detail: dict[str, Any]
) -> IssueEvent:
    """An escalation step in the issue's history (sla_warning, sla_breached, sla_escalated;
    `field` names the metric, `new` what the step did)."""
    if kind not in SLA_KINDS:
        raise ValueError(f"{kind} is not an SLA event kind")
    return record(issue, actor, kind, moment, field=metric, new=detail)
