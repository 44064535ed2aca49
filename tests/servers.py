"""Real `docket` processes for end-to-end and browser tests.

Each server gets a scratch database of the same kind as the test run: a SQLite file in a
temporary data dir, or (when DOCKET_DATABASE_URL is PostgreSQL) a fresh PostgreSQL database.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

DOCKET = str(Path(sys.executable).with_name("docket"))
ADMIN_PASSWORD = "e2e-admin-password-123"


def _pg_admin_url() -> str | None:
    url = os.environ.get("DOCKET_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextmanager
def scratch_environment(data_dir: Path, ready: bool = False) -> Iterator[dict[str, str]]:
    """Environment for a `docket` process with its own data dir and database: empty, or with
    `ready` already migrated, with the first admin and collected static files — a copy of a
    template one real `docket serve` made once per test process (a server start is seconds
    of migrating and collecting on a busy machine; a copy is milliseconds)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DOCKET_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env["DOCKET_DATA_DIR"] = str(data_dir)
    template = _template() if ready else None
    if template is not None:
        shutil.copytree(template.data_dir, data_dir, dirs_exist_ok=True)
        _admin_tokens[str(data_dir)] = template.admin_token
    base = _pg_admin_url()
    if base is None:
        yield env
        return
    import psycopg

    name = f"docket_e2e_{uuid.uuid4().hex[:12]}"
    conninfo = base.replace("postgres://", "postgresql://", 1)
    copy = f' TEMPLATE "{template.database}"' if template and template.database else ""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for attempt in range(50):  # the template's last server may still be disconnecting
            try:
                conn.execute(f'CREATE DATABASE "{name}"{copy}')
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 49:
                    raise
                time.sleep(0.1)
    env["DOCKET_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield env
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class _Template:
    data_dir: Path
    database: str | None  # PostgreSQL: the database new ones are copied from
    admin_token: str  # read,write,admin: valid in every copy, as the copies hold its hash


_templates: list[_Template] = []
# Data dir → the admin token its template copy already holds (Server.token's default),
# instead of a `docket token create` process (~1.5 s of CPU) per server.
_admin_tokens: dict[str, str] = {}


def _template() -> _Template:
    if not _templates:
        root = Path(tempfile.mkdtemp(prefix="docket-template-"))
        with (
            _kept_environment(root / "data") as (env, database),
            running_server(env, root / "server.log", workers=1) as server,
        ):
            token = server.token()  # migrated, first admin made, static files collected
        _templates.append(_Template(root / "data", database, token))
        if database is not None:
            atexit.register(_drop_database, database)
    return _templates[0]


@contextmanager
def _kept_environment(data_dir: Path) -> Iterator[tuple[dict[str, str], str | None]]:
    """Like scratch_environment, but the PostgreSQL database outlives the block."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DOCKET_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env["DOCKET_DATA_DIR"] = str(data_dir)
    base = _pg_admin_url()
    if base is None:
        yield env, None
        return
    import psycopg

    name = f"docket_e2e_template_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    env["DOCKET_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    yield env, name


def _drop_database(name: str) -> None:
    import psycopg

    base = _pg_admin_url()
    if base is None:
        return
    with psycopg.connect(base.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_docket(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOCKET, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    env: dict[str, str]
    log: Path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=30)

    def token(self, username: str = "admin", scopes: str = "read,write,admin") -> str:
        kept = _admin_tokens.get(self.env["DOCKET_DATA_DIR"])
        if kept and (username, scopes) == ("admin", "read,write,admin"):
            return kept
        result = run_docket(self.env, "token", "create", username, "--scopes", scopes)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


def _serve(port: int, workers: int, worker: bool) -> list[str]:
    """The `docket serve` command line. Without `worker` the server starts none (most tests
    need no background work, and a worker costs each start a process and its polling)."""
    command = [DOCKET, "serve", "--port", str(port), "--workers", str(workers)]
    return command if worker else [*command, "--no-worker"]


def server_env(env: dict[str, str], worker: bool) -> dict[str, str]:
    env = {**env, "DOCKET_ADMIN_PASSWORD": ADMIN_PASSWORD}
    if not worker:  # /healthz would say "degraded: no worker" for the whole test
        env.setdefault("DOCKET_HEALTH_REQUIRES_WORKER", "false")
    # The suite runs many servers on two busy cores: a request may wait over the default 1 s
    # for a thread without the server being overloaded. Shedding has its own tests
    # (tests/unit/test_lanes.py, test_asgi_entry.py), which set their own limits.
    env.setdefault("DOCKET_QUEUE_TIMEOUT_MS", "15000")
    env.setdefault("DOCKET_WRITE_QUEUE_TIMEOUT_MS", "15000")
    return env


@contextmanager
def running_server(
    env: dict[str, str], log: Path, workers: int = 1, worker: bool = False
) -> Iterator[Server]:
    """`docket serve` for the block. One server process unless asked: each more is a spawned
    interpreter importing and warming Docket (seconds of CPU a start), and only the tests of
    requests racing across processes need it (they ask for `workers=2`)."""
    port = free_port()
    env = server_env(env, worker)
    with log.open("w") as out:
        process = subprocess.Popen(
            _serve(port, workers, worker),
            env=env,
            stdout=out,
            stderr=out,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield Server(url, env, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"docket serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"docket serve did not answer within 120 s:\n{log.read_text()}")


def spawn_server(
    env: dict[str, str],
    log: Path,
    workers: int = 2,
    port: int | None = None,
    worker: bool = False,
) -> tuple[Server, subprocess.Popen[bytes]]:
    """Start `docket serve` and wait until it answers; the caller owns the process.

    Unlike running_server, the server leads its own process group (so `os.killpg` reaches
    its workers: a kill -9 test kills them all), the log is appended to (a restarted server
    keeps the earlier lines), and `port` may be given to come back where it was.
    """
    port = port or free_port()
    env = server_env(env, worker)
    with log.open("a") as out:
        process = subprocess.Popen(
            _serve(port, workers, worker),
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
    except BaseException:
        stop_process_group(process)
        raise
    return Server(url, env, log), process


def stop_process_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Send `sig` to a process started by spawn_server and its workers; wait for it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # The workers may outlive a killed parent for a moment: wait until the group is gone.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(0.05)
