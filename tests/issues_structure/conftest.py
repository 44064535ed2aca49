"""A cross-project cast for links and sub-tasks: WEB (alice admin, bob member, carol reporter)
and OPS (alice admin; bob not in it, so OPS issues are hidden from him)."""

from __future__ import annotations

import pytest

from tests.factories import make_issue, make_project


@pytest.fixture
def two(cast):
    cast.ops = make_project(cast.alice, "OPS")
    for n in range(1, 5):
        make_issue(cast.alice, cast.web, title=f"Web issue {n}")
    make_issue(cast.alice, cast.ops, title="Ops secret outage")
    return cast


def link(api, key: str, kind: str, other: str, **extra):
    return api.post(f"/issues/{key}/links", {"kind": kind, "issue": other, **extra})


def history(api, key: str) -> list[dict]:
    response = api.get(f"/issues/{key}/history")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def link_events(api, key: str) -> list[tuple[str, dict | None, dict | None]]:
    return [
        (e["kind"], e["old"], e["new"])
        for e in history(api, key)
        if e["kind"] in ("linked", "unlinked")
    ]
