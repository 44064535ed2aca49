"""Every .eml of ../shared/data/email through the real listener (LMTP, smtplib's client), with
the outcome each must have, and what the issues it opens say."""

from __future__ import annotations

import pytest

from docket.accounts.models import User
from docket.attachments.models import Attachment
from docket.issues.models import Comment, Issue
from docket.mailin.models import Inbound
from tests.mailin.conftest import Desk, Listener, fixture_bytes, fixture_names

OPENED, COMMENTED, IGNORED, QUARANTINED = "opened", "commented", "ignored", "quarantined"

# file → (outcome, a word of the reason or of the issue's title/description/comment)
EXPECTED: dict[str, tuple[str, str]] = {
    "discourse__auto__auto_submitted_reply.eml": (IGNORED, "Auto-Submitted: auto-generated"),
    "flanker__alternative__8bit.eml": (OPENED, "Превел"),
    "flanker__alternative__quoted_printable.eml": (OPENED, "extremely long links"),
    "flanker__attach__iphone_jpeg.eml": (OPENED, "Hello"),
    "flanker__auto__read_receipt_mdn.eml": (IGNORED, "read receipt"),
    "flanker__bounce__dsn_delayed.eml": (IGNORED, "bounce"),
    "flanker__bounce__dsn_mailbox_full.eml": (IGNORED, "bounce"),
    "flanker__bounce__gmail_non_dsn.eml": (IGNORED, "bounce (from mailer-daemon@googlemail.com)"),
    "flanker__bounce__office365.eml": (IGNORED, "bounce"),
    "flanker__headers__encoded_from_references.eml": (IGNORED, "Precedence: bulk"),
    "flanker__headers__rfc2047_from.eml": (OPENED, "hello, world"),
    "flanker__plain__latin1.eml": (OPENED, "testing message parsing"),
    "flanker__reply__fwd_in_reply_to_latin1.eml": (OPENED, "Please forward this email to me"),
    "mail__attach__forwarded_message_rfc822.eml": (OPENED, "This is the first part."),
    "mail__attach__japanese_long_filename.eml": (OPENED, "まみむめも"),
    "mail__attach__pdf.eml": (OPENED, "🎉"),
    "mail__attach__rfc2047_filename_reply.eml": (OPENED, "Signed email causes file attachments"),
    "mail__bounce__dsn_4.2.2_delayed_warning.eml": (IGNORED, "bounce"),
    "mail__bounce__dsn_multi_recipient.eml": (IGNORED, "bounce"),
    "mail__charset__big5_html.eml": (OPENED, "9bbf38a544f990e73cd12f"),
    "mail__charset__euc-kr_encoded_subject.eml": (OPENED, "하나님을 믿습니다"),
    "mail__charset__iso-2022-jp.eml": (OPENED, "すみません"),
    "mail__charset__ks_c_5601-1987.eml": (OPENED, "스티해"),
    "mail__charset__shift_jis.eml": (OPENED, "このメールはテスト用のメールです"),
    "mail__charset__windows-1251_alternative.eml": (OPENED, "scanned for viruses"),
    "mail__headers__rfc6532_raw_utf8.eml": (OPENED, "Säying Hello"),
    "mail__plain__basic_email.eml": (OPENED, "Hope it works well!"),
    "mail__reply__iso2022jp_encoded_subject.eml": (OPENED, "TEST テストテスト"),
    # Answers a message jdoe@machine.example opened an issue with; Mary is a stranger to it.
    "mail__reply__rfc2822_appendix_a2_reply.eml": (QUARANTINED, "may not comment"),
    # Answers a message its own sender opened an issue with: a comment, quote trimmed.
    "mail__reply__thunderbird_in_reply_to.eml": (COMMENTED, "Message body"),
}

