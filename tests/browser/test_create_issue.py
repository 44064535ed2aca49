"""Creating an issue from the form in a real browser: `c` opens it, errors stay by their
field, the preview renders Markdown, and the new key shows at once."""

from __future__ import annotations

from tests.browser.conftest import screenshot


def test_create_an_issue_from_the_form_and_see_its_key(site, new_page):
    me = site.user()
    helper = site.user()
    key = site.project(me, members={helper: "member"})
    page = new_page(me)
    page.goto(f"/p/{key}/")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("c")
    page.wait_for_url(f"**/p/{key}/new")
    page.get_by_role("heading", name=f"New issue in {key}").wait_for()

    page.get_by_role("button", name="Create issue").click()  # no title yet
    assert page.locator("#title-error").inner_text() == "Title must not be empty"
    assert page.get_by_label("Title").get_attribute("aria-invalid") == "true"

    title = "<script>alert(1)</script> <img src=x onerror=alert(1)> Login fails"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(
        "Steps:\n\n1. **Open** the page\n\n<img src=x onerror=alert(1)>"
    )
    page.get_by_role("button", name="Preview").click()
    page.locator("#description-preview strong").get_by_text("Open").wait_for()
    page.get_by_label("Type").select_option("task")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Assignee").select_option(helper)
    page.get_by_label("Due date").fill("2026-12-31")
    screenshot(page, "create-issue")
    page.get_by_role("button", name="Create issue").click()
    page.wait_for_url(f"**/{key}-1")
    page.get_by_text(f"Created {key}-1").wait_for()
    screenshot(page, "create-issue-done")
    assert page.dialogs_seen == []
    created = site.admin.get(f"/issues/{key}-1").json()
    assert created["title"] == title
    assert (created["type"], created["priority"], created["assignee"]) == ("task", "high", helper)
    assert created["due_date"] == "2026-12-31"


def test_new_issue_from_anywhere_asks_for_the_project_first(site, new_page):
    me = site.user()
    first = site.project(me)
    second = site.project(me)
    page = new_page(me)
    page.goto("/issues/")
    page.get_by_role("link", name="New issue").click()
    page.get_by_label("Project").select_option(second)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**/p/{second}/new")
    assert first != second
    page.get_by_label("Title").fill("Filed from anywhere")
    page.get_by_role("button", name="Create issue").click()
    page.wait_for_url(f"**/{second}-1")
