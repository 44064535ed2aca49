"""The mail API: a project's address (project admins, audited, unique whatever the case,
password write-only) and the quarantine (list, view, assign, discard; audited)."""

from __future__ import annotations

from typing import Any

from docket.audit.models import AuditEntry
from docket.issues.models import Comment, Issue
from docket.mailin.models import Inbound, Mailbox
from docket.mailin.receive import receive
from tests.factories import make_issue, make_project
from tests.mailin.conftest import HELP, fixture_bytes

STRANGER_REPLY = (
    b"From: Zed <zed@elsewhere.example>\r\nTo: help@support.example.com\r\n"
    b"Subject: Re: [WEB-1] Printer\r\nMessage-ID: <z1@elsewhere.example>\r\n\r\n"
    b"Me too.\r\n\r\nOn Monday, Docket wrote:\r\n> Printer\r\n"
)


def _set(cast: Any, body: dict[str, Any], user: Any = None, key: str = "WEB") -> Any:
    return cast.api(user or cast.alice).put(f"/projects/{key}/mail", body)


def test_project_admins_set_the_address_and_imap_with_a_write_only_password(cast: Any) -> None:
    answer = _set(cast, {"address": " Help@Support.Example.com ", "imap_host": "imap.example.com",
                         "imap_user": "help", "imap_password": "s3cret"})  # fmt: skip
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["address"] == HELP and body["imap_password_set"] is True
    assert "s3cret" not in answer.content.decode()
    assert cast.api(cast.alice).get("/projects/WEB/mail").json()["imap_host"] == "imap.example.com"
    entry = AuditEntry.objects.get(action="mail.settings")
    assert entry.data["changed"]["imap_password"] == "(changed)" and "s3cret" not in str(entry.data)
    # A later PUT without the password keeps it.
    assert _set(cast, {"imap_folder": "Support"}).json()["imap_password_set"] is True
    assert Mailbox.objects.get().imap_password == "s3cret"


def test_the_address_is_checked_and_unique_across_projects(cast: Any) -> None:
    assert _set(cast, {"address": HELP}).status_code == 200
    make_project(cast.alice, "OPS")
    taken = _set(cast, {"address": "HELP@support.example.com"}, key="OPS")
    assert taken.status_code == 409 and "another project" in taken.json()["detail"]
    bad = _set(cast, {"address": "not an address"}, key="OPS")
    assert bad.status_code == 422
    assert _set(cast, {"imap_port": 0}).status_code == 422
    assert _set(cast, {"colour": "red"}).status_code == 422


def test_only_project_admins_see_or_change_the_settings(cast: Any) -> None:
    assert _set(cast, {"address": HELP}).status_code == 200
    assert _set(cast, {"address": "b@x.example"}, user=cast.bob).status_code == 403
    assert cast.api(cast.bob).get("/projects/WEB/mail").status_code == 403
    assert cast.api(cast.eve).get("/projects/WEB/mail").status_code == 404
    assert Mailbox.objects.get().address == HELP


def _quarantined(cast: Any) -> Inbound:
    _set(cast, {"address": HELP})
    make_issue(cast.carol, cast.web, title="Printer")
    result = receive(STRANGER_REPLY, Mailbox.objects.get(), via="lmtp")
    assert result.outcome == "quarantined"
    return Inbound.objects.get(pk=result.inbound_id)


def test_the_quarantine_lists_and_shows_a_message_to_admins_only(cast: Any) -> None:
    entry = _quarantined(cast)
    receive(fixture_bytes("flanker__bounce__office365.eml"), Mailbox.objects.get(), via="lmtp")
    listed = cast.api(cast.alice).get("/mail/inbound").json()
    assert [e["id"] for e in listed] == [entry.pk]
    assert listed[0]["reason"].startswith("zed@elsewhere.example may not comment on WEB-1")
    ignored = cast.api(cast.alice).get("/mail/inbound", outcome="ignored").json()
    assert [e["reason"] for e in ignored] == ["ignored: bounce (multipart/report; "
                                              "report-type=delivery-status)"]  # fmt: skip
    shown = cast.api(cast.root).get(f"/mail/inbound/{entry.pk}").json()
    assert ("From", "Zed <zed@elsewhere.example>") in [tuple(h) for h in shown["headers"]]
    assert shown["text"].startswith("Me too.")
    assert cast.api(cast.bob).get("/mail/inbound").status_code == 403
    assert cast.api(cast.bob).get(f"/mail/inbound/{entry.pk}").status_code == 404


