"""The project dashboard in a real browser with the demo data: every chart drawn (server-side
SVG, nothing blocked by the CSP), the "as of" date picker, and a phone-wide layout that
stacks its widgets without scrolling sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Site, require_browser, screenshot, sign_in
from tests.servers import ADMIN_PASSWORD, run_docket, running_server, scratch_environment


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()  # fails instead of skipping where CI requires the browser
    base = tmp_path_factory.mktemp("dashboard-site")
    with scratch_environment(base / "data", ready=True) as env:
        loaded = run_docket(env, "demo", "--issues", "300")
        assert loaded.returncode == 0, loaded.stderr
        with (
            running_server(env, base / "server.log") as server,
            server.client(server.token("admin")) as admin,
        ):
            yield Site(server, admin)


def test_the_project_dashboard_on_desktop_and_phone(site: Site, new_page: Any) -> None:
    page = new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/p/WEB/dashboard?unit=week")  # the demo's issues are weeks old
    page.get_by_role("heading", name="Open issues by status").wait_for()
    assert page.locator("svg.chart").count() >= 7
    assert page.get_by_role("img", name="Open issues by priority").is_visible()
    assert page.get_by_role("link", name="Download CSV").count() >= 10
    screenshot(page, "dashboard")

    page.get_by_label("As of").fill("2026-10-15")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="As of 2026-10-15").wait_for()
    assert not errors, errors  # no CSP refusals, no script errors

    page.goto("/WEB-1?as_of=2026-11-01")
    assert page.get_by_role("status").inner_text().startswith("You are looking at WEB-1 as of")
    assert page.get_by_role("rowheader", name="Status").is_visible()
    screenshot(page, "issue-as-of")

    phone = new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, "admin", ADMIN_PASSWORD)
    phone.goto("/p/WEB/dashboard")
    phone.get_by_role("heading", name="Open issues by status").wait_for()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
    chart = phone.locator("svg.chart").first.bounding_box()
    assert chart is not None and chart["width"] <= 390
    phone.evaluate("document.getElementById('widget-status').scrollIntoView()")  # the charts
    screenshot(phone, "dashboard-phone")
