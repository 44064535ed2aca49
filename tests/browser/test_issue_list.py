"""The issue list and search in a real browser: the query bar (errors, suggestions), bulk
edit, keyboard navigation, and hostile titles shown as text."""

from __future__ import annotations

from tests.browser.conftest import screenshot

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


def test_a_query_error_is_shown_inline_then_the_fixed_query_runs(site, new_page):
    me = site.user()
    key = site.project(me)
    site.issue(key, title="Open crash")
    page = new_page(me)
    page.goto(f"/p/{key}/")
    query = page.get_by_role("combobox", name="Query")
    query.fill("is:open stauts:open")
    query.press("Enter")
    alert = page.get_by_role("alert")
    assert "unknown field 'stauts' at 8 — did you mean 'status'?" in alert.inner_text()
    assert alert.locator("mark").inner_text() == "s"  # where the problem starts
    assert query.input_value() == "is:open stauts:open"  # kept for fixing
    assert query.get_attribute("aria-invalid") == "true"
    screenshot(page, "issue-list-query-error")
    query.fill("is:open status:new")
    query.press("Enter")
    page.get_by_role("link", name="Open crash").wait_for()
    assert page.get_by_role("alert").count() == 0
    screenshot(page, "issue-list")
    assert page.dialogs_seen == []


def test_suggestions_complete_fields_and_values_from_the_keyboard(site, new_page):
    me = site.user()
    key = site.project(me)
    site.issue(key, title="Urgent one", priority="highest")
    page = new_page(me)
    page.goto(f"/p/{key}/?q=")  # an empty bar (without q the list's default query is in it)
    query = page.get_by_role("combobox", name="Query")
    query.press_sequentially("prio")
    listbox = page.get_by_role("listbox", name="Suggestions")
    listbox.get_by_role("option", name="priority:").wait_for()
    assert query.get_attribute("aria-expanded") == "true"
    query.press("ArrowDown")
    assert query.get_attribute("aria-activedescendant") == "q-suggestions-0"
    query.press("Enter")  # accepts; the field's values come next
    assert query.input_value() == "priority:"
    listbox.get_by_role("option", name="highest").wait_for()
    query.press_sequentially("highe")
    listbox.get_by_role("option", name="highest").wait_for()
    screenshot(page, "issue-list-suggestions")
    query.press("Tab")  # Tab takes the first suggestion
    assert query.input_value() == "priority:highest "
    query.press_sequentially("ty")
    listbox.get_by_role("option", name="type:").wait_for()
    query.press("Escape")  # closes the list, keeps the focus in the bar
    assert listbox.is_hidden()
    assert page.evaluate("document.activeElement.id") == "q"
    query.press("Backspace")
    query.press("Backspace")
    query.press("Enter")
    page.wait_for_url("**q=priority*highest*")
    assert page.get_by_role("link", name="Urgent one").is_visible()


def test_bulk_edit_of_two_issues_shows_the_result(site, new_page):
    me = site.user()
    helper = site.user()
    key = site.project(me, members={helper: "member"})
    for title in ("First", "Second", "Third"):
        site.issue(key, title=title, labels=["painted"])  # labels get colours from app.js
    page = new_page(me)
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(f"/p/{key}/")
    bar = page.locator("#bulkbar")
    assert bar.is_hidden()
    page.get_by_label(f"Select {key}-1").check()
    page.get_by_label(f"Select {key}-2").check()
    assert bar.is_visible() and bar.locator("[data-count]").inner_text() == "2"
    bar.get_by_label("Assignee").select_option(helper)
    bar.get_by_label("Priority").select_option("high")
    screenshot(page, "issue-list-bulk-bar")
    bar.get_by_role("button", name="Apply to selected").click()
    report = page.get_by_role("status").filter(has_text="Bulk edit")
    report.get_by_text("2 updated").wait_for()
    assert f"{key}-1: updated" in report.inner_text()
    row = page.locator(f'tr[data-key="{key}-1"]')
    row.get_by_role("cell", name=helper).wait_for()  # the table refreshed itself
    assert row.locator(".prio-high").inner_text() == "high"
    untouched = page.locator(f'tr[data-key="{key}-3"]')
    assert untouched.locator(".prio-medium").inner_text() == "medium"
    assert bar.is_hidden()  # the selection is cleared after the edit
    screenshot(page, "issue-list-bulk-done")
    assert page.dialogs_seen == []
    # htmx settles no `style` attribute onto swapped rows: the CSP would refuse it
    assert console_errors == []


def test_keyboard_j_k_and_enter_open_an_issue(site, new_page):
    me = site.user()
    key = site.project(me)
    for title in ("Oldest", "Middle", "Newest"):
        site.issue(key, title=title)
    page = new_page(me)
    page.goto(f"/p/{key}/")
    page.locator("body").click(position={"x": 5, "y": 300})  # nothing focused
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    current = page.locator("tr.current")
    assert current.get_attribute("data-key") == f"{key}-2"
    page.keyboard.press("x")
    assert page.get_by_label(f"Select {key}-2").is_checked()
    # a live refresh of the results keeps the ticked box and the current row
    page.evaluate("document.getElementById('results').dataset.old = '1'")
    page.evaluate("htmx.trigger(document.body, 'docket:live')")
    page.locator("#results:not([data-old])").wait_for()  # the region was replaced
    assert page.get_by_label(f"Select {key}-2").is_checked()
    assert page.locator("#bulkbar").is_visible()
    assert page.locator("tr.current").get_attribute("data-key") == f"{key}-2"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{key}-2")


def test_hostile_titles_show_as_text_in_the_list_and_in_search(site, new_page):
    me = site.user()
    key = site.project(me)
    for title in XSS:
        site.issue(key, title=f"{title} marker")
    page = new_page(me)
    page.goto(f"/p/{key}/")
    for title in XSS:
        page.get_by_role("link", name=f"{title} marker").wait_for()
    page.goto("/search?q=marker")
    for title in XSS:
        page.get_by_role("link", name=f"{title} marker").wait_for()
    search = page.locator("#search-q")
    search.fill(f"{XSS[1]} marker")
    search.press("Enter")
    page.wait_for_load_state()
    screenshot(page, "search")
    assert page.dialogs_seen == []
    assert page.locator("img[src=x]").count() == 0


def test_the_list_works_at_phone_width(site, new_page):
    me = site.user()
    key = site.project(me)
    site.issue(key, title="A rather long title that has to wrap on a phone screen nicely")
    page = new_page(me, viewport={"width": 375, "height": 740})
    page.goto(f"/p/{key}/")
    page.get_by_label(f"Select {key}-1").check()
    screenshot(page, "issue-list-mobile")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
