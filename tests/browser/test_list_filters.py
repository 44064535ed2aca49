"""Click-to-filter on the issue list in a real browser: a label chip narrows the query (the
bar shows `label:x`, the rows narrow, the address follows), the term comes off with one
click, chips are painted in an AA colour, and a 390 px phone never scrolls sideways — with
no console error or CSP violation along the way."""

from __future__ import annotations

from tests.browser.conftest import screenshot

CSP_WATCH = (
    "document.addEventListener('securitypolicyviolation', e =>"
    " console.error('CSP: ' + e.violatedDirective + ' ' + e.sourceFile))"
)


def _watched(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(CSP_WATCH)
    return errors


def _contrast(page, selector: str) -> float:
    return page.eval_on_selector(
        selector,
        """el => {
          const lum = s => { const [r, g, b] = s.match(/\\d+/g).slice(0, 3).map(Number).map(v => {
              v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
          const cs = getComputedStyle(el);
          const [a, b] = [lum(cs.color), lum(cs.backgroundColor)].sort((x, y) => y - x);
          return (a + 0.05) / (b + 0.05);
        }""",
    )


def test_a_label_chip_narrows_the_list_and_the_term_comes_off_again(site, new_page):
    me = site.user()
    key = site.project(me)
    site.issue(key, title="Crash on save", labels=["bug"], priority="high")
    site.issue(key, title="Add dark mode", labels=["feature"])
    long = "Typo in footer, " + "and a long explanation of where exactly it is, " * 4
    site.issue(key, title=long.strip())
    page = new_page(me)
    errors = _watched(page)
    page.goto(f"/p/{key}/")
    query = page.get_by_role("combobox", name="Query")
    assert query.input_value() == "is:open sort:updated-desc"  # the default, as text
    assert page.locator("#list-total").inner_text().startswith("3 issues")
    rows = page.locator("tr[data-nav-item]")
    assert rows.count() == 3
    chip = page.locator("tr[data-key] a.chip", has_text="bug")
    assert _contrast(page, "tr[data-key] a.chip") >= 4.5  # painted by list.js, AA text
    heights = page.eval_on_selector_all("tr[data-nav-item]", "rs => rs.map(r => r.offsetHeight)")
    assert max(heights) <= 40, heights  # dense: one line per issue, however long the title
    cut = page.locator("tr[data-nav-item] a.t", has_text="Typo in footer")
    assert cut.get_attribute("title") == long.strip()  # the ellipsis hides it; hover shows it
    page.locator("#facets .facet").first.wait_for()
    screenshot(page, "issue-list-desktop")
    page.context.add_cookies([{"name": "docket_theme", "value": "dark", "url": page.url}])
    page.reload()
    assert _contrast(page, "tr[data-key] a.chip") >= 4.5  # the chip's own colours: any theme
    screenshot(page, "issue-list-dark")
    page.context.clear_cookies(name="docket_theme")
    page.reload()

    chip.click()
    page.wait_for_url(lambda url: "label%3Abug" in url)
    query = page.get_by_role("combobox", name="Query")
    assert query.input_value() == "is:open label:bug sort:updated-desc"
    assert page.locator("tr[data-nav-item]").count() == 1
    assert page.locator("#list-total").inner_text().startswith("1 issue")
    facets = page.locator("details.facets")  # loaded after the list, for the new query
    facets.get_by_role("link", name="high").wait_for()
    assert facets.get_by_role("link", name="medium").count() == 0
    screenshot(page, "issue-list-filtered")

    page.get_by_role("link", name="Remove label:bug").click()
    page.wait_for_url(lambda url: "label" not in url)
    assert page.get_by_role("combobox", name="Query").input_value() == "is:open sort:updated-desc"
    assert page.locator("tr[data-nav-item]").count() == 3

    page.go_back()  # the address history follows the query
    page.wait_for_url(lambda url: "label%3Abug" in url)
    page.locator("tr[data-nav-item]").first.wait_for()
    assert page.locator("tr[data-nav-item]").count() == 1
    assert errors == []


def test_the_list_fits_a_390px_phone_without_sideways_scrolling(site, new_page):
    me = site.user()
    key = site.project(me)
    for n in range(6):
        site.issue(
            key,
            title=f"A rather long issue title that would never fit on one phone line {n}",
            labels=["bug", "needs-design-review", "customer"],
            due_date="2020-01-01",
        )
    page = new_page(me, viewport={"width": 390, "height": 844})
    errors = _watched(page)
    page.goto(f"/p/{key}/")
    page.locator("tr[data-nav-item]").first.wait_for()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    assert page.locator("details.facets").get_attribute("open") is None  # folded on a phone
    screenshot(page, "issue-list-phone")
    assert errors == []
