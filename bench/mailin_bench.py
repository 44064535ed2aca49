"""Mail in: messages per second through a real `docket mail` listener (LMTP), sent by
smtplib's real LMTP client, each one committed before its 250.

    DOCKET_DATA_DIR=/tmp/mailb python bench/mailin_bench.py [--messages 300] [--clients 2]
    DOCKET_DATABASE_URL=postgres://…/db python bench/mailin_bench.py

On a fresh database (migrated here): project HELP with the address help@bench.example. The
messages are the shared fixtures that open issues (plain, HTML, charsets, attachments),
each sent with its own Message-ID, over `--clients` connections at once (each sends its
share one after the other on one connection). Reported: messages/s over the whole run, the
per-message time (p50, p95), and the outcome counts (every message must open an issue).
"""

from __future__ import annotations

import argparse
import os
import re
import smtplib
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docket.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from docket.accounts.models import User  # noqa: E402
from docket.mailin import actions as mail_actions  # noqa: E402
from docket.mailin.models import Inbound  # noqa: E402
from docket.projects import actions as project_actions  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "email"
OPENING = ["mail__plain__basic_email.eml", "flanker__alternative__quoted_printable.eml",
           "mail__charset__shift_jis.eml", "mail__attach__pdf.eml",
           "flanker__plain__latin1.eml", "mail__charset__euc-kr_encoded_subject.eml"]  # fmt: skip
ADDRESS = "help@bench.example"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("docket mail did not come up")


def _messages(count: int) -> list[bytes]:
    bodies = [re.sub(rb"\r?\n", b"\r\n", (DATA / name).read_bytes()) for name in OPENING]
    out = []
    for n in range(count):
        body = re.sub(rb"(?im)^message-id:.*\r\n", b"", bodies[n % len(bodies)])
        out.append(f"Message-ID: <bench-{n}@bench.example>\r\n".encode() + body)
    return out


retried: list[int] = []


def _send(port: int, messages: list[bytes], took: list[float], lock: threading.Lock) -> None:
    with smtplib.LMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo()
        for raw in messages:
            before = time.perf_counter()
            for _attempt in range(5):  # as a mail server does: a 451 is tried again
                client.mail("sender@bench.example")
                client.rcpt(ADDRESS)
                code, answer = client.data(raw)
                if code == 250:
                    break
                with lock:
                    retried.append(code)
                client.rset()
            assert code == 250, (code, answer)
            with lock:
                took.append(time.perf_counter() - before)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    admin = User.objects.create_user("mb_admin", "a@example.com", "x-bench-pass-1",
                                     is_superuser=True)  # fmt: skip
    project = project_actions.create_project(actor=admin, key="HELP", name="Help desk")
    mail_actions.set_mailbox(actor=admin, project=project, data={"address": ADDRESS})
    messages = _messages(args.messages)
    port = _port()
    docket = str(Path(sys.executable).with_name("docket"))
    listener = subprocess.Popen([docket, "mail", "--listen", f"127.0.0.1:{port}"])
    took: list[float] = []
    lock = threading.Lock()
    try:
        _wait_listening(port)
        shares = [messages[i :: args.clients] for i in range(args.clients)]
        threads = [threading.Thread(target=_send, args=(port, s, took, lock)) for s in shares]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        listener.terminate()
        listener.wait(10)
    outcomes = Counter(Inbound.objects.values_list("outcome", flat=True))
    ordered = sorted(took)
    p95 = ordered[int(0.95 * len(ordered)) - 1]
    print(f"{len(took)} messages over {args.clients} LMTP connection(s) in {elapsed:.2f} s: "
          f"{len(took) / elapsed:.1f} messages/s; per message p50 "
          f"{statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms; "
          f"outcomes {dict(outcomes)}; answered 451 and retried: {len(retried)}")  # fmt: skip


if __name__ == "__main__":
    main()
