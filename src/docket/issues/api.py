"""Issue endpoints: parse, call an action or a query, shape the output. No rules live here."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.core import markdown
from docket.issues import actions, comments, custom_fields, mentions
from docket.issues.access import get_issue_for
from docket.issues.bulk import BulkChange, bulk_update
from docket.issues.etags import based_on, matches_none, with_etag
from docket.issues.models import Comment, Issue
from docket.issues.queries import (
    IssueFilter,
    comment_out,
    comments_out,
    comments_page,
    history_page,
    issue_detail_out,
    list_issues,
    with_related,
)
from docket.issues.schemas import (
    BulkIn,
    BulkOut,
    CommentIn,
    CommentPage,
    CommentWritten,
    EventPage,
    IssueCreate,
    IssueDetail,
    IssuePage,
    IssueRow,
    IssueUpdate,
    IssueWritten,
    NewCommentIn,
)
from docket.projects.access import Perm, get_project_for

router = Router(tags=["issues"])


class ListParams(Schema):
    project: str | None = Field(None, description="Project keys, comma-separated")
    status: str | None = Field(None, description="Status names, comma-separated")
    state: str | None = Field(None, pattern="^(open|closed|all)$", description="open = not done")
    assignee: str | None = Field(None, description="Usernames, `none` or `@me`")
    reporter: str | None = None
    priority: str | None = None
    severity: str | None = None
    label: str | None = Field(None, description="Issues carrying all these labels")
    type: str | None = None
    q: str = Field("", max_length=2000, description="A query in the Docket query language")
    sort: str | None = Field(
        None, description="e.g. priority-desc, updated, due; overrides the query's sort:"
    )
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


# The hot reads (one issue, a list) return their schema's model built without validation:
# queries.py shapes the data exactly so, and Ninja then only dumps it. Validating walked every
# field of every row through Ninja's Python getter: ~40% of a 50-issue list's server time.
# tests/api/test_read_shapes.py pins the output to what validation gives.


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


def _fresh(issue: Issue) -> Issue:
    return with_related(Issue.objects.filter(pk=issue.pk)).get()


@router.post("/projects/{key}/issues", response={201: IssueWritten}, summary="Create an issue")
def create_issue(request: ApiRequest, key: str, payload: IssueCreate) -> Any:
    project = get_project_for(request.auth, key, Perm.VIEW)
    fields = payload.model_dump(exclude_unset=True)
    issue = actions.create_issue(actor=request.auth, project=project, fields=fields)
    left_out = mentions.not_notified(issue) if "description" in fields else []
    return Status(201, {**issue_detail_out(issue, request.auth), "not_notified": left_out})


@router.get("/issues", response=IssuePage, summary="List issues you can see")
def list_all(request: ApiRequest, params: Query[ListParams]) -> Any:
    state = None if params.state == "all" else params.state
    issue_filter = IssueFilter(
        projects=_split(params.project),
        statuses=_split(params.status),
        state=state,
        assignees=_split(params.assignee),
        reporters=_split(params.reporter),
        priorities=_split(params.priority),
        severities=_split(params.severity),
        labels=_split(params.label),
        types=_split(params.type),
    )
    page, next_cursor = list_issues(
        request.auth,
        issue_filter,
        query=params.q,
        sort=params.sort,
        cursor=params.cursor,
        limit=params.limit,
    )
    custom_fields.add_to_rows(request.auth, page)
    items = [IssueRow.model_construct(**row) for row in page]
    return IssuePage.model_construct(items=items, next_cursor=next_cursor)


@router.post("/issues/bulk", response=BulkOut, summary="Change many issues at once")
def bulk_edit(request: ApiRequest, payload: BulkIn) -> Any:
    """The same change to up to 200 issues, each under its own lock and all or nothing, in
    order. One issue failing (not found, not allowed, a conflict, a workflow rule) does not
    stop the others: see each result's `status` and `message`."""
    changes = payload.changes.model_dump(exclude_unset=True)
    change = BulkChange(
        changes=changes,
        custom_fields=changes.pop("custom_fields", None) or {},
        add_labels=tuple(payload.add_labels),
        remove_labels=tuple(payload.remove_labels),
        to=payload.to,
    )
    results = bulk_update(
        actor=request.auth, keys=payload.issues, change=change, base_versions=payload.versions
    )
    return {
        "results": [asdict(result) for result in results],
        "changed": sum(r.changed for r in results),
        "unchanged": sum(r.ok and not r.changed for r in results),
        "failed": sum(not r.ok for r in results),
    }


