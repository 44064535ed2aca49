"""Entering a done state asks for the resolution, "fixed" pre-selected and focused: Enter
confirms it, arrows choose another. On the issue page and on a board drop alike."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_board import column, drag


def test_resolve_on_the_issue_page_asks_and_records_what_was_chosen(site, new_page):
    me = site.user()
    key = site.project(me)
    issue = site.issue(key, title="Works as designed")["key"]
    page = new_page(me)
    page.goto(f"/{issue}")
    page.get_by_role("button", name="Resolve…").click()
    fixed = page.get_by_role("radio", name="fixed")
    expect(fixed).to_be_focused()
    expect(fixed).to_be_checked()
    screenshot(page, "resolution-prompt")
    page.keyboard.press("ArrowDown")  # fixed → won't fix
    expect(page.get_by_role("radio", name="won't fix")).to_be_checked()
    page.keyboard.press("Enter")
    page.locator("#issue-status").get_by_text("Resolution: won't fix").wait_for()
    saved = site.admin.get(f"/issues/{issue}").json()
    assert (saved["status"], saved["resolution"]) == ("resolved", "won't fix")
    phone = new_page(me, viewport={"width": 390, "height": 844})
    other = site.issue(key, title="A phone closes this")["key"]
    phone.goto(f"/{other}")
    phone.get_by_role("button", name="Close…").click()
    expect(phone.get_by_role("radio", name="fixed")).to_be_focused()
    screenshot(phone, "resolution-prompt-phone")
    phone.keyboard.press("Enter")  # one keystroke: the default
    phone.locator("#issue-status").get_by_text("Resolution: fixed").wait_for()


def test_a_drop_into_a_done_column_asks_and_enter_confirms_fixed(site, new_page):
    me = site.user()
    key = site.project(me)
    issue = site.issue(key, title="Dropped into resolved")["key"]
    page = new_page(me)
    page.goto(f"/p/{key}/board")
    drag(page, issue, "resolved")
    dialog = page.get_by_role("dialog", name=f"Move {issue} to resolved")
    dialog.wait_for()
    expect(dialog.get_by_role("radio", name="fixed")).to_be_focused()
    screenshot(page, "board-resolution-prompt")
    page.keyboard.press("Enter")
    page.locator("#board-message").get_by_text(f"{issue} moved to resolved.").wait_for()
    column(page, "resolved").locator(f'[data-key="{issue}"]').wait_for()
    saved = site.admin.get(f"/issues/{issue}").json()
    assert (saved["status"], saved["resolution"]) == ("resolved", "fixed")
