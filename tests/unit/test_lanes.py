"""The server's lanes: bounded queues in front of long-lived threads (core/lanes.py)."""

from __future__ import annotations

import asyncio
import threading
import time

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import RequestFactory

from docket.core.lanes import ARRIVED, Lane
from tests.asyncrun import run_in_own_loop

REQUEST = RequestFactory().get("/api/v1/issues")


def _blocking(release: threading.Event, started: threading.Event | None = None):
    def handle(request: HttpRequest) -> HttpResponseBase:
        if started is not None:
            started.set()
        release.wait(5)
        return HttpResponse("done")

    return handle


def test_a_request_finding_the_queue_full_is_shed_at_once_with_retry_after():
    async def scenario() -> list[HttpResponseBase]:
        lane = Lane("t", threads=1, max_queued=1, queue_timeout_ms=10_000)
        release, started = threading.Event(), threading.Event()
        running = asyncio.ensure_future(lane.serve(REQUEST, _blocking(release, started)))
        await asyncio.to_thread(started.wait, 5)
        queued = asyncio.ensure_future(lane.serve(REQUEST, _blocking(release)))
        await asyncio.sleep(0.05)
        shed = await lane.serve(REQUEST, _blocking(release))
        release.set()
        return [await running, await queued, shed, lane.waiting]

    running, queued, shed, waiting = run_in_own_loop(scenario())
    assert (running.status_code, queued.status_code) == (200, 200)
    assert shed.status_code == 503 and shed["Retry-After"] == "1"
    assert waiting == 0


def test_a_request_that_waited_past_the_queue_timeout_is_shed_not_run():
    ran: list[str] = []

    def record(request: HttpRequest) -> HttpResponseBase:
        ran.append("late")
        return HttpResponse()

    async def scenario() -> HttpResponseBase:
        lane = Lane("t", threads=1, max_queued=10, queue_timeout_ms=50)
        release, started = threading.Event(), threading.Event()
        running = asyncio.ensure_future(lane.serve(REQUEST, _blocking(release, started)))
        await asyncio.to_thread(started.wait, 5)
        late = asyncio.ensure_future(lane.serve(REQUEST, record))
        await asyncio.sleep(0.2)
        release.set()
        await running
        return await late

    late = run_in_own_loop(scenario())
    assert late.status_code == 503 and b"try again shortly" in late.content
    assert ran == []


def test_a_client_that_leaves_while_queued_frees_its_place():
    async def scenario() -> int:
        lane = Lane("t", threads=1, max_queued=10, queue_timeout_ms=10_000)
        release, started = threading.Event(), threading.Event()
        running = asyncio.ensure_future(lane.serve(REQUEST, _blocking(release, started)))
        await asyncio.to_thread(started.wait, 5)
        leaving = asyncio.ensure_future(lane.serve(REQUEST, _blocking(release)))
        await asyncio.sleep(0.05)
        leaving.cancel()
        await asyncio.sleep(0.05)
        release.set()
        await running
        return lane.waiting

    assert run_in_own_loop(scenario()) == 0


def test_the_queue_timeout_counts_from_when_the_server_first_saw_the_request():
    ran: list[str] = []

    def record(request: HttpRequest) -> HttpResponseBase:
        ran.append("late")
        return HttpResponse()

    request = RequestFactory().get("/api/v1/issues")
    request.scope = {ARRIVED: time.monotonic() - 5}  # what config/asgi.py stamps on arrival

    lane = Lane("t", threads=1, max_queued=10, queue_timeout_ms=2000)
    late = run_in_own_loop(lane.serve(request, record))
    assert late.status_code == 503 and ran == []
