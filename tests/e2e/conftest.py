"""Real processes: `docket` commands and a `docket serve` server, spoken to over HTTP
(the process plumbing lives in tests/servers.py, shared with the browser tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Server, run_docket, running_server, scratch_environment

__all__ = ["run_docket"]


@pytest.fixture
def scratch_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with scratch_environment(tmp_path / "data") as env:
        yield env


@pytest.fixture
def ready_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A scratch environment already migrated, with its first admin (tests/servers.py)."""
    with scratch_environment(tmp_path / "data", ready=True) as env:
        yield env


@pytest.fixture
def server(ready_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    with running_server(ready_env, tmp_path / "server.log", workers=2) as running:
        yield running
