"""SLA badges in a real browser: the demo's support and incident projects (whose clocks show
every state, docs/sla.md) on the issue list with its SLA column, and on the board."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Site, require_browser, screenshot, sign_in
from tests.servers import ADMIN_PASSWORD, run_docket, running_server, scratch_environment


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server with the demo loaded and a worker replaying its SLA clocks."""

    require_browser()  # fails instead of skipping where CI requires the browser
    base = tmp_path_factory.mktemp("sla-site")
    with scratch_environment(base / "data", ready=True) as env:
        loaded = run_docket(env, "demo", "--issues", "120")
        assert loaded.returncode == 0, loaded.stderr
        with (
            running_server(env, base / "server.log", worker=True) as server,
            server.client(server.token("admin")) as admin,
        ):
            _wait_for_clocks(admin)
            yield Site(server, admin)


def _wait_for_clocks(admin: Any) -> None:
    """Until the worker's SLA consumer has replayed the demo's issues into clocks."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = admin.get("/issues", params={"q": "has:sla", "limit": 1}).json()["items"]
        if found:
            return
        time.sleep(0.5)
    pytest.fail("the worker replayed no SLA clocks in 60 s")


def test_the_sla_column_and_board_badges(site: Site, new_page: Any) -> None:
    page = new_page()
    sign_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/p/HELP/?q=is%3Aopen")
    page.get_by_role("link", name="Show an SLA column").click()
    header = page.get_by_role("columnheader", name="SLA")
    header.wait_for()
    header.get_by_role("link", name="SLA").click()  # sorts by sort:sla
    page.wait_for_url(lambda url: "sort=sla" in url and "columns=sla" in url)
    badges = page.locator("td.sla .sla-badge")
    assert badges.count() > 0
    first = badges.first
    assert first.get_attribute("title", timeout=2_000).startswith("SLA ")
    words = badges.all_inner_texts()
    assert any("breached" in w or "due in" in w for w in words), words
    screenshot(page, "list-sla")
    # The API agrees with the first row's badge.
    key = page.locator("tbody tr").first.get_attribute("data-key")
    state = site.admin.get(f"/issues/{key}").json()["sla_state"]
    assert f"sla-{state.replace('_', '-')}" in (first.get_attribute("class") or "")

    page.goto("/p/OPS/board")
    card_badges = page.locator(".kanban-card .sla-badge")
    card_badges.first.wait_for()
    assert "sla-met" not in " ".join(
        card_badges.nth(i).get_attribute("class") or "" for i in range(card_badges.count())
    )
    screenshot(page, "board-sla")
    assert page.dialogs_seen == []
