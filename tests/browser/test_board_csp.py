"""The board under the strict CSP (style-src 'self'): dragging cards, with the live refresh
and htmx's settling that follow, logs no console error and no CSP violation. Colours and
positions come from classes or the CSSOM, never from style attributes."""

from __future__ import annotations

from typing import Any

from tests.browser.test_board import card, column, drag


def test_two_drags_on_the_board_log_no_console_error(site, new_page):
    alice = site.user()
    key = site.project(alice)
    first = site.issue(key, title="Drag me first", labels=["frontend"])["key"]
    second = site.issue(key, title="Drag me next", labels=["backend"], priority="high")["key"]
    for n in range(6):  # coloured labels on cards that stay put and are swapped in again
        site.issue(key, title=f"Bystander {n}", labels=["frontend", "backend"])
    page = new_page(alice, viewport={"width": 1680, "height": 1300})  # all cards in view
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('CSP: ' + e.violatedDirective + ' ' + e.sourceFile))"
    )
    page.goto(f"/p/{key}/board")
    card(page, first).wait_for()
    _drag_and_wait(page, first, "open")
    _drag_and_wait(page, second, "in progress")
    # The live refresh after the moves swaps the board in again, and htmx settles it.
    page.locator("#board[data-before-refresh]").wait_for(state="detached")
    page.wait_for_timeout(300)
    assert problems == []
    assert page.locator("#board [style]").count() == 0 or _only_cssom(page)


def _drag_and_wait(page: Any, key: str, status: str) -> None:
    page.evaluate("document.getElementById('board').dataset.beforeRefresh = '1'")
    drag(page, key, status)
    page.locator("#board-message").get_by_text(f"{key} moved to {status}.").wait_for()
    column(page, status).locator(f'[data-key="{key}"]').wait_for()


def _only_cssom(page: Any) -> bool:
    """Style attributes present were set through the CSSOM (allowed), not parsed from HTML:
    the server's markup has none."""
    html = page.evaluate("fetch(location.href).then(r => r.text())")
    return " style=" not in html
