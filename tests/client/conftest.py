"""The terminal client against one real `docket serve` per test module (no mocked HTTP)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import DOCKET, Server, running_server, scratch_environment


@dataclass
class Client:
    """Runs `docket` as a user would, with its own config directory."""

    server: Server
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKET_")}
        env.update(
            XDG_CONFIG_HOME=str(self.home / "config"), XDG_CACHE_HOME=str(self.home / "cache")
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(extra)
        return env

    def run(
        self, *args: str, stdin: str | None = None, cwd: Path | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [DOCKET, *args], env=self.env(**extra), input=stdin, capture_output=True,
            text=True, timeout=60, cwd=cwd,
        )  # fmt: skip

    def ok(self, *args: str, stdin: str | None = None, **extra: str) -> str:
        done = self.run(*args, stdin=stdin, **extra)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def json(self, *args: str) -> object:
        return json.loads(self.ok(*args, "--json"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("client-server")
    with (
        scratch_environment(root / "data", ready=True) as env,
        running_server(env, root / "server.log", workers=1) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def admin_token(server: Server) -> str:
    return server.token("admin", "read,write,admin")


@pytest.fixture(scope="module")
def project(server: Server, admin_token: str) -> str:
    with server.client(admin_token) as api:
        answer = api.post("/projects", json={"key": "WEB", "name": "Website"})
        assert answer.status_code == 201, answer.text
    return "WEB"


@pytest.fixture
def client(server: Server, admin_token: str, tmp_path: Path, project: str) -> Client:
    """Logged in as the admin with a token."""
    client = Client(server, tmp_path)
    client.ok("login", "--url", server.url, "--token", admin_token)
    return client


@pytest.fixture(scope="module")
def openapi(server: Server) -> dict[str, object]:
    with server.client() as api:
        document: dict[str, object] = api.get("/openapi.json").json()
    return document
