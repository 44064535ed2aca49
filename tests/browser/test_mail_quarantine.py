"""Mail in, in a real browser: the shared .eml fixtures sent over LMTP to a real `docket mail`
process beside a real `docket serve`; an admin reads the quarantine (why each message is
there), opens one, adds it to an issue; and an emailed ticket's thread reads well."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import Site, screenshot
from tests.mailin.conftest import fixture_bytes, mail_process

ADDRESS = "help@support.example.com"


def test_the_quarantine_and_an_emailed_ticket(site: Site, new_page, tmp_path: Path) -> None:
    me = site.user()
    key = site.project(me)
    assert site.admin.put(f"/projects/{key}/mail", json={"address": ADDRESS}).status_code == 200
    with mail_process(site.server.env, tmp_path / "mail.log") as listener:
        opened = listener.send(fixture_bytes("mail__attach__pdf.eml"))
        assert opened.endswith("opened")
        reply = (
            b"From: Test Tester <xxxx@xxxx.com>\r\nTo: help@support.example.com\r\n"
            b"Subject: Re: [%s-1] Another PDF\r\nMessage-ID: <r1@xxxx.com>\r\n\r\n"
            b"Here is the second page too.\r\n\r\nOn Mon, Docket wrote:\r\n> quoted\r\n"
            % key.encode()
        )
        assert listener.send(reply).endswith("commented")
        for name in ("mail__reply__rfc2822_appendix_a2_reply.eml", "flanker__bounce__office365.eml",
                     "discourse__auto__auto_submitted_reply.eml"):  # fmt: skip
            listener.send(fixture_bytes(name))
        stranger = reply.replace(b"Test Tester <xxxx@xxxx.com>", b"Zed <zed@elsewhere.example>")
        assert listener.send(stranger.replace(b"<r1@", b"<r2@")).endswith("quarantined")

    page = new_page(me)
    page.goto("/settings/mail/quarantine")
    expect(page.get_by_role("heading", name="Mail quarantine")).to_be_visible()
    rows = page.locator("table.mail-log tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"zed@elsewhere.example may not comment on {key}-1")
    page.get_by_role("link", name="All mail").click()
    expect(page.locator("table.mail-log tbody tr")).to_have_count(6)
    bounce = page.locator("table.mail-log tr", has_text="Undeliverable: test_bounce 8")
    expect(bounce).to_contain_text("bounce (multipart/report; report-type=delivery-status)")
    assert page.dialogs_seen == []
    screenshot(page, "mail-quarantine")

    page.get_by_role("link", name="Quarantine").click()
    page.get_by_role("link", name=f"Re: [{key}-1] Another PDF").click()
    expect(page.get_by_role("cell", name="Zed", exact=False).first).to_be_visible()
    page.get_by_label("Add as a comment on").fill(f"{key}-1")
    page.get_by_role("button", name="Add to issue").click()
    expect(page.get_by_text(f"Added as a comment on {key}-1.")).to_be_visible()

    page.goto(f"/{key}-1")
    expect(page.get_by_role("heading", name="Another PDF with 🎉 Unicode chars in it 🍿"))
    expect(page.get_by_text("Here is the second page too.").first).to_be_visible()
    expect(page.get_by_text("broken.pdf").first).to_be_visible()
    assert page.dialogs_seen == []
    screenshot(page, "mail-ticket")
