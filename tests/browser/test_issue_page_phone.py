"""The issue page on a phone (390 px) and on a desktop, in Chromium: an issue with links,
sub-tasks, custom fields, time logged and an attachment reads description first, details
next, with no sideways scrolling; on the desktop the details sit beside the description.
A bare issue's empty sections are one "Add …" row each, which opens in place. The link
input offers matching issue keys as one types. Screenshots: issue-page-desktop,
issue-page-phone, issue-page-phone-empty (DOCKET_SCREENSHOTS)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

PHONE = {"width": 390, "height": 844}
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


def _busy_issue(site: Any, me: str) -> tuple[str, str]:
    """A project with a custom field and an issue with everything; returns (project, key)."""
    key = site.project(me)
    field = {"name": "tier", "label": "Customer tier", "type": "select",
             "options": ["gold", "silver", "bronze"]}  # fmt: skip
    assert site.admin.post(f"/projects/{key}/fields", json=field).status_code == 201
    text = {"name": "customer", "label": "Customer", "type": "text"}
    assert site.admin.post(f"/projects/{key}/fields", json=text).status_code == 201
    issue = site.issue(
        key,
        title="Checkout times out for customers with a very long basket of items",
        description="Steps:\n\n1. Fill the basket with **40 items**\n2. Press *Pay*\n\n"
        "The request times out after 30 s: `POST /checkout/confirm-and-pay-now` (504).",
        estimate=240,
        custom_fields={"tier": "gold", "customer": "Initech Ltd."},
    )["key"]
    moved = site.admin.patch(f"/issues/{issue}", json={"custom_fields": {"tier": "platinum"}})
    assert moved.status_code == 422  # not an option
    moved = site.admin.patch(f"/issues/{issue}", json={"custom_fields": {"tier": "silver"}})
    assert moved.status_code == 200, moved.text
    site.issue(key, title="Profile the basket query", parent=issue)
    site.issue(key, title="Raise the proxy timeout", parent=issue)
    other = site.issue(key, title="Payment provider status page")["key"]
    linked = site.admin.post(f"/issues/{issue}/links", json={"kind": "blocks", "issue": other})
    assert linked.status_code == 201, linked.text
    logged = site.admin.post(f"/issues/{issue}/worklog", json={"time": "1h 30m", "note": "repro"})
    assert logged.status_code == 201, logged.text
    trace = b"GET /checkout ... 504 Gateway Timeout\n"
    files = {"file": ("timeout-trace.log", trace, "text/plain")}
    attached = site.admin.post(f"/issues/{issue}/attachments", files=files)
    assert attached.status_code == 201, attached.text
    return key, issue


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def test_issue_page_on_a_desktop_and_a_phone(site, new_page) -> None:
    me = site.user()
    key, issue = _busy_issue(site, me)

    desk = new_page(me)
    desk.goto(f"/{issue}")
    description, side = _box(desk, ".issue-description"), _box(desk, ".issue-side")
    assert side["x"] > description["x"] + description["width"] - 1  # beside, not below
    assert side["y"] < description["y"] + description["height"]
    expect(desk.locator("#issue-links .link-list").first).to_be_visible()
    expect(desk.locator("#issue-timeline")).to_contain_text("changed Customer tier from gold")
    expect(desk.locator(".asof-control summary")).to_have_text("View as of…")
    # The link input completes issue keys from what the reader may see.
    desk.locator("#link-issue").fill(f"{key}-")
    expect(desk.locator("#issue-matches option")).not_to_have_count(0)
    expect(desk.locator("#issue-matches-status")).to_contain_text("matching issue")
    desk.locator("#link-issue").fill("")
    screenshot(desk, "issue-page-desktop")

    phone = new_page(me, viewport=PHONE)
    phone.goto(f"/{issue}")
    description, side = _box(phone, ".issue-description"), _box(phone, ".issue-side")
    assert description["y"] + description["height"] <= side["y"] + 1  # description first
    later = _box(phone, "#issue-links")
    assert side["y"] < later["y"]  # then the details, then the sections
    assert phone.evaluate(NO_OVERFLOW), phone.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    for section in ("#attachments", "#issue-links", "#issue-work"):
        expect(phone.locator(section)).not_to_have_class("is-empty")
        assert _box(phone, section)["x"] + _box(phone, section)["width"] <= PHONE["width"]
    screenshot(phone, "issue-page-phone")
    for part in ("issue-work", "issue-timeline"):
        phone.evaluate(f"document.getElementById('{part}').scrollIntoView({{block: 'start'}})")
        phone.evaluate("window.scrollBy(0, -60)")
        screenshot(phone, f"issue-page-phone-{part}")


def test_empty_sections_are_one_add_row_on_a_phone(site, new_page) -> None:
    me = site.user()
    key = site.project(me)
    bare = site.issue(key, title="A bare issue", description="Nothing else yet.")["key"]
    phone = new_page(me, viewport=PHONE)
    phone.goto(f"/{bare}")
    add_link = phone.get_by_role("button", name="Add a link or sub-task")
    expect(add_link).to_be_visible()
    expect(phone.get_by_role("button", name="Add a file")).to_be_visible()
    expect(phone.get_by_role("button", name="Log time")).to_be_visible()
    expect(phone.locator("#link-issue")).to_be_hidden()
    expect(phone.locator("#worklog-form")).to_be_hidden()
    for section in ("#attachments", "#issue-links", "#issue-work"):
        assert _box(phone, section)["height"] < 60, section  # one compact row
    assert phone.evaluate(NO_OVERFLOW)
    phone.evaluate("document.getElementById('attachments').scrollIntoView({block: 'center'})")
    screenshot(phone, "issue-page-phone-empty")

    add_link.click()
    opener = phone.locator("#issue-links [data-section-open]")
    expect(opener).to_have_attribute("aria-expanded", "true")
    expect(opener).to_be_hidden()  # the section is open: its forms say the rest
    expect(phone.locator("#link-issue")).to_be_visible()
    expect(phone.locator("#link-kind")).to_be_focused()
    assert phone.evaluate(NO_OVERFLOW)

    desk = new_page(me)
    desk.goto(f"/{bare}")
    expect(desk.locator("#link-issue")).to_be_visible()  # a desktop shows every section
    expect(desk.locator("#issue-links [data-section-open]")).to_be_hidden()
