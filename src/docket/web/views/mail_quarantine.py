"""The mail quarantine (docs/mail.md): messages that could not be matched or were not allowed
(site admins see all; project admins their projects'), the ignored ones for reference, and a
message's page with its headers and text, to assign it to an issue (a comment), open an issue
with it, or discard it. Decisions go through docket.mailin.actions (audited), as the API's."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from docket.accounts.middleware import actor_of
from docket.core.errors import DocketError, Forbidden
from docket.mailin import actions, queries
from docket.mailin.api import inbound_detail
from docket.mailin.models import Inbound
from docket.web.views.common import page, web_view

SHOWN = 100
TABS = (("quarantined", "Quarantine"), ("ignored", "Ignored"), ("all", "All mail"))


@web_view()
@require_http_methods(["GET"])
def quarantine(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not queries.may_see_any(actor):
        raise Forbidden("only site admins and project admins see arrived mail")
    shown = request.GET.get("show", "quarantined")
    if shown not in dict(TABS):
        shown = "quarantined"
    entries = queries.entries_for(actor, None if shown == "all" else shown)
    waiting = queries.entries_for(actor, Inbound.Outcome.QUARANTINED).count()
    context = {"entries": list(entries[:SHOWN]), "shown": shown, "tabs": TABS, "waiting": waiting}
    return page(request, "web/mailin/quarantine.html", context)


@web_view()
@require_http_methods(["GET", "POST"])
def quarantined_message(request: HttpRequest, entry_id: int) -> HttpResponse:
    actor = actor_of(request)
    entry = queries.entry_for(actor, entry_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            done = _decide(request, entry)
        except DocketError as problem:
            error, status = problem.detail, problem.status
        else:
            messages.success(request, done)
            return HttpResponseRedirect(reverse("web:mail_quarantine"))
    context: dict[str, Any] = {"entry": entry, "detail": inbound_detail(entry), "error": error}
    return page(request, "web/mailin/message.html", context, status)


def _decide(request: HttpRequest, entry: Inbound) -> str:
    actor, form = actor_of(request), request.POST
    if "discard" in form:
        actions.discard(actor=actor, entry_id=entry.pk)
        return f"Discarded “{entry.subject or '(no subject)'}”."
    key = form.get("issue", "").strip() or None
    done = actions.assign(actor=actor, entry_id=entry.pk, issue_key=key, project_key=None)
    issue = done.issue.key if done.issue else "?"
    return f"Added as a comment on {issue}." if key else f"Opened {issue}."
