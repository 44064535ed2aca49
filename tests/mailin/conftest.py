"""Mail-in tests: the real listener (`docket mail`'s controller) on a free 127.0.0.1 port in
a thread of this process, talking to the test database, fed by smtplib's real LMTP/SMTP
clients; the shared .eml fixtures read in place, byte for byte."""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from docket.accounts.models import User
from docket.core.clock import now
from docket.mailin.listener import MailController
from docket.mailin.models import Mailbox
from docket.projects.models import Membership, Project, Role
from docket.projects.workflows import create_workflow
from tests.factories import UserFactory
from tests.servers import DOCKET

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "email"
HELP = "help@support.example.com"


def fixture_bytes(name: str) -> bytes:
    path = DATA / name
    if not path.exists():
        pytest.skip(
            f"shared email fixtures not found at {DATA.resolve()} (../shared/data; CI has it)"
        )
    return path.read_bytes()


def fixture_names() -> list[str]:
    return sorted(p.name for p in DATA.glob("*.eml")) if DATA.exists() else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Listener:
    host: str
    port: int
    mode: str
    pid: int | None = None  # of a `docket mail` process

    def client(self) -> smtplib.SMTP:
        if self.mode == "lmtp":
            client: smtplib.SMTP = smtplib.LMTP(self.host, self.port, timeout=30)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=30)
        return client

    def send(self, raw: bytes, to: str = HELP, mail_from: str = "sender@example.org") -> str:
        """Deliver `raw` as is; the server's answer to DATA (raises on a refusal)."""
        with self.client() as client:
            client.ehlo()  # LHLO for LMTP
            client.mail(mail_from)
            code, answer = client.rcpt(to)
            if code != 250:
                raise smtplib.SMTPRecipientsRefused({to: (code, answer)})
            # On the wire, lines end in CRLF (RFC 5321), as a mail server sends them.
            code, answer = client.data(re.sub(rb"\r?\n", b"\r\n", raw))
            if code != 250:
                raise smtplib.SMTPDataError(code, answer)
            return answer.decode()


def start_listener(mode: str = "lmtp") -> tuple[MailController, Listener]:
    port = free_port()
    controller = MailController("127.0.0.1", port, mode)
    controller.start()
    return controller, Listener("127.0.0.1", port, mode)


@pytest.fixture
def listener(transactional_db: None) -> Iterator[Listener]:
    controller, running = start_listener("lmtp")
    try:
        yield running
    finally:
        controller.stop()


@dataclass
class Desk:
    """Committed rows for tests beside the listener, made without the actions that write the
    audit log (append-only: SQLite's test database could not be emptied after the test)."""

    alice: User  # the project's admin
    bob: User  # a member
    web: Project

    def project(self, key: str, address: str) -> Project:
        project = Project.objects.create(
            key=key, name=f"{key} desk", lead=self.alice, workflow=create_workflow("default")
        )
        Membership.objects.create(project=project, user=self.alice, role=Role.ADMIN)
        Membership.objects.create(project=project, user=self.bob, role=Role.MEMBER)
        give_address(project, address)
        return project


@pytest.fixture
def desk(transactional_db: None) -> Desk:
    alice = UserFactory(username="alice", email="alice@staff.example")
    bob = UserFactory(username="bob", email="bob@staff.example")
    made = Desk(alice, bob, Project())
    made.web = made.project("WEB", HELP)
    return made


def give_address(project: Project, address: str = HELP) -> Mailbox:
    moment = now()
    return Mailbox.objects.create(
        project=project, address=address, created_at=moment, updated_at=moment
    )


@contextmanager
def mail_process(env: dict[str, str], log: Path, mode: str = "lmtp") -> Iterator[Listener]:
    """A real `docket mail` process (the server's environment: its database), until it takes
    connections; terminated afterwards."""
    port = free_port()
    command = [DOCKET, "mail", "--listen", f"127.0.0.1:{port}", "--mode", mode]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"docket mail exited early:\n{log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"docket mail did not listen within 60 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield Listener("127.0.0.1", port, mode, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
