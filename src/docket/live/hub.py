"""The per-process hub of live updates. Every issue write records `IssueEvent` rows with
increasing ids in its own transaction, so the log is the bus (no broker, on SQLite with
several processes or on PostgreSQL): one poller task per process, started by the first
subscriber and stopped with the last, reads the events after the last one it saw every
DOCKET_LIVE_POLL_MS (one small primary-key query), or at once when the Redis doorbell rings
(doorbell.py), and hands each batch to the streams that follow one of its issues; a stream
asks the gate once per user and batch what its user may see now (changes.visible_ids).

Ids are taken when a row is inserted but become visible when its transaction commits, and
on PostgreSQL commits can land out of id order. A missing id below ones already seen is
waited for (GAP_WAIT) before the poller moves past it, so a slow commit is still delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from docket.live.changes import Change, Scope, changes_after, latest_event_id, visible_ids

log = logging.getLogger(__name__)

GAP_WAIT = 10.0  # seconds to wait for a missing (not yet committed) event id
QUEUE_SIZE = 200  # batches a slow stream may fall behind before it is closed
FALLBACK_POLL = 0.4  # seconds between polls while the Redis doorbell is unreachable
MAX_ANONYMOUS_STREAMS = 10  # per client address and process

# Sets its first event on each ring and keeps the second set while it is subscribed.
Listener = Callable[[asyncio.Event, asyncio.Event], Coroutine[Any, Any, None]]
ReadAfter = Callable[..., list[Change]]  # changes.changes_after


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

    def __init__(
        self,
        *,
        interval: float,
        listener: Listener | None = None,
        fetch_latest: Callable[[], int] = latest_event_id,
        read_after: ReadAfter = changes_after,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.interval = interval
        self.listener = listener
        self.fetch_latest = fetch_latest
        self.read_after = read_after
        self.clock = clock
        self.subscribers: set[Subscriber] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[None] | None = None
        self.floor = 0  # every event id <= floor has been handed out (or given up on)
        self.seen: dict[int, float] = {}  # ids above the floor handed out -> when first seen
        self.high = 0  # the highest id handed out
        self.starting: asyncio.Lock | None = None
        self.rung = asyncio.Event()  # the doorbell rang: read now
        self.listening = asyncio.Event()  # the doorbell's subscription is up

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
                self.rung, self.listening = asyncio.Event(), asyncio.Event()
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
        listener: asyncio.Task[None] | None = None
        if self.listener is not None:
            listener = asyncio.create_task(self.listener(self.rung, self.listening))
        try:
            while True:
                await self._wait_for_next_read()
                try:
                    await self.tick()
                except Exception:  # a database hiccup must not end live updates for good
                    log.exception("live updates: reading new events failed; retrying")
                    await asyncio.sleep(FALLBACK_POLL * 5)
        finally:
            if listener is not None:
                listener.cancel()

    async def _wait_for_next_read(self) -> None:
        """The poll interval, cut short by the doorbell; FALLBACK_POLL while it is down."""
        if self.listener is None:
            await asyncio.sleep(self.interval)
            return
        wait = self.interval if self.listening.is_set() else FALLBACK_POLL
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.rung.wait(), wait)
        self.rung.clear()

    async def tick(self) -> None:
        changes = await sync_to_async(self.read_after)(self.high)
        if self.seen and len(self.seen) < self.high - self.floor:
            # Ids are missing between the floor and the highest seen: commits still in flight.
            late = await sync_to_async(self.read_after)(
                self.floor, below=self.high, skip=frozenset(self.seen)
            )
            changes = sorted(late + changes, key=lambda c: c.id)
        now = self.clock()
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
    """The process's hub, made on first use from the settings."""
    global _hub
    if _hub is None:
        listener = None
        if settings.DOCKET_LIVE_BACKEND == "redis":
            # Imported only here: redis-py takes 0.1-0.2 s to import, for no use when polling.
            from docket.live import doorbell

            listener = doorbell.listen_on(settings.DOCKET_REDIS_URL)
        _hub = Hub(interval=settings.DOCKET_LIVE_POLL_MS / 1000, listener=listener)
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
