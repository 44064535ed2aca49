"""The listener's answers: recipients, malformed and oversized mail, retries, database
errors (451, then the retry lands), SMTP mode, and replies found by the key in the subject."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import override_settings

from docket.attachments.models import Attachment
from docket.issues.models import Comment, Issue
from docket.mailin.models import Inbound
from tests.mailin.conftest import Desk, Listener, fixture_bytes, start_listener

PLAIN = (
    b"From: Ann Customer <ann@customer.example>\r\nTo: help@support.example.com\r\n"
    b"Subject: %s\r\nMessage-ID: <%s@customer.example>\r\n\r\n%s\r\n"
)


def plain(subject: str, message_id: str, body: str = "Hello") -> bytes:
    return PLAIN % (subject.encode(), message_id.encode(), body.encode())


def test_an_unknown_recipient_is_refused_at_rcpt(listener: Listener, desk: Desk) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        listener.send(plain("Hi", "a1"), to="nobody@support.example.com")
    [(code, answer)] = refused.value.recipients.values()
    assert code == 550 and b"no such mailbox" in answer
    assert not Inbound.objects.exists()


def test_the_address_is_matched_whatever_its_case(listener: Listener, desk: Desk) -> None:
    assert listener.send(plain("Hi", "a2"), to="Help@Support.Example.COM").endswith("opened")


def test_malformed_mail_is_quarantined_with_its_reason(listener: Listener, desk: Desk) -> None:
    assert listener.send(b"Subject: no sender\r\n\r\nwho am I?\r\n").endswith("quarantined")
    entry = Inbound.objects.get()
    assert entry.reason == "the message has no From header"
    assert b"who am I?" in bytes(entry.raw)
    assert listener.send(b"From: not an address\r\n\r\nx\r\n").endswith("quarantined")
    assert "no address" in Inbound.objects.order_by("-id")[0].reason
    assert not Issue.objects.exists()


def test_too_large_mail_is_quarantined_and_far_too_large_refused(
    listener: Listener, desk: Desk
) -> None:
    body = "x" * 3000
    with override_settings(DOCKET_MAIL_MAX_BYTES=2000, DOCKET_MAIL_KEEP_BYTES=500):
        assert listener.send(plain("Big", "big1", body)).endswith("quarantined")
    entry = Inbound.objects.get()
    assert entry.reason.startswith("too large (") and entry.size > 3000
    assert entry.raw_truncated and len(bytes(entry.raw)) == 2000
    assert not Issue.objects.exists()


def test_the_size_limit_is_announced_and_enforced(desk: Desk) -> None:
    with override_settings(DOCKET_MAIL_MAX_BYTES=1000):
        controller, small = start_listener("smtp")
    try:
        with small.client() as client:
            client.ehlo()
            assert client.esmtp_features["size"] == "2000"
        with pytest.raises(smtplib.SMTPDataError) as refused:
            small.send(plain("Huge", "huge", "y" * 5000))
        assert refused.value.smtp_code == 552
    finally:
        controller.stop()
    assert not Inbound.objects.exists()


def test_smtp_mode_takes_mail_too(desk: Desk) -> None:
    controller, smtp = start_listener("smtp")
    try:
        assert smtp.send(plain("Over SMTP", "s1")).endswith("opened")
    finally:
        controller.stop()
    assert Inbound.objects.get().via == "smtp"


def test_a_retried_message_is_handled_once(listener: Listener, desk: Desk) -> None:
    message = plain("Twice", "same-id")
    assert listener.send(message).endswith("opened")
    assert listener.send(message).endswith("duplicate")
    assert Issue.objects.count() == 1 and Inbound.objects.count() == 1


@contextmanager
def broken_log() -> Iterator[None]:
    """The mail log's table gone for a while: every delivery's write fails in the database."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE mailin_inbound RENAME TO mailin_inbound_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE mailin_inbound_away RENAME TO mailin_inbound")


def test_a_database_error_answers_451_and_the_retry_lands(listener: Listener, desk: Desk) -> None:
    message = fixture_bytes("mail__attach__pdf.eml")
    with broken_log():
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            listener.send(message)
        assert deferred.value.smtp_code == 451
    assert not Issue.objects.exists() and not Attachment.objects.exists()
    assert listener.send(message).endswith("opened")  # the sending server's retry
    assert Attachment.objects.count() == 1


def test_an_oversized_attachment_is_dropped_with_a_note(listener: Listener, desk: Desk) -> None:
    with override_settings(DOCKET_MAX_ATTACHMENT_BYTES=5000):
        answer = listener.send(fixture_bytes("flanker__attach__iphone_jpeg.eml"))
    assert answer.endswith("opened")
    issue = Issue.objects.get()
    assert "Attachment “photo.JPG” (9023 bytes) was not kept: the limit is 5000" in (
        issue.description
    )
    assert not Attachment.objects.exists()


def test_the_key_in_the_subject_makes_a_comment_by_the_reporter(
    listener: Listener, desk: Desk
) -> None:
    assert listener.send(plain("Printer", "k1")).endswith("opened")
    issue = Issue.objects.get()
    reply = plain(f"RE: [{issue.key}] Printer", "k2", "Still broken.\r\n\r\n> Hello")
    assert listener.send(reply).endswith("commented")
    [comment] = Comment.objects.filter(issue=issue)
    assert comment.body == "Still broken." and comment.author_id == issue.reporter_id
    # The same key from someone else: quarantined, nothing added.
    other = reply.replace(b"ann@customer.example", b"zed@elsewhere.example")
    other = other.replace(b"<k2@", b"<k3@")
    assert listener.send(other).endswith("quarantined")
    assert Comment.objects.filter(issue=issue).count() == 1


def test_lmtp_answers_once_per_recipient(listener: Listener, desk: Desk) -> None:
    """RFC 2033: after DATA, one reply per accepted recipient (smtplib's LMTP client reads
    only one, so this speaks the protocol over a plain socket)."""
    desk.project("OPS", "ops@support.example.com")
    with socket.create_connection((listener.host, listener.port), 10) as sock:
        replies = sock.makefile("rb")

        def say(line: bytes) -> None:
            sock.sendall(line + b"\r\n")

        def answer() -> bytes:
            lines = [replies.readline()]
            while lines[-1][3:4] == b"-":
                lines.append(replies.readline())
            return lines[-1]

        assert answer().startswith(b"220")
        say(b"LHLO test")
        assert answer().startswith(b"250")
        say(b"MAIL FROM:<ann@customer.example>")
        assert answer().startswith(b"250")
        for address in (b"help@support.example.com", b"nobody@support.example.com",
                        b"ops@support.example.com"):  # fmt: skip
            say(b"RCPT TO:<" + address + b">")
            assert answer()[:3] == (b"550" if address.startswith(b"nobody") else b"250")
        say(b"DATA")
        assert answer().startswith(b"354")
        sock.sendall(plain("Both desks", "both") + b".\r\n")
        first, second = answer(), answer()
        assert first.startswith(b"250") and b"help@support.example.com" in first
        assert second.startswith(b"250") and b"ops@support.example.com" in second
        say(b"QUIT")
    assert sorted(Issue.objects.values_list("project__key", flat=True)) == ["OPS", "WEB"]
