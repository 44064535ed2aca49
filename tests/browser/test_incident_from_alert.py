"""An incident opened by a monitoring alert, in a real browser: Alertmanager's exact bytes
posted over HTTP to the running server open an incident whose description shows each
alert's labels and annotations as tables with links to its source, and whose history names
the intake ("Alerts: Prometheus")."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.integrations.alerts.conftest import sample


def test_an_incident_opened_from_an_alert_reads_well(site, new_page) -> None:
    me = site.user()
    key = site.project(me)
    made = site.admin.post(
        f"/projects/{key}/alert-intakes",
        json={"name": "Prometheus", "source": "alertmanager", "assignee": me},
    )
    assert made.status_code == 201, made.text
    intake = made.json()
    sent = httpx.post(
        intake["url"], content=sample("alertmanager/zulip__firing_2_alerts.json"), timeout=30,
        headers={"Authorization": f"Bearer {intake['token']}", "Content-Type": "application/json"},
    )  # fmt: skip
    assert sent.status_code == 200, sent.text
    incident = sent.json()["issue"]

    page = new_page(me)
    page.goto(f"/{incident}")
    expect(page.get_by_role("heading", name="High CPU Temperature: High CPU core temperature"))
    description = page.locator("#field-description .markdown")
    expect(description.locator("table")).to_have_count(3)  # shared labels, annotations × 2
    expect(description.get_by_role("cell", name="andromeda").first).to_be_visible()
    expect(description.get_by_role("cell", name="CPU core temperature is 34.75C")).to_be_visible()
    source = description.get_by_role("link", name="Source").first
    assert source.get_attribute("href").startswith("http://cobalt:9090/graph?")
    expect(page.get_by_text("Alerts: Prometheus").first).to_be_visible()
    assert page.dialogs_seen == []
    screenshot(page, "incident-from-alert")
