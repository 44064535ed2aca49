"""An emailed ticket in a real browser, end to end: a customer's mail reaches a real `docket
mail` process beside a real `docket serve` (with its worker) whose mail goes to a real SMTP
server; an agent answers on the issue page and writes an internal note; the customer gets the
answer alone, from the project's address, and their reply to it lands on the same ticket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.message import EmailMessage
from html import escape
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.browser.conftest import Site, require_browser, screenshot
from tests.mail import SmtpServer
from tests.mailin.conftest import free_port, mail_process
from tests.servers import running_server, scratch_environment

ADDRESS = "help@support.example.com"
CUSTOMER = "maria.lopez@customer.example"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[Site]:
    """This module's server: its worker sends mail to `smtp`."""
    require_browser()  # fails instead of skipping where CI requires the browser
    base = tmp_path_factory.mktemp("site")
    with scratch_environment(base / "data", ready=True) as env:
        env |= {"DOCKET_SMTP_HOST": smtp.host, "DOCKET_SMTP_PORT": str(smtp.port),
                "DOCKET_SMTP_TLS": "0", "DOCKET_NOTIFY_EMAIL_WINDOW_SECONDS": "0"}  # fmt: skip
        with (
            running_server(env, base / "server.log", worker=True) as server,
            server.client(server.token("admin")) as admin,
        ):
            yield Site(server, admin)


def _customer_mail(subject: str, text: str, message_id: str, answering: str = "") -> bytes:
    return (
        f"From: Maria Lopez <{CUSTOMER}>\r\nTo: {ADDRESS}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n{answering}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    ).encode()


def _mails_to_customer(smtp: SmtpServer, count: int) -> list[EmailMessage]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with smtp.lock:
            found = [d.message for d in smtp.deliveries if CUSTOMER in d.message["To"]]
        if len(found) >= count:
            return found
        time.sleep(0.2)
    return found


def test_an_emailed_tickets_thread(site: Site, smtp: SmtpServer, new_page, tmp_path: Path) -> None:
    agent = site.user("sam.agent", name="Sam Agent")
    key = site.project(agent, name="Acme Support")
    assert site.admin.put(f"/projects/{key}/mail", json={"address": ADDRESS}).status_code == 200
    with mail_process(site.server.env, tmp_path / "mail.log") as listener:
        opened = listener.send(_customer_mail(
            "Invoice charged twice",
            "Hello,\n\nmy card was charged twice for invoice 2291 (EUR 49.00 each, 3 December)."
            "\nCould you refund one of them?\n\nThanks,\nMaria",
            "<m1@customer.example>",
        ))  # fmt: skip
        assert opened.endswith("opened")

        page = new_page(agent, viewport={"width": 1280, "height": 1360})  # the whole ticket
        page.goto(f"/{key}-1")
        expect(page.get_by_role("heading", name="Invoice charged twice")).to_be_visible()
        body = page.locator("#comment-body")
        body.fill("Hi Maria, sorry about that! I can see **both charges** and have asked "
                  "billing to refund the second one. It takes 3–5 working days.")  # fmt: skip
        page.get_by_role("button", name="Comment", exact=True).click()
        expect(page.get_by_text("Comment added.")).to_be_visible()
        body.fill("Duplicate charge came from the payment retry bug (see PAY-311). "
                  "Refund requested in Stripe, ref re_3PqX.")  # fmt: skip
        page.get_by_label("Internal note").check()
        page.get_by_role("button", name="Comment", exact=True).click()
        expect(page.get_by_text("Internal note added.")).to_be_visible()

        [answer] = _mails_to_customer(smtp, 1)
        assert answer["From"] == answer["Reply-To"] == f"Acme Support <{ADDRESS}>"
        plain = answer.get_body(("plain",)).get_content()
        assert "both charges" in plain and "Stripe" not in plain
        threading = (
            f"In-Reply-To: {answer['Message-ID']}\r\n"
            f"References: {answer['References']} {answer['Message-ID']}\r\n"
        )
        replied = listener.send(_customer_mail(
            f"Re: {answer['Subject']}",
            "Great, thank you Sam! I'll keep an eye on my statement.\n\n"
            "On Sun, Acme Support wrote:\n> Hi Maria, sorry about that!",
            "<m2@customer.example>", threading,
        ))  # fmt: skip
        assert replied.endswith("commented")

    page.reload()
    expect(page.get_by_text("I'll keep an eye on my statement.")).to_be_visible()
    expect(page.locator(".internal-badge")).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    assert page.dialogs_seen == []
    screenshot(page, "email-ticket-thread")

    time.sleep(2)  # the worker had a moment: the note went nowhere, the reply was not echoed
    assert len(_mails_to_customer(smtp, 1)) == 1
    mail_view = new_page(viewport={"width": 760, "height": 360})
    mail_view.set_content(_as_mail_client_shows(answer))
    screenshot(mail_view, "email-reply-to-contact")


def _as_mail_client_shows(mail: EmailMessage) -> str:
    """The reply's HTML part under its headers, as a mail client would show them."""
    rows = "".join(
        f"<tr><th>{name}</th><td>{escape(str(mail[name]))}</td></tr>"
        for name in (
            "From",
            "Reply-To",
            "To",
            "Subject",
            "Message-ID",
            "In-Reply-To",
            "Auto-Submitted",
        )  # fmt: skip
    )
    html = mail.get_body(("html",)).get_content()
    return (
        "<style>body{margin:0;font-family:sans-serif;background:#f3f4f6}"
        "table{border-collapse:collapse;font-size:13px;margin:16px 24px}"
        "th{text-align:right;color:#6b7280;font-weight:normal;padding:2px 10px 2px 0}"
        "td{color:#111827}.mail{background:#fff;margin:0 24px;padding:16px 24px;"
        "border:1px solid #e5e7eb;border-radius:6px}</style>"
        f"<table>{rows}</table><div class='mail'>{html}</div>"
    )
