"""Signing in and out in a real browser."""

from __future__ import annotations

from tests.browser.conftest import PASSWORD, screenshot


def test_sign_in_lands_on_my_work_and_sign_out_returns_to_login(site, new_page):
    name = site.user()
    page = new_page()
    page.goto("/")
    assert "/login" in page.url
    screenshot(page, "login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Invalid username or password."
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My work").wait_for()
    page.get_by_text(name, exact=True).click()  # the account menu
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.dialogs_seen == []
