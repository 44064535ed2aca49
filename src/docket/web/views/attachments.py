"""Attachments on the issue page: upload (the plain multipart form, and attachments.js's
drag and drop and paste, which ask for JSON) and delete, each through the attachments
actions (events in the issue's history, limits, quota and the content checks as in the API).
Downloads are the API's one path (`download_url`): always `attachment`, nosniff, sandboxed.

A refusal (too large, empty, no permission) saves nothing and is shown next to the form: in
the section htmx swaps in, in the whole page for a plain POST, or as JSON for the script."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods, require_POST

from docket.accounts.middleware import actor_of
from docket.attachments import actions
from docket.attachments.content import PREVIEWABLE
from docket.attachments.models import Attachment
from docket.attachments.queries import download_url, get_attachment_for
from docket.core.errors import DocketError, Invalid, NotFound
from docket.issues import editing
from docket.issues.access import get_issue_for
from docket.issues.models import Issue
from docket.issues.queries import issue_out
from docket.web.views.common import is_htmx, web_view
from docket.web.views.issue_common import back_to_issue, changed, error_message, partial
from docket.web.views.issue_page import attachments_section, page_response


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _section(
    request: HttpRequest, issue: Issue, error: str = "", status: int = 200
) -> HttpResponse:
    user = actor_of(request)
    powers = editing.comment_powers(user, issue)
    context = {"issue": issue_out(issue), "powers": powers,
               **attachments_section(user, issue, powers, error)}  # fmt: skip
    return partial(request, "web/issue/attachments.html", context, status)


def _uploaded(attachment: Attachment) -> dict[str, object]:
    """What the script inserts: the Markdown for a link, or an image for a raster image."""
    url = download_url(attachment.pk)
    image = attachment.content_type in PREVIEWABLE
    label = attachment.filename.replace("[", "(").replace("]", ")")
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "url": url,
        "image": image,
        "markdown": f"{'!' if image else ''}[{label}]({url})",
    }


@web_view()
@require_http_methods(["GET", "POST"])
def issue_attachments(request: HttpRequest, key: str) -> HttpResponse:
    """GET: the section (to refresh it). POST: attach the file in the form field `file`."""
    issue = get_issue_for(actor_of(request), key)
    if request.method == "GET":
        return _section(request, issue)
    try:
        upload = request.FILES.get("file")
        if upload is None or len(request.FILES.getlist("file")) != 1:
            raise Invalid.field("file", "choose one file to attach")
        attachment = actions.upload_attachment(actor=actor_of(request), issue=issue, upload=upload)
    except DocketError as error:
        if isinstance(error, NotFound):
            raise
        return _refused(request, issue, error)
    if _wants_json(request):
        return changed(JsonResponse(_uploaded(attachment), status=201))
    if not is_htmx(request):
        return back_to_issue(issue.key, "#attachments")
    return changed(_section(request, issue))


def _refused(request: HttpRequest, issue: Issue, error: DocketError) -> HttpResponse:
    message = error_message(error)
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=error.status)
    if is_htmx(request):
        return _section(request, issue, message, error.status)
    return page_response(request, issue, error.status, attachment_error=message)


@web_view()
@require_POST
def delete_attachment(request: HttpRequest, key: str, attachment_id: str) -> HttpResponse:
    issue = get_issue_for(actor_of(request), key)
    attachment = get_attachment_for(actor_of(request), int(attachment_id))
    if attachment.issue_id != issue.pk:
        raise NotFound(f"no attachment {attachment_id}")
    actions.delete_attachment(actor=actor_of(request), attachment=attachment)
    if not is_htmx(request):
        return back_to_issue(issue.key, "#attachments")
    return changed(_section(request, issue))
