"""The issue page: its Development section (commits, pull requests with their state) and the
timeline lines the links wrote, with links only to http(s) addresses."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client

from tests.factories import make_issue
from tests.integrations.vcs.conftest import connect, deliver, payload_bytes, signed
from tests.integrations.vcs.test_linking import gitea_pr, github_push, send


def test_the_issue_page_lists_commits_and_pull_requests(cast: Any) -> None:
    issue = make_issue(cast.alice, cast.web)
    hub = connect(cast, "github", "Codertocat/Hello-World", default_branch="master")
    send(hub, github_push([f"Tidy the form for {issue.key}"], authors=[("Jane Dev", "j@x.test")]))
    tea = connect(cast, "gitea", "example/example", default_branch="master")
    body = gitea_pr(f"Login page for {issue.key}", merged=True)
    deliver(tea, body, signed("gitea", body, **{"X-Gitea-Event": "pull_request"}))
    browser = Client()
    browser.force_login(cast.bob)

    page = browser.get(f"/{issue.key}").content.decode()

    section = page[page.index('id="issue-development"') :]
    assert "Development" in section and f"Tidy the form for {issue.key}" in section
    assert '<span class="dev-badge dev-merged">merged</span>' in section
    assert 'href="http://localhost:3000/example/example/pulls/2"' in section
    line = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert "Codertocat/Hello-World commit " in line
    assert f"‘Tidy the form for {issue.key}’ pushed to master by Jane Dev" in line
    assert "pull request #2 ‘Login page for" in line and "’ is merged" in line


def test_no_section_without_links_and_no_script_links(cast: Any) -> None:
    issue = make_issue(cast.alice, cast.web)
    plain = make_issue(cast.alice, cast.web)
    data = json.loads(payload_bytes("github/push__with-new-branch.json"))
    data["commits"][0].update(message=f"x {issue.key}", url="javascript:alert(1)")
    body = json.dumps(data).encode()
    hub = connect(cast, "github", "Codertocat/Hello-World", default_branch="master")
    deliver(hub, body, signed("github", body, **{"X-GitHub-Event": "push"}))
    browser = Client()
    browser.force_login(cast.alice)

    page = browser.get(f"/{issue.key}").content.decode()

    assert 'id="issue-development"' in page and "javascript:" not in page
    assert 'id="issue-development"' not in browser.get(f"/{plain.key}").content.decode()
