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
"""

import gc
import os
import time
from typing import Any

import django
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, get_resolver

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

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        if _async_view(request):
            return await super().get_response_async(request)
        lane = self._reads if request.method in READ_METHODS else self._writes
        response = await lane.serve(request, self._sync.get_response)
        if self.rebalance and self.in_flight >= BUSY_IN_FLIGHT:
            response["Connection"] = "close"
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
