"""One parser for every way mail comes in (the listener and the IMAP poller): raw bytes in,
a `ParsedMail` out. Pure: no database, no settings.

Python's `email` package with `policy.default` does the MIME work and decodes RFC 2047
headers and filenames. What is added here:
- charsets Python does not know under the name mailers use (`ks_c_5601-1987` is Outlook's
  name for Korean; cp949 is its superset), and bodies whose declared charset is wrong or
  unknown: decoded as UTF-8, then with replacement characters, never an exception;
- raw 8-bit bytes in a header (not allowed, but sent): UTF-8 if they are, else the body's
  charset, else Latin-1;
- the body: text/plain preferred; HTML only when there is no plain part, sanitised by nh3
  and turned into Markdown by markdownify;
- attachments, with forwarded messages (message/rfc822) kept as `.eml` files.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from typing import Any

import markdownify
import nh3

# Names mailers give charsets, mapped to the Python codec that reads them best.
CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",  # cp949 is a superset: Outlook's "EUC-KR" often has its extra syllables
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "gb2312": "gb18030",  # superset, as for Korean
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-8-i": "iso-8859-8",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
}
MAX_SUBJECT = 300
MAX_NAME = 200
SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-ID",
                 "In-Reply-To", "References", "Auto-Submitted", "Precedence", "Return-Path",
                 "Delivered-To", "X-Original-To", "Content-Type")  # fmt: skip
# What an HTML body may keep before it becomes Markdown (the rest is dropped, text kept).
HTML_TAGS = {"a", "b", "strong", "i", "em", "u", "p", "br", "div", "span", "ul", "ol", "li",
             "blockquote", "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead",
             "tbody", "tr", "td", "th", "hr"}  # fmt: skip
MESSAGE_ID = re.compile(r"<[^<>\s]+>")


class Unparseable(Exception):
    """The bytes are not a message we can read (the reason is the message)."""


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: str = ""  # the From address, lower-cased
    sender_name: str = ""
    return_path: str | None = None  # None: no Return-Path header; "" : the null sender <>
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To
    date: dt.datetime | None = None
    content_type: str = ""
    report_type: str = ""  # of a multipart/report: delivery-status, disposition-notification
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value
    shown_headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""  # the body as Markdown
    attachments: list[MailAttachment] = field(default_factory=list)
    defects: int = 0

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def parse(raw: bytes) -> ParsedMail:
    """Read one message. Raises Unparseable for bytes that are not a message at all."""
    if not raw.strip():
        raise Unparseable("the message is empty")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the parser is lenient; anything it still refuses is kept aside
        raise Unparseable(f"the message cannot be parsed: {exc}") from None
    if not isinstance(message, EmailMessage) or not any(True for _ in message.raw_items()):
        raise Unparseable("the message has no headers")
    message = _with_boundary_repaired(message)
    charset = _body_charset(message)
    headers = _headers(message, charset)
    if "from" not in headers:
        raise Unparseable("the message has no From header")
    sender_name, sender = email.utils.parseaddr(headers["from"])
    if "@" not in sender:
        raise Unparseable(f"the From header has no address: {headers['from'][:100]!r}")
    mail = ParsedMail(
        message_id=_first_id(headers.get("message-id", "")),
        in_reply_to=_first_id(headers.get("in-reply-to", "")),
        references=MESSAGE_ID.findall(headers.get("references", "")),
        subject=_one_line(headers.get("subject", ""))[:MAX_SUBJECT],
        sender=sender.strip().lower(),
        sender_name=_one_line(sender_name)[:MAX_NAME],
        return_path=_return_path(headers),
        recipients=_recipients(message, headers),
        date=_date(headers.get("date", "")),
        content_type=message.get_content_type(),
        report_type=str(message.get_param("report-type", "") or "").lower(),
        headers=headers,
        shown_headers=[
            (n, _one_line(headers[n.lower()])) for n in SHOWN_HEADERS if n.lower() in headers
        ],  # fmt: skip
    )
    mail.defects = len(message.defects) + sum(len(p.defects) for p in message.walk())
    body = _body_part(message)
    mail.text = _text_of(body) if body is not None else ""
    mail.attachments = [a for a in _attachments(message, body) if a.data]
    return mail


def _with_boundary_repaired(message: EmailMessage) -> EmailMessage:
    """A multipart whose unquoted boundary holds "=" (Outlook Express: `boundary=----=_Next…`)
    is cut at the "=" by the parser, which then finds no parts: read it again with the
    boundary as written."""
    if message.get_content_maintype() != "multipart" or message.is_multipart():
        return message
    declared = next((str(v) for k, v in message.raw_items() if k.lower() == "content-type"), "")
    found = re.search(r'boundary="?([^";\s]+)', declared, re.IGNORECASE)
    if not found or found.group(1) == message.get_boundary():
        return message
    message.set_boundary(found.group(1))
    again = email.message_from_bytes(message.as_bytes(policy=email.policy.SMTP),
                                     policy=email.policy.default)  # fmt: skip
    return again if isinstance(again, EmailMessage) and again.is_multipart() else message


# --- headers ------------------------------------------------------------------------------


def _headers(message: EmailMessage, charset: str | None) -> dict[str, str]:
    """Each header's first value, decoded (RFC 2047 by the policy; raw 8-bit bytes here)."""
    found: dict[str, str] = {}
    for name, raw_value in message.raw_items():
        key = name.lower()
        if key in found:
            continue
        found[key] = _decoded_header(message, name, raw_value, charset)
    return found


