"""What an operator runs: `docket doctor`, and `docket serve` on a port that is taken.
(Backup and restore under load: tests/faults/test_backup.py.)"""

from __future__ import annotations

import json
import shlex
import shutil
import socket
import subprocess

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.conftest import run_docket
from tests.mail import SmtpServer
from tests.servers import DOCKET, free_port

pytestmark = pytest.mark.slow


def findings(env: dict[str, str]) -> tuple[int, dict[str, dict[str, str]]]:
    done = run_docket(env, "doctor", "--json")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return done.returncode, {f["part"]: f for f in lines}


def test_doctor_explains_a_ready_site_and_fails_on_an_unreachable_mail_server(ready_env):
    mailer = SmtpServer("127.0.0.1", free_port())
    controller = Controller(mailer, hostname=mailer.host, port=mailer.port)
    controller.start()
    try:
        env = {**ready_env, "DOCKET_SMTP_HOST": "127.0.0.1", "DOCKET_SMTP_TLS": "false"}
        code, parts = findings({**env, "DOCKET_SMTP_PORT": str(mailer.port)})
    finally:
        controller.stop()
    assert parts["database"]["status"] == "ok"
    assert parts["migrations"] == {
        "status": "ok", "part": "migrations", "detail": "all applied", "fix": ""
    }  # fmt: skip
    assert parts["mail out"]["status"] == "ok", parts["mail out"]
    assert parts["static files"]["status"] == "ok"  # the template server collected them
    assert parts["worker"]["status"] == "warn"  # none has run: no beat yet
    assert code == 0

    closed = free_port()
    code, parts = findings({**env, "DOCKET_SMTP_PORT": str(closed)})
    assert code == 1
    assert parts["mail out"]["status"] == "fail"
    assert f"127.0.0.1:{closed}" in parts["mail out"]["detail"]
    assert "DOCKET_SMTP_HOST" in parts["mail out"]["fix"]

    human = run_docket({**ready_env, "DOCKET_BASE_URL": "ftp://docket"}, "doctor")
    assert human.returncode == 1
    assert "fail  DOCKET_BASE_URL: 'ftp://docket' is not an http(s) URL" in human.stdout


def test_doctor_says_what_is_pending_before_migrating(scratch_env):
    code, parts = findings(scratch_env)
    assert code == 1
    assert parts["migrations"]["status"] == "fail"
    assert "docket migrate" in parts["migrations"]["fix"]


def test_serve_on_a_port_in_use_says_so_plainly_and_exits_non_zero(ready_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_docket(ready_env, "serve", "--port", str(port), "--no-worker")
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Docket on" not in done.stderr


def test_server_help_names_each_value_and_shows_no_type_for_flags(scratch_env):
    shown = run_docket(scratch_env, "serve", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "PORT" in shown.stdout and "--no-worker" in shown.stdout
    assert "<bool>" not in shown.stdout and "<str>" not in shown.stdout


def test_long_work_shows_progress_on_a_terminal_only(ready_env, tmp_path):
    plain = run_docket(ready_env, "export", "-o", str(tmp_path / "plain.csv"))
    assert plain.returncode == 0 and "Exporting" not in plain.stderr
    if shutil.which("script") is None:  # util-linux: gives the command a terminal
        pytest.fail("`script` (util-linux) is needed to run a command on a terminal")
    command = f"{shlex.quote(DOCKET)} export -o {shlex.quote(str(tmp_path / 'tty.csv'))}"
    on_tty = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        env=ready_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert on_tty.returncode == 0, on_tty.stdout
    assert "Exporting" in on_tty.stdout  # the spinner's line, on the terminal
