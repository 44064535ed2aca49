"""Polling IMAP mailboxes (projects with an IMAP host), a worker sweep, with imap-tools.

Per mailbox: fetch unseen messages without marking them (peek), hand each to
`receive.receive` (its own transaction), and only after that committed flag it \\Seen (or
move it to the done folder). A crash in between leaves it unseen; the next poll reads it
again and the Message-ID check makes that a no-op. A mailbox that fails (login, network) gets
its error written on its row for admins and is tried again next period.

NOT tested against a real IMAP server (none runs cheaply here): tests drive `poll_mailbox`
with a stand-in client that has imap-tools' interface (tests/mailin/test_imap.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from docket.core.clock import now
from docket.mailin.models import Mailbox
from docket.mailin.receive import receive

log = logging.getLogger(__name__)
BATCH = 50  # messages per mailbox per poll
TIMEOUT = 30


class Fetched(Protocol):
    @property
    def uid(self) -> str | None: ...
    @property
    def obj(self) -> Any: ...  # email.message.Message, for its raw bytes


class Client(Protocol):
    """The part of imap_tools.MailBox the poller uses."""

    def fetch(self, criteria: Any, *, mark_seen: bool, bulk: bool, limit: int) -> Iterable[Any]: ...
    def flag(self, uids: Any, flag_set: Any, value: bool) -> Any: ...
    def move(self, uids: Any, destination_folder: str) -> Any: ...


def connect(box: Mailbox) -> AbstractContextManager[Any]:
    from imap_tools import MailBox, MailBoxUnencrypted

    kind = MailBox if box.imap_tls else MailBoxUnencrypted
    return kind(box.imap_host, box.imap_port, timeout=TIMEOUT).login(
        box.imap_user, box.imap_password, initial_folder=box.imap_folder or "INBOX"
    )


def poll_all(moment: dt.datetime) -> int:
    handled = 0
    for box in Mailbox.objects.exclude(imap_host="").select_related("project"):
        try:
            with connect(box) as client:
                handled += poll_mailbox(box, client)
            error = ""
        except Exception as exc:  # one failing mailbox must not stop the others
            log.warning("IMAP poll of %s failed: %s", box.address, exc)
            error = f"{type(exc).__name__}: {exc}"[:500]
        Mailbox.objects.filter(pk=box.pk).update(imap_polled_at=now(), imap_last_error=error)
    return handled


def poll_mailbox(box: Mailbox, client: Client) -> int:
    """Handle up to BATCH unseen messages; each is acknowledged only after its commit."""
    from imap_tools import AND, MailMessageFlags

    handled = 0
    for message in client.fetch(AND(seen=False), mark_seen=False, bulk=False, limit=BATCH):
        raw = message.obj.as_bytes() if hasattr(message.obj, "as_bytes") else bytes(message.obj)
        receive(raw, box, via="imap", recipient=box.address)
        if box.imap_done_folder:
            client.move([message.uid], box.imap_done_folder)
        else:
            client.flag([message.uid], MailMessageFlags.SEEN, True)
        handled += 1
    return handled
