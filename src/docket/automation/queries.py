"""Reads of rules for the API and the pages: the rules an admin manages, one rule, its run
log, and which timeline entries a rule wrote (shown as "Automation: <rule>")."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from docket.accounts.actor import Who
from docket.automation import actions
from docket.automation.models import Rule, RuleEffect, RuleRun
from docket.core.errors import NotFound
from docket.projects.access import get_project_for
from docket.projects.models import Project

MAX_ID = 2**63 - 1


def managed_project(actor: Who, key: str | None) -> Project | None:
    """The project whose rules `actor` manages (None: the global rules, site admins only);
    404 for a project they cannot see, 403 when they see it but may not manage it."""
    if key is None:
        actions.may_manage(actor, None)
        return None
    project = get_project_for(actor, key)
    actions.may_manage(actor, project)
    return project


def rules_of(actor: Who, key: str | None) -> QuerySet[Rule]:
    """The project's rules (or the global ones) in order, for someone who manages them."""
    project = managed_project(actor, key)
    return Rule.objects.filter(project=project).select_related("project", "owner")


def rule_for(actor: Who, key: str | None, rule_id: int) -> Rule:
    rule = rules_of(actor, key).filter(pk=rule_id).first() if 0 < rule_id <= MAX_ID else None
    if rule is None:
        raise NotFound(f"no rule {rule_id}")
    return rule


def runs_of(rule: Rule) -> QuerySet[RuleRun]:
    """The rule's run log, newest first."""
    return (
        RuleRun.objects.filter(rule=rule).select_related("issue", "issue__project").order_by("-id")
    )


def rule_names(
    event_ids: Sequence[int], comment_ids: Sequence[int] = ()
) -> tuple[dict[int, str], dict[int, str]]:
    """The rule behind each of these events, and behind each of these comments (by the event
    that added it): ({event id: rule name}, {comment id: rule name}). Two small queries at
    most; none for an empty page."""
    events: dict[int, str] = {}
    comments: dict[int, str] = {}
    if event_ids:
        rows = RuleEffect.objects.filter(event_id__in=list(event_ids))
        events = dict(rows.values_list("event_id", "rule_name"))
    if comment_ids:
        rows = RuleEffect.objects.filter(
            event__comment_id__in=list(comment_ids), event__kind="commented"
        )
        comments = dict(rows.values_list("event__comment_id", "rule_name"))
    return events, comments
