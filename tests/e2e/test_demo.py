"""`docket demo` as a new user meets it: the admin's My work has something in every section,
watchers follow the real rules, each workflow template is in use, the dashboards have cycle
time, the story's blockers, sub-tasks, custom fields, time and files are there, and loading
it twice skips cleanly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from docket.cli.demo_data import CHECKOUT, DARK_MODE, RATE_LIMIT, SESSIONS, SSO_TICKET
from tests.servers import ADMIN_PASSWORD, Server, run_docket, running_server, scratch_environment

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("demo"),  # one worker builds its server (--dist loadgroup)
]


@dataclass
class Demo:
    server: Server
    api: httpx.Client
    loaded: str  # what `docket demo` said


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    base = tmp_path_factory.mktemp("demo")
    with scratch_environment(base / "data", ready=True) as env:
        loaded = run_docket(env, "demo", "--issues", "150")
        assert loaded.returncode == 0, loaded.stderr
        for _ in range(5):  # the worker's consumers catch up: inbox, SLA clocks, rules
            if run_docket(env, "worker", "--once").stderr.strip().endswith("did 0 thing(s)"):
                break
        with (
            running_server(env, base / "server.log") as server,
            server.client(server.token("admin")) as api,
        ):
            yield Demo(server, api, loaded.stderr)


def _issues(api: httpx.Client, query: str) -> list[dict[str, Any]]:
    answer = api.get("/issues", params={"q": query, "limit": 100})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _key(api: httpx.Client, title: str) -> str:
    found = [i for i in _issues(api, f'"{title}"') if i["title"] == title]
    assert len(found) == 1, title
    return str(found[0]["key"])


def test_every_section_of_the_admins_my_work_has_issues(demo: Demo) -> None:
    from docket.web.views.home import SECTIONS

    for slug, _, query in SECTIONS:
        assert _issues(demo.api, query), f"My work's {slug} section is empty"
    assigned = {i["title"] for i in _issues(demo.api, "assignee:@me is:open")}
    assert {CHECKOUT, SESSIONS, RATE_LIMIT, SSO_TICKET} <= assigned


def test_the_admin_has_mentions_in_the_inbox(demo: Demo) -> None:
    inbox = demo.api.get("/notifications").json()
    assert inbox["unread_count"] > 0
    kinds = {n["kind"] for thread in inbox["items"] for n in thread["notifications"]}
    assert "mentioned" in kinds, kinds
    assert _issues(demo.api, "mentions:@me")


def test_reporters_and_assignees_watch_their_issues(demo: Demo) -> None:
    for issue in _issues(demo.api, "project:WEB sort:updated-desc")[:30]:
        watchers = demo.api.get(f"/issues/{issue['key']}/watchers").json()
        wanted = {issue["reporter"], issue["assignee"]} - {None}
        assert wanted <= set(watchers["watchers"]), issue["key"]
        assert watchers["count"] >= len(wanted)


def test_each_workflow_template_is_in_use(demo: Demo) -> None:
    statuses = {
        key: {s["name"] for s in demo.api.get(f"/projects/{key}").json()["statuses"]}
        for key in ("WEB", "HELP", "OPS")
    }
    assert "in progress" in statuses["WEB"]  # default
    assert "waiting on customer" in statuses["HELP"]  # support
    assert "triggered" in statuses["OPS"]  # incident


def test_the_story_has_blockers_sub_tasks_fields_time_and_files(demo: Demo) -> None:
    blocked = _issues(demo.api, "is:blocked")
    assert SESSIONS in {i["title"] for i in blocked}
    assert len(_issues(demo.api, f"parent:{_key(demo.api, DARK_MODE)}")) == 3
    ticket = demo.api.get(f"/issues/{_key(demo.api, SSO_TICKET)}").json()
    assert ticket["custom_fields"] == {
        "customer_tier": "Enterprise",
        "customer": "Northwind Traders",
    }
    checkout = _key(demo.api, CHECKOUT)
    assert demo.api.get(f"/issues/{checkout}/worklog").json()["items"]
    files = demo.api.get(f"/issues/{checkout}/attachments").json()["items"]
    assert [f["filename"] for f in files] == ["checkout-console.log"]
    assert _issues(demo.api, "is:open due:<today")  # overdue work
    milestones = demo.api.get("/projects/WEB/milestones").json()
    assert all(m["start_date"] and m["due_date"] for m in milestones)


def test_the_dashboards_have_history(demo: Demo) -> None:
    with httpx.Client(base_url=demo.server.url, timeout=30) as browser:
        form = browser.get("/login")
        assert form.status_code == 200, form.text
        signed_in = browser.post("/login", data={
            "username": "admin", "password": ADMIN_PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        })  # fmt: skip
        assert signed_in.status_code == 302, signed_in.text
        for key in ("WEB", "HELP", "OPS"):
            page = browser.get(f"/p/{key}/dashboard?unit=week").text
            assert re.search(r"Cycle time \(n=\d+\)", page), key
            assert "no resolved issues" not in page, key
        assert "Burndown: Sprint 14" in browser.get("/p/WEB/dashboard").text


def test_loading_the_demo_twice_skips(demo: Demo, tmp_path: Path) -> None:
    assert "Loaded 150 issues" in demo.loaded
    count = len(_issues(demo.api, "project:WEB"))
    twice = run_docket(demo.server.env, "demo")
    assert twice.returncode == 0, twice.stderr
    assert "already loaded" in twice.stderr and "skipping" in twice.stderr
    assert "error" not in twice.stderr.lower()
    assert len(_issues(demo.api, "project:WEB")) == count
