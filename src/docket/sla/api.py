"""SLA endpoints: a project's policies (read: anyone who sees the project; write: project
admins and site admins) and an issue's clocks (anyone who sees the issue). docs/sla.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.api_auth import ApiRequest
from docket.core.clock import now
from docket.issues.access import get_issue_for
from docket.projects.access import get_project_for
from docket.sla import actions, queries
from docket.sla.models import Policy

router = Router(tags=["sla"])


class StepIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    at: int = Field(ge=1, le=1000, description="Percent of the target")
    do: list[str] = Field(
        min_length=1, max_length=4,
        description="Any of: notify_assignee, notify_lead, raise_priority, reassign_team",
    )  # fmt: skip
    team: str | None = Field(None, max_length=64, description="reassign_team: the team's slug")


class PolicyIn(Schema):
    """A policy's fields; on PATCH, only those sent change."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = Field(None, min_length=1, max_length=100, description="Required to add")
    query: str = Field("", max_length=2000, description="Issues it holds; empty: all")
    order: int = Field(0, ge=0, le=1000, description="The first matching policy wins")
    active: bool = True
    first_response: dict[str, int] = Field(
        default_factory=dict, description="Minutes of business time per priority name"
    )
    resolution: dict[str, int] = Field(default_factory=dict)
    zone: str = Field("UTC", max_length=64, description="IANA time zone, e.g. Europe/London")
    hours: dict[str, list[str]] | None = Field(
        None, description='{"mon": ["09:00-17:00"], ...}; null: around the clock'
    )
    country: str = Field("", max_length=10, description="Public holidays of (ISO code)")
    subdivision: str = Field("", max_length=10)
    closed_dates: list[str] = Field(default_factory=list, max_length=500)
    pause_states: list[str] = Field(default_factory=list, max_length=50)
    steps: list[StepIn] = Field(default_factory=list, max_length=10)


class PolicyOut(Schema):
    id: int
    name: str
    query: str
    order: int
    active: bool
    first_response: dict[str, int]
    resolution: dict[str, int]
    zone: str
    hours: dict[str, list[str]] | None
    country: str
    subdivision: str
    closed_dates: list[str]
    pause_states: list[str]
    steps: list[dict[str, Any]]


class ClockOut(Schema):
    metric: str = Field(description="first_response or resolution")
    label: str
    policy: str
    state: str = Field(description="running, paused, met or breached")
    at_risk: bool
    target_seconds: int
    elapsed_seconds: int = Field(description="Business time so far")
    remaining_seconds: int = Field(description="Negative once breached")
    deadline: dt.datetime | None = Field(description="While running: when the target is hit")
    stopped_at: dt.datetime | None


class EscalationOut(Schema):
    metric: str
    step: int
    policy: str
    fired_at: dt.datetime
    outcome: dict[str, str]


class IssueSlaOut(Schema):
    clocks: list[ClockOut]
    escalations: list[EscalationOut]


def policy_out(policy: Policy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in ("id", *actions.FIELDS)}


@router.get("/projects/{key}/sla/policies", response=list[PolicyOut], summary="SLA policies")
def list_policies(request: ApiRequest, key: str) -> Any:
    project = get_project_for(request.auth, key)
    return [policy_out(p) for p in queries.policies_of(project)]


@router.post(
    "/projects/{key}/sla/policies", response={201: PolicyOut},
    summary="Add an SLA policy (project admins)",
)  # fmt: skip
def create_policy(request: ApiRequest, key: str, payload: PolicyIn) -> Any:
    project = get_project_for(request.auth, key)
    values = payload.dict(exclude_unset=True)
    policy = actions.create_policy(actor=request.auth, project=project, values=values)
    return Status(201, policy_out(policy))


@router.get(
    "/projects/{key}/sla/policies/{policy_id}", response=PolicyOut, summary="One SLA policy"
)
def get_policy(request: ApiRequest, key: str, policy_id: int) -> Any:
    return policy_out(queries.policy_of(get_project_for(request.auth, key), policy_id))


@router.patch(
    "/projects/{key}/sla/policies/{policy_id}", response=PolicyOut,
    summary="Change an SLA policy (project admins)",
)  # fmt: skip
def update_policy(request: ApiRequest, key: str, policy_id: int, payload: PolicyIn) -> Any:
    policy = queries.policy_of(get_project_for(request.auth, key), policy_id)
    values = payload.dict(exclude_unset=True)
    return policy_out(actions.update_policy(actor=request.auth, policy=policy, values=values))


@router.delete(
    "/projects/{key}/sla/policies/{policy_id}", response={204: None},
    summary="Remove an SLA policy (project admins)",
)  # fmt: skip
def delete_policy(request: ApiRequest, key: str, policy_id: int) -> Any:
    policy = queries.policy_of(get_project_for(request.auth, key), policy_id)
    actions.delete_policy(actor=request.auth, policy=policy)
    return Status(204, None)


@router.get("/issues/{key}/sla", response=IssueSlaOut, summary="An issue's SLA clocks")
def issue_sla(request: ApiRequest, key: str) -> Any:
    issue = get_issue_for(request.auth, key)
    return {"clocks": queries.clocks_of(issue, now()), "escalations": queries.escalations_of(issue)}
