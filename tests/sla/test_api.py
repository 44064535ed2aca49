"""The SLA API: policies (project admins write, readers read) and an issue's clocks."""

from __future__ import annotations

from typing import Any

from docket.worker.runner import run_ready_jobs
from tests.factories import make_issue
from tests.sla.conftest import replay_all

POLICY = {
    "name": "Urgent bugs",
    "query": "type:bug priority:>=high",
    "first_response": {"highest": 30, "high": 60},
    "resolution": {"highest": 240},
    "zone": "America/New_York",
    "hours": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]},
    "country": "US",
    "closed_dates": ["2026-12-24"],
    "pause_states": ["Open"],
    "steps": [{"at": 75, "do": ["notify_assignee"]}, {"at": 100, "do": ["raise_priority"]}],
}


def test_admins_write_policies_and_readers_read_them(cast: Any, clock: Any) -> None:
    admin, member = cast.api(cast.alice), cast.api(cast.bob)
    assert member.post("/projects/WEB/sla/policies", POLICY).status_code == 403
    made = admin.post("/projects/WEB/sla/policies", POLICY)
    assert made.status_code == 201, made.content
    policy = made.json()
    assert policy["steps"][1] == {"at": 100, "do": ["raise_priority"]}
    assert [p["name"] for p in member.get("/projects/WEB/sla/policies").json()] == ["Urgent bugs"]
    url = f"/projects/WEB/sla/policies/{policy['id']}"
    changed = admin.patch(url, {"zone": "Europe/London"})
    assert changed.status_code == 200 and changed.json()["zone"] == "Europe/London"
    assert admin.get("/projects/WEB/sla/policies/99999999999999999999").status_code in (404, 422)
    assert cast.api(cast.eve).get("/projects/WEB/sla/policies").status_code == 404
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404


def test_bad_policies_are_refused_by_field(cast: Any, clock: Any) -> None:
    admin = cast.api(cast.alice)
    for field, value in [
        ("query", "priority:urgentest"), ("zone", "Mars/Olympus"), ("hours", {"mon": ["9-5"]}),
        ("country", "XX"), ("closed_dates", ["tomorrow"]), ("first_response", {"soon": 5}),
        ("steps", [{"at": 50, "do": ["launch_rockets"]}]),
    ]:  # fmt: skip
        answer = admin.post("/projects/WEB/sla/policies", {**POLICY, field: value})
        assert answer.status_code in (400, 422), (field, answer.content)


def test_an_issue_shows_its_clocks_and_the_query_finds_it(cast: Any, clock: Any) -> None:
    admin = cast.api(cast.alice)
    policy = {**POLICY, "hours": None, "country": "", "pause_states": []}
    assert admin.post("/projects/WEB/sla/policies", policy).status_code == 201
    issue = make_issue(cast.bob, cast.web, title="Crash", type="bug", priority="high")
    make_issue(cast.bob, cast.web, title="Typo", type="bug", priority="low")
    replay_all()
    sla = cast.api(cast.bob).get(f"/issues/WEB-{issue.number}/sla").json()
    assert [(c["metric"], c["state"], c["remaining_seconds"]) for c in sla["clocks"]] == [
        ("first_response", "running", 3600)
    ]
    clock.advance(minutes=50)
    from tests.sla.conftest import sweep

    sweep(clock)
    found = admin.get("/issues", q="sla:at-risk").json()["items"]
    assert [i["title"] for i in found] == ["Crash"]
    clock.advance(minutes=20)
    sweep(clock)
    assert [i["title"] for i in admin.get("/issues", q="sla:breached").json()["items"]] == ["Crash"]
    listed = admin.get("/issues", q="project:WEB sort:sla").json()["items"]
    assert [i["title"] for i in listed] == ["Crash", "Typo"]
    sla = admin.get(f"/issues/WEB-{issue.number}/sla").json()
    assert sla["clocks"][0]["state"] == "breached"
    assert [e["step"] for e in sla["escalations"]] == [75, 100]


def test_a_policy_change_replays_the_clocks_in_the_worker_not_in_the_request(
    cast: Any, clock: Any
) -> None:
    issue = make_issue(cast.bob, cast.web, title="Crash", type="bug", priority="high")
    replay_all()
    admin = cast.api(cast.alice)
    policy = {**POLICY, "hours": None, "country": "", "pause_states": []}
    assert admin.post("/projects/WEB/sla/policies", policy).status_code == 201
    url = f"/issues/WEB-{issue.number}/sla"
    assert admin.get(url).json()["clocks"] == []  # the request only queued the replay
    assert run_ready_jobs() == 1
    assert [c["state"] for c in admin.get(url).json()["clocks"]] == ["running"]


def test_a_state_marked_waiting_pauses_the_clocks_of_issues_in_it(cast: Any, clock: Any) -> None:
    admin = cast.api(cast.alice)
    policy = {**POLICY, "hours": None, "country": "", "pause_states": []}
    assert admin.post("/projects/WEB/sla/policies", policy).status_code == 201
    issue = make_issue(cast.bob, cast.web, title="Crash", type="bug", priority="high")
    assert admin.patch(f"/issues/WEB-{issue.number}", {"status": "open"}).status_code == 200
    replay_all()
    run_ready_jobs()
    url = f"/issues/WEB-{issue.number}/sla"
    assert {c["state"] for c in admin.get(url).json()["clocks"]} == {"running"}

    marked = admin.patch("/projects/WEB/workflow/states/open", {"waiting": True})
    assert marked.status_code == 200 and marked.json()["waiting"] is True
    assert run_ready_jobs() == 1  # the workflow change queued one replay of WEB's clocks
    assert {c["state"] for c in admin.get(url).json()["clocks"]} == {"paused"}

    refused = admin.patch("/projects/WEB/workflow/states/open", {"waiting": "yes"})
    assert refused.status_code == 422
