"""Outbound webhooks in a real browser, against a real `docket serve` with its worker and a
real receiver on 127.0.0.1 (allowed through DOCKET_WEBHOOK_ALLOW_NETWORKS): an admin adds a
hook with the form, copies its secret (shown once), the worker delivers real changes — one
accepted, one retried until it gives up — and the delivery log shows each with its attempts,
status code, time and answer; Redeliver sends one again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, require_browser, screenshot
from tests.integrations.hooks.receiver import Receiver, receiver
from tests.servers import running_server, scratch_environment

WORKER_S = 45


@pytest.fixture(scope="module")
def target() -> Iterator[Receiver]:
    with receiver() as found:
        yield found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, target: Receiver) -> Iterator[Site]:
    require_browser()  # fails instead of skipping where CI requires the browser
    base: Path = tmp_path_factory.mktemp("site")
    quick = {
        "DOCKET_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32",
        "DOCKET_WEBHOOK_RETRY_SECONDS": "1",
        "DOCKET_WEBHOOK_MAX_ATTEMPTS": "3",
        "DOCKET_WEBHOOK_TIMEOUT_SECONDS": "1",
    }
    with (
        scratch_environment(base / "data", ready=True) as env,
        running_server({**env, **quick}, base / "server.log", worker=True) as server,
        server.client(server.token("admin")) as admin,
    ):
        yield Site(server, admin)


def _wait_for(check: Any, seconds: float = WORKER_S) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("not true in time")


def test_an_admin_adds_a_hook_and_reads_its_delivery_log(
    site: Site, new_page: Any, target: Receiver
):
    admin = site.user()
    key = site.project(admin)
    page = new_page(admin)
    page.goto(f"/p/{key}/webhooks")
    page.get_by_label("Name").fill("Deploy bot")
    page.get_by_label("URL").fill(target.url + "/flaky")
    page.get_by_label("changed").check()
    page.get_by_label("created").check()
    page.get_by_label("commented").check()
    page.get_by_role("button", name="Add webhook").click()
    page.wait_for_url(f"**/p/{key}/webhooks/*")
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("whsec_")

    made = [
        site.issue(key, title=title, priority="high")
        for title in ("Checkout times out", "Search is slow", "Typo on the pricing page")
    ]
    _wait_for(lambda: len({h.headers["webhook-id"] for h in target.accepted("/flaky")}) >= 3)
    hook_id = page.url.rsplit("/", 1)[1]

    def point_to(path: str) -> None:
        moved = site.admin.patch(
            f"/projects/{key}/webhooks/{hook_id}", json={"url": target.url + path}
        )
        assert moved.status_code == 200, moved.text

    point_to("/hang")  # answers nothing within the 1 s timeout
    changed = site.admin.patch(f"/issues/{made[0]['key']}", json={"priority": "highest"})
    assert changed.status_code == 200, changed.text
    _wait_for(lambda: len(target.received("/hang")) >= 3)
    time.sleep(1.5)
    point_to("/fail")
    site.issue(key, title="Login page 500s")
    _wait_for(lambda: len(target.received("/fail")) >= 3)
    time.sleep(1.5)  # the last attempt's outcome recorded
    page.reload()
    log = page.locator("table.deliveries tbody tr")
    expect(log).to_have_count(5)
    expect(log.first).to_contain_text("failed")
    expect(log.first).to_contain_text("500")
    expect(log.first).to_contain_text("boom")
    expect(log.last).to_contain_text("delivered")
    expect(log.nth(1)).to_contain_text("no answer within 1 s")
    expect(page.locator("code.secret")).to_have_count(0)  # shown once
    screenshot(page, "webhook-deliveries")

    point_to("/ok")
    page.reload()
    log.first.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_text("will be sent again")).to_be_visible()
    _wait_for(lambda: target.accepted("/ok"))
    [hit] = target.accepted("/ok")
    assert hit.headers["webhook-id"] in {h.headers["webhook-id"] for h in target.received("/fail")}
    assert page.dialogs_seen == []
