"""Notification mail, received by a real SMTP server (tests/mail.py) after the worker's
job runner sent it: who gets one, what it says (and escapes), threading, batching and the
one-click unsubscribe."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from django.test import Client

from docket.issues import actions, comments, watching
from docket.notifications import emails
from docket.notifications.models import Mute, Notification
from docket.projects import actions as project_actions
from docket.worker.runner import Worker
from tests.factories import make_issue, make_project
from tests.notifications.conftest import dispatch_all, mail_due


def _texts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def _to(messages: list[EmailMessage], user: Any) -> list[EmailMessage]:
    return [m for m in messages if m["To"] == user.email]


def test_a_change_mails_the_people_who_hear_with_links_and_escaped_html(
    cast, clock, smtp_server, settings
):
    settings.BASE_URL = "https://docket.example.org"
    issue = make_issue(cast.carol, cast.web, title="<b>Grey</b> & broken")
    watching.watch(actor=cast.dave, issue=issue)
    comments.add_comment(actor=cast.bob, issue=issue, body="Try <script>alert(1)</script> now")
    dispatch_all()
    assert mail_due(clock) == 2
    received = smtp_server.delivered()
    assert sorted(m["To"] for m in received) == ["carol@example.com", "dave@example.com"]
    [mail] = _to(received, cast.carol)
    assert mail["Subject"] == f"[{issue.key}] <b>Grey</b> & broken"
    plain, html = _texts(mail)
    assert "bob commented" in plain and "Try <script>alert(1)</script> now" in plain
    assert f"https://docket.example.org/{issue.key}" in plain
    assert "https://docket.example.org/settings/notifications" in plain
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "&lt;b&gt;Grey&lt;/b&gt; &amp; broken" in html
    assert not _to(received, cast.bob)  # the actor


def test_mail_renders_markdown_for_its_reader_with_absolute_links_and_no_hidden_title(
    cast, clock, smtp_server, settings
):
    settings.BASE_URL = "https://docket.example.org"
    secret = make_project(cast.alice, "SEC")
    hidden = make_issue(cast.alice, secret, title="Secret launch plan")
    issue = make_issue(cast.carol, cast.web, title="Rendering")
    body = f"See **{issue.key}** and {hidden.key}, @dave\n\n- [x] done"
    comments.add_comment(actor=cast.alice, issue=issue, body=body)
    dispatch_all()
    mail_due(clock)
    [mail] = _to(smtp_server.delivered(), cast.carol)  # carol cannot see SEC
    plain, html = _texts(mail)
    assert f'<a href="https://docket.example.org/{issue.key}"' in html
    assert "<strong>" in html and 'type="checkbox"' in html
    assert hidden.key in html and "Secret launch plan" not in html + plain
    assert f'href="https://docket.example.org/{hidden.key}"' not in html
    assert 'href="/' not in html  # every link works from a mail client


def test_mails_about_one_issue_make_one_thread(cast, clock, smtp_server):
    issue = make_issue(cast.carol, cast.web, title="Threads")
    for n in range(3):
        comments.add_comment(actor=cast.bob, issue=issue, body=f"Comment {n}")
        dispatch_all()
        mail_due(clock)
    first, second, third = _to(smtp_server.delivered(), cast.carol)
    root = first["Message-ID"]
    assert root and first["In-Reply-To"] is None and first["References"] is None
    for later in (second, third):
        assert later["In-Reply-To"] == root and later["References"] == root
        assert later["Message-ID"] not in (root, first["Message-ID"])
    assert second["Message-ID"] != third["Message-ID"]
    other = make_issue(cast.carol, cast.web, title="Another thread")
    comments.add_comment(actor=cast.bob, issue=other, body="Elsewhere")
    dispatch_all()
    mail_due(clock)
    [fresh] = [m for m in smtp_server.delivered() if m["X-Docket-Issue"] == other.key]
    assert fresh["In-Reply-To"] is None and fresh["Message-ID"] != root


def test_changes_by_one_person_within_the_window_make_one_mail(cast, clock, smtp_server, settings):
    settings.DOCKET_NOTIFY_EMAIL_WINDOW_SECONDS = 120
    issue = make_issue(cast.carol, cast.web, title="Busy issue")
    actions.update_issue(actor=cast.bob, issue=issue, changes={"status": "open"})
    clock.advance(seconds=30)
    comments.add_comment(actor=cast.bob, issue=issue, body="Done for today")
    clock.advance(seconds=30)
    comments.add_comment(actor=cast.bob, issue=issue, body="Really done")
    clock.advance(seconds=5)
    comments.add_comment(actor=cast.alice, issue=issue, body="Thanks bob")  # someone else
    dispatch_all()
    assert emails.send_due(clock.advance(seconds=50)) == 0  # 115 s after bob's first change
    assert emails.send_due(clock.advance(seconds=6)) == 1  # bob's window has passed
    [bobs] = smtp_server.delivered()
    plain, _ = _texts(bobs)
    assert "bob changed Status: new → open" in plain
    assert "Done for today" in plain and "Really done" in plain and "Thanks bob" not in plain
    assert emails.send_due(clock.advance(seconds=120)) == 2  # alice's, to carol and bob
    assert len(smtp_server.delivered()) == 3
    assert emails.send_due(clock.advance(seconds=600)) == 0  # each queued once


def test_the_worker_sends_mail_from_its_own_loop(cast, clock, smtp_server, settings):
    settings.DOCKET_NOTIFY_EMAIL_WINDOW_SECONDS = 0
    issue = make_issue(cast.carol, cast.web, title="From the loop")
    comments.add_comment(actor=cast.bob, issue=issue, body="Via the worker")
    worker = Worker()
    assert worker.step() > 0  # the event, the sweep's mail, the mail job
    clock.advance(seconds=3)
    worker.step()
    assert [m["To"] for m in smtp_server.delivered()] == ["carol@example.com"]


def test_no_mail_to_someone_who_lost_access_while_it_waited(cast, clock, smtp_server):
    issue = make_issue(cast.carol, cast.web, title="Board minutes", confidential=True)
    watching.watch(actor=cast.bob, issue=issue)
    comments.add_comment(actor=cast.alice, issue=issue, body="The numbers")
    dispatch_all()
    assert Notification.objects.filter(recipient=cast.bob, email=1).exists()  # waiting
    project_actions.set_member(actor=cast.alice, project=cast.web, user="bob", role="viewer")
    mail_due(clock)
    assert [m["To"] for m in smtp_server.delivered()] == ["carol@example.com"]


def test_the_one_click_unsubscribe_mutes_that_issue_for_that_person(cast, clock, smtp_server):
    issue = make_issue(cast.carol, cast.web, title="Noisy")
    comments.add_comment(actor=cast.bob, issue=issue, body="One")
    dispatch_all()
    mail_due(clock)
    [mail] = smtp_server.delivered()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip().strip("<>")
    path = link.removeprefix("http://127.0.0.1:8000")
    browser = Client(enforce_csrf_checks=True)  # no session, no CSRF token: as a mail client
    assert browser.get(path).status_code == 200  # a confirmation page: a GET changes nothing
    assert not Mute.objects.exists()
    answer = browser.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 200, answer.content
    assert Mute.objects.filter(user=cast.carol, issue=issue).exists()
    comments.add_comment(actor=cast.bob, issue=issue, body="Two")
    dispatch_all()
    mail_due(clock)
    assert len(smtp_server.delivered()) == 1  # nothing more about it
    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    assert browser.post(forged).status_code == 404
