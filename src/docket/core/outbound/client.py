"""POSTing to a user-given URL: through the guarded backend (guard.py), no redirects followed,
no proxies from the environment, a time limit per attempt and only the start of the answer
kept. One connection pool per process (keep-alive to the same receivers between deliveries).

Never call this inside a database transaction: a receiver that takes its time would hold the
transaction (and on SQLite the write lock) with it.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore

from docket.core.outbound.guard import GuardedBackend, Refused, policy

MAX_KEPT_BYTES = 4096  # of a receiver's answer, for the delivery log
USER_AGENT = "Docket-Webhooks/1"

_pool: httpcore.ConnectionPool | None = None
_pool_lock = threading.Lock()


@dataclass(frozen=True)
class Answer:
    """How one attempt went: the status (None when there was no answer), the start of the
    body, what went wrong (empty when the receiver answered), and how long it took."""

    status: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a target (None when it may be): http(s), a host, no credentials."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must start with https:// (or http://)"
    if not parts.hostname:
        return "has no host"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    return None


def target_problem(url: str) -> str | None:
    """What is wrong with `url` as a target when it is saved: its form, or an IP literal the
    SSRF policy refuses (a name is checked at each connection: its addresses may change)."""
    problem = url_problem(url)
    if problem:
        return problem
    host = urlsplit(url).hostname or ""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return None
    rules = policy()
    if rules.allows(literal) or rules.allows_host(host):
        return None
    return f"{host} is not a public address (not allowed)"


def pool() -> httpcore.ConnectionPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = httpcore.ConnectionPool(
                ssl_context=ssl.create_default_context(),
                network_backend=GuardedBackend(),
                max_connections=64,
                keepalive_expiry=30,
            )
        return _pool


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = 10.0) -> Answer:
    """POST `body` to `url`; never raises for what the network or the receiver does."""
    started = time.monotonic()
    problem = url_problem(url)
    if problem:
        return Answer(None, "", f"the URL {problem}", 0)
    sent = {"User-Agent": USER_AGENT, **headers, "Content-Length": str(len(body))}
    limits = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    try:
        with pool().stream(
            "POST", url, headers=list(sent.items()), content=body,
            extensions={"timeout": limits},
        ) as response:  # fmt: skip
            kept = _read_capped(response, started + timeout)
            status = response.status
    except Refused as refused:
        return Answer(None, "", f"refused: {refused}", _ms(started))
    except httpcore.TimeoutException:
        return Answer(None, "", f"no answer within {timeout:g} s", _ms(started))
    except (httpcore.NetworkError, httpcore.ProtocolError, ssl.SSLError, OSError) as failed:
        return Answer(None, "", f"{type(failed).__name__}: {failed}"[:500], _ms(started))
    except _TooSlow:
        return Answer(None, "", f"the answer took more than {timeout:g} s", _ms(started))
    except Exception as odd:  # a URL httpcore cannot take (IDNA, …): the attempt fails, no more
        return Answer(None, "", f"cannot send: {type(odd).__name__}: {odd}"[:500], _ms(started))
    text = kept.decode("utf-8", errors="replace")
    if 300 <= status < 400:
        return Answer(status, text, "redirects are not followed", _ms(started))
    return Answer(status, text, "", _ms(started))


class _TooSlow(Exception):
    pass


def _read_capped(response: httpcore.Response, deadline: float) -> bytes:
    """The first MAX_KEPT_BYTES of the body; the rest is not read (the connection is dropped
    instead of drained). A body trickling in past the deadline fails the attempt."""
    kept = b""
    for chunk in response.iter_stream():
        kept += chunk
        if len(kept) >= MAX_KEPT_BYTES:
            return kept[:MAX_KEPT_BYTES]
        if time.monotonic() > deadline:
            raise _TooSlow
    return kept


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
