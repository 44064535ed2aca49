"""How a status move obeys the workflow: which transition it takes (the rule engine in
projects/workflow_rules.py decides), what the transition then does and needs, and how the
resolution and resolved_at follow the state's category. Used by the issue actions and the
importer; pure decisions on loaded rows, no writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from docket.accounts.actor import Who, account_of
from docket.core.errors import Invalid
from docket.issues.models import Issue, Resolution
from docket.projects.access import ASSIGNABLE_ROLES, role_in
from docket.projects.models import WorkflowState
from docket.projects.workflow_rules import (
    REQUIRABLE_FIELDS,
    Mover,
    Rule,
    choose,
    require_fields,
    rules_of,
)


def opening_resolution(status: WorkflowState, resolution: str) -> str:
    """The resolution a new issue starts with: a done state needs one (fixed unless given);
    any other state must not have one."""
    if status.is_done:
        return resolution or Resolution.FIXED
    if resolution:
        raise Invalid.field("resolution", "only a done state can have a resolution")
    return ""


def choose_rule(
    actor: Who,
    issue: Issue,
    *,
    target: WorkflowState | None = None,
    name: str | None = None,
    field: str = "status",
) -> tuple[Rule, WorkflowState]:
    """The workflow transition a status move takes (422/403 from the rule engine if none)."""
    states = {s.id: s for s in WorkflowState.objects.filter(workflow_id=issue.project.workflow_id)}
    rule = choose(
        rules_of(issue.project.workflow_id),
        current=issue.status_id,
        mover=Mover.of(actor, issue.project, issue.reporter_id),
        names={state_id: state.name.lower() for state_id, state in states.items()},
        target=target.id if target is not None else None,
        name=name,
        field=field,
    )
    return rule, states[rule.target]


def apply_rule(
    actor: Who, issue: Issue, rule: Rule, values: dict[str, Any], comment: str | None
) -> None:
    """A transition's effects (never overriding a value the caller gave), then its required
    fields, which an effect may have filled."""
    if "assignee" not in values:
        if (
            "assign_if_unassigned" in rule.effects
            and issue.assignee_id is None
            and role_in(actor, issue.project) in ASSIGNABLE_ROLES
        ):
            values["assignee"] = account_of(actor)
        elif "unassign" in rule.effects and issue.assignee_id is not None:
            values["assignee"] = None
    present = {
        f
        for f in REQUIRABLE_FIELDS
        if f != "comment" and (values[f] if f in values else getattr(issue, f)) not in (None, "")
    }
    if comment:
        present.add("comment")
    require_fields(rule, present)


def require_chosen_resolution(issue: Issue, target: WorkflowState, resolution: str) -> None:
    """Entering a done state where a person is asked (the web pages): the resolution must be
    chosen, never defaulted to fixed, so a won't-fix is not recorded as fixed. A move between
    done states keeps the resolution it has."""
    if target.is_done and not issue.status.is_done and not resolution:
        raise Invalid.field("resolution", "choose a resolution (fixed, won't fix, duplicate…)")


def follow_status(issue: Issue, values: dict[str, Any], moment: dt.datetime) -> None:
    """Keep resolution and resolved_at in step with the status category."""
    status: WorkflowState = values.get("status", issue.status)
    resolution = values.get("resolution", issue.resolution)
    if status.is_done:
        if not resolution:
            values["resolution"] = Resolution.FIXED
        if not issue.status.is_done or issue.resolved_at is None:
            issue.resolved_at = moment
    else:
        if "resolution" in values and values["resolution"]:
            raise Invalid.field("resolution", "only a done state can have a resolution")
        if issue.resolution:
            values["resolution"] = ""
        issue.resolved_at = None
