"""The live change feed behind `/live` (server-sent events). The issue event log is the bus.

Every issue action writes `IssueEvent` rows with increasing ids, in the same transaction as
the change. So no broker is needed, on SQLite with several processes or on PostgreSQL: one
poller task per process (started by the first subscriber, stopped with the last) reads the
events after the last one it saw every DOCKET_LIVE_POLL_MS (one small query on the primary
key) and hands each batch to the process's open streams. Each stream filters the batch by
what it follows (a project, an issue, or everything) and asks the permission gate, at send
time and with freshly loaded roles, which of those issues its user may see now
(`visible_issues(user).filter(id__in=...)`, once per user and batch): a person who loses
access stops receiving at once, even on a stream they opened before.

Ids are taken when a row is inserted but become visible when its transaction commits, and
on PostgreSQL commits can land out of id order. A missing id below ones already seen is
waited for (GAP_WAIT) before the poller moves past it, so a slow commit is still delivered.

What a stream sends is only `{"issue", "project", "kind", "field", "version"}`, never
titles or values: the page refetches what it shows through its own permission checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.db import close_old_connections

from docket.accounts.models import User
from docket.core.errors import NotFound
from docket.core.rows import one_or_none
from docket.issues.access import can_see, get_issue_for, visible_issues
from docket.issues.models import EventKind, Issue, IssueEvent
from docket.projects.access import forget_roles, get_project_for
from docket.web import doorbell

log = logging.getLogger(__name__)

BATCH = 500  # events read per query
GAP_WAIT = 10.0  # seconds to wait for a missing (not yet committed) event id
CATCH_UP = 500  # events replayed at most after a reconnect (Last-Event-ID)
QUEUE_SIZE = 200  # batches a slow stream may fall behind before it is closed
RETRY_MS = 2000  # EventSource reconnect delay the stream asks for
FALLBACK_POLL = 0.4  # seconds between polls while the Redis doorbell is unreachable
MAX_ANONYMOUS_STREAMS = 10  # per client address and process


@dataclass(frozen=True)
class Change:
    """One issue event, as much as a stream needs to route and announce it."""

    id: int
    issue_id: int
    project_id: int
    project: str
    number: int
    kind: str
    field: str
    version: int

    def payload(self) -> dict[str, Any]:
        return {
            "issue": f"{self.project}-{self.number}",
            "project": self.project,
            "kind": self.kind,
            "field": self.field or None,
            "version": self.version,
        }

    def message(self) -> str:
        data = json.dumps(self.payload(), separators=(",", ":"))
        return f"id: {self.id}\nevent: change\ndata: {data}\n\n"


# --- database reads (synchronous; run through sync_to_async) ---------------------------------

_COLUMNS = (
    "id",
    "issue_id",
    "issue__project_id",
    "issue__project__key",
    "issue__number",
    "kind",
    "field",
    "version",
)


def _changes(rows: Any) -> list[Change]:
    return [Change(*row) for row in rows.values_list(*_COLUMNS)]


def latest_event_id() -> int:
    close_old_connections()
    return newest_event_id()


def newest_event_id() -> int:
    """The id a page's stream starts after (`/live?after=`): a change made between rendering
    the page and the stream opening still reaches it."""
    last = IssueEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def changes_after(
    after: int, *, below: int | None = None, skip: frozenset[int] = frozenset()
) -> list[Change]:
    """Events with `after` < id (< `below`), oldest first, at most BATCH, minus `skip`."""
    close_old_connections()
    rows = IssueEvent.objects.filter(id__gt=after)
    if below is not None:
        rows = rows.filter(id__lt=below)
    if skip:
        rows = rows.exclude(id__in=skip)
    return _changes(rows.order_by("id")[:BATCH])


def changes_between(after: int, until: int) -> list[Change]:
    """For a reconnecting stream: what it missed, at most CATCH_UP events."""
    close_old_connections()
    rows = IssueEvent.objects.filter(id__gt=after, id__lte=until).order_by("-id")[:CATCH_UP]
    return sorted(_changes(rows), key=lambda c: c.id)


def current_user(user_id: int | None) -> Any:
    """The user as the database has them now (roles are read afresh): None if they are gone
    or deactivated."""
    if user_id is None:
        return AnonymousUser()
    user = one_or_none(User.objects.filter(pk=user_id, is_active=True))
    if user is not None:
        forget_roles(user)
    return user


def visible_ids(user_id: int | None, changes: list[Change]) -> set[int]:
    """The issues among `changes` that the user may see now, through the permission gate.
    A deleted issue is seen only by those who may see it deleted (its project's admins)."""
    close_old_connections()
    user = current_user(user_id)
    if user is None:
        return set()
    ids = {c.issue_id for c in changes}
    visible = set(visible_issues(user).filter(id__in=ids).values_list("id", flat=True))
    gone = {c.issue_id for c in changes if c.kind == EventKind.DELETED} - visible
    if gone:
        deleted = Issue.objects.filter(id__in=gone, deleted_at__isnull=False)
        visible |= {i.id for i in deleted.select_related("project") if can_see(user, i)}
    return visible


@dataclass(frozen=True)
class Scope:
    """What a stream follows: one project, one issue, or (both None) everything visible."""

    project_key: str | None = None
    issue_key: str | None = None
    project_id: int | None = None
    issue_id: int | None = None

    def wants(self, change: Change) -> bool:
        if self.issue_id is not None:
            return change.issue_id == self.issue_id
        if self.project_id is not None:
            return change.project_id == self.project_id
        return True


def resolve_scope(user: Any, project: str | None, issue: str | None) -> Scope:
    """The stream's scope, if the user may see it (NotFound otherwise, as pages do)."""
    if issue:
        found = get_issue_for(user, issue)
        return Scope(issue_key=found.key, issue_id=found.id, project_id=found.project_id)
    if project:
        found_project = get_project_for(user, project)
        return Scope(project_key=found_project.key, project_id=found_project.id)
    return Scope()


def still_allowed(session_key: str | None, user_id: int | None, scope: Scope) -> bool:
    """Whether the stream may go on: the session still signs in the same active user (not
    signed out, password unchanged, not deactivated) and they may still see the scope."""
    close_old_connections()
    user: Any
    if user_id is None:
        user = AnonymousUser()
        if not settings.DOCKET_ANONYMOUS_READ:
            return False
    else:
        from importlib import import_module

        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        user = auth.get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
        if not user.is_authenticated or user.pk != user_id or not user.is_active:
            return False
    try:
        resolve_scope(user, scope.project_key, scope.issue_key)
    except NotFound:
        return False
    return True


# --- the hub: one poller per process, fanning batches out to streams -------------------------


class Batch:
    """Changes read in one tick. Visibility is asked once per user and batch, shared by all
    of that user's streams."""

    def __init__(self, changes: list[Change]):
        self.changes = changes
        self._visible: dict[int | None, asyncio.Future[set[int]]] = {}

    async def visible_to(self, user_id: int | None) -> set[int]:
        pending = self._visible.get(user_id)
        if pending is None:
            pending = asyncio.ensure_future(sync_to_async(visible_ids)(user_id, self.changes))
            self._visible[user_id] = pending
        return await asyncio.shield(pending)


CLOSE = object()  # put on a stream's queue to end it


@dataclass(eq=False)
class Subscriber:
    user_id: int | None
    client: str  # the client address, for limiting anonymous streams
    scope: Scope
    queue: asyncio.Queue[Any] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))

    def offer(self, item: Any) -> bool:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True

    def close(self) -> None:
        # A full queue means the stream is stuck already; make room so it sees CLOSE.
        while not self.offer(CLOSE):
            self.queue.get_nowait()


