"""Sending mail without making the request wait for the mail server.

`send_later` builds the message at once — so a bad header (a CR or LF from user data, which
Django refuses with `BadHeaderError`) or an unparseable address fails in the caller — then
hands it to a thread that talks to the server. The request's timing therefore does not tell
whether a mail went out (password reset must not reveal which addresses have accounts),
and a slow or unreachable server never holds a worker. Delivery failures are logged.
The threads are not daemons: on shutdown the process waits for them (bounded by
`EMAIL_TIMEOUT`), so a queued mail is not silently dropped.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import sanitize_address

logger = logging.getLogger(__name__)

_pending: set[threading.Thread] = set()
_lock = threading.Lock()


def send_later(message: EmailMessage) -> None:
    """Validate `message` now (raises BadHeaderError / ValueError) and send it in the
    background."""
    message.message()  # builds every header: CR/LF anywhere raises BadHeaderError here
    encoding = message.encoding or settings.DEFAULT_CHARSET
    for address in [message.from_email, *message.recipients()]:
        sanitize_address(address, encoding)  # what the SMTP backend will do: raises ValueError
    thread = threading.Thread(target=_send, args=(message,), name="docket-mail")
    with _lock:
        _pending.add(thread)
    thread.start()


def _send(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception:  # a mail server problem must not crash anything; it is logged
        logger.exception("could not send mail %r to %s", message.subject, message.recipients())
    finally:
        with _lock:
            _pending.discard(threading.current_thread())


def wait_for_pending(timeout: float = 30.0) -> None:
    """Block until every queued mail has been handed to the server (tests, shutdown)."""
    with _lock:
        threads = list(_pending)
    for thread in threads:
        thread.join(timeout)
