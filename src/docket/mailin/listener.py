"""`docket mail`: an LMTP (default) or SMTP server on aiosmtpd that a mail server hands a
project's mail to (docs/mail.md).

- RCPT TO an address no project has: 550 at once (the sending server bounces it; nothing is
  taken in that we could lose). A known one: 250.
- DATA: each recipient project's copy is handled by `receive.receive` in its own transaction
  on the database thread; the answer is 250 only after it committed. A database error (or
  any other failure) answers 451, so the sending server keeps the message and tries again:
  a crash never loses mail, and the Message-ID check makes a retry of a message that did
  commit a no-op. LMTP answers once per recipient (RFC 2033), SMTP once.
- Messages over twice DOCKET_MAIL_MAX_BYTES are refused (552) by the SIZE limit; between
  the limit and that, they are kept in the quarantine as "too large".

Database work runs on one thread of its own (Django connections are per thread; SQLite takes
one writer at a time anyway), never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connection, connections

from docket.mailin.models import Mailbox
from docket.mailin.receive import Result, is_reply_address, mailboxes_for, receive

log = logging.getLogger(__name__)
DATABASE_THREADS = 4  # on PostgreSQL


def parse_listen(value: str) -> tuple[str, int]:
    """ "host:port" (or "[::1]:port") → (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"DOCKET_MAIL_LISTEN must be host:port, not {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


class MailHandler:
    """aiosmtpd's handler: the recipient check and the delivery."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        # SQLite takes one writer at a time: one thread. PostgreSQL takes several: messages
        # on different connections are handled side by side.
        self.threads = 1 if connection.vendor == "sqlite" else DATABASE_THREADS
        self.database = ThreadPoolExecutor(self.threads, thread_name_prefix="docket-mail-db")

    def close(self) -> None:
        """Close the database threads' connections, then the threads."""
        threads = self.threads
        barrier = threading.Barrier(threads)

        def close_this_threads_connection() -> None:
            barrier.wait(10)  # one call per thread: each waits for the others
            connections.close_all()

        for done in [self.database.submit(close_this_threads_connection) for _ in range(threads)]:
            done.result()
        self.database.shutdown(wait=True)

    async def _in_database(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.database, function, *args)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:  # fmt: skip
        try:
            known = await self._in_database(_known_address, address)
        except Exception:
            log.exception("mail: looking up %s failed", address)
            return "451 4.3.0 Temporary failure; try again later"
        if not known:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail_from = envelope.mail_from or ""
        answers = [
            await self._deliver(raw, recipient, mail_from) for recipient in envelope.rcpt_tos
        ]
        if self.mode == "lmtp":  # one answer per recipient, the last one returned
            for answer in answers[:-1]:
                await server.push(answer)
            return answers[-1]
        failed = [a for a in answers if not a.startswith("250")]
        return failed[0] if failed else answers[-1]

    async def _deliver(self, raw: bytes, recipient: str, mail_from: str) -> str:
        try:
            result: Result | None = await self._in_database(
                _deliver, raw, recipient, mail_from, self.mode
            )
        except Exception:
            log.exception("mail to %s: handling failed; the sender will retry", recipient)
            return "451 4.3.0 Temporary failure; try again later"
        if result is None:
            return f"550 5.1.1 <{recipient}>: no such mailbox here"
        return f"250 2.0.0 <{recipient}> {result.outcome}"


def _known_address(address: str) -> bool:
    """A project's address, or the notification address (replies to issues only)."""
    close_old_connections()
    wanted = address.strip().lower()
    return is_reply_address(wanted) or Mailbox.objects.filter(address=wanted).exists()


def _deliver(raw: bytes, recipient: str, mail_from: str, mode: str) -> Result | None:
    close_old_connections()
    try:
        boxes = mailboxes_for([recipient])
        if not boxes and not is_reply_address(recipient):
            return None  # removed since RCPT
        return receive(raw, boxes[0] if boxes else None, via=mode, recipient=recipient,
                       envelope_sender=mail_from)  # fmt: skip
    except Exception:
        connection.close()  # a broken connection is not reused for the next message
        raise


# Lines longer than RFC 5321's 1,000 octets arrive from real senders (the fixtures have
# some); refusing them would bounce a customer's mail, so the listener takes up to 64 KiB.
LONG_LINES = 64 * 1024


class LenientSMTP(SMTP):
    line_length_limit = LONG_LINES


class LenientLMTP(LMTP):
    line_length_limit = LONG_LINES


class MailController(Controller):
    """The listener on a thread of its own (aiosmtpd's Controller), as LMTP or SMTP."""

    def __init__(self, host: str, port: int, mode: str | None = None) -> None:
        self.mode = (mode or str(settings.DOCKET_MAIL_MODE)).lower()
        if self.mode not in ("lmtp", "smtp"):
            raise ValueError(f"DOCKET_MAIL_MODE must be lmtp or smtp, not {self.mode!r}")
        super().__init__(
            MailHandler(self.mode), hostname=host, port=port,
            data_size_limit=2 * int(settings.DOCKET_MAIL_MAX_BYTES),
        )  # fmt: skip

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        self.handler.close()

    def factory(self) -> SMTP:
        server_class = LenientLMTP if self.mode == "lmtp" else LenientSMTP
        return server_class(self.handler, **self.SMTP_kwargs)
