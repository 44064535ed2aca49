"""The parser alone, on every fixture (it never raises on them) and on the shapes the
listener tests do not pin: decoded headers, HTML bodies, quote trimming."""

from __future__ import annotations

import pytest

from docket.mailin.classify import ignored_because
from docket.mailin.parse import Unparseable, html_to_markdown, parse
from docket.mailin.trim import new_part
from tests.mailin.conftest import fixture_bytes, fixture_names


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_parses_to_a_sender_and_no_escaped_bytes(name: str) -> None:
    mail = parse(fixture_bytes(name))
    assert "@" in mail.sender
    for text in (mail.subject, mail.sender_name, mail.text):
        assert not any("\udc80" <= ch <= "\udcff" for ch in text)


def test_encoded_headers_and_names_are_decoded() -> None:
    assert parse(fixture_bytes("flanker__headers__rfc2047_from.eml")).sender_name == "Foo, Bar"
    raw_utf8 = parse(fixture_bytes("mail__headers__rfc6532_raw_utf8.eml"))
    assert (raw_utf8.sender_name, raw_utf8.subject) == ("Jöhn Doe", "Säying Hello")
    assert parse(fixture_bytes("mail__charset__windows-1251_alternative.eml")).sender_name == (
        "Атиковa"
    )
    korean = parse(fixture_bytes("mail__charset__euc-kr_encoded_subject.eml"))
    assert korean.subject == "NOTE: 한국말로 하는 것"


def test_raw_8bit_subject_bytes_do_not_break_the_parser() -> None:
    mail = parse(fixture_bytes("mail__charset__big5_html.eml"))
    assert mail.subject.startswith("4d8119") and mail.content_type == "text/html"
    assert "<font" not in mail.text  # HTML became text


def test_html_is_sanitised_into_markdown() -> None:
    html = ('<p>Hi <b>there</b></p><script>alert(1)</script><a href="https://x.example" '
            'onclick="evil()">link</a><ul><li>one</li></ul>')  # fmt: skip
    assert html_to_markdown(html) == "Hi **there**\n\n[link](https://x.example)\n\n- one"


def test_quoted_replies_are_trimmed() -> None:
    outlook = "Works now.\n\n-----Original Message-----\nFrom: Docket\nSubject: x\n\nold"
    assert new_part(outlook) == "Works now."
    french = "Oui.\n\nLe lun. 7 déc. 2026 à 10:00, Docket <d@x.example> a écrit :\n> avant"
    assert new_part(french) == "Oui."
    assert new_part("> only a quote") == "> only a quote"  # nothing new: kept whole


def test_not_a_message() -> None:
    with pytest.raises(Unparseable):
        parse(b"   \r\n")
    with pytest.raises(Unparseable):
        parse(b"no headers at all, just text")


def test_x_auto_response_suppress_and_vacation_replies_are_ignored() -> None:
    base = b"From: a@b.example\r\nSubject: Out of office\r\n%s\r\n\r\nAway.\r\n"
    for header in (b"Auto-Submitted: auto-replied (vacation)", b"X-Autoreply: yes",
                   b"X-Auto-Response-Suppress: All", b"Precedence: junk"):  # fmt: skip
        assert ignored_because(parse(base % header), set()) is not None
    assert ignored_because(parse(base % b"Auto-Submitted: no"), set()) is None


def test_nul_bytes_are_dropped_not_refused() -> None:
    mail = parse(b"From: a@b.example\r\nSubject: nul\x00here\r\n\r\nbody\x00text\r\n")
    assert (mail.subject, mail.text) == ("nulhere", "bodytext")
