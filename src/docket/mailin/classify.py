"""Mail that must never open an issue or add a comment: auto-replies, bounces, read receipts
and Docket's own mail coming back (a loop). Pure: decided from the parsed message alone.

The answer is the reason an admin reads in the log ("ignored: bounce (…)"), or None for mail
from a person."""

from __future__ import annotations

import re

from docket.mailin.parse import ParsedMail

BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
BOUNCE_SUBJECT = re.compile(
    r"delivery status notification|undeliver|returned mail|delivery failure|failure notice"
    r"|mail delivery failed|non[- ]?delivery",
    re.IGNORECASE,
)


def ignored_because(mail: ParsedMail, own_domains: set[str]) -> str | None:
    """Why `mail` is ignored, or None. `own_domains`: the domains of Docket's Message-IDs."""
    for check in (_loop, _report, _bounce, _auto_reply):
        reason = check(mail, own_domains)
        if reason:
            return f"ignored: {reason}"
    return None


def _loop(mail: ParsedMail, own_domains: set[str]) -> str | None:
    if mail.header("X-Docket-Issue"):
        return "loop (Docket's own notification mail)"
    domain = mail.message_id.rstrip(">").rpartition("@")[2].lower()
    if domain and domain in own_domains:
        return f"loop (Docket's own Message-ID {mail.message_id})"
    return None


def _report(mail: ParsedMail, own_domains: set[str]) -> str | None:
    if mail.content_type != "multipart/report":
        return None
    if mail.report_type == "disposition-notification":
        return "read receipt (multipart/report; report-type=disposition-notification)"
    return f"bounce (multipart/report; report-type={mail.report_type or 'unknown'})"


def _bounce(mail: ParsedMail, own_domains: set[str]) -> str | None:
    if mail.sender.partition("@")[0] in DAEMONS:
        return f"bounce (from {mail.sender})"
    if mail.return_path == "" and BOUNCE_SUBJECT.search(mail.subject):
        return "bounce (Return-Path <> and a delivery-failure subject)"
    return None


def _auto_reply(mail: ParsedMail, own_domains: set[str]) -> str | None:
    submitted = mail.header("Auto-Submitted").strip().lower()
    if submitted and submitted.split("(")[0].strip() != "no":
        return f"auto-reply (Auto-Submitted: {submitted})"
    precedence = mail.header("Precedence").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"auto-reply (Precedence: {precedence})"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if mail.header(name):
            return f"auto-reply ({name}: {mail.header(name)[:40]})"
    return None
