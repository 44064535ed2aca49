"""Keeping the run log bounded: a project with 50 rules writes 50 runs per event, so runs older
than DOCKET_RULE_RUNS_KEEP_DAYS are deleted by an hourly sweep, a batch at a time.

Runs keyed by a due date (`due_soon:` / `overdue:`) stay: their key is what stops the rule
from firing again for the same issue and due date, however long the issue stays overdue. The
events rules wrote keep their "Automation: <rule>" label (RuleEffect outlives its run)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q

from docket.automation.models import RuleRun

BATCH = 5000
MAX_BATCHES = 20  # one sweep deletes at most 100,000 runs; the rest go in the next hour


def prune_runs(moment: dt.datetime) -> int:
    """Delete runs past the retention; how many were deleted."""
    cutoff = moment - dt.timedelta(days=settings.DOCKET_RULE_RUNS_KEEP_DAYS)
    old = RuleRun.objects.filter(created_at__lt=cutoff).exclude(
        Q(key__startswith="due_soon:") | Q(key__startswith="overdue:")
    )
    deleted = 0
    for _ in range(MAX_BATCHES):
        ids = list(old.order_by("created_at").values_list("id", flat=True)[:BATCH])
        if not ids:
            break
        deleted += RuleRun.objects.filter(id__in=ids).delete()[1].get(RuleRun._meta.label, 0)
    return deleted
