"""Reading SLA state: a project's policies, and an issue's clocks as they stand now (the
issue API and the issue page). Callers pass what the gate already let them see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from docket.core.errors import NotFound
from docket.issues.models import Issue
from docket.projects.models import Project
from docket.sla import engine
from docket.sla.models import Clock, Escalation, Metric, Policy


def policies_of(project: Project) -> QuerySet[Policy]:
    return Policy.objects.filter(project=project).order_by("order", "id")


MAX_ID = 2**63 - 1


def policy_of(project: Project, policy_id: int) -> Policy:
    found = None
    if 0 < policy_id <= MAX_ID:  # past any id column's range: missing, not a 500
        found = (
            Policy.objects.filter(project=project, id=policy_id).select_related("project").first()
        )
    if found is None:
        raise NotFound(f"{project.key} has no SLA policy {policy_id}")
    return found


def clocks_of(issue: Issue, moment: dt.datetime) -> list[dict[str, Any]]:
    """Each clock of the issue: its metric, policy, state (running, paused, met, breached),
    whether at risk, target, elapsed and remaining business seconds, and its deadline."""
    rows = Clock.objects.filter(issue=issue).select_related("policy").order_by("metric")
    out = []
    for clock in rows:
        reading = engine.reading(clock, moment)
        out.append(
            {
                "metric": clock.metric,
                "label": Metric(clock.metric).label,
                "policy": clock.policy.name,
                "state": reading.state,
                "at_risk": reading.at_risk,
                "target_seconds": clock.target_seconds,
                "elapsed_seconds": int(reading.elapsed.total_seconds()),
                "remaining_seconds": int(reading.remaining.total_seconds()),
                "deadline": reading.deadline,
                "stopped_at": clock.stopped_at,
            }
        )
    return out


def escalations_of(issue: Issue) -> list[dict[str, Any]]:
    rows = Escalation.objects.filter(issue=issue).order_by("id")
    return [
        {"metric": e.metric, "step": e.step, "policy": e.policy_name, "fired_at": e.fired_at,
         "outcome": e.outcome}
        for e in rows
    ]  # fmt: skip
