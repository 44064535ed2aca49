"""Replies to Docket's own notification mail, and the loop between two Docket projects: the
real notification pipeline (consumer, mail sweep, job runner, a real SMTP server) makes the
mail, the real listener takes it in."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

import pytest

from docket.issues import comments, watching
from docket.issues.models import Comment, Issue
from docket.mailin.models import Inbound
from docket.projects.models import Membership, Role
from tests.factories import UserFactory, make_issue
from tests.mail import SmtpServer
from tests.mailin.conftest import Desk, Listener, fixture_bytes
from tests.notifications.conftest import clock, cursor_at_the_end, dispatch_all, mail_due

__all__ = ["clock"]  # a fixture


def _notification_to(smtp_server: SmtpServer, address: str) -> EmailMessage:
    [mail] = [m for m in smtp_server.delivered() if m["To"] == address]
    return mail


def _reply(to: EmailMessage, sender: str, text: str) -> bytes:
    """What a person's mail client sends when they answer `to`."""
    return (
        f"From: {sender}\r\nTo: help@support.example.com\r\nSubject: Re: {to['Subject']}\r\n"
        f"Message-ID: <reply-{abs(hash(text))}@client.example>\r\n"
        f"In-Reply-To: {to['Message-ID']}\r\n"
        f"References: {to.get('References', '')} {to['Message-ID']}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n\r\nOn Mon, 7 Dec 2026 at 10:00, Docket <docket@example.com> wrote:\r\n"
        "> alice commented:\r\n> Can you try again?\r\n"
    ).encode()


@pytest.fixture
def notified(desk: Desk, clock: Any, smtp_server: SmtpServer) -> tuple[Issue, SmtpServer]:
    """An issue of WEB that bob watches, and alice's comment on it mailed to him."""
    cursor_at_the_end()
    issue = make_issue(desk.alice, desk.web, title="Printer on fire")
    watching.watch(actor=desk.bob, issue=issue)
    comments.add_comment(actor=desk.alice, issue=issue, body="Can you try again?")
    dispatch_all()
    assert mail_due(clock) == 1
    return issue, smtp_server


def test_a_staff_reply_to_a_notification_is_a_comment_without_the_quote(
    listener: Listener, desk: Desk, notified: tuple[Issue, SmtpServer]
) -> None:
    issue, smtp_server = notified
    mail = _notification_to(smtp_server, desk.bob.email)
    assert mail["Auto-Submitted"] == "auto-generated"  # notifications mark their mail
    answer = listener.send(_reply(mail, "Bob <bob@staff.example>", "Tried again: works."))
    assert answer.endswith("commented")
    comment = Comment.objects.filter(issue=issue).order_by("-id").first()
    assert comment is not None
    assert (comment.author_id, comment.body) == (desk.bob.pk, "Tried again: works.")


def test_a_stranger_answering_a_notification_thread_is_quarantined(
    listener: Listener, desk: Desk, notified: tuple[Issue, SmtpServer]
) -> None:
    issue, smtp_server = notified
    mail = _notification_to(smtp_server, desk.bob.email)
    UserFactory(username="mallory", email="mallory@elsewhere.example")
    answer = listener.send(_reply(mail, "mallory@elsewhere.example", "Let me in"))
    assert answer.endswith("quarantined")
    entry = Inbound.objects.get(sender="mallory@elsewhere.example")
    assert entry.reason.startswith(f"mallory@elsewhere.example may not comment on {issue.key}")
    assert Comment.objects.filter(issue=issue).count() == 1  # alice's only


def test_the_loop_between_two_projects_stops_at_the_first_hop(
    listener: Listener, desk: Desk, clock: Any, smtp_server: SmtpServer
) -> None:
    """A's notification goes to someone whose address is B's; B must not open an issue (which
    would notify, and A would answer, …)."""
    ops = desk.project("OPS", "ops@support.example.com")
    relay = UserFactory(username="relay", email="ops@support.example.com")
    Membership.objects.create(project=desk.web, user=relay, role=Role.MEMBER)
    cursor_at_the_end()
    issue = make_issue(desk.alice, desk.web, title="Disk full")
    watching.watch(actor=relay, issue=issue)
    comments.add_comment(actor=desk.alice, issue=issue, body="Cleaning up")
    dispatch_all()
    assert mail_due(clock) == 1
    mail = _notification_to(smtp_server, "ops@support.example.com")
    answer = listener.send(mail.as_bytes(), to="ops@support.example.com")
    assert answer.endswith("ignored")
    entry = Inbound.objects.get(project=ops)
    assert entry.reason.startswith("ignored: loop")
    # Another Docket (another host name in its Message-IDs, no X-Docket-Issue): still an
    # auto-generated message, so still not an issue.
    del mail["X-Docket-Issue"]
    del mail["Message-ID"]
    mail["Message-ID"] = "<issue-1-2-abc@other-docket.example>"
    assert listener.send(mail.as_bytes(), to="ops@support.example.com").endswith("ignored")
    assert not Issue.objects.filter(project=ops).exists()
    assert Inbound.objects.filter(project=ops, outcome="ignored").count() == 2


def test_replies_to_the_notification_address_reach_the_issue(
    listener: Listener, desk: Desk, notified: tuple[Issue, SmtpServer]
) -> None:
    """Staff answer the notification itself: its From address, which no project has."""
    issue, smtp_server = notified
    mail = _notification_to(smtp_server, desk.bob.email)
    notification_address = parseaddr(mail["From"])[1]
    reply = _reply(mail, "Bob <bob@staff.example>", "On it.")
    assert listener.send(reply, to=notification_address).endswith("commented")
    entry = Inbound.objects.get(outcome="commented")
    assert (entry.project, entry.issue, entry.recipient) == (desk.web, issue, notification_address)
    # A bounce of a notification comes back to that address too: ignored, never quarantined.
    bounce = fixture_bytes("flanker__bounce__dsn_mailbox_full.eml")
    assert listener.send(bounce, to=notification_address).endswith("ignored")
    # Mail to it that answers no issue is kept for an admin.
    stray = b"From: bob@staff.example\r\nSubject: Lunch?\r\nMessage-ID: <l1@x>\r\n\r\nNoon\r\n"
    assert listener.send(stray, to=notification_address).endswith("quarantined")
    kept = Inbound.objects.get(outcome="quarantined")
    assert kept.reason == "sent to the notification address, but not a reply to an issue"
    assert kept.project is None
