"""Watchers of an issue: who follows it, and following or leaving it yourself.

Anyone who can see the issue may watch it (issues/watching.py); the list only names people.
"""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema, Status
from pydantic import Field

from docket.accounts.actor import Who
from docket.accounts.api_auth import ApiRequest
from docket.issues import watching
from docket.issues.access import get_issue_for
from docket.issues.models import Issue
from docket.issues.watching import MAX_LISTED

router = Router(tags=["issues"])


class WatchersOut(Schema):
    key: str
    count: int = Field(description="How many people watch the issue")
    watching: bool = Field(description="Whether you watch it")
    watchers: list[str] = Field(description=f"Usernames, alphabetical (at most {MAX_LISTED})")


def watchers_out(user: Who, issue: Issue) -> dict[str, Any]:
    names, count = watching.watchers_of(issue)
    mine = getattr(user, "username", None) in names if count <= len(names) else None
    return {
        "key": issue.key,
        "count": count,
        "watching": watching.is_watching(user, issue) if mine is None else mine,
        "watchers": names,
    }


@router.get("/issues/{key}/watchers", response=WatchersOut, summary="Who watches the issue")
def list_watchers(request: ApiRequest, key: str) -> Any:
    issue = get_issue_for(request.auth, key)
    return watchers_out(request.auth, issue)


@router.post(
    "/issues/{key}/watchers", response=WatchersOut, summary="Start watching the issue yourself"
)
def watch(request: ApiRequest, key: str) -> Any:
    issue = get_issue_for(request.auth, key)
    watching.watch(actor=request.auth, issue=issue)
    return watchers_out(request.auth, issue)


@router.delete(
    "/issues/{key}/watchers", response={204: None}, summary="Stop watching the issue yourself"
)
def unwatch(request: ApiRequest, key: str) -> Any:
    issue = get_issue_for(request.auth, key)
    watching.unwatch(actor=request.auth, issue=issue)
    return Status(204, None)
