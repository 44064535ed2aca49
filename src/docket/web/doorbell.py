"""The optional Redis doorbell for live updates (`DOCKET_LIVE_BACKEND=redis`).

Redis only rings the bell: after each transaction that wrote issue events commits, the
writing process publishes the newest event id on the `docket:live` channel, and every
server process subscribed to it reads the new events from the database at once (the same
`tick` as the poller) instead of waiting for its next poll. The event log stays the source
of truth and visibility is still checked against the database, so a lost message costs
latency, never correctness: a slow safety poll (`DOCKET_LIVE_POLL_MS`, 5 s by default with
this backend) catches anything missed, and while the subscription is down the poller falls
back to its normal pace.

Speaks just enough RESP over plain sockets (PUBLISH; SUBSCRIBE on asyncio streams) that no
client library is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

log = logging.getLogger(__name__)

CHANNEL = "docket:live"
TIMEOUT = 0.5  # seconds for connecting and publishing; never hold up a request for long
RETRY_AFTER = 5.0  # seconds without trying again after Redis failed


@dataclass(frozen=True)
class Address:
    host: str
    port: int
    password: str | None

    @classmethod
    def parse(cls, url: str) -> Address:
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise ValueError(f"DOCKET_REDIS_URL must start with redis://, not {url[:20]!r}")
        password = unquote(parts.password) if parts.password else None
        return cls(parts.hostname or "127.0.0.1", parts.port or 6379, password)


def command(*words: str) -> bytes:
    out = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


# --- publishing (any process that writes issue events) ------------------------------------------


class Publisher:
    def __init__(self, address: Address):
        self.address = address
        self.sock: socket.socket | None = None
        self.lock = threading.Lock()
        self.failed_at = 0.0

    def ring(self, event_id: int) -> None:
        if time.monotonic() - self.failed_at < RETRY_AFTER:
            return
        with self.lock:
            try:
                if self.sock is None:
                    self.sock = self._connect()
                self.sock.sendall(command("PUBLISH", CHANNEL, str(event_id)))
                reply = self.sock.recv(64)
                if not reply.startswith(b":"):
                    raise OSError(f"unexpected reply {reply[:30]!r}")
            except OSError as error:
                self.failed_at = time.monotonic()
                self._close()
                log.warning("live updates: Redis publish failed (%s); polling covers it", error)

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.address.host, self.address.port), TIMEOUT)
        sock.settimeout(TIMEOUT)
        if self.address.password:
            sock.sendall(command("AUTH", self.address.password))
            if not sock.recv(64).startswith(b"+OK"):
                sock.close()
                raise OSError("Redis refused the password")
        return sock

    def _close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = None


_publisher: Publisher | None = None


def _after_event_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and _publisher is not None:
        event_id, publisher = instance.id, _publisher
        transaction.on_commit(lambda: publisher.ring(event_id))


def install() -> None:
    """Publish every new issue event after commit (called from the web app's `ready`)."""
    global _publisher
    if settings.DOCKET_LIVE_BACKEND != "redis" or _publisher is not None:
        return
    from docket.issues.models import IssueEvent

    _publisher = Publisher(Address.parse(settings.DOCKET_REDIS_URL))
    post_save.connect(_after_event_saved, sender=IssueEvent, dispatch_uid="docket-live-redis")


# --- listening (each server process with open streams) ----------------------------------------


async def _reply(reader: asyncio.StreamReader) -> Any:
    line = (await reader.readuntil(b"\r\n"))[:-2]
    kind, rest = line[:1], line[1:]
    if kind == b"*":
        return [await _reply(reader) for _ in range(int(rest))]
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else (await reader.readexactly(size + 2))[:-2]
    if kind == b"-":
        raise OSError(rest.decode(errors="replace"))
    return rest


async def listen(ring: asyncio.Event, connected: asyncio.Event) -> None:
    """Set `ring` on each message of the channel; `connected` while subscribed. Reconnects
    (every RETRY_AFTER seconds) until cancelled."""
    address = Address.parse(settings.DOCKET_REDIS_URL)
    while True:
        writer = None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address.host, address.port), TIMEOUT * 4
            )
            if address.password:
                writer.write(command("AUTH", address.password))
                await writer.drain()
                await _reply(reader)
            writer.write(command("SUBSCRIBE", CHANNEL))
            await writer.drain()
            await _reply(reader)  # the subscription's confirmation
            connected.set()
            ring.set()  # catch up on anything published while we were away
            while True:
                message = await _reply(reader)
                if isinstance(message, list) and message[:1] == [b"message"]:
                    ring.set()
        except (OSError, EOFError, ValueError, asyncio.IncompleteReadError, TimeoutError) as error:
            if connected.is_set():
                log.warning("live updates: Redis subscription lost (%s); polling meanwhile", error)
            connected.clear()
        finally:
            if writer is not None:
                writer.close()
        await asyncio.sleep(RETRY_AFTER)
