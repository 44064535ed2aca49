"""Custom fields and time in a real browser: change a custom field on the issue page, log
time, and see the totals against the estimate."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def test_editing_a_custom_field_and_logging_time(site, new_page) -> None:
    me = site.user()
    key = site.project(me)
    for body in (
        {"name": "customer", "type": "text", "label": "Customer"},
        {"name": "tier", "type": "select", "label": "Support tier",
         "options": ["gold", "silver", "bronze"]},
        {"name": "points", "type": "number", "label": "Story points"},
    ):  # fmt: skip
        made = site.admin.post(f"/projects/{key}/fields", json=body)
        assert made.status_code == 201, made.text
    issue = site.issue(
        key, title="Export times out for large accounts", estimate="4h",
        custom_fields={"customer": "ACME Corp", "tier": "silver"},
    )["key"]  # fmt: skip

    page = new_page(me, viewport={"width": 1280, "height": 1100})
    page.goto(f"/{issue}")
    section = page.locator("#issue-work")
    expect(section.get_by_label("Customer")).to_have_value("ACME Corp")
    section.get_by_label("Support tier").select_option("gold")
    section.get_by_label("Story points").fill("5")
    section.get_by_role("button", name="Save fields").click()
    expect(section.get_by_label("Support tier")).to_have_value("gold")
    expect(page.locator("#issue-timeline")).to_contain_text(
        "changed Support tier from silver to gold"
    )

    section.get_by_label("Time spent").fill("1h 30m")
    section.get_by_label("Note").fill("Reproduced with a 2 GB account")
    section.get_by_role("button", name="Log time").click()
    expect(section.locator("#time-totals")).to_contain_text("Logged 1h 30m of 4h estimated")
    expect(section.locator("#time-totals")).to_contain_text("2h 30m remaining")
    expect(section.locator("#worklog")).to_contain_text("Reproduced with a 2 GB account")

    section.scroll_into_view_if_needed()
    screenshot(page, "issue-custom-fields")
    assert page.dialogs_seen == []
