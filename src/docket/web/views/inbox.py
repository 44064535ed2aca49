"""The inbox (`/inbox`): the signed-in person's open notifications grouped by issue, marking
them read or done, and the unread count of the top bar (`/inbox/count`).

The rows come from docket.notifications (queries.inbox, queries.unread_count: only issues the
reader may see now) and every change goes through its actions (mark_read, mark_all_read,
mark_done: only the reader's own notifications). This module only words them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from docket.accounts.middleware import actor_of
from docket.core.errors import BadParameter
from docket.notifications import actions, queries
from docket.notifications.models import Kind, Reminder
from docket.web.views.common import is_htmx, page, web_view
from docket.web.views.issue_page import event_entry

PAGE_SIZE = 25
EXCERPT = 160  # characters of a comment quoted under its notification
COUNT_CHANGED = "docket:inbox-changed"  # htmx event: the unread count changed; refresh the inbox

Words = list[tuple[str, str]]  # ("text", …) and ("value", …) pieces, as the issue timeline's


# --- a notification in words ---------------------------------------------------------------------


def _excerpt(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _reminder_words(reminder: dict[str, Any]) -> Words:
    day = reminder["due_date"].isoformat()
    if reminder["kind"] == Reminder.Moment.SOON:
        return [("text", "Due tomorrow, "), ("value", day)]
    return [("text", "Overdue: it was due "), ("value", day)]


def _event_words(kind: str, event: dict[str, Any]) -> Words:
    """What happened, as the issue's timeline says it (issue_page.event_entry), with what it
    means for the reader when the notification is about them."""
    name, field = event["kind"], event.get("field")
    if name == "commented":
        return [("text", "mentioned you in a comment" if kind == Kind.MENTIONED else "commented")]
    if name == "comment_edited":
        return [("text", "mentioned you in an edited comment")]
    if name == "created" and kind == Kind.ASSIGNED:
        return [("text", "created the issue and assigned it to you")]
    if name == "created" and kind == Kind.MENTIONED:
        return [("text", "created the issue and mentioned you in it")]
    if name == "changed" and field == "assignee" and kind == Kind.ASSIGNED:
        return [("text", "assigned the issue to you")]
    if name == "changed" and field == "description" and kind == Kind.MENTIONED:
        return [("text", "mentioned you in the description")]
    if name == "access_granted" and kind == Kind.MENTIONED:
        return [("text", "gave you access to this issue")]
    words: Words = event_entry(event)["words"]
    return words


def item_shown(item: dict[str, Any]) -> dict[str, Any]:
    """One notification (queries.item_out's shape) as the inbox shows it."""
    event, reminder = item["event"], item["reminder"]
    if reminder is not None:
        who, words, quote = "Reminder", _reminder_words(reminder), ""
    elif event is not None:
        who = event["actor"] or item["actor"] or "Docket"
        words = _event_words(item["kind"], event)
        quote = _excerpt(event["new"]) if event["kind"] in ("commented", "comment_edited") else ""
    else:  # neither an event nor a reminder: the model allows it, the consumer makes none
        who, words, quote = "Docket", [("text", Kind(item["kind"]).label)], ""
    return {
        "id": item["id"],
        "at": item["at"],
        "read": item["read"],
        "who": who,
        "words": words,
        "quote": quote,
        "overdue": reminder is not None and reminder["kind"] == Reminder.Moment.OVERDUE,
    }


def thread_shown(thread: queries.Thread) -> dict[str, Any]:
    issue = thread.issue
    return {
        "key": issue.key,
        "title": issue.title,
        "count": thread.count,
        "unread": thread.unread,
        "last_at": thread.last_at,
        "notes": [item_shown(item) for item in thread.items],
        "more": thread.count - len(thread.items),
    }


# --- the page ------------------------------------------------------------------------------------


def _inbox_url(*, unread: bool, cursor: str | None = None) -> str:
    params = {k: v for k, v in (("unread", "1" if unread else ""), ("cursor", cursor)) if v}
    base = reverse("web:inbox")
    return f"{base}?{urlencode(params)}" if params else base


def _view_of(data: Any) -> tuple[bool, str | None]:
    """Which inbox is shown (`unread=1`, `cursor=`), from the address or a form."""
    cursor = (data.get("cursor") or "").strip() or None
    if cursor is not None and len(cursor) > 200:
        raise BadParameter.field("cursor", "is not a cursor this server made")
    return data.get("unread") == "1", cursor


def _region_context(request: HttpRequest, unread: bool, cursor: str | None) -> dict[str, Any]:
    actor = actor_of(request)
    threads, next_cursor = queries.inbox(actor, unread=unread, cursor=cursor, limit=PAGE_SIZE)
    return {
        "threads": [thread_shown(t) for t in threads],
        "unread": unread,
        "cursor": cursor or "",
        "unread_count": queries.unread_count(actor),
        "here_url": _inbox_url(unread=unread, cursor=cursor),
        "next_url": _inbox_url(unread=unread, cursor=next_cursor) if next_cursor else "",
        "first_url": _inbox_url(unread=unread),
        "all_url": _inbox_url(unread=False),
        "unread_url": _inbox_url(unread=True),
    }


@web_view()
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    unread, cursor = _view_of(request.GET)
    context = _region_context(request, unread, cursor)
    if is_htmx(request):  # the region refreshing itself (the count changed)
        response = page(request, "web/inbox/region.html", context)
    else:
        response = page(request, "web/inbox/page.html", {"nav": "inbox", **context})
    patch_vary_headers(response, ["HX-Request"])
    return response


def _after_change(request: HttpRequest, message: str) -> HttpResponse:
    """htmx: the inbox region again, as the form's page showed it, with the message and the
    top bar's count (out of band). Without JavaScript: back to that page."""
    unread, cursor = _view_of(request.POST)
    if not is_htmx(request):
        messages.success(request, message)
        return HttpResponseRedirect(_inbox_url(unread=unread, cursor=cursor))
    context = {**_region_context(request, unread, cursor), "message": message, "oob_count": True}
    return page(request, "web/inbox/region.html", context)


@web_view()
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """`issue=KEY`: that issue's notifications; `all=1`: everything."""
    actor = actor_of(request)
    if request.POST.get("all") == "1":
        actions.mark_all_read(actor)
        return _after_change(request, "Marked everything read.")
    key = request.POST.get("issue", "").strip()[:30]
    actions.mark_read(actor, issue=key)
    return _after_change(request, f"Marked {key} read.")


@web_view()
@require_POST
def mark_done(request: HttpRequest) -> HttpResponse:
    key = request.POST.get("issue", "").strip()[:30]
    actions.mark_done(actor_of(request), issue=key)
    return _after_change(request, f"Done with {key}: it left your inbox.")


# --- the top bar's count ------------------------------------------------------------------------


@web_view()
@require_GET
def count(request: HttpRequest) -> HttpResponse:
    """The top bar's badge (web/inbox/count.html), for base.html's hx-get: 204 (htmx leaves
    the badge alone) while the count is still the `shown` one; else the badge, and the
    COUNT_CHANGED event for an open inbox to refresh itself."""
    unread_count = queries.unread_count(actor_of(request))
    shown = request.GET.get("shown", "")
    if shown.isdigit() and int(shown) == unread_count:
        return HttpResponse(status=204)
    response = page(request, "web/inbox/count.html", {"unread_count": unread_count})
    if shown:
        response["HX-Trigger"] = COUNT_CHANGED
    response["Cache-Control"] = "no-store"
    return response
