"""Project settings in a real browser: an admin sets a new project up without the API —
a label, a component with a lead picked by type-ahead, a milestone, a workflow state with a
WIP limit, a transition with a rule, a member picked by type-ahead — then the new-issue form
offers what was made. One session at desktop width, one look at 390 px."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Site, screenshot


def _pick(page: Any, field: Any, options: str, username: str) -> None:
    """Type the start of a name, wait for the picker to suggest the person, then pick them."""
    field.fill(username[:3])
    page.locator(f"{options} option[value='{username}']").wait_for(state="attached")
    field.fill(username)


def test_an_admin_sets_up_a_project_in_the_browser(site: Site, new_page: Any) -> None:
    admin, helper, newcomer = site.user(), site.user(), site.user()
    key = site.project(admin, members={helper: "member"})
    page = new_page(admin)

    page.goto(f"/p/{key}/")
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"**/p/{key}/settings/details")

    # A label: created with a colour from the palette, renamed, then deleted.
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Labels").click()
    page.wait_for_url("**/settings/labels")
    new_label = page.locator("section", has=page.get_by_role("heading", name="New label"))
    new_label.get_by_label("Name").fill("needs-triage")
    new_label.locator("label[title='Teal']").click()
    new_label.get_by_role("button", name="Create label").click()
    page.get_by_text("Created the label needs-triage.").wait_for()
    item = page.locator(".settings-item", has_text="needs-triage")
    item.get_by_label("Name").fill("triage")
    item.get_by_role("button", name="Save label").click()
    page.get_by_text("Saved the label triage.").wait_for()
    # A bad name is refused by its field, the page kept.
    new_label = page.locator("section", has=page.get_by_role("heading", name="New label"))
    new_label.get_by_label("Name").fill("triage")
    new_label.get_by_role("button", name="Create label").click()
    page.locator("#new-label-name-error").wait_for()
    screenshot(page, "settings-labels")
    item = page.locator(".settings-item", has_text="triage")
    item.locator("summary", has_text="Delete").click()
    item.get_by_role("button", name="Delete the label triage").click()
    page.get_by_text("Deleted the label triage").wait_for()
    page.get_by_role("button", name="Create label").wait_for()
    assert page.locator(".settings-item", has_text="triage").count() == 0

    # A component whose lead is picked by type-ahead.
    page.get_by_role("link", name="Components").first.click()
    page.wait_for_url("**/settings/components")
    page.get_by_label("Name").fill("Checkout")
    _pick(page, page.get_by_label("Lead (optional)"), "#new-component-lead-options", helper)
    page.get_by_role("button", name="Create component").click()
    page.get_by_text("Created the component Checkout.").wait_for()
    assert (
        page.locator(".settings-item", has_text="Checkout").get_by_label("Lead").input_value()
        == helper
    )

    # A milestone with dates.
    page.get_by_role("link", name="Milestones").first.click()
    page.wait_for_url("**/settings/milestones")
    page.get_by_label("Name").fill("Launch")
    page.get_by_label("Start date").fill("2026-01-05")
    page.get_by_label("Due date").fill("2026-02-27")
    page.get_by_role("button", name="Create milestone").click()
    page.get_by_text("Created the milestone Launch.").wait_for()

    # The workflow: a state with a WIP limit, and a transition into it with a rule.
    page.get_by_role("link", name="Workflow").first.click()
    page.wait_for_url("**/settings/workflow")
    new_state = page.locator("section", has=page.get_by_role("heading", name="New state"))
    new_state.get_by_label("Name").fill("In Review")
    new_state.get_by_label("Category").select_option("in_progress")
    new_state.get_by_role("button", name="Add state").click()
    page.get_by_text("Added the state In Review.").wait_for()
    review = page.locator(".settings-item", has=page.locator("strong", has_text="In Review"))
    review.get_by_label("WIP limit").fill("3")
    review.get_by_role("button", name="Save state").click()
    page.get_by_text("Saved the state In Review.").wait_for()
    assert "WIP limit 3" in review.locator(".item-head").inner_text()
    new_move = page.locator("section", has=page.get_by_role("heading", name="New transition"))
    new_move.get_by_label("Name").fill("Send to review")
    new_move.get_by_label("From", exact=True).select_option("In Progress")
    new_move.get_by_label("To", exact=True).select_option("In Review")
    new_move.get_by_label("comment", exact=True).check()
    new_move.get_by_role("button", name="Add transition").click()
    page.get_by_text("Added the transition Send to review.").wait_for()
    screenshot(page, "settings-workflow")

    # A member picked by type-ahead (a user in no project yet: the admin may not see them,
    # so the picker offers only the one already known; the name typed in full still adds).
    page.get_by_role("link", name="Members").first.click()
    page.wait_for_url("**/settings/members")
    _pick(page, page.get_by_label("Person"), "#add-user-options", helper)
    page.get_by_label("Person").fill(newcomer)
    page.get_by_label("Role", exact=True).select_option("reporter")
    page.get_by_role("button", name="Add member").click()
    page.get_by_text(f"{newcomer} is now reporter").wait_for()
    assert page.locator("tr", has_text=newcomer).get_by_role("combobox").input_value() == "reporter"
    screenshot(page, "settings-members")

    # The new-issue form offers what was made.
    page.goto(f"/p/{key}/new")
    assert page.get_by_role("checkbox", name="Checkout").count() == 1
    assert page.locator("#milestone option[value='Launch']").count() == 1

    # And at phone width the sub-navigation sits above the section.
    phone = new_page(admin, viewport={"width": 390, "height": 844})
    phone.goto(f"/p/{key}/settings/workflow")
    nav = phone.get_by_role("navigation", name="Settings").bounding_box()
    body = phone.locator(".settings-body").bounding_box()
    assert nav and body and nav["y"] < body["y"]
    widest = phone.evaluate(
        """() => [...document.querySelectorAll('body *')]
             .map(e => [Math.round(e.getBoundingClientRect().right), e.tagName + '.' + e.className])
             .sort((a, b) => b[0] - a[0]).slice(0, 3)"""
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, widest
    screenshot(phone, "settings-workflow-390")
    assert page.dialogs_seen == [] and phone.dialogs_seen == []
