"""The import page in a real browser against a real `docket serve` with its worker: a site
admin uploads the Bugzilla sample, the run's page polls (htmx) until the worker has imported
it, then shows the summary; the imported people are listed to claim."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Site, screenshot
from tests.transfer.importers.conftest import BUGZILLA, sample


def test_a_site_admin_imports_bugzilla_bugs_and_watches_the_run(site: Site, new_page: Any):
    path = sample(BUGZILLA)
    admin = site.user(site_admin=True)
    key = site.project(admin)
    page = new_page(admin)
    page.goto("/")
    page.locator("summary", has_text=admin).click()
    page.get_by_role("link", name="Import").click()
    page.wait_for_url("**/settings/import")
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_label("Format").select_option("bugzilla")
    page.get_by_label("Project").select_option(key)
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/settings/import/*")
    progress = page.locator("#import-progress")
    progress.get_by_text("Done").wait_for(timeout=60_000)  # polled until the worker is done

    def count(label: str) -> str:
        return (
            progress.locator("tr", has=page.locator("th", has_text=label))
            .locator("td")
            .inner_text()
        )

    assert (count("Created"), count("Failed")) == ("58", "0")
    assert "645 comments, 236 history events" in progress.inner_text()
    screenshot(page, "import-run")
    page.get_by_role("link", name="All imports").click()
    assert page.get_by_role("heading", name="Imported people without an account").is_visible()
    assert page.locator("#placeholders tbody tr").count() > 100
    assert page.dialogs_seen == []
