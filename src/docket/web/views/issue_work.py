"""The issue page's custom fields and time (web/issue/work.html): the project's custom fields
with their values (a form to change them for those who may), the estimate against the time
logged (with the sub-tasks the reader sees), the work log and a form to log time. Every
change goes through the actions (update_issue's `custom_fields`, worklog.log_work and
delete_entry); a refusal shows the page again with its reason in the section."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError
from docket.issues import actions, custom_fields, worklog
from docket.issues.access import get_issue_for
from docket.issues.models import Issue
from docket.web.views.common import web_view
from docket.web.views.issue_common import back_to_issue, error_message
from docket.web.views.issue_page import page_response
from docket.web.views.issue_work_section import form_values

ANCHOR = "#issue-work"


def _refused(request: HttpRequest, issue: Issue, error: DocketError) -> HttpResponse:
    return page_response(request, issue, error.status, work_error=error_message(error))


@web_view()
@require_POST
def save_custom_fields(request: HttpRequest, key: str) -> HttpResponse:
    user = actor_of(request)
    issue = get_issue_for(user, key)
    fields = custom_fields.project_fields(issue.project)
    try:
        values = form_values(fields, request.POST)
        actions.update_issue(actor=user, issue=issue, changes={"custom_fields": values})
    except DocketError as exc:
        return _refused(request, issue, exc)
    return back_to_issue(issue.key, ANCHOR)


@web_view()
@require_POST
def log_time(request: HttpRequest, key: str) -> HttpResponse:
    user = actor_of(request)
    issue = get_issue_for(user, key)
    try:
        worklog.log_work(
            actor=user,
            issue=issue,
            time=request.POST.get("time", ""),
            day=request.POST.get("day") or None,
            note=request.POST.get("note", ""),
        )
    except DocketError as exc:
        return _refused(request, issue, exc)
    return back_to_issue(issue.key, ANCHOR)


@web_view()
@require_POST
def delete_time(request: HttpRequest, key: str, entry_id: str) -> HttpResponse:
    user = actor_of(request)
    issue = get_issue_for(user, key)
    try:
        worklog.delete_entry(actor=user, issue=issue, entry_id=int(entry_id))
    except DocketError as exc:
        return _refused(request, issue, exc)
    return back_to_issue(issue.key, ANCHOR)
