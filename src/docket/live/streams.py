"""The text of one live-update stream (server-sent events), fed by the process's hub."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async

from docket.live.changes import changes_between, still_allowed
from docket.live.hub import CLOSE, Batch, Hub, Subscriber

log = logging.getLogger(__name__)

RETRY_MS = 2000  # EventSource reconnect delay the stream asks for


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
        # Checks run on a fixed beat: waiting a whole heartbeat after each event instead let
        # a stream that got one just before its check go on for nearly two (28 s of 15).
        next_check = time.monotonic() + heartbeat
        while True:
            try:
                item = await asyncio.wait_for(
                    subscriber.queue.get(), timeout=max(0.0, next_check - time.monotonic())
                )
            except TimeoutError:
                item = None
            if item is CLOSE:
                return
            if time.monotonic() >= next_check:
                if not await _may_go_on(subscriber, session_key):
                    return
                next_check = time.monotonic() + heartbeat
            if item is None:
                yield ": keep-alive\n\n"
                continue
            async for text in _deliver(subscriber, item):
                yield text
    finally:
        owner.leave(subscriber)


async def _may_go_on(subscriber: Subscriber, session_key: str | None) -> bool:
    try:
        return await sync_to_async(still_allowed)(session_key, subscriber.user_id, subscriber.scope)
    except Exception:  # the database is away: end; the browser reconnects
        log.exception("live updates: checking a stream's session failed")
        return False


async def _deliver(subscriber: Subscriber, batch: Batch) -> AsyncIterator[str]:
    wanted = [c for c in batch.changes if subscriber.scope.wants(c)]
    if not wanted:
        return
    visible = await batch.visible_to(subscriber.user_id)
    for change in wanted:
        if change.id in visible:
            yield change.message()