def test_assigning_makes_the_comment_and_is_audited(cast: Any) -> None:
    entry = _quarantined(cast)
    answer = cast.api(cast.alice).post(f"/mail/inbound/{entry.pk}/assign", {"issue": "WEB-1"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["outcome"] == "assigned" and answer.json()["issue"] == "WEB-1"
    [comment] = Comment.objects.filter(issue__number=1)
    assert comment.body == "Me too." and comment.author.email == "zed@elsewhere.example"
    assert comment.author.contact
    assert AuditEntry.objects.filter(action="mail.assigned", target=f"mail {entry.pk}").exists()
    again = cast.api(cast.alice).post(f"/mail/inbound/{entry.pk}/assign", {"issue": "WEB-1"})
    assert again.status_code == 409


def test_assigning_without_an_issue_opens_one(cast: Any) -> None:
    entry = _quarantined(cast)
    answer = cast.api(cast.alice).post(f"/mail/inbound/{entry.pk}/assign", {})
    assert answer.json()["issue"] == "WEB-2"
    assert Issue.objects.get(number=2).title == "Printer"


def test_discarding_keeps_the_log_line_not_the_bytes(cast: Any) -> None:
    entry = _quarantined(cast)
    assert cast.api(cast.bob).post(f"/mail/inbound/{entry.pk}/discard").status_code == 404
    answer = cast.api(cast.alice).post(f"/mail/inbound/{entry.pk}/discard")
    assert answer.json()["outcome"] == "discarded" and answer.json()["decided_by"] == "alice"
    entry.refresh_from_db()
    assert bytes(entry.raw) == b"" and entry.subject == "Re: [WEB-1] Printer"
    assert AuditEntry.objects.filter(action="mail.discarded").count() == 1
    assert Comment.objects.count() == 0


def test_a_contact_given_a_portal_sees_only_its_own_tickets_on_a_desk(cast: Any) -> None:
    from docket.accounts.models import User
    from docket.issues.access import visible_issues

    cast.web.reporters_see_own_only = True
    cast.web.save()
    _set(cast, {"address": HELP})
    box = Mailbox.objects.get()
    for sender, subject in (("ann@a.example", "Mine"), ("ben@b.example", "Theirs")):
        raw = f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <{subject}@x>\r\n\r\nHi\r\n"
        assert receive(raw.encode(), box, via="imap").outcome == "opened"
    ann = User.objects.get(email="ann@a.example")
    assert ann.contact and not ann.is_active
    ann.is_active = True  # given a portal
    ann.save()
    assert [i.title for i in visible_issues(ann)] == ["Mine"]


def test_ignored_mail_keeps_its_bytes_for_the_keep_period(cast: Any, settings: Any) -> None:
    import datetime as dt

    from docket.core.clock import now
    from docket.mailin.prune import prune_ignored

    _set(cast, {"address": HELP})
    bounce = receive(fixture_bytes("flanker__bounce__dsn_delayed.eml"), Mailbox.objects.get(),
                     via="lmtp")  # fmt: skip
    held = _quarantined(cast)
    assert prune_ignored(now() + dt.timedelta(days=29)) == 0
    assert prune_ignored(now() + dt.timedelta(days=31)) == 1
    assert bytes(Inbound.objects.get(pk=bounce.inbound_id).raw) == b""
    assert bytes(Inbound.objects.get(pk=held.pk).raw) != b""  # waiting for a decision
