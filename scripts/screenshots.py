"""Take the README's screenshots from the demo: a real server on a scratch data dir with
`docket demo` loaded, signed in as its admin in Chromium (Playwright).

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshots/readme-*.png
    .venv/bin/python scripts/screenshots.py --out /tmp/shots --chromium /usr/bin/chromium

Light and dark (the app follows the browser's colour scheme), desktop at 1280x800 and an
issue on a phone at 390x844. Nothing here touches ./docket-data: the data dir is a temporary one.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCKET = str(Path(sys.executable).with_name("docket"))
PASSWORD = "readme-screenshots-42"  # noqa: S105 - a throwaway site's admin
CHECKOUT = "Checkout: card form loses its input after the 3-D Secure redirect"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="docket-shots-") as scratch,
        serving(Path(scratch)) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            for scheme in ("light", "dark"):
                shoot(browser, url, args.out, scheme)
        finally:
            browser.close()
    print(f"saved the screenshots in {args.out}")


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKET_")}
    env.update(
        DOCKET_DATA_DIR=str(data_dir),
        DOCKET_ADMIN_PASSWORD=PASSWORD,
        DOCKET_HEALTH_REQUIRES_WORKER="false",
    )
    return env


def _docket(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([DOCKET, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"docket {' '.join(args)} failed:\n{done.stderr}")
    return done.stderr


@contextmanager
def serving(data_dir: Path) -> Iterator[str]:
    """The demo loaded, the worker caught up with it (inbox, SLA clocks), then a server."""
    env = _env(data_dir)
    print(_docket(env, "demo").strip().splitlines()[-1])
    for _ in range(30):  # each pass hands a batch of the event log to every consumer
        if _docket(env, "worker", "--once").strip().endswith("did 0 thing(s)"):
            break
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [DOCKET, "serve", "--port", str(port), "--workers", "1", "--no-worker"],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("docket serve exited early; see server.log")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    sys.exit("docket serve did not answer within 120 s")


def shoot(browser: Any, url: str, out: Path, scheme: str) -> None:
    suffix = "" if scheme == "light" else "-dark"
    desktop = browser.new_context(base_url=url, viewport=DESKTOP, color_scheme=scheme)
    page = desktop.new_page()
    _sign_in(page)

    def save(name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / f"readme-{name}{suffix}.png"))
        print(f"  readme-{name}{suffix}.png")

    page.goto("/")
    page.get_by_role("heading", name="Assigned to me").wait_for()
    save("my-work")
    page.goto("/p/WEB/?q=is%3Aopen+sort%3Apriority-desc")
    save("list")
    page.get_by_role("link", name=CHECKOUT).first.click()
    page.get_by_role("heading", name=CHECKOUT).wait_for()
    issue_path = page.url.removeprefix(url)
    save("issue")
    page.goto("/p/WEB/board")
    save("board")
    page.goto("/inbox")
    save("inbox")
    page.goto("/p/WEB/dashboard?unit=week")
    page.get_by_role("heading", name="Open issues by status").wait_for()
    save("dashboard")
    desktop.close()

    phone = browser.new_context(
        base_url=url, viewport=PHONE, color_scheme=scheme, device_scale_factor=2, is_mobile=True
    )
    page = phone.new_page()
    _sign_in(page)
    page.goto(issue_path)
    page.get_by_role("heading", name=CHECKOUT).wait_for()
    save("phone")
    phone.close()


def _sign_in(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda address: "/login" not in address)


if __name__ == "__main__":
    main()
