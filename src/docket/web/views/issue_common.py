"""What the issue page's endpoints share: the version a change is based on, the pieces of the
page they answer with, and the reason shown for a refusal.

htmx swaps the partials in place; every form also works as a plain POST (the page reloads).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from docket.core.errors import BadParameter, DocketError
from docket.issues.models import Issue
from docket.issues.queries import with_related
from docket.web.views.common import page

CHANGED = "docket:issue-changed"  # htmx event: something on the page changed; refresh it


def base_version(raw: str | None) -> int | None:
    """The version a change is based on (None: not sent)."""
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise BadParameter.field("version", "must be the issue version the page showed")
    return int(raw)


def reloaded(issue: Issue) -> Issue:
    return with_related(Issue.objects.filter(pk=issue.pk)).get()


def partial(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A piece of the page for htmx to swap in. Refusals (403/409/422) are partials too, with
    their reason inline; `X-Docket-Partial` tells issue.js to swap them (htmx would not)."""
    response = page(request, template, context, status)
    response["X-Docket-Partial"] = "1"
    return response


def changed(response: HttpResponse) -> HttpResponse:
    response["HX-Trigger"] = CHANGED
    return response


def back_to_issue(key: str, anchor: str = "") -> HttpResponse:
    return HttpResponseRedirect(reverse("web:issue", args=[key]) + anchor)


def error_message(error: DocketError, name: str | None = None) -> str:
    """The reason to show: the field's own message if the error names it."""
    for item in error.errors:
        if name is None or item.get("field") == name:
            return str(item.get("message") or error.detail)
    return error.detail
