"""One stream's own loop, without a database: the hub and the access check are stand-ins."""

from __future__ import annotations

import asyncio
import time

import pytest

from docket.live import streams
from docket.live.changes import Change, Scope
from docket.live.hub import Batch, Subscriber
from tests.asyncrun import run_in_own_loop

HEARTBEAT = 1.0  # seconds; the product's is 15 (DOCKET_LIVE_HEARTBEAT_SECONDS)


class Owner:
    """A hub that only counts who joined and left."""

    def __init__(self) -> None:
        self.joined = self.left = 0

    async def join(self, subscriber: Subscriber) -> int:
        self.joined += 1
        return 0

    def leave(self, subscriber: Subscriber) -> None:
        self.left += 1


def _unwanted_batch() -> Batch:
    """Traffic the stream wakes up for but does not send (another issue's change): no
    visibility lookup, so no database."""
    return Batch([Change(1, 2, 1, "WEB", 2, "changed", "priority", 2)])


@pytest.mark.parametrize("event_at", [0.0, 0.7, 0.95])  # of a heartbeat after access ends
def test_a_stream_ends_within_a_heartbeat_of_losing_access_even_while_events_come(
    monkeypatch, event_at
):
    """Deactivated, signed out, removed from the project: the check (`still_allowed`) runs
    every heartbeat, so the stream ends within one, as docs/web.md promises. It used to
    wait a whole heartbeat after each event before checking: an event just before the check
    put it off to nearly two heartbeats (28 s of the promised 15)."""
    allowed = [True]
    checks: list[float] = []

    def still_allowed(session_key, user_id, scope) -> bool:
        checks.append(time.monotonic())
        return allowed[0]

    monkeypatch.setattr(streams, "still_allowed", still_allowed)
    subscriber = Subscriber(user_id=1, client="", scope=Scope(issue_key="WEB-1", issue_id=1))
    owner = Owner()

    async def run() -> float:
        text = streams.stream(
            subscriber, session_key="s", resume_after=None, heartbeat=HEARTBEAT, owner=owner
        )  # type: ignore[arg-type]
        assert (await anext(text)).startswith("retry:")
        reader = asyncio.ensure_future(_drain(text))
        allowed[0] = False  # access ends now, just after the stream opened
        lost = time.monotonic()
        await asyncio.sleep(event_at * HEARTBEAT)
        subscriber.offer(_unwanted_batch())
        await asyncio.wait_for(reader, timeout=3 * HEARTBEAT)
        return time.monotonic() - lost

    took = run_in_own_loop(run())
    assert took < 1.25 * HEARTBEAT, f"the stream went on {took:.2f} s after access ended"
    assert len(checks) == 1 and owner.left == owner.joined == 1


def test_a_stream_with_access_is_checked_every_heartbeat_whatever_the_traffic(monkeypatch):
    checks: list[float] = []
    monkeypatch.setattr(
        streams, "still_allowed", lambda *args: checks.append(time.monotonic()) or True
    )
    subscriber = Subscriber(user_id=1, client="", scope=Scope(issue_key="WEB-1", issue_id=1))

    async def run() -> None:
        text = streams.stream(
            subscriber, session_key="s", resume_after=None, heartbeat=0.3, owner=Owner()
        )  # type: ignore[arg-type]
        reader = asyncio.ensure_future(_drain(text))
        for _ in range(12):  # an event every 0.1 s for 1.2 s
            await asyncio.sleep(0.1)
            subscriber.offer(_unwanted_batch())
        reader.cancel()

    run_in_own_loop(run())
    assert 3 <= len(checks) <= 4, checks  # at 0.3, 0.6, 0.9 (and 1.2) s


async def _drain(text) -> None:
    async for _ in text:
        pass
