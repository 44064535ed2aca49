"""The issue page in a real browser: fields edited in place, comments in Markdown with
@mentions, transitions by button, a conflicting edit, watching, and the narrow layout."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

XSS = "<script>alert(1)</script> <img src=x onerror=alert(1)>"


def _setup(site):
    me = site.user()
    other = site.user()
    key = site.project(me, members={other: "member"})
    issue = site.issue(key, title="Login button misaligned", description="It *moves* on hover.")
    return me, other, key, issue["key"]


def test_edit_the_title_and_priority_in_place(site, new_page):
    me, _, _, key = _setup(site)
    page = new_page(me)
    page.goto(f"/{key}")
    page.locator("body").click(position={"x": 5, "y": 500})
    page.keyboard.press("e")  # the shortcut opens the title's form
    title = page.get_by_label("Title", exact=True)
    expect(title).to_be_focused()
    title.fill(f"{XSS} Login fails")
    page.get_by_role("button", name="Save").click()
    heading = page.get_by_role("heading", level=1)
    heading.get_by_text("Login fails").wait_for()
    assert heading.inner_text() == f"{XSS} Login fails"

    page.get_by_role("button", name="Edit priority").click()
    page.get_by_label("Priority", exact=True).select_option("high")
    screenshot(page, "issue-edit-priority")
    page.get_by_role("button", name="Save").click()
    page.locator("#field-priority .prio-high").wait_for()
    expect(page.get_by_role("button", name="Edit priority")).to_be_focused()
    page.get_by_text("changed priority from").wait_for()  # the timeline caught up
    assert page.dialogs_seen == []
    saved = site.admin.get(f"/issues/{key}").json()
    assert (saved["title"], saved["priority"]) == (f"{XSS} Login fails", "high")


def test_escape_cancels_an_edit(site, new_page):
    me, _, _, key = _setup(site)
    page = new_page(me)
    page.goto(f"/{key}")
    page.get_by_role("button", name="Edit severity").click()
    page.get_by_label("Severity", exact=True).select_option("minor")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Edit severity").wait_for()
    assert site.admin.get(f"/issues/{key}").json()["severity"] == "major"


def test_a_form_works_before_its_swap_settles(site, new_page):
    # htmx wires swapped-in content only when the swap settles; on a busy machine a quick
    # Escape (or Cancel) landed before that and did nothing. A long settle makes it certain.
    me, _, _, key = _setup(site)
    page = new_page(me)
    page.goto(f"/{key}")
    page.evaluate("htmx.config.defaultSettleDelay = 3000")
    page.get_by_role("button", name="Edit severity").click()
    page.get_by_label("Severity", exact=True).select_option("minor")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Edit severity").wait_for(timeout=2500)
    page.get_by_role("button", name="Edit priority").click()
    page.get_by_label("Priority", exact=True).select_option("high")
    page.get_by_role("button", name="Save").click()
    page.locator("#field-priority .prio-high").wait_for(timeout=2500)
    assert page.url.endswith(f"/{key}")  # saved in place, not by a full-page POST
    saved = site.admin.get(f"/issues/{key}").json()
    assert (saved["severity"], saved["priority"]) == ("major", "high")


def test_comment_with_markdown_and_a_mention(site, new_page):
    me, other, _, key = _setup(site)
    page = new_page(me)
    page.goto(f"/{key}")
    box = page.get_by_label("Comment", exact=False).and_(page.locator("textarea"))
    box.fill(f"**bold** {XSS} thanks ")
    box.press("End")
    box.type(f"@{other[:7]}")  # long enough that no other test user shares the prefix
    option = page.get_by_role("option", name=f"@{other}")
    option.wait_for()
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    screenshot(page, "issue-mention")
    box.press("Enter")
    assert box.input_value().endswith(f"@{other} ")
    page.get_by_role("button", name="Preview").click()
    page.locator("#comment-preview strong").get_by_text("bold").wait_for()
    page.get_by_role("button", name="Comment", exact=True).click()
    page.get_by_text("Comment added.").wait_for()
    comment = page.locator("#issue-timeline .comment").last
    comment.locator("strong").get_by_text("bold").wait_for()
    assert "<script>alert(1)</script>" in comment.inner_text()
    assert box.input_value() == ""
    assert page.dialogs_seen == []


def test_take_a_transition_by_its_button(site, new_page):
    me, _, _, key = _setup(site)
    page = new_page(me)
    page.goto(f"/{key}")
    page.get_by_role("button", name="Start progress").click()
    page.locator("#issue-status").get_by_text("in progress").wait_for()
    page.get_by_role("button", name="Resolve").click()
    page.get_by_role("radio", name="fixed").wait_for()  # asked, fixed pre-selected
    page.keyboard.press("Enter")
    page.locator("#issue-status").get_by_text("Resolution: fixed").wait_for()
    page.get_by_role("button", name="Reopen").wait_for()
    page.locator("body").click(position={"x": 5, "y": 700})
    page.keyboard.press("a")  # assign to me
    expect(page.get_by_role("button", name="Edit assignee")).to_contain_text(me)
    screenshot(page, "issue-resolved")
    saved = site.admin.get(f"/issues/{key}").json()
    assert (saved["status"], saved["assignee"]) == ("resolved", me)


def test_a_conflicting_edit_shows_theirs_and_yours_and_reapplies(site, new_page):
    me, _, _, key = _setup(site)
    page = new_page(me)
    page.goto(f"/{key}")
    page.get_by_role("button", name="Edit title").click()
    page.get_by_label("Title", exact=True).fill("Mine: button misaligned on hover")
    changed = site.admin.patch(f"/issues/{key}", json={"title": "Theirs: button jumps"})
    assert changed.status_code == 200, changed.text  # another person, through the API
    page.get_by_role("button", name="Save").click()
    box = page.locator("#field-title.conflict")
    box.get_by_role("alert").wait_for()
    assert "Theirs: button jumps" in box.locator("[data-theirs]").inner_text()
    assert "Mine: button misaligned on hover" in box.locator("[data-yours]").inner_text()
    assert "admin changed it" in box.inner_text()
    assert site.admin.get(f"/issues/{key}").json()["title"] == "Theirs: button jumps"
    screenshot(page, "issue-conflict")
    page.get_by_role("button", name="Re-apply my change").click()
    page.get_by_role("heading", level=1, name="Mine: button misaligned on hover").wait_for()
    assert site.admin.get(f"/issues/{key}").json()["title"] == "Mine: button misaligned on hover"
    assert page.dialogs_seen == []


def test_watch_and_unwatch(site, new_page):
    me, other, _, key = _setup(site)
    page = new_page(other)
    page.goto(f"/{key}")
    count = page.locator("#watch-count")
    assert count.inner_text() == "1 watching"  # the reporter
    page.get_by_role("button", name="Watch", exact=True).click()
    page.get_by_role("button", name="Unwatch").wait_for()
    expect(count).to_have_text("2 watching, including you")
    assert site.admin.get(f"/issues/{key}/watchers").json()["count"] == 2
    page.get_by_role("button", name="Unwatch").click()
    page.get_by_role("button", name="Watch", exact=True).wait_for()
    expect(count).to_have_text("1 watching")


def test_the_page_fits_a_phone(site, new_page):
    me, _, _, key = _setup(site)
    page = new_page(me, viewport={"width": 375, "height": 800})
    page.goto(f"/{key}")
    page.get_by_role("heading", level=1).wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    screenshot(page, "issue-phone")


def test_live_changes_show_up_without_clobbering_an_open_form(site, new_page):
    me, _, _, key = _setup(site)
    page = new_page(me)
    with page.expect_response(lambda r: f"/live?issue={key}" in r.url):  # the stream is open
        page.goto(f"/{key}")
    page.get_by_role("button", name="Edit title").click()
    page.get_by_label("Title", exact=True).fill("Half-typed title")
    site.admin.patch(f"/issues/{key}", json={"priority": "highest", "title": "Renamed elsewhere"})
    page.locator("#field-priority .prio-highest").wait_for()  # refreshed in place
    expect(page.get_by_label("Title", exact=True)).to_have_value("Half-typed title")
    expect(page.locator("#issue-stale")).to_contain_text("changed while you were editing")
    page.get_by_text("changed priority from").wait_for()
