"""Changing rules (project admins for a project's rules, site admins for global ones), each
in the audit log; and the dry run, which tries a rule on an issue and keeps nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from docket.accounts.access import is_site_admin
from docket.accounts.actor import Who, account_of
from docket.audit.log import record as audit
from docket.automation import engine
from docket.automation.bot import bot_actor
from docket.automation.models import Rule
from docket.automation.spec import check_actions, check_trigger
from docket.core.clock import now
from docket.core.errors import Invalid, NotFound, checked_name
from docket.issues.models import Issue
from docket.issues.query_fields import check_issue_query
from docket.projects.access import Perm, require
from docket.projects.models import Project
from docket.query import QueryError

FIELDS = ("name", "trigger", "condition", "actions", "enabled", "position")


def may_manage(actor: Who, project: Project | None) -> None:
    """Project rules: the project's admins (403/404 by the project gate); global rules: site
    admins (404 for everyone else, as if they did not exist)."""
    if project is None:
        if not is_site_admin(actor):
            raise NotFound("no such rules")
    else:
        require(actor, project, Perm.MANAGE_PROJECT)


def _clean(actor: Who, data: dict[str, Any], partial: bool) -> dict[str, Any]:
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Invalid.field(unknown[0], "is not a field of a rule")
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        out["name"] = checked_name(data.get("name"))
    if "trigger" in data or not partial:
        out["trigger"] = check_trigger(data.get("trigger"))
    if "actions" in data or not partial:
        out["actions"] = check_actions(data.get("actions"))
    if "condition" in data:
        condition = data["condition"] or ""
        if not isinstance(condition, str) or len(condition) > 2000:
            raise Invalid.field("condition", "must be a query of at most 2000 characters")
        if condition.strip():
            try:
                check_issue_query(condition, actor)
            except QueryError as wrong:
                raise Invalid.field("condition", str(wrong)) from wrong
        out["condition"] = condition.strip()
    for flag, kind in (("enabled", bool), ("position", int)):
        if flag in data:
            value = data[flag]
            if not isinstance(value, kind) or (kind is int and (value < 0 or value > 1_000_000)):
                raise Invalid.field(
                    flag, f"must be {'true or false' if kind is bool else 'a number 0-1000000'}"
                )
            out[flag] = value
    return out


def _described(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name, "enabled": rule.enabled, "position": rule.position,
        "trigger": rule.trigger, "condition": rule.condition, "actions": rule.actions,
    }  # fmt: skip


@transaction.atomic
def create_rule(*, actor: Who, project: Project | None, data: dict[str, Any]) -> Rule:
    may_manage(actor, project)
    values = _clean(actor, data, partial=False)
    if "position" not in values:
        last = Rule.objects.filter(project=project).aggregate(top=Max("position"))["top"]
        values["position"] = 0 if last is None else last + 1
    moment = now()
    rule = Rule.objects.create(
        project=project, owner=account_of(actor), created_at=moment, updated_at=moment, **values
    )
    audit(actor, "rule.created", project=project, target=f"rule {rule.id}", **_described(rule))
    return rule


@transaction.atomic
def update_rule(*, actor: Who, rule: Rule, data: dict[str, Any]) -> Rule:
    """Change a rule; whoever changes it becomes its owner (the bot acts with their role)."""
    may_manage(actor, rule.project)
    values = _clean(actor, data, partial=True)
    before = _described(rule)
    for name, value in values.items():
        setattr(rule, name, value)
    if "trigger" in values:
        rule.next_run_at = None  # a schedule starts again from its next slot
    rule.owner = account_of(actor)
    rule.updated_at = now()
    rule.save()
    after = _described(rule)
    changed = {k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]}
    audit(actor, "rule.changed", project=rule.project, target=f"rule {rule.id}", name=rule.name,
          changes=changed)  # fmt: skip
    return rule


@transaction.atomic
def move_rule(*, actor: Who, rule: Rule, by: int) -> None:
    """Move a rule `by` places in its list's order (-1: one up). The list is renumbered 0..n
    so ties left by the API's positions cannot stall a move; the owners do not change (the
    rules do the same things, only in another order)."""
    may_manage(actor, rule.project)
    rules = list(Rule.objects.select_for_update().filter(project=rule.project))
    index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), None)
    if index is None:
        raise NotFound(f"no rule {rule.pk}")
    target = index + by
    if not 0 <= target < len(rules):
        raise Invalid.field("position", "the rule cannot move further that way")
    rules.insert(target, rules.pop(index))
    for position, each in enumerate(rules):
        if each.position != position:
            each.position = position
            each.save(update_fields=["position"])
    audit(actor, "rule.moved", project=rule.project, target=f"rule {rule.id}", name=rule.name,
          position=target)  # fmt: skip


@transaction.atomic
def delete_rule(*, actor: Who, rule: Rule) -> None:
    may_manage(actor, rule.project)
    audit(actor, "rule.deleted", project=rule.project, target=f"rule {rule.id}", **_described(rule))
    rule.delete()


def dry_run(*, actor: Who, rule: Rule, issue: Issue) -> dict[str, Any]:
    """What the rule would do to `issue` now: whether its condition matches and what each
    action would do (or why it would be refused). The actions really run, as the bot, inside a
    savepoint that is always rolled back: nothing is kept, no event is told to anyone (the
    callbacks of a rolled-back savepoint are dropped), and no run is logged."""
    may_manage(actor, rule.project)
    if rule.project_id is not None and issue.project_id != rule.project_id:
        raise Invalid.field("issue", f"is not in {rule.project.key if rule.project else ''}")
    fresh = engine.fresh_issue(issue.pk)
    if fresh is None:
        raise NotFound(f"no issue {issue.key}")
    bot = bot_actor(rule.owner, fresh.project)
    try:
        matched = engine.matches(rule, fresh, bot, now())
    except QueryError as broken:
        return {
            "matched": False,
            "outcome": "failed",
            "results": [],
            "error": f"condition: {broken}",
        }
    if not matched:
        return {"matched": False, "outcome": "no match", "results": [], "error": ""}
    with transaction.atomic():
        result = engine.carry_out(rule, fresh, bot)
        transaction.set_rollback(True)
    return {
        "matched": True,
        "outcome": result.outcome,
        "results": result.results,
        "error": result.error,
    }
