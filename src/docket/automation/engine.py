"""Running rules: does a trigger fire for an event, does the condition hold for the issue, and
carrying out the actions with the run logged (one RuleRun per rule and event, unique).

The loop guard: every event a rule's action writes is recorded (RuleEffect) with its depth —
one more than the event that set the rule off. A rule set off by an event at MAX_DEPTH does
nothing and logs "stopped: loop"; and a rule never runs twice for one event (the run's key).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from docket.accounts.actor import Actor
from docket.accounts.models import User
from docket.automation import rule_actions
from docket.automation.bot import bot_actor, bot_user
from docket.automation.models import Rule, RuleEffect, RuleRun
from docket.automation.spec import EVENT_TRIGGERS
from docket.core.clock import now
from docket.core.errors import DocketError
from docket.issues.models import EventKind, Issue, IssueEvent
from docket.issues.query_fields import check_issue_query, issue_context, issues_for_evaluation
from docket.query import CheckedQuery, Context, QueryError, evaluate

log = logging.getLogger(__name__)

MAX_DEPTH = 3  # a person's change, then at most three rounds of rules reacting to rules

# A rule's parsed condition, kept while the rule is unchanged (id -> (updated_at, query)).
_conditions: dict[int, tuple[dt.datetime, CheckedQuery | None]] = {}


def condition_of(rule: Rule) -> CheckedQuery | None:
    """The rule's condition, parsed and validated once per rule version (None: always)."""
    cached = _conditions.get(rule.id)
    if cached is not None and cached[0] == rule.updated_at:
        return cached[1]
    checked = check_issue_query(rule.condition) if rule.condition.strip() else None
    _conditions[rule.id] = (rule.updated_at, checked)
    return checked


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, str) and isinstance(wanted, str):
        return value.lower() == wanted.lower()
    if isinstance(value, list) and isinstance(wanted, str):
        return wanted.lower() in (str(v).lower() for v in value)
    return bool(value == wanted)


def fires(trigger: dict[str, Any], event: IssueEvent) -> bool:
    """Whether an event sets off a rule with this trigger."""
    on = trigger["on"]
    if on == "created":
        return event.kind == EventKind.CREATED
    if on == "commented":
        return event.kind == EventKind.COMMENTED
    if on in ("sla_warning", "sla_breached"):
        return bool(event.kind == on)  # written by the SLA clocks (docket.sla)
    if event.kind != EventKind.CHANGED:
        return False
    if on == "transitioned":
        if event.field != "status":
            return False
    elif on == "changed":
        if "field" in trigger and event.field != trigger["field"]:
            return False
    else:
        return False
    if "from" in trigger and not _same(event.old, trigger["from"]):
        return False
    return "to" not in trigger or _same(event.new, trigger["to"])


def matches(
    rule: Rule, issue: Issue, viewer: Actor, moment: dt.datetime, ctx: Context | None = None
) -> bool:
    """Whether the rule's condition holds for the issue now (`ctx`: an evaluation context
    made once for the event and shared by its rules; made here when not given)."""
    checked = condition_of(rule)
    if checked is None:
        return True
    return evaluate(checked, issue, ctx or issue_context(viewer, moment))


def rules_for(project_ids: Iterable[int], triggers: Iterable[str] = EVENT_TRIGGERS) -> list[Rule]:
    """The enabled rules of these projects and the global ones, in order: global rules first,
    then each project's by position."""
    found = Rule.objects.filter(
        Q(project_id__in=list(project_ids)) | Q(project__isnull=True),
        enabled=True,
        trigger__on__in=list(triggers),
    ).select_related("owner")
    return sorted(found, key=lambda r: (r.project_id is not None, r.position, r.id))


def fresh_issue(issue_id: int) -> Issue | None:
    return issues_for_evaluation([issue_id]).get(issue_id)


@dataclass
class Outcome:
    matched: bool
    outcome: str
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


def carry_out(rule: Rule, issue: Issue, actor: Actor) -> Outcome:
    """Run the rule's actions in order, in one savepoint: all of them, or (one refused) none."""
    results: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            for action in rule.actions:
                try:
                    detail = rule_actions.run_action(actor, issue, action)
                except DocketError as refused:
                    results.append({"type": action["type"], "ok": False, "detail": str(refused)})
                    raise
                results.append({"type": action["type"], "ok": True, "detail": detail})
                issue = fresh_issue(issue.pk) or issue
    except DocketError as refused:
        return Outcome(True, RuleRun.Outcome.FAILED, results, f"{results[-1]['type']}: {refused}")
    except Exception:  # a bug must not stop the consumer on this event forever: log, go on
        log.exception("rule %s failed on issue %s", rule.id, issue.pk)
        failing = rule.actions[len(results)]["type"] if len(results) < len(rule.actions) else "?"
        results.append({"type": failing, "ok": False, "detail": "internal error"})
        return Outcome(True, RuleRun.Outcome.FAILED, results, f"{failing}: internal error")
    return Outcome(True, RuleRun.Outcome.DONE, results)


