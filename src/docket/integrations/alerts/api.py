"""Monitoring alert intakes over the API (docs/api.md, docs/integrations.md): a project's
intakes for its admins under /projects/{key}/alert-intakes, and the delivery endpoint
POST /alerts/{intake_id} that Alertmanager or Grafana calls with the intake's token."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.api_auth import ApiRequest
from docket.core.http import StrictJSONParser
from docket.integrations.alerts import actions
from docket.integrations.alerts.models import AlertIntake
from docket.projects.access import get_project_for

router = Router(tags=["alerts"])


class IntakeIn(Schema):
    """An intake's settings; on PATCH only those sent change."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = Field(None, min_length=1, max_length=100)
    source: str | None = Field(None, description="alertmanager or grafana")
    issue_type: str | None = Field(None, description="The type of issue opened (incident)")
    severity_map: dict[str, dict[str, str]] | None = Field(
        None,
        description='The `severity` label → {"priority", "severity"}; "default" for any other',
    )
    resolve_on_resolved: bool | None = Field(
        None, description="When the group resolves: true moves the incident to done, false comments"
    )
    assignee: str | None = Field(None, description="Username; null: leave it to routing rules")
    team: str | None = Field(None, description="Team slug; null: none")
    enabled: bool | None = None


class IntakeOut(Schema):
    id: int
    project: str
    name: str
    source: str
    url: str = Field(description="Where the monitoring system posts (with the token)")
    token_hint: str = Field(description="The token's first characters")
    issue_type: str
    severity_map: dict[str, dict[str, str]]
    resolve_on_resolved: bool
    assignee: str | None
    team: str | None
    enabled: bool
    bot: str = Field(description="The account its incidents and comments are written as")
    created_at: dt.datetime
    updated_at: dt.datetime


class IntakeWithToken(IntakeOut):
    token: str = Field(description="Shown this once; only its hash is kept")


class DeliveryOut(Schema):
    outcome: str = Field(description="opened, commented, resolved, unchanged or ignored")
    issue: str | None
    detail: str


def intake_out(request: HttpRequest, intake: AlertIntake) -> dict[str, Any]:
    return {
        "id": intake.id, "project": intake.project.key, "name": intake.name,
        "source": intake.source, "url": request.build_absolute_uri(f"/api/v1/alerts/{intake.id}"),
        "token_hint": intake.token_hint, "issue_type": intake.issue_type,
        "severity_map": intake.severity_map, "resolve_on_resolved": intake.resolve_on_resolved,
        "assignee": intake.assignee.username if intake.assignee else None,
        "team": intake.team.slug if intake.team else None, "enabled": intake.enabled,
        "bot": intake.bot.username, "created_at": intake.created_at,
        "updated_at": intake.updated_at,
    }  # fmt: skip


def _intake(request: ApiRequest, key: str, intake_id: int) -> AlertIntake:
    project = get_project_for(request.auth, key)
    return actions.get_intake(request.auth, project, intake_id)


@router.get(
    "/projects/{key}/alert-intakes", response=list[IntakeOut],
    summary="The project's alert intakes (project admins)",
)  # fmt: skip
def list_intakes(request: ApiRequest, key: str) -> Any:
    project = get_project_for(request.auth, key)
    actions.may_manage(request.auth, project)
    intakes = AlertIntake.objects.filter(project=project).select_related(
        "project", "assignee", "team", "bot"
    )
    return [intake_out(request, i) for i in intakes]


@router.post(
    "/projects/{key}/alert-intakes", response={201: IntakeWithToken},
    summary="Add an alert intake; its token is in this answer only",
)  # fmt: skip
def create_intake(request: ApiRequest, key: str, payload: IntakeIn) -> Any:
    project = get_project_for(request.auth, key)
    intake, token = actions.create_intake(
        actor=request.auth, project=project, data=payload.dict(exclude_unset=True)
    )
    return Status(201, {**intake_out(request, intake), "token": token})


@router.get(
    "/projects/{key}/alert-intakes/{intake_id}", response=IntakeOut, summary="An alert intake"
)
def get_intake(request: ApiRequest, key: str, intake_id: int) -> Any:
    return intake_out(request, _intake(request, key, intake_id))


@router.patch(
    "/projects/{key}/alert-intakes/{intake_id}", response=IntakeOut,
    summary="Change an alert intake's settings",
)  # fmt: skip
def update_intake(request: ApiRequest, key: str, intake_id: int, payload: IntakeIn) -> Any:
    intake = _intake(request, key, intake_id)
    data = payload.dict(exclude_unset=True)
    return intake_out(request, actions.update_intake(actor=request.auth, intake=intake, data=data))


@router.post(
    "/projects/{key}/alert-intakes/{intake_id}/token", response=IntakeWithToken,
    summary="Replace the intake's token (the old one stops working)",
)  # fmt: skip
def rotate_token(request: ApiRequest, key: str, intake_id: int) -> Any:
    intake = _intake(request, key, intake_id)
    token = actions.rotate_token(actor=request.auth, intake=intake)
    return {**intake_out(request, intake), "token": token}


@router.delete(
    "/projects/{key}/alert-intakes/{intake_id}", response={204: None},
    summary="Remove an alert intake (its incidents stay)",
)  # fmt: skip
def delete_intake(request: ApiRequest, key: str, intake_id: int) -> Any:
    actions.delete_intake(actor=request.auth, intake=_intake(request, key, intake_id))
    return Status(204, None)


# --- deliveries: the intake's token is the credential, never a session ---------------------


def presented_token(request: HttpRequest) -> str | None:
    """`Authorization: Bearer <token>` (Alertmanager's `http_config.authorization`, Grafana's
    Authorization header), the password of Basic auth (Grafana's basic auth), or `?token=`."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return None
    return request.GET.get("token") or None


@router.post(
    "/alerts/{intake_id}", auth=None, response=DeliveryOut,
    summary="Receive an Alertmanager or Grafana notification (the intake's token authenticates)",
)  # fmt: skip
def deliver(request: HttpRequest, intake_id: int) -> Any:
    intake = actions.authenticate(intake_id, presented_token(request))  # 401 before parsing
    body = StrictJSONParser().parse_body(request)  # 400 with the position of the fault
    return actions.receive(intake, body)
