"""The automation sweep (every minute, claimed once per period by docket.worker.sweeps): the
triggers that come from the clock rather than an event.

- due_soon: open issues due tomorrow; overdue: open issues whose due date has passed. Once
  per rule, issue and due date (the run's key), so a changed due date sets them off again.
- schedule: a rule's `next_run_at` (from its cron expression, UTC) has come: the rule runs on
  each open issue of its project (every project for a global rule) that its condition
  selects, at most PER_SLOT of them, once per issue and slot.
"""

from __future__ import annotations

import datetime as dt

from croniter import croniter
from django.db import transaction
from django.db.models import Q

from docket.automation.bot import bot_actor, bot_user
from docket.automation.engine import fresh_issue, rules_for, run_rule
from docket.automation.models import Rule, RuleRun
from docket.issues.models import Issue
from docket.issues.query_fields import compile_issue_query
from docket.projects.models import WorkflowState
from docket.query import QueryError

PER_RULE = 200  # issues a due-date rule handles per sweep; the rest wait for the next one
PER_SLOT = 200


def next_run(cron: str, after: dt.datetime) -> dt.datetime:
    found: dt.datetime = croniter(cron, after.astimezone(dt.UTC)).get_next(dt.datetime)
    return found


def run(moment: dt.datetime) -> int:
    with transaction.atomic():
        return _due_dates(moment) + _schedules(moment)


def _open_issues(rule: Rule) -> Q:
    where = Q(deleted_at__isnull=True) & ~Q(status__category=WorkflowState.Category.DONE)
    return where & Q(project_id=rule.project_id) if rule.project_id else where


def _due_dates(moment: dt.datetime) -> int:
    today = moment.date()
    runs = 0
    bot = bot_user()
    for rule in Rule.objects.filter(
        enabled=True, trigger__on__in=["due_soon", "overdue"]
    ).select_related("owner"):
        on = rule.trigger["on"]
        due = (
            Q(due_date=today + dt.timedelta(days=1)) if on == "due_soon" else Q(due_date__lt=today)
        )
        done = RuleRun.objects.filter(rule=rule, key__startswith=f"{on}:").values_list(
            "key", flat=True
        )
        seen = set(done)
        candidates = Issue.objects.filter(_open_issues(rule) & due).values_list("id", "due_date")
        handled = 0
        for issue_id, day in candidates.order_by("due_date", "id").iterator():
            key = f"{on}:{issue_id}:{day}"
            if key in seen:
                continue
            issue = fresh_issue(issue_id)
            if issue is not None:
                run_rule(rule, issue, key=key, trigger=on, bot=bot)
                runs += 1
            handled += 1
            if handled >= PER_RULE:
                break
    return runs


def _schedules(moment: dt.datetime) -> int:
    runs = 0
    bot = bot_user()
    waiting = Rule.objects.filter(enabled=True, trigger__on="schedule", next_run_at__isnull=True)
    for rule in waiting:  # just saved: its first slot is the next one from now
        rule.next_run_at = next_run(rule.trigger["cron"], moment)
        rule.save(update_fields=["next_run_at"])
    due = Rule.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        enabled=True, trigger__on="schedule", next_run_at__lte=moment
    )
    for rule in list(due.select_related("owner", "project")):
        slot = rule.next_run_at
        assert slot is not None
        rule.next_run_at = next_run(rule.trigger["cron"], moment)
        rule.save(update_fields=["next_run_at"])
        issues = Issue.objects.filter(_open_issues(rule))
        if rule.condition.strip():
            viewer = bot_actor(rule.owner, rule.project, bot) if rule.project else None
            try:
                q, _ = compile_issue_query(rule.condition, viewer or bot, now=moment)
            except QueryError:
                continue  # run_rule would log the broken condition; nothing to select
            issues = issues.filter(q)
        for issue_id in issues.order_by("id").values_list("id", flat=True)[:PER_SLOT]:
            issue = fresh_issue(issue_id)
            key = f"schedule:{slot.isoformat()}:{issue_id}"
            if issue is None or RuleRun.objects.filter(rule=rule, key=key).exists():
                continue
            run_rule(rule, issue, key=key, trigger="schedule", bot=bot)
            runs += 1
    return runs


__all__ = ["next_run", "rules_for", "run"]
