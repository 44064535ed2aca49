"""Outbound webhooks and chat channels API (docs/api.md, docs/integrations.md): a project's
hooks for its admins under /projects/{key}/webhooks, each hook's delivery log and redelivery.
The signing secret is in the answer that creates it (or rotates it), never again."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.api_auth import ApiRequest
from docket.integrations.hooks import actions, queries
from docket.integrations.hooks.models import Delivery, Webhook

router = Router(tags=["hooks"])


class HookIn(Schema):
    """A hook's fields; on PATCH, only those sent change."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str | None = Field(None, min_length=1, max_length=100)
    url: str | None = Field(None, max_length=2000, description="Where to POST (http/https)")
    format: (
        Literal["standard", "slack", "mattermost", "teams", "teams_messagecard", "discord"] | None
    ) = None
    kinds: list[str] | None = Field(
        None, description="Event kinds to send (created, changed, commented, …); empty: all"
    )
    query: str | None = Field(
        None, max_length=2000, description="A Docket query the issue must match; empty: any"
    )
    public_channel: bool | None = Field(
        None,
        description="A shared space: confidential issues are never sent "
        "(default: true for chat formats)",
    )
    enabled: bool | None = None


class HookOut(Schema):
    id: int
    project: str
    name: str
    url: str
    format: str
    kinds: list[str]
    query: str
    public_channel: bool
    enabled: bool
    disabled_reason: str
    disabled_at: dt.datetime | None
    owner: str | None = Field(description="Who last saved it: it sends what they may see")
    created_at: dt.datetime
    updated_at: dt.datetime


class HookWithSecret(HookOut):
    secret: str = Field(description="The signing secret (whsec_…): shown this once")


class DeliveryOut(Schema):
    id: int
    webhook_id: str = Field(description="The `webhook-id` header, the same on every attempt")
    event: int
    kind: str
    issue: str
    status: str = Field(description="pending, sending, delivered, failed, withheld")
    attempts: int
    max_attempts: int
    status_code: int | None
    duration_ms: int | None
    response: str = Field(description="The start of the receiver's answer (at most 4 KB)")
    error: str
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None


class Page(Schema):
    limit: int = Field(50, ge=1, le=200)
    before: int | None = Field(None, ge=1, description="Deliveries older than this id")


def hook_out(hook: Webhook, *, secret: bool = False) -> dict[str, Any]:
    out = {
        "id": hook.id, "project": hook.project.key, "name": hook.name, "url": hook.url,
        "format": hook.format, "kinds": hook.kinds, "query": hook.query,
        "public_channel": hook.public_channel, "enabled": hook.enabled,
        "disabled_reason": hook.disabled_reason, "disabled_at": hook.disabled_at,
        "owner": hook.owner.username if hook.owner else None,
        "created_at": hook.created_at, "updated_at": hook.updated_at,
    }  # fmt: skip
    if secret:
        out["secret"] = hook.secret
    return out


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    issue = delivery.event.issue
    waiting = delivery.status == Delivery.Status.PENDING
    return {
        "id": delivery.id, "webhook_id": delivery.message_id, "event": delivery.event_id,
        "kind": delivery.event.kind, "issue": f"{issue.project.key}-{issue.number}",
        "status": delivery.status, "attempts": delivery.attempts,
        "max_attempts": delivery.max_attempts, "status_code": delivery.status_code,
        "duration_ms": delivery.duration_ms, "response": delivery.response,
        "error": delivery.error, "created_at": delivery.created_at,
        "last_attempt_at": delivery.last_attempt_at,
        "next_attempt_at": delivery.due_at if waiting else None,
        "delivered_at": delivery.delivered_at,
    }  # fmt: skip


@router.get("/projects/{key}/webhooks", response=list[HookOut], summary="The project's webhooks")
def list_hooks(request: ApiRequest, key: str) -> Any:
    project = queries.managed_project(request.auth, key)
    return [hook_out(h) for h in queries.hooks_of(request.auth, project)]


@router.post(
    "/projects/{key}/webhooks",
    response={201: HookWithSecret},
    summary="Add a webhook (project admins); the answer holds its secret, once",
)
def create_hook(request: ApiRequest, key: str, payload: HookIn) -> Any:
    project = queries.managed_project(request.auth, key)
    data = payload.dict(exclude_unset=True)
    hook = actions.create_hook(actor=request.auth, project=project, data=data)
    return Status(201, hook_out(hook, secret=True))


@router.get("/projects/{key}/webhooks/{hook_id}", response=HookOut, summary="One webhook")
def get_hook(request: ApiRequest, key: str, hook_id: int) -> Any:
    return hook_out(queries.hook_for(request.auth, key, hook_id))


@router.patch("/projects/{key}/webhooks/{hook_id}", response=HookOut, summary="Change a webhook")
def update_hook(request: ApiRequest, key: str, hook_id: int, payload: HookIn) -> Any:
    hook = queries.hook_for(request.auth, key, hook_id)
    data = payload.dict(exclude_unset=True)
    return hook_out(actions.update_hook(actor=request.auth, hook=hook, data=data))


@router.delete(
    "/projects/{key}/webhooks/{hook_id}", response={204: None}, summary="Remove a webhook"
)
def delete_hook(request: ApiRequest, key: str, hook_id: int) -> Any:
    hook = queries.hook_for(request.auth, key, hook_id)
    actions.delete_hook(actor=request.auth, hook=hook)
    return Status(204, None)


@router.post(
    "/projects/{key}/webhooks/{hook_id}/secret",
    response=HookWithSecret,
    summary="A new signing secret (the old one stops at once); shown this once",
)
def rotate_secret(request: ApiRequest, key: str, hook_id: int) -> Any:
    hook = queries.hook_for(request.auth, key, hook_id)
    return hook_out(actions.rotate_secret(actor=request.auth, hook=hook), secret=True)


@router.get(
    "/projects/{key}/webhooks/{hook_id}/deliveries",
    response=list[DeliveryOut],
    summary="The webhook's delivery log, newest first",
)
def deliveries(request: ApiRequest, key: str, hook_id: int, q: Query[Page]) -> Any:
    hook = queries.hook_for(request.auth, key, hook_id)
    return [delivery_out(d) for d in queries.deliveries_of(hook, before=q.before)[: q.limit]]


@router.post(
    "/projects/{key}/webhooks/{hook_id}/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut},
    summary="Send a delivery again now, under the same webhook-id",
)
def redeliver(request: ApiRequest, key: str, hook_id: int, delivery_id: int) -> Any:
    hook = queries.hook_for(request.auth, key, hook_id)
    delivery = queries.delivery_for(hook, delivery_id)
    actions.redeliver(actor=request.auth, delivery=delivery)
    again = queries.deliveries_of(hook).get(pk=delivery.pk)
    return Status(202, delivery_out(again))