# The first messages of the two threads above (the fixtures answer them).
ORIGINALS = {
    "mail__reply__rfc2822_appendix_a2_reply.eml": (
        b"From: John Doe <jdoe@machine.example>\r\nTo: help@support.example.com\r\n"
        b"Subject: Saying Hello\r\nMessage-ID: <1234@local.machine.example>\r\n\r\n"
        b"This is a message just to say hello.\r\n"
    ),
    "mail__reply__thunderbird_in_reply_to.eml": (
        b"From: Testing <xxxxxxxx@xxx.org>\r\nTo: help@support.example.com\r\n"
        b"Subject: Test reply email\r\nMessage-ID: <473FF3B8.9020707@xxx.org>\r\n\r\n"
        b"The first message of the thread.\r\n"
    ),
}


def test_the_table_covers_every_fixture() -> None:
    names = fixture_names()
    if not names:
        pytest.skip("shared email fixtures not found (../shared/data; CI has it)")
    assert sorted(EXPECTED) == names


def _lines(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").rstrip(b"\n")


def _text_of(entry: Inbound) -> str:
    if entry.comment_id:
        return Comment.objects.get(pk=entry.comment_id).body
    issue = Issue.objects.get(pk=entry.issue_id)
    return f"{issue.title}\n{issue.description}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_through_the_listener(name: str, listener: Listener, desk: Desk) -> None:
    raw = fixture_bytes(name)

    if name in ORIGINALS:
        assert "opened" in listener.send(ORIGINALS[name])
    outcome, word = EXPECTED[name]
    answer = listener.send(raw)
    assert answer.endswith(outcome)
    entry = Inbound.objects.order_by("-id").first()
    assert entry is not None and entry.outcome == outcome and entry.project == desk.web
    if outcome in (IGNORED, QUARANTINED):
        assert word in entry.reason
        # kept as received (smtplib sent it with CRLF line ends), for an admin to read
        assert _lines(bytes(entry.raw)) == _lines(raw)
        assert entry.issue is None and entry.comment is None
        assert Issue.objects.filter(project=desk.web).count() == len(ORIGINALS.get(name, b"")[:1])
    else:
        assert word in _text_of(entry)


def test_an_emailed_ticket_is_the_senders_as_an_external_contact(
    listener: Listener, desk: Desk
) -> None:

    assert listener.send(fixture_bytes("mail__attach__pdf.eml")).endswith("opened")
    issue = Issue.objects.get(project=desk.web)
    reporter = User.objects.get(pk=issue.reporter_id)
    assert reporter.contact and not reporter.is_active and not reporter.has_usable_password()
    assert (reporter.email, reporter.get_full_name()) == ("xxxx@xxxx.com", "Test Tester")
    assert issue.title == "Another PDF with 🎉 Unicode chars in it 🍿"
    [pdf] = Attachment.objects.filter(issue=issue)
    assert (pdf.filename, pdf.size, pdf.uploaded_by_id) == ("broken.pdf", 1026, reporter.pk)
    # A second message from the same address is the same contact's.
    assert listener.send(fixture_bytes("mail__attach__rfc2047_filename_reply.eml"))
    assert User.objects.filter(contact=True).count() == 2  # another sender: another contact


def test_attachments_with_encoded_names_and_forwarded_mail(listener: Listener, desk: Desk) -> None:

    for name in (
        "mail__attach__japanese_long_filename.eml",
        "mail__attach__forwarded_message_rfc822.eml",
        "flanker__attach__iphone_jpeg.eml",
    ):
        listener.send(fixture_bytes(name))  # fmt: skip
    names = sorted(Attachment.objects.values_list("filename", flat=True))
    assert names == [
        "ForwardedMessage.eml",
        "photo.JPG",
        "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt",
    ]


def test_a_member_writing_in_is_matched_to_their_account(listener: Listener, desk: Desk) -> None:
    desk.bob.email = "Bob@Example.com"
    desk.bob.save()
    raw = (
        b"From: Bob <bob@example.com>\r\nTo: help@support.example.com\r\n"
        b"Subject: Re: Fwd: [WEB-9] Printer\r\nMessage-ID: <b1@example.com>\r\n\r\nOn fire.\r\n"
    )  # no WEB-9: a new issue, titled without the prefixes
    assert listener.send(raw).endswith("opened")
    issue = Issue.objects.get(project=desk.web)
    assert (issue.reporter_id, issue.title) == (desk.bob.pk, "Printer")
    assert not User.objects.filter(contact=True).exists()
