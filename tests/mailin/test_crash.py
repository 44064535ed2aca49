"""`docket mail` killed (kill -9) just as a message's data has been sent: the sender gets no
250, and its retry to a new listener leaves exactly one issue with its attachment, nothing
half-written. (In runs so far every kill landed before the commit, so the retry opened the
issue; a kill between the commit and the 250 leaves a retry that is a no-op by its Message-ID,
which test_listener.py's duplicate test covers.)"""

from __future__ import annotations

import os
import re
import signal
import socket
from pathlib import Path

import pytest

from tests.mailin.conftest import fixture_bytes, mail_process
from tests.servers import running_server, scratch_environment

pytestmark = pytest.mark.slow

ROUNDS = 3


def _message(n: int) -> bytes:
    body = re.sub(rb"\r?\n", b"\r\n", fixture_bytes("mail__attach__pdf.eml"))
    body = re.sub(rb"(?im)^message-id:.*\r\n", b"", body)
    return f"Message-ID: <crash-{n}@customer.example>\r\n".encode() + body


def _send_and_kill(host: str, port: int, pid: int, raw: bytes) -> bytes:
    """Speak LMTP up to the end of the data, kill the listener at once, return what came
    back (a 250 if it answered first, else nothing)."""
    with socket.create_connection((host, port), 10) as sock:
        replies = sock.makefile("rb")
        replies.readline()  # 220
        for line in (b"LHLO test", b"MAIL FROM:<xxxx@xxxx.com>",
                     b"RCPT TO:<help@support.example.com>"):  # fmt: skip
            sock.sendall(line + b"\r\n")
            while (reply := replies.readline())[3:4] == b"-":
                pass
            assert reply.startswith(b"250"), reply
        sock.sendall(b"DATA\r\n")
        assert replies.readline().startswith(b"354")
        sock.sendall(raw + b".\r\n")
        os.kill(pid, signal.SIGKILL)
        try:
            return replies.readline()
        except OSError:
            return b""


def test_a_killed_listener_loses_nothing_and_the_retry_lands_once(tmp_path: Path) -> None:
    with (
        scratch_environment(tmp_path / "data", ready=True) as env,
        running_server(env, tmp_path / "server.log", workers=1) as server,
        server.client(server.token("admin")) as admin,
    ):
        assert admin.post("/projects", json={"key": "HELP", "name": "Help"}).status_code == 201
        mail = {"address": "help@support.example.com"}
        assert admin.put("/projects/HELP/mail", json=mail).status_code == 200
        first_answers, retries = [], []
        for n in range(ROUNDS):
            with mail_process(server.env, tmp_path / f"killed-{n}.log") as doomed:
                assert doomed.pid is not None
                first_answers.append(_send_and_kill(doomed.host, doomed.port, doomed.pid,
                                                    _message(n)))  # fmt: skip
            with mail_process(server.env, tmp_path / f"retry-{n}.log") as again:
                retried = again.send(_message(n))  # the sending server tries again
            assert retried.endswith(("opened", "duplicate"))
            retries.append(retried.rsplit(" ", 1)[-1])
        for n in range(1, ROUNDS + 1):
            issue = admin.get(f"/issues/HELP-{n}")
            assert issue.status_code == 200
            attached = admin.get(f"/issues/HELP-{n}/attachments").json()["items"]
            assert [a["filename"] for a in attached] == ["broken.pdf"]
        assert admin.get(f"/issues/HELP-{ROUNDS + 1}").status_code == 404
        print("answers before the kill:", first_answers, "retries:", retries)
