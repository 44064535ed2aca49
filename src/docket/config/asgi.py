"""The ASGI application `docket serve` runs.

Two departures from Django's ASGIHandler, both about the cost of crossing from the event
loop to synchronous code:

- Django gives every request its own thread for synchronous code (ThreadSensitiveContext).
  Database connections belong to a thread, so that means a new database connection per
  request (measured: two connects per request, ~40% of the time of a small read). Docket's
  views are synchronous and short; they run on a few long-lived threads per process, each
  keeping its connection (and SQLite's page cache) across requests: a lane for reads and
  one for writes, with bounded queues (core/lanes.py). One shared thread let one writer
  blocked on a lock stall every request, /healthz included.
- Django's async middleware chain crosses to that thread and back for every hook of every
  classic middleware (session, CSRF, auth, messages, …: ~14 crossings, ~2.5 ms a request
  here). A request for a synchronous view instead runs the synchronous chain, view and all,
  in one crossing. Async views (live updates) keep the async chain and run on the event
  loop, side by side.
- Django's `handle` crosses twice more per request, for work that only touches the thread it
  runs on: the request_started receivers (`asend` runs them on another thread) and
  `response.close()` (request_finished: close this thread's database connections). Here
  request_started is sent on the event loop, whose thread holds no connection, and a whole
  (not streamed) response is closed on its lane's thread, after the view, where
  request_finished's `close_old_connections` is about the connection the view used. One
  crossing per request is left; measured with a do-nothing view, 3 crossings -> 1 saved
  ~0.2 ms of the ~1 ms a request cost in-process (docs/benchmark.md, issue 20).
"""

import asyncio
import contextlib
import gc
import os
import time
from typing import Any

import django
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, get_resolver, set_script_prefix

from docket.core.lanes import ARRIVED, READ_METHODS, Lane, shed_at

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")
django.setup(set_prefix=False)


# With several server processes on one socket, a keep-alive connection stays with the process
# that accepted it, and clients reuse their most recent connection: at 100 req/s one of two
# processes took 2–5× the other's share and the busy one set the latency. A busy process
# (this request and two more in flight) asks the client to reconnect after this answer; the
# new connection goes to a process waiting in accept, i.e. an idle one. Measured at 100 req/s,
# four alternating pairs: the busier process's share 0.52–0.78 cores → 0.43–0.55, p95 median
# 84 → 54 ms. `docket serve` sets DOCKET_SERVER_PROCESSES.
BUSY_IN_FLIGHT = 3


class DocketASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.rebalance = int(os.environ.get("DOCKET_SERVER_PROCESSES", "1")) > 1
        self._sync = BaseHandler()
        self._sync.load_middleware(is_async=False)
        self._reads = Lane(
            "read",
            settings.DOCKET_READ_THREADS,
            settings.DOCKET_MAX_QUEUED,
            settings.DOCKET_QUEUE_TIMEOUT_MS,
        )
        self._writes = Lane(
            "write",
            settings.DOCKET_WRITE_THREADS,
            settings.DOCKET_WRITE_MAX_QUEUED,
            settings.DOCKET_WRITE_QUEUE_TIMEOUT_MS,
        )
        # Requests between arrival and a lane (reading the body, Django's request signals)
        # count too: both lanes full and queued is the most a process takes on.
        self.most_in_flight = self._reads.capacity + self._writes.capacity

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Docket can only handle HTTP connections, not {scope['type']}.")
        scope[ARRIVED] = time.monotonic()
        if self.in_flight >= self.most_in_flight:
            # Past what the lanes can queue: refuse before reading the body or building a
            # request, so a flood costs each refused request as little as possible.
            await self.send_response(shed_at(scope["path"]), send)
            return
        self.in_flight += 1
        try:
            await self.handle(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Django's ASGIHandler.handle (5.2) with its two extra thread crossings left out
        (see the module docstring); everything else as there, the disconnect watch included
        (a client that leaves while its request is queued frees its place: core/lanes.py)."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None  # noqa: S101 - Django gives one or the other
            body_file.close()
            await self.send_response(error_response, send)
            error_response.close()
            return

        async def process_request(request: HttpRequest, send: Any) -> HttpResponseBase:
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client left meanwhile
                await self.send_response(response, send)
            return response

        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        served = asyncio.create_task(process_request(request, send))
        tasks = [listening, served]  # checked, and cancelled if pending, in this order
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = served.result()
        except asyncio.CancelledError:
            signals.request_finished.send(sender=self.__class__)
        else:
            if not response.closed:  # a stream, or an async view's answer
                await sync_to_async(response.close)()
        body_file.close()

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        if _async_view(request):
            return await super().get_response_async(request)
        lane = self._reads if request.method in READ_METHODS else self._writes
        response = await lane.serve(request, self._respond)
        if self.rebalance and self.in_flight >= BUSY_IN_FLIGHT:
            response["Connection"] = "close"
        return response

    def _respond(self, request: HttpRequest) -> HttpResponseBase:
        """The synchronous chain, on a lane's thread; a whole response is closed there."""
        response = self._sync.get_response(request)
        if not response.streaming:
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            response.close()
        return response


def _async_view(request: HttpRequest) -> bool:
    try:
        match = get_resolver().resolve(request.path_info)
    except Resolver404:
        return False  # the synchronous chain answers with the 404
    return iscoroutinefunction(match.func)


application = DocketASGIHandler()
# Everything loaded so far lives as long as the process: keep it out of the garbage
# collector's full passes (they took up to 137 ms on a loaded machine; half that frozen).
gc.collect()
gc.freeze()
