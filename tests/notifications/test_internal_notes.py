"""Internal notes and notifications: staff hear of a note (the watchers, the people it
names) in their inbox and mail; the reporter, a viewer and a mentioned reporter never do."""

from __future__ import annotations

from docket.issues import comments, watching
from docket.notifications.models import Kind
from docket.projects import actions as project_actions
from tests.factories import make_issue
from tests.notifications.conftest import dispatch_all, inbox_of, mail_due

SECRET = "zebrasecret"


def test_a_note_tells_staff_only_in_the_inbox_and_by_mail(cast, clock, smtp_server):
    issue = make_issue(cast.carol, cast.web, title="Printer on fire")  # carol: reporter
    watching.watch(actor=cast.dave, issue=issue)  # a viewer
    watching.watch(actor=cast.alice, issue=issue)  # an admin
    comments.add_comment(
        actor=cast.bob, issue=issue, body=f"{SECRET} @carol @dave @root", internal=True
    )
    dispatch_all()
    assert inbox_of(cast.carol) == inbox_of(cast.dave) == []
    assert inbox_of(cast.alice) == [(issue.key, Kind.COMMENTED)]
    assert inbox_of(cast.root) == [(issue.key, Kind.MENTIONED)]
    mail_due(clock)
    received = smtp_server.delivered()
    assert sorted(m["To"] for m in received) == ["alice@example.com", "root@example.com"]
    for mail in received:
        plain = mail.get_body(("plain",)).get_content()
        assert SECRET in plain and "bob wrote an internal note (staff only" in plain


def test_a_public_comment_after_a_note_still_reaches_the_reporter_without_it(
    cast, clock, smtp_server
):
    issue = make_issue(cast.carol, cast.web, title="Printer on fire")
    comments.add_comment(actor=cast.bob, issue=issue, body=SECRET, internal=True)
    comments.add_comment(actor=cast.bob, issue=issue, body="We replaced the toner")
    dispatch_all()
    assert inbox_of(cast.carol) == [(issue.key, Kind.COMMENTED)]
    mail_due(clock)
    [mail] = [m for m in smtp_server.delivered() if m["To"] == "carol@example.com"]
    text = mail.get_body(("plain",)).get_content() + mail.get_body(("html",)).get_content()
    assert "We replaced the toner" in text and SECRET not in text


def test_the_inbox_api_never_shows_a_reporter_a_note(cast):
    issue = make_issue(cast.carol, cast.web, title="Printer on fire")
    comments.add_comment(actor=cast.bob, issue=issue, body=f"{SECRET} @carol", internal=True)
    dispatch_all()
    response = cast.api(cast.carol).get("/notifications")
    assert response.status_code == 200 and SECRET not in response.content.decode()


def test_a_member_made_reporter_no_longer_reads_a_note_in_their_inbox(cast):
    issue = make_issue(cast.carol, cast.web, title="Printer on fire")
    comments.add_comment(actor=cast.alice, issue=issue, body=f"{SECRET} @bob", internal=True)
    dispatch_all()
    assert SECRET in cast.api(cast.bob).get("/notifications").content.decode()
    project_actions.set_member(actor=cast.alice, project=cast.web, user="bob", role="reporter")
    response = cast.api(cast.bob).get("/notifications")
    assert response.status_code == 200 and SECRET not in response.content.decode()


def test_a_note_waiting_to_be_mailed_is_not_sent_to_someone_no_longer_staff(
    cast, clock, smtp_server
):
    issue = make_issue(cast.carol, cast.web, title="Printer on fire")
    comments.add_comment(actor=cast.alice, issue=issue, body=f"{SECRET} @bob", internal=True)
    dispatch_all()
    project_actions.set_member(actor=cast.alice, project=cast.web, user="bob", role="reporter")
    mail_due(clock)
    assert [m for m in smtp_server.delivered() if m["To"] == cast.bob.email] == []
