"""The run log is pruned after DOCKET_RULE_RUNS_KEEP_DAYS; history keeps naming the rule."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from docket.automation.models import RuleEffect, RuleRun
from docket.automation.prune import prune_runs
from docket.core.clock import now
from tests.automation.conftest import make_rule, run_rules
from tests.factories import make_issue


def test_old_runs_go_but_due_date_keys_and_the_timeline_label_stay(cast, settings):
    settings.DOCKET_RULE_RUNS_KEEP_DAYS = 30
    rule = make_rule(cast.alice, cast.web, "Triage", {"on": "created"},
                     [{"type": "set", "field": "priority", "value": "high"}])  # fmt: skip
    old_issue, new_issue = make_issue(cast.carol, cast.web), make_issue(cast.carol, cast.web)
    run_rules()
    old_run = RuleRun.objects.get(rule=rule, issue=old_issue)
    kept_run = RuleRun.objects.get(rule=rule, issue=new_issue)
    long_ago = now() - dt.timedelta(days=31)
    RuleRun.objects.filter(pk=old_run.pk).update(created_at=long_ago)
    overdue = RuleRun.objects.create(
        rule=rule, key=f"overdue:{old_issue.id}:2026-01-01", trigger="overdue", issue=old_issue,
        matched=True, outcome=RuleRun.Outcome.DONE, created_at=long_ago,
    )  # fmt: skip

    assert prune_runs(now()) == 1
    remaining = set(RuleRun.objects.filter(rule=rule).values_list("id", flat=True))
    assert remaining == {kept_run.id, overdue.id}  # an overdue key stops a second firing
    assert RuleEffect.objects.filter(run__isnull=True).count() == 1  # the effect outlives it
    client = Client()
    client.force_login(cast.bob)
    page = client.get(f"/WEB-{old_issue.number}").content.decode()
    assert "Automation: Triage" in page
    assert prune_runs(now()) == 0
