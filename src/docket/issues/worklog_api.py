"""An issue's work log (docs/api.md, "Work log"): entries and totals for anyone who can see
the issue; members and admins add entries; authors (or admins) remove them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema, Status
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.issues import worklog
from docket.issues.access import get_issue_for
from docket.issues.schemas import DATE_PATTERN, StrictIn

router = Router(tags=["work log"])


class EntryIn(StrictIn):
    time: int | str = Field(description='Minutes (90) or a duration ("1h 30m", "2h", "45m")')
    day: str | None = Field(
        default=None,
        pattern=f"^{DATE_PATTERN}$",
        description="The day worked (default: today)",
    )
    note: str = Field(default="", max_length=worklog.MAX_NOTE)


class EntryOut(Schema):
    id: int
    author: str
    day: str
    minutes: int
    duration: str = Field(description='The minutes as "3h 30m"')
    note: str
    created_at: datetime


class TotalsOut(Schema):
    estimate: int | None
    logged: int
    remaining: int | None = Field(description="estimate - logged, not below 0; null: none")
    over: int = Field(description="Minutes logged beyond the estimate")
    estimate_text: str
    logged_text: str
    remaining_text: str


class IssueTotalsOut(Schema):
    issue: TotalsOut
    with_subtasks: TotalsOut = Field(
        description="The issue and its sub-tasks at any depth that you may see"
    )
    subtasks: int


class WorklogOut(Schema):
    items: list[EntryOut]
    totals: IssueTotalsOut


@router.get("/issues/{key}/worklog", response=WorklogOut, summary="Work log and totals")
def list_entries(request: ApiRequest, key: str) -> Any:
    issue = get_issue_for(request.auth, key)
    found = worklog.entries(issue)
    return {
        "items": [worklog.entry_out(e) for e in found],
        "totals": worklog.issue_totals(request.auth, issue, found),
    }


@router.post("/issues/{key}/worklog", response={201: EntryOut}, summary="Log time")
def add_entry(request: ApiRequest, key: str, payload: EntryIn) -> Any:
    issue = get_issue_for(request.auth, key)
    entry = worklog.log_work(
        actor=request.auth, issue=issue, time=payload.time, day=payload.day, note=payload.note
    )
    return Status(201, worklog.entry_out(entry))


@router.delete(
    "/issues/{key}/worklog/{entry_id}", response={204: None}, summary="Remove a work log entry"
)
def delete_entry(request: ApiRequest, key: str, entry_id: int) -> Any:
    issue = get_issue_for(request.auth, key)
    worklog.delete_entry(actor=request.auth, issue=issue, entry_id=entry_id)
    return Status(204, None)
