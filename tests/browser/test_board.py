"""The board in a real browser: dragging cards (allowed, refused, needing a resolution), the
keyboard "Move to…" dialog, WIP limits, and live updates from another person."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

XSS_TITLE = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def column(page: Any, status: str) -> Any:
    return page.locator(f'#board .kanban-cards[data-state="{status}"]').first


def card(page: Any, key: str) -> Any:
    return page.locator(f'#board .kanban-card[data-key="{key}"]')


def drag(page: Any, key: str, status: str) -> None:
    """Drag a card onto a column with the mouse, in small steps as a person would."""
    source = card(page, key).locator(".kanban-card-top").bounding_box()
    target = column(page, status).bounding_box()
    page.mouse.move(source["x"] + 20, source["y"] + 8)
    page.mouse.down()
    page.mouse.move(source["x"] + 30, source["y"] + 20, steps=4)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 30, steps=12)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 34, steps=2)
    page.mouse.up()


def transition_id(site: Any, key: str, name: str, source: str | None) -> int:
    workflow = site.admin.get(f"/projects/{key}/workflow").json()
    found = [t for t in workflow["transitions"] if t["name"] == name and t["from"] == source]
    return found[0]["id"]


def test_dragging_a_card_to_the_next_column_moves_it_for_good(site, new_page):
    alice, bob = site.user(), site.user()
    key = site.project(alice, members={bob: "member"})
    issue = site.issue(key, title=XSS_TITLE, labels=["frontend"], priority="high")["key"]
    page = new_page(bob)
    page.goto(f"/p/{key}/board")
    assert card(page, issue).locator(".kanban-card-title").inner_text() == XSS_TITLE
    screenshot(page, "board")
    drag(page, issue, "open")
    message = page.locator("#board-message")
    message.get_by_text(f"{issue} moved to open.").wait_for()
    column(page, "open").locator(f'[data-key="{issue}"]').wait_for()
    page.reload()
    column(page, "open").locator(f'[data-key="{issue}"]').wait_for()
    assert column(page, "new").locator(".kanban-card").count() == 0
    assert page.dialogs_seen == []


def test_a_refused_drag_shows_the_workflows_reason_and_the_card_goes_back(site, new_page):
    alice, bob = site.user(), site.user()
    key = site.project(alice, members={bob: "member"})
    close = transition_id(site, key, "Close", None)
    limited = site.admin.patch(
        f"/projects/{key}/workflow/transitions/{close}", json={"allowed_roles": ["admin"]}
    )
    assert limited.status_code == 200, limited.text
    issue = site.issue(key, title="Only admins close this")["key"]
    page = new_page(bob)
    page.goto(f"/p/{key}/board")
    drag(page, issue, "closed")
    message = page.locator("#board-message")
    message.get_by_text("Close is allowed only for admin; your role is member").wait_for()
    assert "error" in message.get_attribute("class")
    assert message.get_attribute("aria-live") == "polite"
    column(page, "new").locator(f'[data-key="{issue}"]').wait_for()
    assert column(page, "closed").locator(".kanban-card").count() == 0
    screenshot(page, "board-refused")
    page.reload()
    column(page, "new").locator(f'[data-key="{issue}"]').wait_for()


def test_a_move_needing_a_resolution_asks_for_it_in_a_dialog(site, new_page):
    alice = site.user()
    key = site.project(alice)
    resolve = transition_id(site, key, "Resolve", "new")
    changed = site.admin.patch(
        f"/projects/{key}/workflow/transitions/{resolve}", json={"required_fields": ["resolution"]}
    )
    assert changed.status_code == 200, changed.text
    issue = site.issue(key, title="Needs a reason")["key"]
    page = new_page(alice)
    page.goto(f"/p/{key}/board")
    drag(page, issue, "resolved")
    dialog = page.get_by_role("dialog", name=f"Move {issue} to resolved")
    dialog.wait_for()
    assert dialog.get_by_role("alert").inner_text() == "Resolve requires resolution"
    screenshot(page, "board-needs-resolution")
    assert dialog.get_by_role("radio", name="fixed").is_checked()  # the default, pre-selected
    dialog.get_by_role("radio", name="won't fix").check()
    dialog.get_by_role("button", name="Move").click()
    page.locator("#board-message").get_by_text(f"{issue} moved to resolved.").wait_for()
    column(page, "resolved").locator(f'[data-key="{issue}"]').wait_for()
    fetched = site.admin.get(f"/issues/{issue}").json()
    assert (fetched["status"], fetched["resolution"]) == ("resolved", "won't fix")


def test_cancelling_the_dialog_puts_the_card_back(site, new_page):
    alice = site.user()
    key = site.project(alice)
    resolve = transition_id(site, key, "Resolve", "new")
    site.admin.patch(
        f"/projects/{key}/workflow/transitions/{resolve}", json={"required_fields": ["resolution"]}
    )
    issue = site.issue(key, title="Changed my mind")["key"]
    page = new_page(alice)
    page.goto(f"/p/{key}/board")
    drag(page, issue, "resolved")
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    column(page, "new").locator(f'[data-key="{issue}"]').wait_for()
    page.locator("#board-message").get_by_text(f"{issue} was not moved.").wait_for()
    assert site.admin.get(f"/issues/{issue}").json()["status"] == "new"


def test_the_keyboard_way_moves_a_card_through_its_move_dialog(site, new_page):
    alice = site.user()
    key = site.project(alice)
    issue = site.issue(key, title="Keyboard only")["key"]
    page = new_page(alice)
    page.goto(f"/p/{key}/board")
    opener = page.get_by_role("link", name=f"Move to… ({issue})")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Move {issue}")
    dialog.wait_for()
    target = dialog.get_by_label("Move to")
    assert page.evaluate("document.activeElement.id") == "move-to"
    assert target.locator("option").all_inner_texts() == [
        "open", "in progress", "resolved", "closed",
    ]  # fmt: skip
    target.select_option("in progress")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the Move button
    column(page, "in progress").locator(f'[data-key="{issue}"]').wait_for()
    assert dialog.is_hidden()
    page.wait_for_function(f"document.activeElement.id === 'move-{issue}'")  # back on the card


def test_a_column_over_its_wip_limit_is_marked_and_announced(site, new_page):
    alice = site.user()
    key = site.project(alice)
    state = f"/projects/{key}/workflow/states/in progress"
    limited = site.admin.patch(state, json={"wip_limit": 1})
    assert limited.status_code == 200, limited.text
    site.issue(key, title="First", status="in progress")
    page = new_page(alice)
    page.goto(f"/p/{key}/board")
    head = page.locator(".kanban-col-head", has=page.get_by_role("heading", name="In Progress"))
    assert "1 / 1" in head.inner_text()
    assert "over-limit" not in head.get_attribute("class")
    site.issue(key, title="Second", status="in progress")  # live: the board refreshes itself
    page.locator(".kanban-col-head.over-limit").get_by_text("Over WIP limit").wait_for(timeout=3000)
    assert "2 / 1" in head.inner_text()
    # The live region is written after htmx settles, a moment after the column is marked.
    expect(page.locator("#board-wip")).to_have_text(
        "Over the WIP limit: In Progress: 2 issues, over its WIP limit of 1.", timeout=3000
    )
    screenshot(page, "board-wip")


def test_changes_show_up_live_on_another_persons_board_and_list(site, new_page):
    alice, bob = site.user(), site.user()
    key = site.project(alice, members={bob: "member"})
    issue = site.issue(key, title="Watch me move")["key"]
    watcher = new_page(bob)
    watcher.goto(f"/p/{key}/board")
    card(watcher, issue).wait_for()
    mover = new_page(alice)
    mover.goto(f"/p/{key}/board")
    drag(mover, issue, "open")
    mover.locator("#board-message").get_by_text(f"{issue} moved to open.").wait_for()
    column(watcher, "open").locator(f'[data-key="{issue}"]').wait_for(timeout=2500)
    # The issue list of the project follows too.
    watcher.goto(f"/p/{key}/")
    watcher.get_by_role("link", name="Watch me move").wait_for()
    watcher.wait_for_timeout(300)  # the stream is open
    renamed = site.admin.patch(f"/issues/{issue}", json={"title": "Moved and renamed"})
    assert renamed.status_code == 200
    watcher.get_by_role("link", name="Moved and renamed").wait_for(timeout=2500)
    assert watcher.dialogs_seen == [] and mover.dialogs_seen == []


def test_the_board_is_usable_on_a_phone(site, new_page):
    alice = site.user()
    key = site.project(alice)
    for n, status in enumerate(["new", "new", "open", "in progress"]):
        site.issue(key, title=f"Phone issue {n} with a rather long title", status=status)
    page = new_page(alice, viewport={"width": 375, "height": 740})
    page.goto(f"/p/{key}/board?lanes=priority")
    card(page, f"{key}-1").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # the board scrolls inside itself, the page does not
    screenshot(page, "board-phone")


def test_swimlanes_keep_cards_in_their_lane(site, new_page):
    alice, bob = site.user(), site.user()
    key = site.project(alice, members={bob: "member"})
    site.issue(key, title="Alice's bug", assignee=alice, labels=["bug"], priority="high")
    site.issue(key, title="Bob's task", assignee=bob, status="in progress")
    site.issue(key, title="Nobody's", priority="low")
    page = new_page(alice)
    page.goto(f"/p/{key}/board")
    page.get_by_label("Swimlanes").select_option("assignee")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**lanes=assignee**")
    lanes = page.locator(".kanban-lane").all_inner_texts()
    assert [lane.split(" (")[0] for lane in lanes] == sorted([alice, bob]) + ["Unassigned"]
    screenshot(page, "board-lanes")
    # A card can only change column within its lane.
    lists = page.locator('.kanban-cards[data-state="new"]')
    assert lists.count() == 3


def test_the_move_page_works_without_the_board_script(site, new_page):
    alice = site.user()
    key = site.project(alice)
    issue = site.issue(key, title="Plain form")["key"]
    page = new_page(alice)
    page.goto(f"/p/{key}/board/move?key={issue}")  # where "Move to…" leads without JavaScript
    page.get_by_label("Move to").select_option("open")
    screenshot(page, "board-move-page")
    page.get_by_role("button", name="Move").click()
    page.wait_for_url(f"**/p/{key}/board")
    page.get_by_text(f"{issue} moved to open.").wait_for()
    column(page, "open").locator(f'[data-key="{issue}"]').wait_for()


def test_a_wide_screen_shows_every_column_and_a_narrow_one_scrolls(site, new_page):
    alice = site.user()
    key = site.project(alice)
    site.issue(key, title="Somewhere on the board")
    wide = new_page(alice, viewport={"width": 1680, "height": 900})
    wide.goto(f"/p/{key}/board")
    last = wide.locator("#board .kanban-col-head").last.bounding_box()
    assert last["x"] + last["width"] <= 1680 - 8  # the closed column is not cut off
    scroll = "(() => { const s = document.querySelector('.kanban-scroll');"
    assert wide.evaluate(scroll + " return s.scrollWidth > s.clientWidth; })()") is False
    narrow = new_page(alice, viewport={"width": 1100, "height": 900})
    narrow.goto(f"/p/{key}/board")
    assert narrow.evaluate(scroll + " return s.scrollWidth > s.clientWidth; })()") is True
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 1100  # the board scrolls
