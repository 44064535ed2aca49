"""Links and sub-tasks in a real browser: link an issue as blocked by another (the Blocked
badge appears), add a sub-task from the parent's page (the create form comes prefilled), and
see the parent's progress."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def test_adding_a_link_and_a_sub_task(site, new_page) -> None:
    me = site.user()
    key = site.project(me)
    ops = site.project(me)
    issue = site.issue(key, title="Checkout fails for saved cards", description="Since 2.4.")["key"]
    blocker = site.issue(ops, title="Payment gateway certificate expired")["key"]
    related = site.issue(key, title="Card form validation copy")["key"]
    site.admin.post(f"/issues/{issue}/links", json={"kind": "relates_to", "issue": related})

    page = new_page(me, viewport={"width": 1280, "height": 1000})
    page.goto(f"/{issue}")
    section = page.locator("#issue-links")
    section.get_by_label("This issue").select_option("is_blocked_by")
    section.get_by_label("Issue key").fill(blocker.lower())
    section.get_by_role("button", name="Add link").click()
    expect(page.locator(".issue-meta .badge.blocked")).to_have_text("Blocked")
    expect(section.get_by_role("link", name=blocker)).to_be_visible()
    expect(section).to_contain_text("Is blocked by")

    section.get_by_role("link", name="Add sub-task").click()
    expect(page.get_by_label("Parent (sub-task of)")).to_have_value(issue)
    page.get_by_label("Title").fill("Renew the certificate on staging")
    page.get_by_role("button", name="Create issue").click()
    expect(page.locator("#issue-links")).to_contain_text(f"Sub-task of {issue}")

    page.goto(f"/{issue}")
    expect(section).to_contain_text("0 of 1 done")
    section.scroll_into_view_if_needed()
    screenshot(page, "issue-links")
    assert page.dialogs_seen == []
