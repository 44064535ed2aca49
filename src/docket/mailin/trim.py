"""The new part of a reply: what the sender wrote above the quoted mail.

email-reply-parser (GitHub's rules: "On … wrote:" headers, "-----Original Message-----",
">"-quoted lines, signatures) does the work; it held up on the fixtures' replies. It leaves
an attribution line in languages it does not know ("Le … a écrit :"), which the last step
takes off."""

from __future__ import annotations

import re

from email_reply_parser import EmailReplyParser

TRAILING_ATTRIBUTION = re.compile(
    r"\n[^\n]*\b(wrote|a écrit|schrieb|escribió|ha scritto|schreef|skrev|napisał)\s*:\s*$",
    re.IGNORECASE,
)


def new_part(text: str) -> str:
    """`text` without the quoted mail under it (the whole text if that would leave nothing)."""
    reply = EmailReplyParser.parse_reply(text.replace("\r\n", "\n")).strip()
    reply = TRAILING_ATTRIBUTION.sub("", "\n" + reply).strip()
    return reply or text.strip()