class Hub:
    """The process's poller and its streams. Bound to the event loop it was started in."""

    def __init__(self, *, interval: float, fetch_latest: Callable[[], int] = latest_event_id):
        self.interval = interval
        self.fetch_latest = fetch_latest
        self.subscribers: set[Subscriber] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[None] | None = None
        self.floor = 0  # every event id <= floor has been handed out (or given up on)
        self.seen: dict[int, float] = {}  # ids above the floor handed out -> when first seen
        self.high = 0  # the highest id handed out
        self.starting: asyncio.Lock | None = None

    # streams joining and leaving

    def full(self, subscriber: Subscriber, limit: int) -> bool:
        """Whether the same person has `limit` streams open in this process already."""
        self._bind()
        return sum(1 for s in self.subscribers if self._same_person(s, subscriber)) >= limit

    async def join(self, subscriber: Subscriber) -> int:
        """Add a stream; returns the id it starts after (events after it will come)."""
        self._bind()
        assert self.starting is not None
        async with self.starting:
            if self.task is None:
                self.floor = self.high = await sync_to_async(self.fetch_latest)()
                self.seen = {}
                self.task = asyncio.get_running_loop().create_task(self._run(), name="docket-live")
                _close_streams_on_shutdown(self)
        self.subscribers.add(subscriber)
        return self.high

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers and self.task is not None:
            self.task.cancel()
            self.task = None

    def close_all(self) -> None:
        for subscriber in list(self.subscribers):
            subscriber.close()

    def close_all_threadsafe(self) -> None:
        """From a signal handler or another thread."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closing meanwhile
                loop.call_soon_threadsafe(self.close_all)

    def count(self) -> int:
        return len(self.subscribers)

    @staticmethod
    def _same_person(a: Subscriber, b: Subscriber) -> bool:
        if b.user_id is None:
            return a.user_id is None and a.client == b.client
        return a.user_id == b.user_id

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new event loop (tests): start afresh
            self.loop, self.task, self.subscribers = loop, None, set()
            self.starting = asyncio.Lock()

    # polling

    async def _run(self) -> None:
        ring = connected = listener = None
        if settings.DOCKET_LIVE_BACKEND == "redis":  # ticks when a writer rings (doorbell.py)
            ring, connected = asyncio.Event(), asyncio.Event()
            listener = asyncio.get_running_loop().create_task(doorbell.listen(ring, connected))
        try:
            while True:
                if ring is None or connected is None:
                    await asyncio.sleep(self.interval)
                else:
                    wait = self.interval if connected.is_set() else FALLBACK_POLL
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(ring.wait(), wait)
                    ring.clear()
                try:
                    await self.tick()
                except Exception:  # a database hiccup must not end live updates for good
                    log.exception("live updates: reading new events failed; retrying")
                    await asyncio.sleep(FALLBACK_POLL * 5)
        finally:
            if listener is not None:
                listener.cancel()

    async def tick(self) -> None:
        changes = await sync_to_async(changes_after)(self.high)
        if self.seen and len(self.seen) < self.high - self.floor:
            # Ids are missing between the floor and the highest seen: commits still in flight.
            late = await sync_to_async(changes_after)(
                self.floor, below=self.high, skip=frozenset(self.seen)
            )
            changes = sorted(late + changes, key=lambda c: c.id)
        now = time.monotonic()
        fresh = [c for c in changes if c.id not in self.seen and c.id > self.floor]
        for change in fresh:
            self.seen[change.id] = now
            self.high = max(self.high, change.id)
        self._advance(now)
        if fresh:
            self.publish(Batch(fresh))

    def _advance(self, now: float) -> None:
        """Move the floor over ids handed out, and over gaps waited on for GAP_WAIT."""
        while self.seen:
            lowest = min(self.seen)
            if lowest != self.floor + 1 and now - self.seen[lowest] < GAP_WAIT:
                return
            self.floor = lowest
            del self.seen[lowest]

    def publish(self, batch: Batch) -> None:
        for subscriber in list(self.subscribers):
            if not any(subscriber.scope.wants(c) for c in batch.changes):
                continue
            if not subscriber.offer(batch):  # hopelessly behind: let it reconnect
                subscriber.close()


_hub: Hub | None = None


def hub() -> Hub:
    global _hub
    if _hub is None:
        _hub = Hub(interval=settings.DOCKET_LIVE_POLL_MS / 1000)
    return _hub


def _close_streams_on_shutdown(target: Hub) -> None:
    """End open streams as soon as the server is told to stop, so its graceful shutdown does
    not wait for them. uvicorn handles SIGTERM/SIGINT with `signal.signal`; chain onto it."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)
        if getattr(previous, "_docket_live", False) or not callable(previous):
            continue

        def handler(number: int, frame: Any, previous: Any = previous) -> None:
            target.close_all_threadsafe()
            previous(number, frame)

        handler._docket_live = True  # type: ignore[attr-defined]
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signum, handler)


