"""Lanes: the threads a server process runs synchronous requests on.

Reads and writes each get a lane of a few long-lived threads (config/asgi.py routes them),
each thread keeping its database connection across requests. A read never queues behind a
write waiting for a lock. Each lane's queue is bounded: a request that finds
DOCKET_MAX_QUEUED others waiting, or that waited DOCKET_QUEUE_TIMEOUT_MS before a thread
took it (counted from when the server first saw it), is shed with 503 + Retry-After, so an
overloaded server answers at once instead of seconds late (and the client that gave up does
not cost a thread).

A request crosses to its lane's thread with the executor and a copy of its context, not
asgiref's `sync_to_async`, whose bookkeeping (thread-sensitive executors, a shielded future,
every context variable copied back afterwards) cost ~0.1 ms a request on this machine and
served nothing here: the views never call back into the event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase

from docket.core.db_faults import respond, respond_at

READ_METHODS = ("GET", "HEAD", "OPTIONS")
SHED_RETRY_AFTER_SECONDS = 1


class _Ticket:
    __slots__ = ("queued_at", "started")

    def __init__(self, queued_at: float):
        self.queued_at = queued_at
        self.started = False


class Lane:
    """Long-lived threads for one kind of request, with a bounded queue in front."""

    def __init__(self, name: str, threads: int, max_queued: int, queue_timeout_ms: int):
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix=f"docket-{name}")
        self.capacity = threads + max_queued  # running and waiting at most
        self.max_queued = max_queued
        self.queue_timeout = queue_timeout_ms / 1000
        self.waiting = 0
        self._lock = threading.Lock()

    async def serve(
        self, request: HttpRequest, handle: Callable[[HttpRequest], HttpResponseBase]
    ) -> HttpResponseBase:
        if self.waiting >= self.max_queued:
            return _shed(request)
        ticket = _Ticket(arrival(request))
        with self._lock:
            self.waiting += 1
        context = contextvars.copy_context()
        running = self.executor.submit(context.run, self._run, ticket, request, handle)
        try:
            try:
                return await asyncio.wrap_future(running)
            except asyncio.CancelledError:
                # The client left. Not started yet: it never will be (the cancel took).
                # Started: its thread finishes it first, as with any request in flight.
                if not running.cancel():
                    await asyncio.wrap_future(running)
                raise
        finally:
            with self._lock:
                if not ticket.started:  # the client left before a thread took it
                    self.waiting -= 1

    def _run(
        self,
        ticket: _Ticket,
        request: HttpRequest,
        handle: Callable[[HttpRequest], HttpResponseBase],
    ) -> HttpResponseBase:
        with self._lock:
            self.waiting -= 1
            ticket.started = True
        if time.monotonic() - ticket.queued_at > self.queue_timeout:
            return _shed(request)
        # Django closes expired or broken connections on its request signals, which fire on
        # another thread; this thread's connection is checked here, before and after.
        close_old_connections()
        try:
            return handle(request)
        finally:
            close_old_connections()


ARRIVED = "docket.arrived"  # the ASGI scope's key for when the server first saw the request


def arrival(request: HttpRequest) -> float:
    """When the request reached the server (time.monotonic()): the queue timeout counts the
    time it spent before its lane too, not only in the lane's queue."""
    scope = getattr(request, "scope", None)
    return scope.get(ARRIVED, time.monotonic()) if scope else time.monotonic()


BUSY_TITLE = "Server busy"
BUSY_DETAIL = "the server has more requests waiting than it can answer promptly; try again shortly"


def _shed(request: HttpRequest) -> HttpResponseBase:
    return respond(request, 503, BUSY_TITLE, BUSY_DETAIL, SHED_RETRY_AFTER_SECONDS)


def shed_at(path: str) -> HttpResponseBase:
    """The same refusal before a request exists (config/asgi.py, a process past its cap)."""
    return respond_at(path, 503, BUSY_TITLE, BUSY_DETAIL, SHED_RETRY_AFTER_SECONDS)
