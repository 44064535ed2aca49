"""Automation rules over the API: a project's rules (its admins) under
/projects/{key}/rules, global rules (site admins) under /rules; each rule's run log and a dry
run on an existing issue. The rules' shape is checked by automation/spec.py (422 names the
field)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.actor import Who
from docket.accounts.api_auth import ApiRequest
from docket.automation import actions, queries
from docket.automation.models import Rule, RuleRun
from docket.issues.access import get_issue_for

router = Router(tags=["automation"])


class RuleIn(Schema):
    """A rule's fields; on PATCH, only those sent change. docs/automation.md lists the
    triggers and actions."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = Field(None, min_length=1, max_length=100)
    trigger: dict[str, Any] | None = Field(
        None, description='{"on": "created"}, {"on": "changed", "field": "priority", "to": '
        '"high"}, {"on": "schedule", "cron": "0 9 * * 1"}, ...',
    )  # fmt: skip
    condition: str | None = Field(
        None, max_length=2000, description="A Docket query; empty: any issue"
    )
    actions: list[dict[str, Any]] | None = Field(
        None, description='[{"type": "assign", "to": "bob"}, ...]'
    )
    enabled: bool | None = None
    position: int | None = Field(None, ge=0, le=1_000_000, description="Rules run in this order")


class RuleOut(Schema):
    id: int
    project: str | None = Field(description="The project's key; null for a global rule")
    name: str
    position: int
    enabled: bool
    trigger: dict[str, Any]
    condition: str
    actions: list[dict[str, Any]]
    owner: str | None = Field(description="Who last saved it: the bot acts with their role")
    next_run_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RunOut(Schema):
    id: int
    trigger: str
    event: int | None
    issue: str | None
    matched: bool
    outcome: str = Field(description="no match, done, failed, or stopped: loop")
    results: list[dict[str, Any]] = Field(description="Per action: type, ok, detail")
    error: str
    depth: int
    created_at: dt.datetime


class DryRunIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    issue: str = Field(max_length=30, description="The issue's key, e.g. WEB-12")


class DryRunOut(Schema):
    matched: bool
    outcome: str
    results: list[dict[str, Any]]
    error: str


def rule_out(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id, "project": rule.project.key if rule.project else None,
        "name": rule.name, "position": rule.position, "enabled": rule.enabled,
        "trigger": rule.trigger, "condition": rule.condition, "actions": rule.actions,
        "owner": rule.owner.username if rule.owner else None, "next_run_at": rule.next_run_at,
        "created_at": rule.created_at, "updated_at": rule.updated_at,
    }  # fmt: skip


def run_out(run: RuleRun) -> dict[str, Any]:
    issue = run.issue
    return {
        "id": run.id, "trigger": run.trigger, "event": run.event_id,
        "issue": f"{issue.project.key}-{issue.number}" if issue else None,
        "matched": run.matched, "outcome": run.outcome, "results": run.results,
        "error": run.error, "depth": run.depth, "created_at": run.created_at,
    }  # fmt: skip


def _list(actor: Who, key: str | None) -> list[dict[str, Any]]:
    return [rule_out(r) for r in queries.rules_of(actor, key)]


def _runs(actor: Who, key: str | None, rule_id: int, limit: int) -> list[dict[str, Any]]:
    rule = queries.rule_for(actor, key, rule_id)
    return [run_out(r) for r in queries.runs_of(rule)[:limit]]


def _dry(actor: Who, key: str | None, rule_id: int, payload: DryRunIn) -> dict[str, Any]:
    rule = queries.rule_for(actor, key, rule_id)
    issue = get_issue_for(actor, payload.issue)
    return actions.dry_run(actor=actor, rule=rule, issue=issue)


class Limit(Schema):
    limit: int = Field(50, ge=1, le=500)


# --- a project's rules ----------------------------------------------------------------------


@router.get(
    "/projects/{key}/rules", response=list[RuleOut], summary="The project's rules, in order"
)
def list_project_rules(request: ApiRequest, key: str) -> Any:
    return _list(request.auth, key)


