"""The read replica (docs/scaling.md): lag-tolerant reads go to it, everything else to the
primary, and a browser that just wrote reads its own writes from the primary.

The stand-in replica is a second connection (alias `replica`) to the test database, so each
query shows which alias served it; tests run transactional because the router keeps every
read inside a transaction on the primary (the replica could not see its rows). The same
against a real streaming replica, over HTTP: test_replica_streaming.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from docket.core.routers import (
    PRIMARY,
    REPLICA,
    WROTE_COOKIE,
    ReplicaRouter,
    primary_only,
    reads_may_lag,
)
from docket.issues.models import Issue
from docket.projects.models import Membership, Project, Role
from docket.projects.workflows import create_workflow
from tests.factories import UserFactory, make_issue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(transactional_db) -> Iterator[str]:
    connections.settings[REPLICA] = dict(connections[PRIMARY].settings_dict)
    # Opened here: pytest-django refuses new connections to aliases it did not set up.
    connections[REPLICA].connect()
    yield REPLICA
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def alice(transactional_db):
    """A user and her project WEB, committed (no member changes: those write the append-only
    audit log, which SQLite's test database could not flush after the test)."""
    user = UserFactory(username="alice")
    web = Project.objects.create(
        key="WEB", name="WEB desk", lead=user, workflow=create_workflow("default")
    )
    Membership.objects.create(project=web, user=user, role=Role.ADMIN)
    return user


def test_without_a_replica_every_read_goes_to_the_primary():
    with reads_may_lag():
        assert ReplicaRouter().db_for_read(Issue) == PRIMARY


def test_only_reads_that_may_lag_go_to_the_replica(replica):
    router = ReplicaRouter()
    assert router.db_for_read(Issue) == PRIMARY
    with reads_may_lag():
        assert router.db_for_read(Issue) == REPLICA
        with primary_only():
            assert router.db_for_read(Issue) == PRIMARY
        with transaction.atomic():  # its rows are not on the replica yet
            assert router.db_for_read(Issue) == PRIMARY
    assert router.db_for_write(Issue) == PRIMARY
    assert router.allow_migrate(PRIMARY, "issues") and not router.allow_migrate(REPLICA, "issues")


def test_a_write_pins_later_reads_of_the_same_code_to_the_primary(replica, alice):
    with reads_may_lag():
        assert Issue.objects.db == REPLICA
        make_issue(alice, Project.objects.get(key="WEB"))
        assert Issue.objects.db == PRIMARY
    with reads_may_lag():  # the pin ends with its scope
        assert Issue.objects.db == REPLICA


def _queries_per_alias(client: Client, path: str) -> dict[str, int]:
    with (
        CaptureQueriesContext(connections[PRIMARY]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as lagging,
    ):
        assert client.get(path).status_code == 200
    return {PRIMARY: len(primary), REPLICA: len(lagging)}


def test_lists_search_and_dashboard_read_from_the_replica_until_the_user_writes(replica, alice):
    make_issue(alice, Project.objects.get(key="WEB"), title="Printer on fire")
    client = Client()
    client.force_login(alice)
    for path in ("/issues/?q=is:open", "/search?q=printer", "/dashboard"):
        served = _queries_per_alias(client, path)
        assert served[REPLICA] > 0, path
        assert served[PRIMARY] > 0, path  # the session and the user are read from the primary
    page = _queries_per_alias(client, "/WEB-1")  # not marked: the issue page reads the primary
    assert page[REPLICA] == 0

    created = client.post(
        "/p/WEB/new",
        {"title": "Paper jam", "type": "task", "priority": "high", "severity": "minor"},
    )
    assert created.status_code == 302 and created.cookies[WROTE_COOKIE]["max-age"] == 10
    listed = client.get("/issues/?q=is:open")
    assert b"Paper jam" in listed.content  # read-your-writes
    assert _queries_per_alias(client, "/issues/?q=is:open")[REPLICA] == 0

    client.cookies.pop(WROTE_COOKIE)  # the marker expired: back to the replica
    assert _queries_per_alias(client, "/issues/?q=is:open")[REPLICA] > 0


def test_sqlite_refuses_a_replica_with_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKET_")}
    env |= {
        "DOCKET_DATA_DIR": str(tmp_path),
        "DOCKET_DATABASE_URL": f"sqlite:///{tmp_path / 'docket.sqlite3'}",
        "DOCKET_DATABASE_REPLICA_URL": "postgres://replica.example/docket",
        "DJANGO_SETTINGS_MODULE": "docket.config.settings",
    }
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "DOCKET_DATABASE_REPLICA_URL needs PostgreSQL" in run.stderr


@pytest.fixture
def dead_replica(replica) -> Iterator[str]:
    """The replica alias pointed at a port where nothing listens: a real refused connection.
    (A stopped real replica: tests/scale/test_replica_streaming.py.)"""
    from docket.core import routers

    if connections[PRIMARY].vendor != "postgresql":
        pytest.skip("a refused TCP connection needs a PostgreSQL replica alias")
    live = dict(connections[REPLICA].settings_dict)
    connections[REPLICA].close()
    connections[REPLICA].settings_dict["HOST"] = "127.0.0.1"
    connections[REPLICA].settings_dict["PORT"] = str(_closed_port())
    routers.replica_health.reset()
    yield REPLICA
    connections[REPLICA].close()
    connections[REPLICA].settings_dict.update(live)
    routers.replica_health.reset()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:  # bound and closed: nothing listens there afterwards
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_replica_that_is_down_hands_its_reads_to_the_primary_and_is_tried_again(
    dead_replica, alice, caplog
):
    from docket.core import routers

    make_issue(alice, Project.objects.get(key="WEB"), title="Printer on fire")
    client = Client()
    client.force_login(alice)
    with caplog.at_level("WARNING", logger="docket.core.routers"):
        for _ in range(3):
            listed = client.get("/issues/?q=is:open")
            assert listed.status_code == 200 and b"Printer on fire" in listed.content
        assert client.get("/search?q=printer").status_code == 200
        assert client.get("/dashboard").status_code == 200
    unreachable = [r for r in caplog.records if "read replica unreachable" in r.getMessage()]
    assert len(unreachable) == 1, caplog.text  # one line per outage, not one per request
    assert connections[REPLICA].connection is None

    # Back: after the retry interval the next marked read tries the replica again.
    routers.replica_health.retry_at = 1e-9  # the retry interval is over (the outage is noted)
    connections[REPLICA].settings_dict["PORT"] = connections[PRIMARY].settings_dict["PORT"]
    connections[REPLICA].settings_dict["HOST"] = connections[PRIMARY].settings_dict["HOST"]
    connections[REPLICA].connect()  # pytest-django: connections are opened by the fixture
    with caplog.at_level("WARNING", logger="docket.core.routers"):
        assert _queries_per_alias(client, "/issues/?q=is:open")[REPLICA] > 0
    assert "read replica reachable again" in caplog.text
    assert routers.replica_health.retry_at == 0.0
