"""`docket serve` with DOCKET_MAIL_LISTEN set starts `docket mail` beside it: real processes,
mail over LMTP, the issue read back over HTTP."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

from tests.mailin.conftest import Listener, fixture_bytes, free_port
from tests.servers import running_server, scratch_environment


def _listening(port: int) -> Listener:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return Listener("127.0.0.1", port, "lmtp")
        time.sleep(0.1)
    raise AssertionError("docket mail did not listen within 60 s")


def test_docket_serve_starts_the_mail_listener(tmp_path: Path) -> None:
    port = free_port()
    with scratch_environment(tmp_path / "data", ready=True) as env:
        env["DOCKET_MAIL_LISTEN"] = f"127.0.0.1:{port}"
        with (
            running_server(env, tmp_path / "server.log", workers=1) as server,
            server.client(server.token("admin")) as admin,
        ):
            assert admin.post("/projects", json={"key": "HELP", "name": "Help"}).status_code == 201
            mail = {"address": "help@support.example.com"}
            assert admin.put("/projects/HELP/mail", json=mail).status_code == 200
            answer = _listening(port).send(fixture_bytes("mail__charset__iso-2022-jp.eml"))
            assert answer.endswith("opened")
            issue = admin.get("/issues/HELP-1").json()
            assert (issue["title"], issue["description"]) == ("まみむめも", "すみません。")
