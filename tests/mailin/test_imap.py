"""The IMAP poller's logic with imap-tools' own message objects and a stand-in mailbox (no
IMAP server runs here cheaply: the network path is NOT tested against a real server).
Messages are flagged or moved only after their transaction committed, and a failure leaves
them unseen for the next poll."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from imap_tools import MailMessage

from docket.core.clock import now
from docket.issues.models import Issue
from docket.mailin import imap
from docket.mailin.models import Inbound, Mailbox
from tests.mailin.conftest import Desk, fixture_bytes


@dataclass
class StandIn:
    """imap_tools.MailBox's fetch/flag/move, over messages in memory."""

    messages: dict[str, bytes]
    seen: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)

    def fetch(self, criteria: Any, *, mark_seen: bool, bulk: bool, limit: int) -> Any:
        assert not mark_seen  # peeking: a message is seen only once handled
        assert "UNSEEN" in str(criteria)
        for uid, raw in list(self.messages.items())[:limit]:
            if uid not in self.seen and uid not in (m[0] for m in self.moved):
                message = MailMessage.from_bytes(raw)
                message._raw_uid_data = f"1 (UID {uid} FLAGS ())".encode()
                yield message

    def flag(self, uids: Any, flag_set: Any, value: bool) -> None:
        assert not connection.in_atomic_block  # after the commit
        self.seen.extend(uids)

    def move(self, uids: Any, destination_folder: str) -> None:
        assert not connection.in_atomic_block
        self.moved.extend((uid, destination_folder) for uid in uids)


def _box(desk: Desk, **imap_settings: Any) -> Mailbox:
    Mailbox.objects.filter(project=desk.web).update(imap_host="imap.example", **imap_settings)
    return Mailbox.objects.get(project=desk.web)


def test_unseen_messages_are_handled_then_flagged(desk: Desk) -> None:
    client = StandIn({"7": fixture_bytes("mail__charset__shift_jis.eml"),
                      "8": fixture_bytes("flanker__auto__read_receipt_mdn.eml")})  # fmt: skip
    assert imap.poll_mailbox(_box(desk), client) == 2
    assert client.seen == ["7", "8"]
    assert sorted(Inbound.objects.values_list("outcome", "via")) == [
        ("ignored", "imap"),
        ("opened", "imap"),
    ]
    assert "このメールはテスト用のメールです" in Issue.objects.get().description
    assert imap.poll_mailbox(_box(desk), client) == 0  # nothing unseen left


def test_handled_messages_move_to_the_done_folder(desk: Desk) -> None:
    client = StandIn({"3": fixture_bytes("mail__plain__basic_email.eml")})
    imap.poll_mailbox(_box(desk, imap_done_folder="Docket"), client)
    assert client.moved == [("3", "Docket")] and client.seen == []


def test_a_failure_leaves_the_message_unseen(desk: Desk, monkeypatch: Any) -> None:
    client = StandIn({"5": fixture_bytes("mail__plain__basic_email.eml")})

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(imap, "receive", broken)
    with pytest.raises(RuntimeError):
        imap.poll_mailbox(_box(desk), client)
    assert client.seen == [] and not Inbound.objects.exists()


def test_a_mailbox_that_cannot_connect_records_its_error(desk: Desk) -> None:
    _box(desk, imap_port=1, imap_user="help", imap_tls=False)  # nothing listens on port 1
    assert imap.poll_all(now()) == 0
    box = Mailbox.objects.get(project=desk.web)
    assert box.imap_last_error and box.imap_polled_at is not None
