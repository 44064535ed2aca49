"""The inbox in a real browser, against a real `docket serve` with its worker: bob's comment
on alice's issue reaches her top bar without a reload, she reads it in the inbox and the badge
goes away; the notification settings page saves."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

ARRIVES_MS = 45_000  # the worker's step, then the badge's refresh (2 s after a live change)


def _as(site: Any, username: str) -> Any:
    return site.server.client(site.server.token(username, "read,write"))


def _csp_errors(page: Any) -> list[str]:
    seen: list[str] = []
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return seen


def test_a_comment_reaches_the_badge_live_and_reading_it_clears_it(site, new_page):
    alice, bob = site.user(), site.user()
    key = site.project(alice, members={bob: "member"})
    with _as(site, alice) as mine, _as(site, bob) as his:
        filed = [
            mine.post(f"/projects/{key}/issues", json={"title": title}).json()["key"]
            for title in ("Checkout times out on Safari", "Export to CSV drops accents")
        ]
        page = new_page(alice)
        csp = _csp_errors(page)
        page.goto("/")  # My work: follows /live
        badge = page.locator("#inbox-count")
        expect(badge).to_be_hidden()

        said = his.post(f"/issues/{filed[0]}/comments", json={"body": f"Seen it, @{alice}."})
        assert said.status_code == 201, said.text
        expect(badge).to_have_text("1 unread", timeout=ARRIVES_MS)  # no reload
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

        changed = his.patch(f"/issues/{filed[1]}", json={"priority": "high", "assignee": alice})
        assert changed.status_code == 200, changed.text
        his.post(f"/issues/{filed[1]}/comments", json={"body": "Happens with ü and é."})
        expect(badge).to_have_text("4 unread", timeout=ARRIVES_MS)

    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url("**/inbox")
    first = page.locator(f"#thread-{filed[0]}")
    expect(first).to_contain_text(f"{bob} mentioned you in a comment")
    second = page.locator(f"#thread-{filed[1]}")
    expect(second).to_contain_text("changed priority from")
    expect(second).to_contain_text(f"{bob} assigned the issue to you")

    page.get_by_role("button", name=f"Mark {filed[0]} read").click()
    expect(page.get_by_role("status").filter(has_text=f"Marked {filed[0]} read.")).to_be_visible()
    expect(badge).to_have_text("3 unread")
    expect(first.get_by_role("button", name=f"Mark {filed[0]} read")).to_have_count(0)
    screenshot(page, "inbox")

    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_text("Marked everything read.")).to_be_visible()
    expect(badge).to_be_hidden()

    page.get_by_role("button", name=f"Done with {filed[0]}: remove it from the inbox").click()
    expect(page.locator(f"#thread-{filed[0]}")).to_have_count(0)
    expect(page.locator(f"#thread-{filed[1]}")).to_be_visible()
    assert page.dialogs_seen == [] and csp == []


def test_the_settings_page_saves_and_lists_mutes(site, new_page):
    me = site.user()
    key = site.project(me)
    issue = site.issue(key, title="Noisy issue")["key"]
    page = new_page(me)
    csp = _csp_errors(page)
    page.goto(f"/{issue}")
    page.get_by_role("button", name="Mute this issue").click()
    expect(page.get_by_role("button", name="Unmute")).to_be_visible()

    page.get_by_label("Account menu").click()
    page.get_by_role("link", name="Notification settings").click()
    page.wait_for_url("**/settings/notifications")
    email = page.get_by_label("New comments: by e-mail")
    expect(email).to_be_checked()
    expect(page.get_by_label("Other changes: by e-mail")).not_to_be_checked()
    screenshot(page, "notification-preferences")
    email.uncheck()
    page.get_by_label("Other changes: by e-mail").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    expect(page.get_by_label("New comments: by e-mail")).not_to_be_checked()
    expect(page.get_by_label("Other changes: by e-mail")).to_be_checked()

    page.get_by_role("button", name=f"Unmute {issue}").click()
    expect(page.get_by_text(f"You hear about {issue} again.")).to_be_visible()
    expect(page.get_by_text("You have not muted anything.")).to_be_visible()
    assert csp == []
