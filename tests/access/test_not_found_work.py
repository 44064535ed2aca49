"""A 404 for something hidden does the same database work as a 404 for something missing.

Otherwise the time a 404 takes tells an outsider which keys exist (measured: ~0.7 ms more
for a hidden issue, when the gate loaded the caller's roles and grants only for an issue it
had found). Timing is noisy in a test; the work is not: the same queries, in the same order.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.access.conftest import Seat, World
from tests.access.test_matrix import browser, sees

# Seats for which some issue of PRIV or DESK exists but is hidden.
BLIND = [
    Seat("outsider"),
    Seat("viewer", "PRIV"),
    Seat("reporter", "DESK"),
    Seat("member", "INTL"),
    Seat("root_rw"),
    Seat("anon"),
]
LITERALS = re.compile(r"'[^']*'|\b\d+\b")


def _work(send: Any, path: str) -> tuple[int, list[str]]:
    """The status and the queries (literals blanked) of the second of two identical requests
    (the first warms per-process caches such as prepared queries)."""
    send(path)
    with CaptureQueriesContext(connection) as queries:
        status = send(path).status_code
    return status, [LITERALS.sub("?", q["sql"]) for q in queries.captured_queries]


def _hidden(world: World, seat: Seat) -> list[str]:
    return [r.key for r in world.issues.values() if not sees(seat, r)]


@pytest.mark.parametrize("seat", BLIND, ids=str)
def test_an_issue_404_costs_the_same_hidden_or_missing(world, seat):
    hidden = _hidden(world, seat)
    assert hidden
    clients = [(world.api(seat).get, "/issues/")]
    if seat.role != "root_rw":  # signed in to pages, a site admin sees everything
        clients.append((browser(world, seat).get, "/"))
    for send, prefix in clients:
        missing = _work(send, f"{prefix}{world.missing_key('PRIV')}")
        assert missing[0] in (404, 302), missing  # pages ask anonymous visitors to sign in
        for key in hidden:
            assert _work(send, f"{prefix}{key}") == missing, f"{seat} {prefix}{key}"


@pytest.mark.parametrize("seat", [Seat("outsider"), Seat("viewer", "INTL"), Seat("anon")], ids=str)
def test_a_project_404_costs_the_same_private_or_missing(world, seat):
    api = world.api(seat)
    missing = _work(api.get, "/projects/NOPE")
    assert missing[0] == 404
    assert _work(api.get, "/projects/PRIV") == missing
    assert _work(api.get, "/projects/PRIV/members") == _work(api.get, "/projects/NOPE/members")
