"""An issue's Development section in a real browser: a signed GitHub push (a commit naming
the issue) and a merged Gitea pull request, delivered over HTTP to the running server, show
as commits and a PR with its state, and the commit's line in the timeline links to the forge."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.integrations.vcs.conftest import payload_bytes


def _deliver(url: str, secret: str, body: bytes, headers: dict[str, str]) -> dict[str, object]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    proof = (
        {"X-Hub-Signature-256": f"sha256={digest}"}
        if "X-GitHub-Event" in headers
        else {"X-Gitea-Signature": digest}
    )
    sent = httpx.post(
        url, content=body, timeout=30,
        headers={**headers, **proof, "Content-Type": "application/json"},
    )  # fmt: skip
    assert sent.status_code == 200, sent.text
    return sent.json()


def _connect(site, key: str, provider: str, name: str) -> dict[str, str]:
    made = site.admin.post(
        f"/projects/{key}/repositories",
        json={"provider": provider, "full_name": name, "default_branch": "master",
              "web_url": f"https://forge.example/{name}"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()


def test_linked_commits_and_a_pull_request_on_the_issue_page(site, new_page) -> None:
    me = site.user()
    key = site.project(me)
    issue = site.issue(key, title="Sign-in form loses the password on error")["key"]
    other = site.issue(key, title="Sign-in page copy")["key"]

    hub = _connect(site, key, "github", "Codertocat/Hello-World")
    push = json.loads(payload_bytes("github/push__with-new-branch.json"))
    push["commits"][0]["message"] = f"Keep the password field on a failed sign-in ({issue})"
    second = {**push["commits"][0], "id": "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6",
              "message": f"Fixes {other}: clearer sign-in copy"}  # fmt: skip
    push["commits"].append(second)
    answer = _deliver(hub["delivery_url"], hub["secret"], json.dumps(push).encode(),
                      {"X-GitHub-Event": "push", "X-GitHub-Delivery": "b-1"})  # fmt: skip
    assert answer["linked"] == 2

    tea = _connect(site, key, "gitea", "example/example")
    pr = json.loads(payload_bytes("gitea/pull-request-event.json"))
    pr["pull_request"].update(title=f"Keep the password on error, fixes {issue}", merged=True,
                              state="closed")  # fmt: skip
    pr["pull_request"]["base"]["ref"] = "master"
    answer = _deliver(tea["delivery_url"], tea["secret"], json.dumps(pr).encode(),
                      {"X-Gitea-Event": "pull_request"})  # fmt: skip
    assert answer["closed"] == 1

    page = new_page(me)
    page.goto(f"/{issue}")
    section = page.locator("#issue-development")
    expect(section.get_by_text("merged")).to_be_visible()
    expect(
        section.get_by_text(f"Keep the password field on a failed sign-in ({issue})")
    ).to_be_visible()
    link = page.locator(".timeline a", has_text=push["commits"][0]["id"][:7]).first
    expect(link).to_have_attribute("href", push["commits"][0]["url"])
    page.locator("#issue-development").scroll_into_view_if_needed()
    screenshot(page, "issue-development")
    assert page.dialogs_seen == []

    page.goto(f"/p/{key}/repositories/{hub['id']}")
    expect(page.get_by_role("heading", name="Deliveries")).to_be_visible()
    expect(page.get_by_text("2 commit(s) to master")).to_be_visible()
    screenshot(page, "repository-deliveries")
