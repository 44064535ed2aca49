"""Issue transition endpoints: what the caller may do from the issue's state, and doing it.

The rules (roles, required fields, effects) are checked by the `transition` action through the
workflow rule engine; PATCH of `status` goes through the same engine.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.issues import actions, editing
from docket.issues.access import get_issue_for
from docket.issues.etags import based_on, with_etag
from docket.issues.models import Issue
from docket.issues.queries import issue_detail_out, with_related
from docket.issues.schemas import DateText, IssueDetail, ResolutionName, StrictIn

router = Router(tags=["issues"])


class IssueTransitionIn(StrictIn):
    """Name the target state (`to`), the transition (`transition`), or both."""

    to: str | None = Field(default=None, min_length=1, max_length=50, examples=["resolved"])
    transition: str | None = Field(default=None, min_length=1, max_length=50, examples=["Resolve"])
    resolution: ResolutionName | None = None
    assignee: str | None = Field(default=None, max_length=150)
    due_date: str | None = DateText
    milestone: str | None = Field(default=None, max_length=100)
    comment: str | None = Field(default=None, min_length=1, max_length=100_000)
    version: int | None = Field(
        default=None, ge=1, description="The version you saw (or send If-Match)"
    )


class AvailableTransitionOut(Schema):
    id: int
    name: str
    to: str
    to_category: str
    required_fields: list[str]
    effects: list[str]


class AvailableTransitions(Schema):
    key: str
    status: str
    version: int
    transitions: list[AvailableTransitionOut]


@router.get(
    "/issues/{key}/transitions",
    response=AvailableTransitions,
    summary="The transitions you may take from the issue's current state",
)
def list_transitions(request: ApiRequest, key: str) -> Any:
    issue = get_issue_for(request.auth, key)
    return {
        "key": issue.key,
        "status": issue.status.name.lower(),
        "version": issue.version,
        "transitions": editing.transitions_for(request.auth, issue),
    }


@router.post(
    "/issues/{key}/transitions",
    response=IssueDetail,
    summary="Move an issue along a transition of its workflow",
)
def take_transition(
    request: ApiRequest, key: str, payload: IssueTransitionIn, response: HttpResponse
) -> Any:
    issue = get_issue_for(request.auth, key)
    body = payload.model_dump(exclude_unset=True)
    to, name = body.pop("to", None), body.pop("transition", None)
    comment = body.pop("comment", None)
    base_version = based_on(request, body.pop("version", None))
    issue = actions.transition(
        actor=request.auth,
        issue=issue,
        to=to,
        name=name,
        fields=body,
        comment=comment,
        base_version=base_version,
    )
    fresh = with_related(Issue.objects.filter(pk=issue.pk)).get()
    with_etag(response, fresh)
    return issue_detail_out(fresh, request.auth)