def _decoded_header(message: EmailMessage, name: str, raw_value: Any, charset: str | None) -> str:
    text = str(raw_value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):  # 8-bit bytes the parser escaped
        return _from_bytes(text.encode("ascii", "surrogateescape"), charset).strip()
    try:
        return str(message[name]).strip()  # the policy's header object: RFC 2047 decoded
    except Exception:  # a header the policy cannot model (a broken address list): as sent
        return text.strip()


def _one_line(value: str) -> str:
    return " ".join(value.replace("\x00", "").split())


def _first_id(value: str) -> str:
    found = MESSAGE_ID.search(value)
    return found.group(0) if found else ""


def _return_path(headers: dict[str, str]) -> str | None:
    if "return-path" not in headers:
        return None
    return email.utils.parseaddr(headers["return-path"])[1].strip().lower()


def _recipients(message: EmailMessage, headers: dict[str, str]) -> list[str]:
    values: list[str] = []
    for name in ("to", "cc", "delivered-to", "x-original-to"):
        values.extend(str(v) for v in message.get_all(name, []) if v is not None)
    found: list[str] = []
    for _, address in email.utils.getaddresses(values):
        address = address.strip().lower()
        if "@" in address and address not in found:
            found.append(address)
    return found


def _date(value: str) -> dt.datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# --- text ---------------------------------------------------------------------------------


def codec_for(charset: str | None) -> str:
    name = (charset or "").strip().strip('"').lower()
    return CHARSET_ALIASES.get(name, name) or "utf-8"


def _from_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes: UTF-8 if they are, else the declared charset, else Latin-1."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for codec in (codec_for(charset), "latin-1"):
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1", errors="replace")  # pragma: no cover - latin-1 never fails


def decode_part(part: Message) -> str:
    """A text part's content in its declared charset (or the best guess, never an error)."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    codec = codec_for(part.get_content_charset())
    try:
        return data.decode(codec)
    except (LookupError, UnicodeDecodeError):
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode(codec, errors="replace")
        except LookupError:
            return data.decode("latin-1")


def _body_charset(message: EmailMessage) -> str | None:
    for part in message.walk():
        if part.get_content_maintype() == "text" and part.get_content_charset():
            return part.get_content_charset()
    return None


def _body_part(message: EmailMessage) -> EmailMessage | None:
    if message.get_content_maintype() == "text":
        return message  # a single-part message (even one marked as an attachment)
    body = message.get_body(preferencelist=("plain", "html"))
    return body if isinstance(body, EmailMessage) else None


def _text_of(part: EmailMessage) -> str:
    text = decode_part(part)
    if part.get_content_subtype() == "html":
        text = html_to_markdown(text)
    text = text.replace("\x00", "")  # NUL bytes: no field takes them, and they carry nothing
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def html_to_markdown(html: str) -> str:
    """Sanitised HTML → Markdown: nh3 keeps a small allowlist (scripts, styles and their
    content go; links keep only their href), then markdownify writes Markdown."""
    clean = nh3.clean(html, tags=HTML_TAGS, attributes={"a": {"href"}}, link_rel=None)
    markdown = markdownify.markdownify(clean, heading_style="ATX", bullets="-")
    return re.sub(r"\n{3,}", "\n\n", markdown).strip()


# --- attachments --------------------------------------------------------------------------


def _attachments(message: EmailMessage, body: EmailMessage | None) -> list[MailAttachment]:
    found: list[MailAttachment] = []
    for part in message.walk():
        if part is body or part.is_multipart() and part.get_content_type() != "message/rfc822":
            continue
        if _inside_forwarded(message, part):
            continue
        if part.get_content_type() == "message/rfc822":
            found.append(_forwarded(part))
            continue
        if _is_alternative_body(part, message):
            continue
        found.append(_attachment(part))
    return found


def _inside_forwarded(root: EmailMessage, part: Message) -> bool:
    """Parts of a forwarded message travel inside its .eml, not as attachments of their own."""
    for candidate in root.walk():
        if candidate.get_content_type() == "message/rfc822" and candidate is not part:
            for inner in candidate.walk():
                if inner is part and inner is not candidate:
                    return True
    return False


def _is_alternative_body(part: Message, root: EmailMessage) -> bool:
    """The other rendering of the body (the HTML beside the plain text), or the parts of a
    report that are not files (delivery-status, MDN text): not attachments."""
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return False
    kind = part.get_content_type()
    return kind.startswith("text/") or kind.startswith("message/") or kind.startswith("multipart/")


def _forwarded(part: Message) -> MailAttachment:
    inner = part.get_payload(0) if part.is_multipart() else part.get_payload()
    data = inner.as_bytes(policy=email.policy.SMTP) if isinstance(inner, Message) else b""
    subject = str(inner.get("subject", "")) if isinstance(inner, Message) else ""
    name = part.get_filename() or f"{_one_line(subject)[:80] or 'forwarded message'}.eml"
    return MailAttachment(filename=name, content_type="message/rfc822", data=data)


def _attachment(part: Message) -> MailAttachment:
    data = part.get_payload(decode=True)
    name = part.get_filename() or ""
    if not name:
        extension = part.get_content_subtype() if part.get_content_maintype() == "image" else "bin"
        name = f"attachment.{extension}"
    return MailAttachment(
        filename=_one_line(str(name)),
        content_type=part.get_content_type(),
        data=data if isinstance(data, bytes) else b"",
    )
