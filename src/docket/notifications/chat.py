"""Notifications to a chat webhook: a person routes what their inbox gets to a Slack or
Mattermost incoming webhook as well (API `/notifications/chat`, the preferences page).

The `notifications.chat` sweep posts, per person, the inbox notifications after their
channel's `sent_through`, oldest first, through core.outbound (the SSRF-guarded client and the
chat shapes webhooks use), outside any transaction; `sent_through` moves past each one the
channel accepted. A failure stops that person's round and tries again later (doubling, at
most an hour apart); a channel failing for 24 hours is turned off with the reason shown on the
page. At least once: a worker killed after a post and before moving the mark posts it again.

Privacy: the gate is asked again when posting (the issue may have been hidden from them
since), and a chat channel is a shared space, so a confidential issue's title and text never
go there: the message says only that something happened on a confidential issue, with its
link.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from docket.accounts.actor import Actor, Who, account_of
from docket.core.clock import now
from docket.core.errors import Invalid
from docket.core.outbound import chat
from docket.core.outbound.client import post, target_problem
from docket.issues.access import can_see
from docket.issues.models import EventKind
from docket.notifications.models import ChatChannel, Kind, Notification

log = logging.getLogger(__name__)

BATCH = 20
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_RETRY = dt.timedelta(hours=1)
FAILING_TOO_LONG = dt.timedelta(hours=24)
DETAIL_CHARS = 1000


def channel_of(actor: Who) -> ChatChannel | None:
    return ChatChannel.objects.filter(user=account_of(actor)).first()


@transaction.atomic
def set_channel(actor: Who, *, format: str, url: str, enabled: bool = True) -> ChatChannel:
    """Route `actor`'s notifications to a chat webhook (or change where). A new channel
    starts with what arrives from now on, not the inbox's past."""
    user = account_of(actor)
    if format not in ChatChannel.Format.values:
        raise Invalid.field("format", f"must be one of {', '.join(ChatChannel.Format.values)}")
    url = (url or "").strip()
    problem = target_problem(url) if url and len(url) <= 2000 else "must be a URL (≤ 2000)"
    if problem:
        raise Invalid.field("url", problem)
    newest = Notification.objects.filter(recipient=user).aggregate(top=Max("id"))["top"] or 0
    channel, made = ChatChannel.objects.select_for_update().get_or_create(
        user=user,
        defaults={"format": format, "url": url, "enabled": enabled, "sent_through": newest,
                  "updated_at": now()},
    )  # fmt: skip
    if not made:
        if not channel.enabled and enabled:
            channel.sent_through = max(channel.sent_through, newest)  # no backlog from the pause
        channel.format, channel.url, channel.enabled = format, url, enabled
        channel.retry_at = channel.failing_since = None
        channel.last_error = ""
        channel.updated_at = now()
        channel.save()
    return channel


@transaction.atomic
def remove_channel(actor: Who) -> bool:
    return bool(ChatChannel.objects.filter(user=account_of(actor)).delete()[0])


def send_due(moment: dt.datetime) -> int:
    """The sweep: each channel that is on and not waiting to retry gets its next notifications."""
    ready = ChatChannel.objects.filter(enabled=True).filter(
        Q(retry_at__isnull=True) | Q(retry_at__lte=moment)
    )
    waiting = Notification.objects.filter(in_inbox=True)
    posted = 0
    for channel in ready.select_related("user"):
        if waiting.filter(recipient=channel.user_id, id__gt=channel.sent_through).exists():
            posted += _post_next(channel, moment)
    return posted


def _post_next(channel: ChatChannel, moment: dt.datetime) -> int:
    rows = (
        Notification.objects.filter(
            recipient=channel.user_id, in_inbox=True, id__gt=channel.sent_through
        )
        .select_related("issue", "issue__project", "event", "event__comment", "actor")
        .order_by("id")[:BATCH]
    )
    viewer = Actor(channel.user)
    through, posted, error = channel.sent_through, 0, ""
    for told in rows:
        if channel.user.is_active and can_see(viewer, told.issue):
            answer = post(channel.url, _body(channel.format, told), {}, timeout=_timeout())
            if not answer.ok:
                error = answer.error or f"HTTP {answer.status}: {answer.body[:200]}"
                break
            posted += 1
        through = told.id
    _after(channel, through, posted, error, moment)
    return posted


def _timeout() -> float:
    return float(getattr(settings, "DOCKET_WEBHOOK_TIMEOUT_SECONDS", 10))


def _after(
    channel: ChatChannel, through: int, posted: int, error: str, moment: dt.datetime
) -> None:
    """Record the round: the mark moved past what went, and a failure's retry or turning off."""
    values: dict[str, object] = {"sent_through": through}
    if posted:
        values["last_sent_at"] = moment
    if not error:
        values |= {"failing_since": None, "retry_at": None, "last_error": ""}
    else:
        since = channel.failing_since or moment
        wait = min(FIRST_RETRY + 2 * (moment - since), LONGEST_RETRY)
        values |= {"failing_since": since, "retry_at": moment + wait, "last_error": error[:500]}
        if moment - since >= FAILING_TOO_LONG:
            reason = f"turned off after failing for 24 hours: {error}"
            values |= {"enabled": False, "last_error": reason[:500]}
            log.warning("chat channel of user %s turned off: %s", channel.user_id, error)
    # Only if nobody changed the channel meanwhile (a new URL starts clean).
    ChatChannel.objects.filter(pk=channel.pk, updated_at=channel.updated_at).update(**values)


def _body(format_: str, told: Notification) -> bytes:
    return json.dumps(chat.shaped(format_, note(told)), ensure_ascii=False).encode()


def note(told: Notification) -> chat.Note:
    """The chat message of one notification: never a confidential issue's title or text."""
    issue = told.issue
    key = f"{issue.project.key}-{issue.number}"
    url = f"{settings.BASE_URL.rstrip('/')}/{key}"
    label = Kind(told.kind).label if told.kind in Kind.values else told.kind
    who = f" — {told.actor.username}" if told.actor else ""
    if issue.confidential:
        return chat.Note(f"{key} (confidential)", url, f"{label}{who}: open Docket to read it")
    return chat.Note(f"{key} {issue.title}", url, f"{label}{who}{_what(told)}", _detail(told))


def _what(told: Notification) -> str:
    event = told.event
    if event is None or event.kind != EventKind.CHANGED:
        return ""
    return f": {event.field} {_short(event.old)} → {_short(event.new)}"


def _short(value: object) -> str:
    text = "(none)" if value in (None, "", []) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _detail(told: Notification) -> str:
    comment = told.event.comment if told.event and told.event.comment_id else None
    if comment is None or comment.deleted_at is not None or comment.internal:
        return ""  # an internal note's words never go to a chat channel (a shared space)
    return comment.body[:DETAIL_CHARS]
