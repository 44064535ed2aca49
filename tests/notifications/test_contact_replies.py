"""Replies to external contacts by mail, end to end: a contact's mail opens an issue through
the real listener; staff answer on the issue; the notifications consumer queues the reply and
the worker's job runner sends it to a real SMTP server; the contact's answer to THAT mail
comes back through the listener as a comment on the same issue. Internal notes never go."""

from __future__ import annotations

import re
from email.message import EmailMessage
from itertools import count
from typing import Any

from docket.accounts.models import User
from docket.core.clock import now
from docket.issues import actions, comments, watching
from docket.issues.models import Comment, Issue
from docket.mailin.models import Inbound
from docket.projects.models import Project
from docket.projects.workflows import create_workflow
from tests.mail import SmtpServer
from tests.mailin.conftest import HELP, Desk, Listener, desk, listener
from tests.notifications.conftest import clock, dispatch_all

__all__ = ["clock", "desk", "listener"]  # fixtures

PAT = "pat@customer.example"
numbers = count(1)


def _mail(subject: str, text: str, *, answering: EmailMessage | None = None) -> tuple[bytes, str]:
    """A message from Pat's mail client (a reply to `answering`, as clients write one), and
    its Message-ID."""
    message_id = f"<pat-{next(numbers)}@customer.example>"
    threading = ""
    if answering is not None:
        threading = (
            f"In-Reply-To: {answering['Message-ID']}\r\n"
            f"References: {answering.get('References', '')} {answering['Message-ID']}\r\n"
        )
        text += "\r\n\r\nOn Mon, 7 Dec 2026, WEB desk wrote:\r\n> an earlier answer\r\n"
    raw = (
        f"From: Pat Customer <{PAT}>\r\nTo: {HELP}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n{threading}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n"
    ).encode()
    return raw, message_id


def _to_pat(smtp_server: SmtpServer) -> list[EmailMessage]:
    return [m for m in smtp_server.delivered() if PAT in m["To"]]


def _texts(mail: EmailMessage) -> tuple[str, str]:
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def _opened(listener: Listener, subject: str, text: str) -> tuple[Issue, str]:
    raw, message_id = _mail(subject, text)
    listener.send(raw)
    entry = Inbound.objects.get(message_id=message_id)
    assert entry.outcome == Inbound.Outcome.OPENED, entry.reason
    issue = Issue.objects.select_related("project", "reporter").get(pk=entry.issue_id)
    assert issue.reporter.contact and issue.reporter.email == PAT
    return issue, message_id


def test_a_staff_answer_reaches_the_contact_threaded_and_their_reply_comes_back(
    listener: Listener, desk: Desk, clock: Any, smtp_server: SmtpServer
) -> None:
    issue, first_id = _opened(listener, "Printer on fire", "It smokes. Help!")
    contact = issue.reporter
    comments.add_comment(
        actor=desk.bob, issue=issue, body=f"Have you tried **turning it off**? See {issue.key}."
    )
    dispatch_all()
    [mail] = _to_pat(smtp_server)
    assert mail["From"] == mail["Reply-To"] == f"WEB desk <{HELP}>"
    assert mail["Subject"] == f"[{issue.key}] Printer on fire"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] == first_id and first_id in mail["References"]
    assert re.fullmatch(rf"<issue-{issue.pk}-{contact.pk}-[A-Za-z0-9]+@[^>]+>", mail["Message-ID"])
    plain, html = _texts(mail)
    assert "Have you tried **turning it off**?" in plain and "Reply to this mail" in plain
    assert "<strong>turning it off</strong>" in html
    assert 'href="/' not in html and "http" not in html  # nothing that needs an account

    # An internal note: nothing goes to the contact.
    comments.add_comment(actor=desk.bob, issue=issue, body="Customer on old plan", internal=True)
    dispatch_all()
    assert len(_to_pat(smtp_server)) == 1

    # Pat answers THAT mail: a comment on the same issue, by Pat, without the quote.
    raw, reply_id = _mail(f"Re: {mail['Subject']}", "Yes, still smoking.", answering=mail)
    listener.send(raw)
    entry = Inbound.objects.get(message_id=reply_id)
    assert (entry.outcome, entry.issue_id) == (Inbound.Outcome.COMMENTED, issue.pk), entry.reason
    said = Comment.objects.get(pk=entry.comment_id)
    assert said.author_id == contact.pk and not said.internal
    assert said.body.strip() == "Yes, still smoking."
    dispatch_all()
    assert len(_to_pat(smtp_server)) == 1  # their own words are not mailed back

    # The next answer answers Pat's reply, in the same thread.
    comments.add_comment(actor=desk.alice, issue=issue, body="Unplug it now, please.")
    dispatch_all()
    first, second = _to_pat(smtp_server)
    assert second["In-Reply-To"] == reply_id
    assert set(second["References"].split()) == {first_id, first["Message-ID"], reply_id}
    assert second["Message-ID"] != first["Message-ID"]


