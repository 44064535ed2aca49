"""The shared look in a real browser, on the demo data: the main pages at desktop and phone
widths, light and dark, with no console error (a CSP refusal is one) and nothing wider than
the window; the theme choice kept across reloads and rendered by the server (no flash); the
issue list's first load under its byte budget."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Site, require_browser, screenshot, sign_in
from tests.servers import ADMIN_PASSWORD, run_docket, running_server, scratch_environment

PAGES = {
    "my-work": "/",
    "projects": "/projects/",
    "issues": "/issues/",
    "issue": "/WEB-1",
    "board": "/p/WEB/board",
    "dashboard": "/dashboard",
    "inbox": "/inbox",
    "search": "/search?q=login",
}
WIDTHS = {"desktop": 1280, "phone": 390}
LIST_BUDGET = 40 * 1024  # the issue list's first load on the wire: document, CSS, JS (images aside)
SHARED_BUDGET = 26 * 1024  # what every page loads: app.css, app.js, htmx (23.7 KB, issue 20)
SHARED = re.compile(r"/static/web/(app\.|vendor/htmx)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    base = tmp_path_factory.mktemp("look-site")
    with scratch_environment(base / "data", ready=True) as env:
        loaded = run_docket(env, "demo", "--issues", "120")
        assert loaded.returncode == 0, loaded.stderr
        with (
            running_server(env, base / "server.log") as server,
            server.client(server.token("admin")) as admin,
        ):
            yield Site(server, admin)


def themed_page(new_page: Any, site: Site, theme: str, width: int) -> Any:
    page = new_page(viewport={"width": width, "height": 860 if width > 800 else 844})
    page.context.add_cookies([{"name": "docket_theme", "value": theme, "url": site.url}])
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(f"script error: {e}"))
    sign_in(page, "admin", ADMIN_PASSWORD)
    return page


def overflow(page: Any) -> str:
    """ "" when nothing is wider than the window; else the width and the widest culprits."""
    return str(
        page.evaluate(
            """() => {
              const w = window.innerWidth, doc = document.documentElement.scrollWidth;
              if (doc <= w) return "";
              const wide = [...document.querySelectorAll("body *")]
                .filter(e => e.getBoundingClientRect().right > w + 1)
                .slice(0, 4)
                .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                  + (typeof e.className === "string" && e.className
                     ? "." + e.className.trim().split(/\\s+/).join(".") : "")
                  + " right=" + Math.round(e.getBoundingClientRect().right));
              return doc + "px: " + wide.join(", ");
            }"""
        )
    )


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_main_pages_load_cleanly_and_fit_the_window(
    site: Site, new_page: Any, size: str, theme: str
) -> None:
    page = themed_page(new_page, site, theme, WIDTHS[size])
    failures = []
    for name, path in PAGES.items():
        page.problems.clear()
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        page.wait_for_load_state("load")
        assert page.evaluate(
            "t => document.documentElement.classList.contains('theme-' + t)", theme
        )
        wide = overflow(page)
        if wide:
            failures.append(f"{path} scrolls sideways at {WIDTHS[size]}px: {wide}")
        if page.problems:
            failures.append(f"{path}: console errors {page.problems}")
        screenshot(page, f"look-{name}-{size}-{theme}")
    assert not failures, "\n".join(failures)


def test_the_phone_top_bar_is_one_row_with_a_menu(site: Site, new_page: Any) -> None:
    page = themed_page(new_page, site, "light", 390)
    page.goto("/")
    bar = page.locator("header.topbar").bounding_box()
    assert bar is not None and bar["height"] <= 56, f"top bar {bar}"
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.is_visible()
    page.get_by_role("button", name="Menu").click()
    assert nav.is_visible()
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    screenshot(page, "look-phone-menu-open")
    nav.get_by_role("link", name="Projects").click()
    page.get_by_role("heading", name="Projects").wait_for()
    page.get_by_role("link", name="Search").click()
    page.get_by_role("heading", name="Search").wait_for()
    assert not page.problems, page.problems


def test_the_theme_choice_persists_and_the_server_renders_it(site: Site, new_page: Any) -> None:
    page = themed_page(new_page, site, "system", 1280)
    page.emulate_media(color_scheme="light")
    page.goto("/projects/")
    html = page.locator("html")
    assert html.get_attribute("class") in ("", None)
    background = "getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)

    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Dark").click()
    assert "theme-dark" in (html.get_attribute("class") or "")
    assert page.get_by_role("button", name="Dark").get_attribute("aria-pressed") == "true"
    dark = page.evaluate(background)
    assert dark != light
    screenshot(page, "look-theme-menu-dark")

    page.reload()
    assert "theme-dark" in (html.get_attribute("class") or "")
    assert page.evaluate(background) == dark
    # No flash: the html the server sends already has the class (before any script runs).
    served = page.request.get("/projects/").text()
    assert '<html lang="en" class="theme-dark">' in served
    assert page.evaluate("localStorage.getItem('docket_theme')") == "dark"

    # "System" follows the device: dark here, light again once the device is.
    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="System").click()
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(background) == dark
    page.emulate_media(color_scheme="light")
    assert page.evaluate(background) == light
    page.reload()
    assert page.request.get("/projects/").text().count('<html lang="en" class="">') == 1
    # ... and a chosen light theme wins over a dark device.
    page.emulate_media(color_scheme="dark")
    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Light").click()
    page.reload()
    assert page.evaluate(background) == light
    assert not page.problems, page.problems


def test_the_issue_list_first_load_fits_the_budget(site: Site, new_page: Any, browser: Any) -> None:
    signed_in = themed_page(new_page, site, "system", 1280)
    # A new context with the session alone: an empty cache, as on a first visit.
    context = browser.new_context(
        base_url=site.url, storage_state=signed_in.context.storage_state()
    )
    page = context.new_page()
    page.goto("/issues/")
    page.wait_for_load_state("load")
    sizes = page.evaluate(
        """() => performance.getEntries()
             .filter(e => e.entryType === "navigation"
               || ["link", "script"].includes(e.initiatorType))
             .map(e => [e.name, e.transferSize, e.initiatorType || "document"])"""
    )
    total = sum(size for _, size, _ in sizes)
    listing = "\n".join(f"{size:>7} {kind:>9} {name}" for name, size, kind in sizes)
    if os.environ.get("DOCKET_LOOK_SIZES"):
        print(f"\nissue list first load: {total} bytes on the wire\n{listing}")
    context.close()
    assert all(size > 0 for _, size, _ in sizes), f"something came from a cache:\n{listing}"
    shared = sum(size for name, size, _ in sizes if SHARED.search(name))
    assert shared <= SHARED_BUDGET, f"app.css, app.js and htmx: {shared} bytes:\n{listing}"
    assert total <= LIST_BUDGET, f"issue list {total} bytes > {LIST_BUDGET}:\n{listing}"
