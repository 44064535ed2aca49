"""A real SMTP server for tests: aiosmtpd on a free 127.0.0.1 port, collecting what arrives.

    def test_something(smtp_server):
        ...                                  # code that sends mail (through Django's SMTP backend)
        [message] = smtp_server.delivered()  # waits for queued mail first
        assert message["To"] == "alice@example.com"

The fixture points Django's EMAIL_* settings at the server for the test's duration.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from docket.worker.runner import run_ready_jobs


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class SmtpServer:
    host: str
    port: int
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.deliveries.append(
                Delivery(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed)
            )
        return "250 Message accepted for delivery"

    def delivered(self) -> list[EmailMessage]:
        """Every message received so far, after the queued mail jobs have run (here, by the
        worker's own job runner: the queue is the real one). A test without database access
        cannot have queued any."""
        with contextlib.suppress(RuntimeError):  # pytest-django: "Database access not allowed"
            run_ready_jobs()
        with self.lock:
            return [d.message for d in self.deliveries]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer("127.0.0.1", _free_port())
    controller = Controller(
        server, hostname=server.host, port=server.port, server_hostname="localhost"
    )
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield server
    finally:
        controller.stop()