@router.get("/issues/{key}", response=IssueDetail, summary="Get an issue by key")
def get_issue(request: ApiRequest, key: str, response: HttpResponse) -> Any:
    issue = get_issue_for(request.auth, key)
    if matches_none(request, issue):
        return with_etag(HttpResponse(status=304), issue)
    with_etag(response, issue)
    return IssueDetail.model_construct(**issue_detail_out(issue, request.auth))


@router.patch("/issues/{key}", response=IssueWritten, summary="Change fields of an issue")
def update_issue(
    request: ApiRequest, key: str, payload: IssueUpdate, response: HttpResponse
) -> Any:
    issue = get_issue_for(request.auth, key)
    changes = payload.model_dump(exclude_unset=True)
    base_version = based_on(request, changes.pop("version", None))
    issue = actions.update_issue(
        actor=request.auth, issue=issue, changes=changes, base_version=base_version
    )
    with_etag(response, issue)
    left_out = mentions.not_notified(issue) if "description" in changes else []
    return {**issue_detail_out(issue, request.auth), "not_notified": left_out}


@router.delete("/issues/{key}", response={204: None}, summary="Delete an issue (recoverable)")
def delete_issue(request: ApiRequest, key: str) -> Any:
    actions.delete_issue(actor=request.auth, issue=get_issue_for(request.auth, key))
    return Status(204, None)


@router.post("/issues/{key}/restore", response=IssueDetail, summary="Restore a deleted issue")
def restore_issue(request: ApiRequest, key: str) -> Any:
    issue = get_issue_for(request.auth, key, Perm.MODERATE, deleted=True)
    restored = _fresh(actions.restore_issue(actor=request.auth, issue=issue))
    return issue_detail_out(restored, request.auth)


COMMENT_PAGE_RENDER_SECONDS = 0.5  # CPU for Markdown per page; later comments come out plain


class PageParams(Schema):
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("/issues/{key}/comments", response=CommentPage, summary="List comments")
def list_comments(request: ApiRequest, key: str, params: Query[PageParams]) -> Any:
    issue = get_issue_for(request.auth, key)
    page, next_cursor = comments_page(request.auth, issue, cursor=params.cursor, limit=params.limit)
    until = markdown.deadline(COMMENT_PAGE_RENDER_SECONDS)
    items = comments_out(request.auth, issue, page, until=until)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/issues/{key}/comments", response={201: CommentWritten}, summary="Add a comment")
def add_comment(request: ApiRequest, key: str, payload: NewCommentIn) -> Any:
    issue = get_issue_for(request.auth, key)
    comment = comments.add_comment(
        actor=request.auth, issue=issue, body=payload.body, internal=payload.internal
    )
    return Status(201, _written(request, comment, issue))


def _written(request: ApiRequest, comment: Comment, issue: Issue) -> dict[str, Any]:
    """A comment just written, with who it mentions but could not tell (`not_notified`)."""
    left_out = mentions.not_notified(issue, comment)
    return {**comment_out(request.auth, comment, issue), "not_notified": left_out}


@router.patch(
    "/issues/{key}/comments/{comment_id}", response=CommentWritten, summary="Edit a comment"
)
def edit_comment(request: ApiRequest, key: str, comment_id: int, payload: CommentIn) -> Any:
    issue = get_issue_for(request.auth, key)
    comment = comments.edit_comment(
        actor=request.auth, issue=issue, comment_id=comment_id, body=payload.body
    )
    return _written(request, comment, issue)


@router.delete(
    "/issues/{key}/comments/{comment_id}", response={204: None}, summary="Delete a comment"
)
def delete_comment(request: ApiRequest, key: str, comment_id: int) -> Any:
    issue = get_issue_for(request.auth, key)
    comments.delete_comment(actor=request.auth, issue=issue, comment_id=comment_id)
    return Status(204, None)


class HistoryParams(Schema):
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=500)


@router.get("/issues/{key}/history", response=EventPage, summary="The issue's full history")
def history(request: ApiRequest, key: str, params: Query[HistoryParams]) -> Any:
    issue = get_issue_for(request.auth, key)
    items, next_cursor = history_page(request.auth, issue, cursor=params.cursor, limit=params.limit)
    custom_fields.label_events(issue.project, items)
    return {"items": items, "next_cursor": next_cursor}
