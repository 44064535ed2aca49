"""What a person hears: the notification preferences page (`/settings/notifications`, the
page the mails' "Notification preferences" link opens: notifications.emails.PREFERENCES_PATH)
and the issue page's "Mute this issue" toggle.

Saving goes through docket.notifications.preferences (set_preferences, mute, unmute), which
validate exactly as the API's PUT /notifications/preferences and /notifications/mutes do.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from docket.accounts.actor import Who
from docket.accounts.middleware import actor_of
from docket.core.errors import Invalid
from docket.issues.access import get_issue_for
from docket.issues.models import Issue
from docket.notifications import chat, preferences
from docket.notifications.models import Channel, Kind
from docket.web.views.common import is_htmx, page, web_view
from docket.web.views.issue_common import back_to_issue, partial


def _grid(actor: Who) -> list[dict[str, Any]]:
    """One row per kind, in Kind's order (strongest first), with its channels' choices."""
    chosen = preferences.preferences_of(actor)
    return [
        {
            "kind": kind.value,
            "label": kind.label,
            "inbox": chosen[kind.value][Channel.INBOX.value],
            "email": chosen[kind.value][Channel.EMAIL.value],
            "pierces_mute": kind in preferences.PIERCES_MUTE,
        }
        for kind in Kind
    ]


def _choices(request: HttpRequest) -> dict[str, dict[str, bool]]:
    """The form's grid: each row names its kind (`kind`), a ticked box sends `<kind>.<channel>`.
    Kinds are passed on as sent: set_preferences refuses one it does not know."""
    return {
        kind[:30]: {channel: f"{kind}.{channel}" in request.POST for channel in Channel.values}
        for kind in request.POST.getlist("kind")[: len(Kind) + 1]
    }


def _save(request: HttpRequest) -> str:
    actor = actor_of(request)
    form = request.POST.get("form")
    if form == "preferences":
        preferences.set_preferences(actor, _choices(request))
        return "Notification settings saved."
    if form == "chat":
        return _save_chat(request)
    project = request.POST.get("project", "").strip()[:10] or None
    issue = request.POST.get("issue", "").strip()[:30] or None
    preferences.unmute(actor, project=project, issue=issue)
    return f"You hear about {project or issue} again."


def _save_chat(request: HttpRequest) -> str:
    """The chat channel form: save it, or remove it (notifications/chat.py validates)."""
    actor = actor_of(request)
    if request.POST.get("remove"):
        chat.remove_channel(actor)
        return "Your notifications no longer go to chat."
    chat.set_channel(
        actor,
        format=request.POST.get("format", ""),
        url=request.POST.get("url", ""),
        enabled=request.POST.get("enabled") == "on",
    )
    return "Chat channel saved: your notifications go there too."


@web_view()
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            messages.success(request, _save(request))
            return HttpResponseRedirect(reverse("web:notification_settings"))
        except Invalid as problem:  # anything else (a key they cannot see: 404) is a page
            error = (
                "; ".join(f"{e.get('field')} {e['message']}" for e in problem.errors)
                or problem.detail
            )
    actor = actor_of(request)
    context = {
        "nav": "inbox",
        "grid": _grid(actor),
        "mutes": preferences.mutes_of(actor),
        "chat": chat.channel_of(actor),
        "error": error,
    }
    return page(request, "web/notification_settings.html", context, 422 if error else 200)


# --- the issue page's toggle ------------------------------------------------------------------


def mute_state(actor: Who, issue: Issue) -> dict[str, bool]:
    """Whether `actor` muted the issue, or its whole project (the page's toggle)."""
    return preferences.muted(actor, issue)


@web_view()
@require_POST
def mute_issue(request: HttpRequest, key: str) -> HttpResponse:
    actor = actor_of(request)
    issue = get_issue_for(actor, key)
    if request.POST.get("mute") == "0":
        preferences.unmute(actor, issue=issue.key)
    else:
        preferences.mute(actor, issue=issue.key)
    if not is_htmx(request):
        return back_to_issue(issue.key)
    context = {"issue": {"key": issue.key}, "mute": mute_state(actor, issue)}
    return partial(request, "web/issue/mute.html", context)