@router.post(
    "/projects/{key}/rules", response={201: RuleOut}, summary="Add a rule (project admins)"
)
def create_project_rule(request: ApiRequest, key: str, payload: RuleIn) -> Any:
    project = queries.managed_project(request.auth, key)
    rule = actions.create_rule(
        actor=request.auth, project=project, data=payload.dict(exclude_unset=True)
    )
    return Status(201, rule_out(rule))


@router.get("/projects/{key}/rules/{rule_id}", response=RuleOut, summary="One rule")
def get_project_rule(request: ApiRequest, key: str, rule_id: int) -> Any:
    return rule_out(queries.rule_for(request.auth, key, rule_id))


@router.patch("/projects/{key}/rules/{rule_id}", response=RuleOut, summary="Change a rule")
def update_project_rule(request: ApiRequest, key: str, rule_id: int, payload: RuleIn) -> Any:
    rule = queries.rule_for(request.auth, key, rule_id)
    data = payload.dict(exclude_unset=True)
    return rule_out(actions.update_rule(actor=request.auth, rule=rule, data=data))


@router.delete("/projects/{key}/rules/{rule_id}", response={204: None}, summary="Remove a rule")
def delete_project_rule(request: ApiRequest, key: str, rule_id: int) -> Any:
    actions.delete_rule(actor=request.auth, rule=queries.rule_for(request.auth, key, rule_id))
    return Status(204, None)


@router.get(
    "/projects/{key}/rules/{rule_id}/runs",
    response=list[RunOut],
    summary="The rule's run log, newest first",
)
def project_rule_runs(request: ApiRequest, key: str, rule_id: int, q: Query[Limit]) -> Any:
    return _runs(request.auth, key, rule_id, q.limit)


@router.post(
    "/projects/{key}/rules/{rule_id}/dry-run",
    response=DryRunOut,
    summary="Try the rule on an issue; nothing is kept",
)
def dry_run_project_rule(request: ApiRequest, key: str, rule_id: int, payload: DryRunIn) -> Any:
    return _dry(request.auth, key, rule_id, payload)


# --- global rules (site admins) -------------------------------------------------------------


@router.get("/rules", response=list[RuleOut], summary="Global rules (site admins)")
def list_global_rules(request: ApiRequest) -> Any:
    return _list(request.auth, None)


@router.post("/rules", response={201: RuleOut}, summary="Add a global rule (site admins)")
def create_global_rule(request: ApiRequest, payload: RuleIn) -> Any:
    rule = actions.create_rule(
        actor=request.auth, project=None, data=payload.dict(exclude_unset=True)
    )
    return Status(201, rule_out(rule))


@router.get("/rules/{rule_id}", response=RuleOut, summary="One global rule")
def get_global_rule(request: ApiRequest, rule_id: int) -> Any:
    return rule_out(queries.rule_for(request.auth, None, rule_id))


@router.patch("/rules/{rule_id}", response=RuleOut, summary="Change a global rule")
def update_global_rule(request: ApiRequest, rule_id: int, payload: RuleIn) -> Any:
    rule = queries.rule_for(request.auth, None, rule_id)
    data = payload.dict(exclude_unset=True)
    return rule_out(actions.update_rule(actor=request.auth, rule=rule, data=data))


@router.delete("/rules/{rule_id}", response={204: None}, summary="Remove a global rule")
def delete_global_rule(request: ApiRequest, rule_id: int) -> Any:
    actions.delete_rule(actor=request.auth, rule=queries.rule_for(request.auth, None, rule_id))
    return Status(204, None)


@router.get("/rules/{rule_id}/runs", response=list[RunOut], summary="A global rule's run log")
def global_rule_runs(request: ApiRequest, rule_id: int, q: Query[Limit]) -> Any:
    return _runs(request.auth, None, rule_id, q.limit)


@router.post(
    "/rules/{rule_id}/dry-run",
    response=DryRunOut,
    summary="Try a global rule on an issue; nothing is kept",
)
def dry_run_global_rule(request: ApiRequest, rule_id: int, payload: DryRunIn) -> Any:
    return _dry(request.auth, None, rule_id, payload)
