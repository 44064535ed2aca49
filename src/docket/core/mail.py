"""Sending mail from the job queue, never from the request.

`send_later` builds the message at once — so a bad header (a CR or LF from user data, which
Django refuses with `BadHeaderError`) or an unparseable address fails in the caller — and
queues a `deliver_mail` job, in the caller's transaction: the mail goes if and only if what
it tells about was saved, and it survives a restart. The worker sends it; a mail server that
fails is retried with backoff (core/jobs.py), and a mail that never goes stays as a FAILED
job for site admins to see and retry. Each message gets its Message-ID when queued, so a
retry is the same message, not a new one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME
from django.utils.crypto import get_random_string
from django_tasks import task

from docket.core.jobs import retry_later

logger = logging.getLogger(__name__)


def send_later(message: EmailMessage) -> None:
    """Validate `message` now (raises BadHeaderError / ValueError) and queue it for sending."""
    _validate(message)
    if not message.recipients():
        return
    message.extra_headers.setdefault("Message-ID", new_message_id())
    deliver_mail.enqueue(_as_json(message))


def new_message_id(local: str | None = None) -> str:
    return f"<{local or get_random_string(24)}@{DNS_NAME}>"


def _validate(message: EmailMessage) -> None:
    message.message()  # builds every header: CR/LF anywhere raises BadHeaderError here
    encoding = message.encoding or settings.DEFAULT_CHARSET
    for address in [message.from_email, *message.recipients()]:
        sanitize_address(address, encoding)  # what the SMTP backend will do: raises ValueError


def _as_json(message: EmailMessage) -> dict[str, Any]:
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [[content, mimetype] for content, mimetype in alternatives],
    }


def _from_json(data: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        data["subject"],
        data["body"],
        data["from_email"],
        data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


@task()
def deliver_mail(message: dict[str, Any], attempt: int = 1) -> str:
    """Hand one queued message to the mail server; retried with backoff when it fails."""
    built = _from_json(message)
    try:
        built.send()
    except Exception as exc:  # any server or network failure: try again later
        if not retry_later(deliver_mail, attempt, message):
            raise
        logger.warning("mail %r: attempt %d failed (%s); retrying", built.subject, attempt, exc)
        return f"attempt {attempt} failed; retrying"
    return f"sent to {len(built.recipients())} recipient(s)"
