"""Live updates: `GET /live?project=KEY` / `?issue=KEY` / (nothing: all you can see), a
server-sent events stream of `change` events. The feed itself is `docket.live`.

An async view on the event loop: the permission checks before streaming go through
`sync_to_async`, and the stream itself holds no database connection while it waits.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from docket.accounts.actor import Actor
from docket.accounts.throttle import ip_subject
from docket.core.context import client_ip
from docket.core.errors import NotFound
from docket.live.changes import resolve_scope
from docket.live.hub import MAX_ANONYMOUS_STREAMS, Subscriber, hub
from docket.live.streams import stream as change_stream


def _plain(status: int, text: str, **headers: str) -> HttpResponse:
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _resume_after(request: HttpRequest) -> int | None:
    """Where the stream picks up: the last event a reconnecting browser saw (Last-Event-ID),
    or else the newest event when the page was rendered (`?after=`, see base.html)."""
    for raw in (request.headers.get("Last-Event-ID", ""), request.GET.get("after", "")):
        raw = raw.strip()
        if raw.isdigit() and len(raw) < 19:
            return int(raw)
    return None


async def stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if request.method != "GET":
        return _plain(405, "use GET", Allow="GET")
    user = await request.auser()
    signed_in = user.is_authenticated
    if not signed_in and not settings.DOCKET_ANONYMOUS_READ:
        return _plain(401, "sign in to follow live updates")
    project = request.GET.get("project", "").strip()[:20] or None
    issue = request.GET.get("issue", "").strip()[:30] or None
    try:
        scope = await sync_to_async(resolve_scope)(Actor(user), project, issue)
    except NotFound as error:
        return _plain(404, error.detail)
    subscriber = Subscriber(
        user_id=user.pk if signed_in else None,
        client=ip_subject(client_ip(request) or ""),  # an IPv6 client counts by its /64
        scope=scope,
    )
    feed = hub()
    limit = settings.DOCKET_LIVE_MAX_STREAMS if signed_in else MAX_ANONYMOUS_STREAMS
    if feed.full(subscriber, limit):
        return _plain(429, f"at most {limit} live streams at once; close a tab", Retry_After="30")
    response = StreamingHttpResponse(
        change_stream(
            subscriber,
            session_key=request.session.session_key if signed_in else None,
            resume_after=_resume_after(request),
            heartbeat=float(settings.DOCKET_LIVE_HEARTBEAT_SECONDS),
            owner=feed,
        ),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events on at once
    return response
