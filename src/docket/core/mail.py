"""Sending mail without making the request wait for the mail server.

`send_later` builds the message at once — so a bad header (a CR or LF from user data, which
Django refuses with `BadHeaderError`) or an unparseable address fails in the caller — then
hands it to a thread that talks to the server, so a slow or unreachable server never holds a
worker. `send_built_later` also builds the messages in that thread, for mail whose very
existence the request's timing must not tell (password reset: whether an address has an
account): the caller hands over one job whether it will make no message or several, and
does the same work either way. Delivery failures are logged.
The threads are not daemons: on shutdown the process waits for them (bounded by
`EMAIL_TIMEOUT`), so a queued mail is not silently dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import sanitize_address

logger = logging.getLogger(__name__)

_pending: set[threading.Thread] = set()
_lock = threading.Lock()


def send_later(message: EmailMessage) -> None:
    """Validate `message` now (raises BadHeaderError / ValueError) and send it in the
    background."""
    _validate(message)
    _start(lambda: _send(message))


def send_built_later(build: Callable[[], Sequence[EmailMessage]]) -> None:
    """Call `build` in the background and send what it returns (perhaps nothing). A message
    that does not validate is logged and skipped. `build` must not touch the database: the
    thread does not see the caller's transaction, so hand it what it needs."""
    _start(lambda: _build_and_send(build))


def _validate(message: EmailMessage) -> None:
    message.message()  # builds every header: CR/LF anywhere raises BadHeaderError here
    encoding = message.encoding or settings.DEFAULT_CHARSET
    for address in [message.from_email, *message.recipients()]:
        sanitize_address(address, encoding)  # what the SMTP backend will do: raises ValueError


def _start(work: Callable[[], None]) -> None:
    thread = threading.Thread(target=_run, args=(work,), name="docket-mail")
    with _lock:
        _pending.add(thread)
    thread.start()


def _run(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:  # a mail thread must not die silently: it is logged
        logger.exception("a background mail job failed")
    finally:
        with _lock:
            _pending.discard(threading.current_thread())


def _build_and_send(build: Callable[[], Sequence[EmailMessage]]) -> None:
    for message in build():
        try:
            _validate(message)
        except ValueError:  # BadHeaderError is a ValueError too
            logger.warning("not sending mail %r: unusable header or address", message.subject)
            continue
        _send(message)


def _send(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception:  # a mail server problem must not crash anything; it is logged
        logger.exception("could not send mail %r to %s", message.subject, message.recipients())


def wait_for_pending(timeout: float = 30.0) -> None:
    """Block until every queued mail has been handed to the server (tests, shutdown)."""
    with _lock:
        threads = list(_pending)
    for thread in threads:
        thread.join(timeout)
