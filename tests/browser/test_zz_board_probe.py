def test_probe(site, new_page):
    alice = site.user()
    key = site.project(alice)
    for n, status in enumerate(["new", "new", "open", "in progress"]):
        site.issue(key, title=f"Phone issue {n} with a rather long title", status=status)
    page = new_page(alice, viewport={"width": 375, "height": 740})
    page.goto(f"/p/{key}/board?lanes=priority")
    page.screenshot(path="/tmp/shots/board/phone.png")
    print(page.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 380 && !e.closest('.kanban-scroll')).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 30)"""))
    page.goto(f"/p/{key}/")
    print("list page width", page.evaluate("document.documentElement.scrollWidth"))
