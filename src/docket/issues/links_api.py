"""Links of an issue (docs/api.md, "Links"): list, add, remove. Only links whose other issue
the caller may see are listed; linking to a hidden issue is the 404 of a missing one."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema, Status
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.issues import links
from docket.issues.access import get_issue_for
from docket.issues.links import KINDS, LinkView
from docket.issues.schemas import StrictIn

router = Router(tags=["issues"])


class LinkIn(StrictIn):
    kind: str = Field(description=f"One of: {', '.join(KINDS)} (this issue <kind> the other)")
    issue: str = Field(max_length=40, description="The other issue's key, any project")
    resolve_duplicate: bool = Field(
        default=False,
        description="With duplicates / is_duplicated_by: also move the duplicate through a "
        "transition you may take to a done state, with resolution duplicate",
    )


class LinkedIssueOut(Schema):
    key: str
    title: str
    status: str
    status_category: str


class LinkOut(Schema):
    id: int
    kind: str = Field(description="How this issue relates to the other, e.g. is_blocked_by")
    issue: LinkedIssueOut


def link_out(view: LinkView) -> dict[str, Any]:
    other = view.other
    return {
        "id": view.id,
        "kind": view.kind,
        "issue": {
            "key": other.key,
            "title": other.title,
            "status": other.status.name.lower(),
            "status_category": other.status.category,
        },
    }


@router.get("/issues/{key}/links", response=list[LinkOut], summary="The issue's links")
def list_links(request: ApiRequest, key: str) -> Any:
    issue = get_issue_for(request.auth, key)
    return [link_out(v) for v in links.links_of(request.auth, issue)]


@router.post("/issues/{key}/links", response={201: LinkOut}, summary="Link to another issue")
def add_link(request: ApiRequest, key: str, payload: LinkIn) -> Any:
    issue = get_issue_for(request.auth, key)
    made = links.link_issues(
        actor=request.auth,
        issue=issue,
        kind=payload.kind,
        other=payload.issue,
        resolve_duplicate=payload.resolve_duplicate,
    )
    view = next(v for v in links.links_of(request.auth, issue) if v.id == made.pk)
    return Status(201, link_out(view))


@router.delete("/issues/{key}/links/{link_id}", response={204: None}, summary="Remove a link")
def remove_link(request: ApiRequest, key: str, link_id: int) -> Any:
    issue = get_issue_for(request.auth, key)
    links.unlink_issues(actor=request.auth, issue=issue, link_id=link_id)
    return Status(204, None)
