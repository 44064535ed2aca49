"""The command palette in a real browser: Ctrl-K, a key, Enter goes to the issue; on an
issue page it changes the priority through the page's own field endpoint."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def test_ctrl_k_then_a_key_and_enter_goes_to_the_issue(site, new_page):
    me = site.user()
    key = site.project(me)
    issue = site.issue(key, title="Find me from anywhere")["key"]
    page = new_page(me)
    page.goto("/issues/")
    page.keyboard.press("Control+k")
    box = page.get_by_role("combobox", name="Command palette")
    expect(box).to_be_focused()
    box.fill(issue.lower())
    listbox = page.get_by_role("listbox")
    first = listbox.get_by_role("option").first
    expect(first).to_contain_text(f"{issue} Find me from anywhere")
    expect(first).to_have_attribute("aria-selected", "true")
    screenshot(page, "palette")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{issue}")
    page.keyboard.press("Control+k")
    box.fill("zzz nothing")
    page.get_by_text("Nothing matches.").wait_for()
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()


def test_changing_the_current_issues_priority_from_the_palette_and_by_its_key(site, new_page):
    me = site.user()
    key = site.project(me)
    issue = site.issue(key, title="Prioritise me", priority="medium")["key"]
    page = new_page(me, viewport={"width": 390, "height": 844})
    page.goto(f"/{issue}")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+k")
    box = page.get_by_role("combobox", name="Command palette")
    box.fill("priority")
    page.get_by_role("option", name="Change priority to…").wait_for()
    page.keyboard.press("Enter")
    page.get_by_role("option", name="high", exact=True).wait_for()
    box.fill("hig")
    screenshot(page, "palette-phone")
    page.keyboard.press("Enter")
    expect(page.locator("#field-priority")).to_contain_text("high")
    assert site.admin.get(f"/issues/{issue}").json()["priority"] == "high"
    expect(box).to_be_hidden()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("p")  # the single key opens the same choice
    page.get_by_role("option", name="low", exact=True).click()
    expect(page.locator("#field-priority")).to_contain_text("low")
    assert site.admin.get(f"/issues/{issue}").json()["priority"] == "low"
