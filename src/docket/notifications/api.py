"""The inbox, preferences and mutes over the API (`/api/v1/notifications…`), and the
one-click unsubscribe link of the mails. Each endpoint calls actions.py, preferences.py or
queries.py; the pages call the same functions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from docket.accounts.api_auth import ApiRequest
from docket.issues.schemas import EventOut
from docket.notifications import actions, chat, preferences, queries
from docket.notifications.emails import PREFERENCES_PATH, templates
from docket.notifications.models import ChatChannel, Kind

router = Router(tags=["notifications"])


class InboxParams(Schema):
    unread: bool = Field(False, description="Only issues with unread notifications, and those")
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=queries.MAX_LIMIT, description="Issues per page")


class ReminderOut(Schema):
    kind: str = Field(description="soon (due tomorrow) or overdue")
    due_date: date


class NotificationOut(Schema):
    id: int
    kind: str = Field(description=f"One of: {', '.join(Kind.values)}")
    at: datetime
    read: bool
    actor: str | None = Field(description="Who made the change (null for reminders)")
    event: EventOut | None = Field(description="The change, as the issue's history shows it")
    reminder: ReminderOut | None


class IssueRef(Schema):
    key: str
    title: str
    project: str


class ThreadOut(Schema):
    issue: IssueRef
    count: int = Field(description="Open notifications about the issue")
    unread: int
    last_at: datetime
    notifications: list[NotificationOut] = Field(
        description=f"The newest {queries.PER_ISSUE}, newest first"
    )


class InboxOut(Schema):
    unread_count: int = Field(description="Unread notifications in the whole inbox")
    items: list[ThreadOut]
    next_cursor: str | None


# A row id: a number no id column can hold is refused (422), not sent to the database.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Pick(Schema):
    ids: list[RowId] | None = Field(None, description="Notification ids (yours)")
    issue: str | None = Field(None, max_length=30, description="Or every one about this issue")


class Changed(Schema):
    changed: int
    unread_count: int


class ChannelsIn(Schema):
    inbox: bool | None = None
    email: bool | None = None


class ChannelsOut(Schema):
    inbox: bool
    email: bool


class PreferencesIn(Schema):
    kinds: dict[str, ChannelsIn] = Field(
        description=f"Per kind ({', '.join(Kind.values)}): the channels to change"
    )


class MutesOut(Schema):
    projects: list[str]
    issues: list[str]


class PreferencesOut(Schema):
    kinds: dict[str, ChannelsOut]
    mutes: MutesOut
    page: str = Field(description="The preferences page of the web app")


class MuteIn(Schema):
    project: str | None = Field(None, max_length=10)
    issue: str | None = Field(None, max_length=30)


class MuteParams(Schema):
    project: str | None = Field(None, max_length=10)
    issue: str | None = Field(None, max_length=30)


class MuteOut(Schema):
    project: str | None
    issue: str | None
    muted: bool = Field(description="True if it was not muted before")


def _thread_out(thread: queries.Thread) -> dict[str, Any]:
    issue = thread.issue
    return {
        "issue": {"key": issue.key, "title": issue.title, "project": issue.project.key},
        "count": thread.count,
        "unread": thread.unread,
        "last_at": thread.last_at,
        "notifications": thread.items,
    }


@router.get("/notifications", response=InboxOut, summary="Your inbox, grouped by issue")
def inbox(request: ApiRequest, params: Query[InboxParams]) -> Any:
    threads, cursor = queries.inbox(
        request.auth, unread=params.unread, cursor=params.cursor, limit=params.limit
    )
    return {
        "unread_count": queries.unread_count(request.auth),
        "items": [_thread_out(t) for t in threads],
        "next_cursor": cursor,
    }


def _changed(request: ApiRequest, changed: int) -> dict[str, int]:
    return {"changed": changed, "unread_count": queries.unread_count(request.auth)}


@router.post("/notifications/read", response=Changed, summary="Mark notifications read")
def mark_read(request: ApiRequest, pick: Pick) -> Any:
    return _changed(request, actions.mark_read(request.auth, ids=pick.ids, issue=pick.issue))


@router.post("/notifications/read-all", response=Changed, summary="Mark everything read")
def mark_all_read(request: ApiRequest) -> Any:
    return _changed(request, actions.mark_all_read(request.auth))


@router.post("/notifications/done", response=Changed, summary="Take notifications out of the inbox")
def mark_done(request: ApiRequest, pick: Pick) -> Any:
    return _changed(request, actions.mark_done(request.auth, ids=pick.ids, issue=pick.issue))


def _preferences_out(request: ApiRequest) -> dict[str, Any]:
    return {
        "kinds": preferences.preferences_of(request.auth),
        "mutes": preferences.mutes_of(request.auth),
        "page": PREFERENCES_PATH,
    }


@router.get("/notifications/preferences", response=PreferencesOut, summary="What you hear, and how")
def get_preferences(request: ApiRequest) -> Any:
    return _preferences_out(request)


@router.put("/notifications/preferences", response=PreferencesOut, summary="Change what you hear")
def put_preferences(request: ApiRequest, body: PreferencesIn) -> Any:
    choices = {
        kind: {c: v for c, v in channels.dict().items() if v is not None}
        for kind, channels in body.kinds.items()
    }
    preferences.set_preferences(request.auth, choices)
    return _preferences_out(request)


@router.post("/notifications/mutes", response={201: MuteOut}, summary="Mute a project or an issue")
def mute(request: ApiRequest, body: MuteIn) -> Any:
    muted = preferences.mute(request.auth, project=body.project, issue=body.issue)
    return Status(201, {"project": body.project, "issue": body.issue, "muted": muted})


@router.delete(
    "/notifications/mutes", response={204: None}, summary="Hear a project or issue again"
)
def unmute(request: ApiRequest, params: Query[MuteParams]) -> Any:
    preferences.unmute(request.auth, project=params.project, issue=params.issue)
    return Status(204, None)


# --- the mails' unsubscribe link (RFC 8058): no sign-in, the signed link is the credential ---


def _page(name: str, **context: Any) -> HttpResponse:
    response = HttpResponse(templates.get_template(name).render(context))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the link is a credential
    return response


@router.get(
    "/notifications/unsubscribe/{token}",
    auth=None,
    include_in_schema=False,
    summary="The unsubscribe link of a mail: a page asking to confirm (link checkers GET it)",
)
def unsubscribe_page(request: HttpRequest, token: str) -> Any:
    return _page("unsubscribe.html", done=False)


@router.post(
    "/notifications/unsubscribe/{token}",
    auth=None,
    summary="One-click unsubscribe (RFC 8058): stop notifications about the mail's issue",
)
def unsubscribe(request: HttpRequest, token: str) -> Any:
    actions.unsubscribe(token)
    return _page("unsubscribe.html", done=True)


# --- a chat channel for one's notifications (notifications/chat.py) ------------------------


class ChatIn(Schema):
    format: Literal["slack", "mattermost"]
    url: str = Field(max_length=2000, description="The channel's incoming-webhook URL")
    enabled: bool = True


class ChatOut(Schema):
    format: str
    url: str
    enabled: bool
    last_error: str = Field(description="Why the last post failed (or why it was turned off)")
    last_sent_at: datetime | None
    retry_at: datetime | None


def _chat_out(channel: ChatChannel) -> dict[str, Any]:
    return {
        "format": channel.format, "url": channel.url, "enabled": channel.enabled,
        "last_error": channel.last_error, "last_sent_at": channel.last_sent_at,
        "retry_at": channel.retry_at,
    }  # fmt: skip


@router.get("/notifications/chat", response={200: ChatOut, 404: None}, summary="Your chat channel")
def get_chat(request: ApiRequest) -> Any:
    channel = chat.channel_of(request.auth)
    return _chat_out(channel) if channel else Status(404, None)


@router.put(
    "/notifications/chat",
    response=ChatOut,
    summary="Post your notifications to a Slack or Mattermost webhook too",
)
def put_chat(request: ApiRequest, body: ChatIn) -> Any:
    channel = chat.set_channel(request.auth, format=body.format, url=body.url, enabled=body.enabled)
    return _chat_out(channel)


@router.delete("/notifications/chat", response={204: None}, summary="Stop posting to chat")
def delete_chat(request: ApiRequest) -> Any:
    chat.remove_channel(request.auth)
    return Status(204, None)
