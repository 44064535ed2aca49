"""The clock's triggers: due soon, overdue (once per rule, issue and due date) and rules on a
schedule (cron, once per slot and issue), run by the automation sweep with a moved clock."""

from __future__ import annotations

import datetime as dt

from docket.automation import sweep
from docket.automation.models import Rule, RuleRun
from docket.issues import actions
from tests.automation.conftest import make_rule
from tests.factories import make_issue


def test_due_soon_and_overdue_fire_once_per_due_date(cast, clock):
    today = clock.current.date()
    soon = make_rule(cast.alice, cast.web, "Soon", {"on": "due_soon"},
                     [{"type": "add_labels", "labels": ["due-soon"]}])  # fmt: skip
    late = make_rule(cast.alice, cast.web, "Late", {"on": "overdue"},
                     [{"type": "set", "field": "priority", "value": "highest"}],
                     condition="-label:wontfix")  # fmt: skip
    issue = make_issue(cast.carol, cast.web, due_date=(today + dt.timedelta(days=1)).isoformat())
    make_issue(cast.carol, cast.web, due_date=(today + dt.timedelta(days=5)).isoformat())
    assert sweep.run(clock.current) == 1
    assert sweep.run(clock.advance(minutes=1)) == 0  # once
    assert [label.name for label in issue.labels.all()] == ["due-soon"]
    assert sweep.run(clock.advance(days=2)) == 1  # now overdue
    issue.refresh_from_db()
    assert issue.get_priority_display() == "highest"
    assert sweep.run(clock.advance(days=1)) == 0
    # A new due date, passed again: the overdue rule fires for it.
    yesterday = (clock.current.date() - dt.timedelta(days=1)).isoformat()
    actions.update_issue(actor=cast.bob, issue=issue, changes={"due_date": yesterday})
    assert sweep.run(clock.advance(minutes=1)) == 1
    assert RuleRun.objects.filter(rule=soon).count() == 1
    assert RuleRun.objects.filter(rule=late).count() == 2


def test_a_scheduled_rule_runs_on_its_slots_only(cast, clock):
    clock.current = dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.UTC)  # a Monday
    weekly = {"on": "schedule", "cron": "0 9 * * 1"}
    nudge = [{"type": "comment", "body": "Still open?"}]
    rule = make_rule(cast.alice, cast.web, "Monday nudge", weekly, nudge, condition="priority:high")
    nudged = make_issue(cast.carol, cast.web, priority="high")
    make_issue(cast.carol, cast.web, priority="low")
    assert sweep.run(clock.current) == 0  # arms it: next slot 09:00
    assert Rule.objects.get(pk=rule.pk).next_run_at == dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
    assert sweep.run(clock.advance(minutes=20)) == 0
    assert sweep.run(clock.advance(minutes=11)) == 1
    assert sweep.run(clock.advance(minutes=1)) == 0
    assert nudged.comments.count() == 1
    assert Rule.objects.get(pk=rule.pk).next_run_at == dt.datetime(2026, 12, 14, 9, tzinfo=dt.UTC)
    assert sweep.run(clock.advance(days=7)) == 1
    assert nudged.comments.count() == 2
