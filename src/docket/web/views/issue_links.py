"""The issue page's link and sub-task forms (web/issue/links.html; the section itself is
issue_structure.py): add and remove a link, set or clear the parent. Every change goes through
the actions (links.link_issues / unlink_issues, update_issue for the parent); a refusal shows
the page again with its reason in the section."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError
from docket.issues import actions, links, lookup
from docket.issues.access import get_issue_for
from docket.issues.models import Issue
from docket.web.views.common import web_view
from docket.web.views.issue_common import back_to_issue, error_message
from docket.web.views.issue_page import page_response


def _refused(request: HttpRequest, issue: Issue, error: DocketError) -> HttpResponse:
    return page_response(request, issue, error.status, link_error=error_message(error))


@web_view()
@require_POST
def add_link(request: HttpRequest, key: str) -> HttpResponse:
    user = actor_of(request)
    issue = get_issue_for(user, key)
    try:
        links.link_issues(
            actor=user,
            issue=issue,
            kind=request.POST.get("kind", ""),
            other=request.POST.get("issue", ""),
            resolve_duplicate=bool(request.POST.get("resolve_duplicate")),
        )
    except DocketError as exc:
        return _refused(request, issue, exc)
    return back_to_issue(issue.key, "#issue-links")


@web_view()
@require_POST
def remove_link(request: HttpRequest, key: str, link_id: str) -> HttpResponse:
    user = actor_of(request)
    issue = get_issue_for(user, key)
    try:
        links.unlink_issues(actor=user, issue=issue, link_id=int(link_id))
    except DocketError as exc:
        return _refused(request, issue, exc)
    return back_to_issue(issue.key, "#issue-links")


@web_view()
@require_POST
def set_parent(request: HttpRequest, key: str) -> HttpResponse:
    user = actor_of(request)
    issue = get_issue_for(user, key)
    parent = request.POST.get("parent", "").strip() or None
    try:
        actions.update_issue(actor=user, issue=issue, changes={"parent": parent})
    except DocketError as exc:
        return _refused(request, issue, exc)
    return back_to_issue(issue.key, "#issue-links")


@web_view()
@require_GET
def lookup_issues(request: HttpRequest, key: str) -> HttpResponse:
    """`?q=WEB-1` or `?q=login timeout` → JSON `{"issues": [{key, title, status}]}`: the
    visible issues the link and parent inputs may point at (issue.js fills a <datalist>)."""
    user = actor_of(request)
    issue = get_issue_for(user, key)
    found = lookup.matching_issues(
        user, request.GET.get("q", ""), project=issue.project, leave_out=issue
    )
    response = JsonResponse({"issues": found})
    response["Cache-Control"] = "private, no-store"  # what one may see changes
    return response