def test_a_contacts_second_issue_is_a_thread_of_its_own(
    listener: Listener, desk: Desk, clock: Any, smtp_server: SmtpServer
) -> None:
    one, one_id = _opened(listener, "Printer on fire", "Smoke.")
    two, two_id = _opened(listener, "Invoice is wrong", "Charged twice.")
    assert one.reporter_id == two.reporter_id and one.pk != two.pk
    for issue in (one, two):
        comments.add_comment(actor=desk.bob, issue=issue, body=f"Looking at {issue.title}")
    dispatch_all()
    by_issue = {m["X-Docket-Issue"]: m for m in _to_pat(smtp_server)}
    first, second = by_issue[one.key], by_issue[two.key]
    assert first["Subject"] == f"[{one.key}] Printer on fire"
    assert second["Subject"] == f"[{two.key}] Invoice is wrong"
    assert first["In-Reply-To"] == first["References"] == one_id
    assert second["In-Reply-To"] == second["References"] == two_id
    assert first["Message-ID"] != second["Message-ID"]


def test_contacts_hear_of_done_states_and_nothing_else(
    listener: Listener, desk: Desk, clock: Any, smtp_server: SmtpServer
) -> None:
    issue, _ = _opened(listener, "Printer on fire", "Smoke.")
    actions.update_issue(actor=desk.bob, issue=issue, changes={"priority": "high"})
    actions.update_issue(actor=desk.bob, issue=issue, changes={"status": "open"})
    dispatch_all()
    assert _to_pat(smtp_server) == []
    issue.refresh_from_db()
    actions.update_issue(actor=desk.bob, issue=issue, changes={"status": "resolved"})
    dispatch_all()
    [mail] = _to_pat(smtp_server)
    plain, _ = _texts(mail)
    assert "marked your request as resolved" in plain


def test_a_contact_who_may_not_see_the_issue_gets_nothing(
    listener: Listener, desk: Desk, clock: Any, smtp_server: SmtpServer
) -> None:
    issue, _ = _opened(listener, "Printer on fire", "Smoke.")
    contact = User.objects.get(pk=issue.reporter_id)
    hidden = Issue.objects.create(
        project=desk.web, number=99, title="Internal audit", reporter=desk.alice,
        status=issue.status, created_at=now(), updated_at=now(), confidential=True,
    )  # fmt: skip
    watching.add_watchers(hidden, [contact], now())  # say, from before it was confidential
    comments.add_comment(actor=desk.bob, issue=hidden, body="Audit notes")
    dispatch_all()
    assert _to_pat(smtp_server) == []


def test_no_mail_without_a_project_address(
    listener: Listener, desk: Desk, clock: Any, smtp_server: SmtpServer
) -> None:
    issue, _ = _opened(listener, "Printer on fire", "Smoke.")
    other = Project.objects.create(
        key="OPS", name="OPS desk", lead=desk.alice, workflow=create_workflow("default")
    )
    assert not hasattr(other, "mailbox")
    issue.project.mailbox.delete()
    comments.add_comment(actor=desk.bob, issue=issue, body="Answer")
    dispatch_all()
    assert _to_pat(smtp_server) == []
