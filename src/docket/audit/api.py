"""Reading the audit log: site admins read all of it, project admins their project's part."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.audit.models import AuditEntry
from docket.audit.queries import entries_for, page
from docket.core.errors import NotFound
from docket.projects.access import Perm, get_project_for

router = Router(tags=["audit"])


class AuditParams(Schema):
    action: str | None = Field(None, max_length=50, description="e.g. member.role_set")
    actor: str | None = Field(None, max_length=150, description="Username")
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class AuditOut(Schema):
    id: int
    at: datetime
    actor: str
    action: str
    project: str | None
    target: str
    data: dict[str, Any]
    ip: str | None
    via: str


class AuditPage(Schema):
    items: list[AuditOut]
    next_cursor: str | None


def entry_out(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "actor": entry.actor_name,
        "action": entry.action,
        "project": entry.project_key or None,
        "target": entry.target,
        "data": entry.data,
        "ip": entry.ip,
        "via": entry.via,
    }


def _page(entries: Any, params: AuditParams) -> dict[str, Any]:
    if params.action:
        entries = entries.filter(action=params.action)
    if params.actor:
        entries = entries.filter(actor_name=params.actor)
    rows, cursor = page(entries, params.cursor, params.limit)
    return {"items": [entry_out(e) for e in rows], "next_cursor": cursor}


@router.get("/audit", response=AuditPage, summary="The audit log (site admins)")
def site_audit(request: ApiRequest, params: Query[AuditParams]) -> Any:
    if not request.auth.is_authenticated:
        raise NotFound("not found")
    entries = entries_for(request.auth)
    if not entries.query.is_empty():
        return _page(entries, params)
    raise NotFound("not found")


@router.get(
    "/projects/{key}/audit", response=AuditPage, summary="A project's audit log (its admins)"
)
def project_audit(request: ApiRequest, key: str, params: Query[AuditParams]) -> Any:
    project = get_project_for(request.auth, key, Perm.MANAGE_PROJECT)
    return _page(entries_for(request.auth, project), params)
