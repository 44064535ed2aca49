"""Who was explicitly given access to an issue (besides its project's audience)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from docket.accounts.api_auth import ApiRequest
from docket.issues import sharing
from docket.issues.access import get_issue_for
from docket.issues.models import IssueGrant

router = Router(tags=["issues"])


class GrantIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    user: str = Field(min_length=1, max_length=150, description="Username to add")


class GrantOut(Schema):
    user: str
    granted_by: str | None
    created_at: datetime


def grant_out(grant: IssueGrant) -> dict[str, Any]:
    return {
        "user": grant.user.username,
        "granted_by": grant.granted_by.username if grant.granted_by else None,
        "created_at": grant.created_at,
    }


@router.get(
    "/issues/{key}/access", response=list[GrantOut], summary="People explicitly given access"
)
def list_access(request: ApiRequest, key: str) -> Any:
    issue = get_issue_for(request.auth, key)
    return [grant_out(g) for g in sharing.people_with_access(issue)]


@router.post(
    "/issues/{key}/access", response={201: GrantOut}, summary="Give one more person access"
)
def grant_access(request: ApiRequest, key: str, payload: GrantIn) -> Any:
    issue = get_issue_for(request.auth, key)
    grant = sharing.grant_access(actor=request.auth, issue=issue, username=payload.user)
    return Status(201, grant_out(grant))


@router.delete(
    "/issues/{key}/access/{username}", response={204: None}, summary="Take explicit access away"
)
def revoke_access(request: ApiRequest, key: str, username: str) -> Any:
    issue = get_issue_for(request.auth, key)
    sharing.revoke_access(actor=request.auth, issue=issue, username=username)
    return Status(204, None)