def run_rule(
    rule: Rule,
    issue: Issue,
    *,
    key: str,
    trigger: str,
    event: IssueEvent | None = None,
    depth: int = 0,
    bot: User | None = None,
    unsaved: list[RuleRun] | None = None,
    actor: Actor | None = None,
    ctx: Context | None = None,
) -> RuleRun:
    """Run one rule on one issue and log it. `depth`: that of the event that set it off.
    Runs that did nothing go to `unsaved` when given (the caller inserts them in one go);
    `actor` (the bot as this rule's owner) and `ctx` may come from the caller's cache."""
    moment = now()
    actor = actor or bot_actor(rule.owner, issue.project, bot)
    try:
        matched = matches(rule, issue, actor, moment, ctx)
    except QueryError as broken:  # a condition that no longer validates (a field removed)
        failed = Outcome(False, RuleRun.Outcome.FAILED, error=f"condition: {broken}")
        return _log(rule, key, trigger, event, issue, depth, failed, unsaved)
    if not matched:
        nothing = Outcome(False, RuleRun.Outcome.NO_MATCH)
        return _log(rule, key, trigger, event, issue, depth, nothing, unsaved)
    if depth >= MAX_DEPTH:
        error = f"set off by a chain of {depth} rule changes (the limit is {MAX_DEPTH})"
        stopped = Outcome(True, RuleRun.Outcome.LOOP, error=error)
        return _log(rule, key, trigger, event, issue, depth, stopped, unsaved)
    mark = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = carry_out(rule, issue, actor)
    run = _log(rule, key, trigger, event, issue, depth, result)
    written = IssueEvent.objects.filter(issue_id=issue.pk, id__gt=mark, actor_id=actor.id)
    RuleEffect.objects.bulk_create(
        [
            RuleEffect(event_id=e, run=run, rule_name=rule.name, depth=depth + 1)
            for e in written.values_list("id", flat=True)
        ]  # fmt: skip
    )
    return run


def _log(
    rule: Rule, key: str, trigger: str, event: IssueEvent | None, issue: Issue, depth: int,
    result: Outcome, unsaved: list[RuleRun] | None = None,
) -> RuleRun:  # fmt: skip
    run = RuleRun(
        rule=rule, key=key, trigger=trigger, event=event, issue=issue, matched=result.matched,
        outcome=result.outcome, results=result.results, error=result.error, depth=depth,
        created_at=now(),
    )  # fmt: skip
    if unsaved is None:
        run.save()
    else:
        unsaved.append(run)
    return run


def handle_events(events: list[IssueEvent]) -> int:
    """The consumer's work for a batch: every rule each event sets off, in order. Returns
    the number of runs logged."""
    interesting = [e for e in events if e.kind in _EVENT_KINDS]
    if not interesting:
        return 0
    rules = rules_for({e.issue.project_id for e in interesting})
    if not rules:
        return 0
    ids = [e.id for e in interesting]
    depths = dict(RuleEffect.objects.filter(event_id__in=ids).values_list("event_id", "depth"))
    keys = [f"event:{i}" for i in ids]
    done = set(  # runs of an earlier pass over these events (a gap, a crash, a replay)
        RuleRun.objects.filter(rule_id__in=[r.id for r in rules], key__in=keys).values_list(
            "rule_id", "key"
        )
    )
    bot = bot_user()
    runs = 0
    quiet: list[RuleRun] = []  # runs that changed nothing, inserted together at the end
    actors: dict[tuple[int | None, int], Actor] = {}  # the bot as each owner, per project
    current = issues_for_evaluation({e.issue_id for e in interesting if _sets_off_any(rules, e)})
    for event in interesting:
        key = f"event:{event.id}"
        issue = current.get(event.issue_id)
        ctx: Context | None = None
        for rule in rules:
            if rule.project_id not in (None, event.issue.project_id) or (rule.id, key) in done:
                continue
            if event.created_at < rule.created_at or not fires(rule.trigger, event):
                continue  # a rule acts on what happens once it exists (not on imported history)
            if issue is None:  # deleted
                break
            mine = (rule.owner_id, issue.project_id)
            if mine not in actors:
                actors[mine] = bot_actor(rule.owner, issue.project, bot)
            ctx = ctx or issue_context(actors[mine], now())
            before = len(quiet)
            run_rule(rule, issue, key=key, trigger=rule.trigger["on"], event=event,
                     depth=depths.get(event.id, 0), bot=bot, unsaved=quiet,
                     actor=actors[mine], ctx=ctx)  # fmt: skip
            acted = len(quiet) == before
            runs += 1
            if acted:  # it changed: read it again for the next rule and event
                issue = fresh_issue(event.issue_id)
                if issue is None:
                    current.pop(event.issue_id, None)
                else:
                    current[event.issue_id] = issue
    RuleRun.objects.bulk_create(quiet)
    return runs


def _sets_off_any(rules: list[Rule], event: IssueEvent) -> bool:
    return any(
        r.project_id in (None, event.issue.project_id) and fires(r.trigger, event) for r in rules
    )


_EVENT_KINDS = {EventKind.CREATED, EventKind.CHANGED, EventKind.COMMENTED, "sla_warning",
                "sla_breached"}  # fmt: skip
