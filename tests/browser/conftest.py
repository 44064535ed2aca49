"""Browser tests: a real `docket serve` (tests/servers.py) driven by Debian's Chromium through
Playwright. One server per test process (tests make their own projects and users, with
fresh names; a module that needs its own settings has its own `site`), one fresh browser
context (cookies, storage) per test. Starting a server per module cost ~6 s each.

Chromium comes from the `chromium` Debian package (`.ci/run` installs it); `playwright install`
is never needed. Without /usr/bin/chromium these tests skip, unless DOCKET_TEST_REQUIRE_BROWSER=1
(CI) makes that a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import ADMIN_PASSWORD, Server, running_server, scratch_environment

CHROMIUM = os.environ.get("DOCKET_TEST_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser-test-password-42"
SCREENSHOTS = (
    Path(os.environ.get("DOCKET_SCREENSHOTS", "")) if os.environ.get("DOCKET_SCREENSHOTS") else None
)


def require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"no Chromium at {CHROMIUM}: apt-get install chromium (CI installs it)"
    if os.environ.get("DOCKET_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Site:
    """The running server plus an admin API client to set up data quickly."""

    server: Server
    admin: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url

    def user(self, username: str | None = None, **extra: Any) -> str:
        """A new user with the test password; returns the username."""
        name = username or f"u{uuid.uuid4().hex[:8]}"
        body = {"username": name, "password": PASSWORD, "email": f"{name}@example.com", **extra}
        response = self.admin.post("/users", json=body)
        assert response.status_code == 201, response.text
        return name

    def project(
        self, admin_user: str, *, members: dict[str, str] | None = None, **extra: Any
    ) -> str:
        """A new project (admin `admin_user`); returns its key."""
        key = "P" + uuid.uuid4().hex[:6].upper()
        body = {"key": key, "name": f"Project {key}", **extra}
        response = self.admin.post("/projects", json=body)
        assert response.status_code == 201, response.text
        for name, role in {admin_user: "admin", **(members or {})}.items():
            added = self.admin.post(f"/projects/{key}/members", json={"user": name, "role": role})
            assert added.status_code == 201, added.text
        return key

    def issue(self, project: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("title", "An issue")
        response = self.admin.post(f"/projects/{project}/issues", json=fields)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    base = tmp_path_factory.mktemp("site")
    with (
        scratch_environment(base / "data", ready=True) as env,
        running_server(env, base / "server.log", worker=True) as server,  # the inbox's
        server.client(server.token("admin")) as admin,
    ):
        yield Site(server, admin)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any, site: Site) -> Iterator[Any]:
    """A factory of pages, each in its own browser context (a separate person)."""
    contexts = []

    def make(username: str | None = None, *, viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=site.url, viewport=viewport or {"width": 1280, "height": 860}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.dialogs_seen = []  # any alert() would be an XSS: tests assert this stays empty
        page.on("dialog", lambda d: (page.dialogs_seen.append(d.message), d.dismiss()))
        if username:
            sign_in(page, username)
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page: Any, name: str) -> None:
    """Saved when DOCKET_SCREENSHOTS names a folder (docs/screenshots/ for the README)."""
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


__all__ = ["ADMIN_PASSWORD", "PASSWORD", "Site", "require_browser", "screenshot", "sign_in"]
