"""Comments on the issue page: adding, editing and deleting them, the people to @mention and
the Markdown preview of what is being written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from docket.accounts.middleware import actor_of
from docket.core import markdown
from docket.core.clock import now
from docket.core.errors import DocketError, NotFound
from docket.issues import comments, editing, mentions
from docket.issues.access import get_issue_for, sees_internal
from docket.issues.queries import issue_out
from docket.web.views.common import is_htmx, web_view
from docket.web.views.issue_common import back_to_issue, changed, error_message, partial
from docket.web.views.issue_page import comment_entry, event_entry


@web_view()
@require_POST
def add_comment(request: HttpRequest, key: str) -> HttpResponse:
    issue = get_issue_for(actor_of(request), key)
    body = request.POST.get("body", "")
    internal = request.POST.get("internal") == "1"
    try:
        comment = comments.add_comment(
            actor=actor_of(request), issue=issue, body=body, internal=internal
        )
    except DocketError as error:
        if isinstance(error, NotFound):
            raise
        context = {
            "issue": issue_out(issue), "body": body, "error": error_message(error),
            "staff": sees_internal(actor_of(request), issue.project), "internal": internal,
        }  # fmt: skip
        return partial(request, "web/issue/comment_form.html", context, error.status)
    left_out = mentions.not_notified(issue, comment)
    if not is_htmx(request):
        for name in left_out:
            messages.warning(request, f"@{name} can't see this issue and was not notified.")
        return back_to_issue(issue.key, f"#comment-{comment.id}")
    posted: dict[str, Any] = {
        "issue": issue_out(issue), "posted": True, "not_notified": left_out,
        "staff": sees_internal(actor_of(request), issue.project), "internal_posted": internal,
    }  # fmt: skip
    return changed(partial(request, "web/issue/comment_form.html", posted))


@web_view()
@require_http_methods(["GET", "POST"])
def comment(request: HttpRequest, key: str, comment_id: str) -> HttpResponse:
    """GET: one comment (`?edit=1`: its edit form). POST: save an edit."""
    issue = get_issue_for(actor_of(request), key)
    powers = editing.comment_powers(actor_of(request), issue)
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            edited = comments.edit_comment(
                actor=actor_of(request), issue=issue, comment_id=int(comment_id), body=body
            )
        except DocketError as error:
            if isinstance(error, NotFound):
                raise
            context = {
                "issue": issue_out(issue),
                "c": {"id": comment_id, "body": body},
                "error": error_message(error),
            }
            return partial(request, "web/issue/comment_edit.html", context, error.status)
        shown = comment_entry(actor_of(request), issue, edited, powers)
        context = {"issue": issue_out(issue), "e": shown}
        return changed(partial(request, "web/issue/entry.html", context))
    if request.GET.get("edit"):
        found = comments.comment_to_change(actor_of(request), issue, int(comment_id))
        context = {"issue": issue_out(issue), "c": {"id": found.id, "body": found.body}}
        return partial(request, "web/issue/comment_edit.html", context)
    found = editing.comment_on(actor_of(request), issue, int(comment_id))
    context = {
        "issue": issue_out(issue),
        "e": comment_entry(actor_of(request), issue, found, powers),
    }
    return partial(request, "web/issue/entry.html", context)


@web_view()
@require_POST
def delete_comment(request: HttpRequest, key: str, comment_id: str) -> HttpResponse:
    issue = get_issue_for(actor_of(request), key)
    comments.delete_comment(actor=actor_of(request), issue=issue, comment_id=int(comment_id))
    if not is_htmx(request):
        return back_to_issue(issue.key)
    deleted = event_entry({"kind": "comment_deleted", "actor": request.user.username, "at": now()})
    return changed(
        partial(request, "web/issue/entry.html", {"issue": issue_out(issue), "e": deleted})
    )


@web_view()
@require_GET
def people(request: HttpRequest, key: str) -> JsonResponse:
    """People to @mention: members of the issue's project that the viewer may know of, for those
    who can see the issue."""
    issue = get_issue_for(actor_of(request), key)
    found = editing.mention_candidates(actor_of(request), issue, request.GET.get("q", "")[:150])
    return JsonResponse({"people": found})


@web_view()
@require_POST
def preview(request: HttpRequest, key: str) -> HttpResponse:
    """Markdown preview of a comment or description being written."""
    get_issue_for(actor_of(request), key)
    text = request.POST.get("body") or request.POST.get("value") or ""
    return partial(request, "web/issue/preview.html", {"text": text[: markdown.MAX_CHARS]})
