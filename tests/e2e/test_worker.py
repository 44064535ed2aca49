"""`docket serve` runs a worker beside it: mail leaves through the job queue, the worker's
beat shows in /healthz, and the worker ends with its server even after a kill -9."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.mail import SmtpServer
from tests.servers import run_docket, spawn_server, stop_process_group

pytestmark = pytest.mark.slow


def _wait_for(condition, seconds: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"not true within {seconds} s")


def _received(smtp: SmtpServer) -> list:
    with smtp.lock:
        return [d.message for d in smtp.deliveries]


def test_a_reset_mail_goes_out_through_the_worker_with_links_to_this_server(
    ready_env: dict[str, str], tmp_path: Path, smtp_server: SmtpServer
):
    env = {
        **ready_env,
        "DOCKET_SMTP_HOST": smtp_server.host,
        "DOCKET_SMTP_PORT": str(smtp_server.port),
        "DOCKET_SMTP_TLS": "false",
    }
    server, process = spawn_server(env, tmp_path / "server.log", workers=1, worker=True)
    try:
        health = _wait_for(
            lambda: (
                (h := httpx.get(server.url + "/healthz").json())["worker"]["last_beat_seconds_ago"]
                is not None
                and h
            )
        )
        assert health["status"] == "ok", health
        assert run_docket(server.env, "check", "--require-worker").returncode == 0

        started = time.monotonic()
        reset = httpx.post(
            server.url + "/api/v1/auth/password-reset", json={"email": "admin@localhost"}
        )
        assert reset.status_code in (200, 202), reset.text
        [mail] = _wait_for(lambda: _received(smtp_server))
        took = time.monotonic() - started
        assert mail["To"] == "admin@localhost" and mail["Message-ID"]
        link = re.search(r"http://\S+/reset/\S+/", mail.get_content()).group(0)
        assert link.startswith(server.url + "/reset/")  # the port it runs on, not 8000
        assert took < 5

        worker = _worker_of(process.pid)
        os.kill(process.pid, signal.SIGKILL)  # the server dies without a word
        _wait_for(lambda: not _alive(worker), 10)
    finally:
        stop_process_group(process)


def test_without_an_smtp_server_mail_is_written_to_the_data_dir_not_the_output(
    ready_env: dict[str, str], tmp_path: Path
):
    """A fresh install: an admin fetches the reset link from docket-data/mail/, and the
    server's output stays readable (the demo's notifications used to flood it)."""
    server, process = spawn_server(ready_env, tmp_path / "server.log", workers=1, worker=True)
    try:
        reset = httpx.post(
            server.url + "/api/v1/auth/password-reset", json={"email": "admin@localhost"}
        )
        assert reset.status_code in (200, 202), reset.text
        folder = Path(ready_env["DOCKET_DATA_DIR"]) / "mail"
        [written] = _wait_for(lambda: list(folder.glob("*.log")))
        text = written.read_text()
        assert "To: admin@localhost" in text and server.url + "/reset/" in text
    finally:
        stop_process_group(process)
    assert "/reset/" not in (tmp_path / "server.log").read_text()


def _worker_of(parent: int) -> int:
    found = subprocess.run(
        ["pgrep", "-f", f"worker --parent {parent}"], capture_output=True, text=True
    ).stdout.split()
    assert len(found) == 1, found
    return int(found[0])


def _alive(pid: int) -> bool:
    """Running, not gone and not a zombie waiting for its (killed) parent to reap it."""
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()
