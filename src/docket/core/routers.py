"""Reads that tolerate lag go to a read replica; everything else to the primary.

With `DOCKET_DATABASE_REPLICA_URL` set, settings add a `replica` database alias. Nothing is
sent there by default: only code inside `reads_may_lag()` (the issue lists, search and the
dashboard) reads from it, and even there the primary serves the read when

- the request belongs to a browser that wrote in the last `DOCKET_REPLICA_STICKY_SECONDS`
  (the `docket_wrote` cookie set by `ReadYourWrites`), so a user never sees a list without
  the issue they just filed;
- the code already wrote in this request or runs inside a transaction on the primary (the
  replica could not see those rows yet);
- the replica cannot be reached: a failed connection (or failed health check) is logged once
  and the primary serves the replica's reads for `REPLICA_RETRY_SECONDS`, after which the
  next marked read tries the replica again. A replica that goes down therefore costs at most
  the request that was using it when it went, not every list page until it is back.

All writes and all migrations go to the primary. Without the setting there is one alias and
this router returns it for everything.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"
WROTE_COOKIE = "docket_wrote"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPLICA_RETRY_SECONDS = 5.0  # after a failed connection, how long the primary stands in

logger = logging.getLogger(__name__)


@dataclass
class _LagScope:
    wrote: bool = False  # a write inside pins the scope's later reads to the primary


_lag_scope: ContextVar[_LagScope | None] = ContextVar("docket_reads_may_lag", default=None)
_primary_only: ContextVar[bool] = ContextVar("docket_primary_only", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def reads_may_lag() -> Iterator[None]:
    """Reads inside may be served by the replica (seconds behind the primary)."""
    token = _lag_scope.set(_LagScope())
    try:
        yield
    finally:
        _lag_scope.reset(token)


@contextlib.contextmanager
def primary_only() -> Iterator[None]:
    """Every read inside goes to the primary, even within `reads_may_lag()`."""
    token = _primary_only.set(True)
    try:
        yield
    finally:
        _primary_only.reset(token)


class _ReplicaHealth:
    """Whether this process may use the replica: after a failed connection the primary serves
    its reads until `retry_at` (one log line per outage, not one per request)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.retry_at = 0.0  # time.monotonic(); 0: the replica is believed up
        self.outage_started = 0.0

    def usable(self) -> bool:
        if self.retry_at and time.monotonic() < self.retry_at:
            return False
        connection = connections[REPLICA]  # this thread's connection
        try:
            # Once per request (CONN_HEALTH_CHECKS): a persistent connection to a replica
            # that restarted or died is dropped here, and a new one is opened.
            connection.close_if_health_check_failed()
            if connection.connection is None:  # ensure_connection(), which tests forbid here
                with connection.wrap_database_errors:
                    connection.connect()
        except DatabaseError as exc:
            connection.close()
            self._failed(exc)
            return False
        if self.retry_at:
            self._recovered()
        return True

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            first = not self.retry_at
            now = time.monotonic()
            if first:
                self.outage_started = now
            self.retry_at = now + REPLICA_RETRY_SECONDS
        if first:
            logger.warning(
                "read replica unreachable, the primary serves its reads (retry every %.0f s): %s",
                REPLICA_RETRY_SECONDS,
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            )

    def _recovered(self) -> None:
        with self._lock:
            if not self.retry_at:
                return
            down_for = time.monotonic() - self.outage_started
            self.retry_at = self.outage_started = 0.0
        logger.warning("read replica reachable again after %.0f s", down_for)

    def reset(self) -> None:
        with self._lock:
            self.retry_at = self.outage_started = 0.0


replica_health = _ReplicaHealth()


def _replica_may_serve() -> bool:
    scope = _lag_scope.get()
    return (
        scope is not None
        and not scope.wrote
        and not _primary_only.get()
        and replica_configured()
        and not connections[PRIMARY].in_atomic_block
        and replica_health.usable()
    )


class ReplicaRouter:
    """Django database router (settings.DATABASE_ROUTERS)."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return REPLICA if _replica_may_serve() else PRIMARY

    def db_for_write(self, model: type, **hints: Any) -> str:
        scope = _lag_scope.get()
        if scope is not None:  # later reads in this scope must see this write
            scope.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two connections to it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


class ReadYourWrites:
    """Middleware: a browser that wrote reads from the primary for the next few seconds.

    The marker is a cookie (no server state, so it holds across app processes); its lifetime,
    `DOCKET_REPLICA_STICKY_SECONDS`, should exceed the replica's worst lag."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        recently_wrote = WROTE_COOKIE in request.COOKIES or request.method in UNSAFE_METHODS
        token = _primary_only.set(recently_wrote)
        try:
            response = self.get_response(request)
        finally:
            _primary_only.reset(token)
        if request.method in UNSAFE_METHODS:
            response.set_cookie(
                WROTE_COOKIE,
                "1",
                max_age=settings.DOCKET_REPLICA_STICKY_SECONDS,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response