# --- one stream --------------------------------------------------------------------------------


async def stream(
    subscriber: Subscriber,
    *,
    session_key: str | None,
    resume_after: int | None,
    heartbeat: float,
    owner: Hub,
) -> AsyncIterator[str]:
    """The text of one SSE stream, until the client leaves, the server stops, the session
    ends or the user may no longer see what the stream follows. It joins the hub only once
    the response is being sent, so a request dropped before that leaves nothing behind."""
    start = await owner.join(subscriber)
    try:
        yield f"retry: {RETRY_MS}\n: live updates\n\n"
        if resume_after is not None and resume_after < start:
            missed = await sync_to_async(changes_between)(resume_after, start)
            if missed:
                async for text in _deliver(subscriber, Batch(missed)):
                    yield text
        checked = time.monotonic()
        while True:
            try:
                item = await asyncio.wait_for(subscriber.queue.get(), timeout=heartbeat)
            except TimeoutError:
                item = None
            if item is CLOSE:
                return
            if time.monotonic() - checked >= heartbeat:
                try:
                    allowed = await sync_to_async(still_allowed)(
                        session_key, subscriber.user_id, subscriber.scope
                    )
                except Exception:  # the database is away: end; the browser reconnects
                    log.exception("live updates: checking a stream's session failed")
                    return
                if not allowed:
                    return
                checked = time.monotonic()
            if item is None:
                yield ": keep-alive\n\n"
                continue
            async for text in _deliver(subscriber, item):
                yield text
    finally:
        owner.leave(subscriber)


async def _deliver(subscriber: Subscriber, batch: Batch) -> AsyncIterator[str]:
    wanted = [c for c in batch.changes if subscriber.scope.wants(c)]
    if not wanted:
        return
    visible = await batch.visible_to(subscriber.user_id)
    for change in wanted:
        if change.issue_id in visible:
            yield change.message()
