"""Work log through the API: who may log and remove time, validation, history events, the
totals on an issue against its estimate, rolled up over the sub-tasks the reader may see,
and per milestone."""

from __future__ import annotations

from docket.issues import worklog
from docket.issues.models import Issue
from docket.projects import actions as project_actions
from tests.custom_fields.conftest import history


def test_members_log_time_and_history_shows_it(cast):
    member = cast.api(cast.bob)
    member.post("/projects/WEB/issues", {"title": "T", "estimate": "3h 30m"})
    assert member.get("/issues/WEB-1").json()["estimate"] == 210
    made = member.post(
        "/issues/WEB-1/worklog", {"time": "1h 30m", "day": "2026-12-01", "note": "triage"}
    )
    assert made.status_code == 201, made.content
    entry = made.json()
    assert (entry["author"], entry["minutes"], entry["duration"], entry["day"]) == (
        "bob",
        90,
        "1h 30m",
        "2026-12-01",
    )
    member.post("/issues/WEB-1/worklog", {"time": 45})
    listing = member.get("/issues/WEB-1/worklog").json()
    assert [e["minutes"] for e in listing["items"]][-1] == 90
    totals = listing["totals"]["issue"]
    assert (totals["estimate"], totals["logged"], totals["remaining"]) == (210, 135, 75)
    assert totals["remaining_text"] == "1h 15m"
    logged = [e for e in history(member, "WEB-1") if e["kind"] == "work_logged"]
    assert logged[0]["new"]["minutes"] == 90 and logged[0]["new"]["note"] == "triage"


def test_reporters_and_viewers_do_not_log_time(cast):
    cast.api(cast.bob).post("/projects/WEB/issues", {"title": "T"})
    for user in (cast.carol, cast.dave):
        response = cast.api(user).post("/issues/WEB-1/worklog", {"time": 30})
        assert response.status_code == 403, response.content
    assert cast.api(cast.eve).post("/issues/WEB-1/worklog", {"time": 30}).status_code == 404
    assert cast.api(cast.dave).get("/issues/WEB-1/worklog").status_code == 200


def test_bad_entries_are_422s_naming_the_field(cast):
    api = cast.api(cast.bob)
    api.post("/projects/WEB/issues", {"title": "T"})
    for body, field in [
        ({"time": "soon"}, "time"),
        ({"time": 0}, "time"),
        ({"time": "2d"}, "time"),
        ({"time": 30, "day": "2099-01-01"}, "day"),
        ({"time": 30, "day": "2026-02-30"}, "day"),
    ]:
        response = api.post("/issues/WEB-1/worklog", body)
        assert response.status_code == 422, (body, response.content)
        assert field in response.content.decode()
    assert api.get("/issues/WEB-1/worklog").json()["items"] == []
    bad = api.patch("/issues/WEB-1", {"estimate": "a while"})
    assert bad.status_code == 422 and "estimate" in bad.content.decode()


def test_only_the_author_or_an_admin_removes_an_entry(cast):
    project_actions.set_member(actor=cast.alice, project=cast.web, user="eve", role="member")
    bob, eve, alice = cast.api(cast.bob), cast.api(cast.eve), cast.api(cast.alice)
    bob.post("/projects/WEB/issues", {"title": "T"})
    first = bob.post("/issues/WEB-1/worklog", {"time": 30}).json()["id"]
    second = bob.post("/issues/WEB-1/worklog", {"time": 60}).json()["id"]
    assert eve.delete(f"/issues/WEB-1/worklog/{first}").status_code == 403
    assert bob.delete(f"/issues/WEB-1/worklog/{first}").status_code == 204
    assert alice.delete(f"/issues/WEB-1/worklog/{second}").status_code == 204
    assert bob.delete(f"/issues/WEB-1/worklog/{second}").status_code == 404
    removed = [e for e in history(bob, "WEB-1") if e["kind"] == "work_deleted"]
    assert [e["old"]["minutes"] for e in removed] == [30, 60]


def test_totals_roll_up_over_the_subtasks_the_reader_sees(cast):
    alice, bob = cast.api(cast.alice), cast.api(cast.bob)
    alice.post("/projects/WEB/issues", {"title": "Parent", "estimate": 600})
    alice.post("/projects/WEB/issues", {"title": "Child", "estimate": 120, "parent": "WEB-1"})
    alice.post(
        "/projects/WEB/issues",
        {"title": "Grandchild", "estimate": 60, "parent": "WEB-2"},
    )
    alice.post("/projects/WEB/issues", {"title": "Secret", "estimate": 999, "parent": "WEB-1"})
    for key, minutes in [("WEB-1", 100), ("WEB-2", 50), ("WEB-3", 20), ("WEB-4", 7)]:
        alice.post(f"/issues/{key}/worklog", {"time": minutes})
    # carol (a reporter) files her own, and may not see the confidential WEB-4
    alice.patch("/issues/WEB-4", {"confidential": True})
    as_admin = alice.get("/issues/WEB-1/worklog").json()["totals"]
    assert as_admin["subtasks"] == 3
    assert (as_admin["with_subtasks"]["estimate"], as_admin["with_subtasks"]["logged"]) == (
        600 + 120 + 60 + 999,
        100 + 50 + 20 + 7,
    )
    carol = cast.api(cast.carol).get("/issues/WEB-1/worklog").json()["totals"]
    assert carol["subtasks"] == 2
    assert (carol["with_subtasks"]["estimate"], carol["with_subtasks"]["logged"]) == (780, 170)
    assert bob.get("/issues/WEB-1/worklog").json()["totals"]["issue"]["logged"] == 100


def test_milestone_totals(cast):
    cast.api(cast.alice).post("/projects/WEB/milestones", {"name": "1.0"})
    alice = cast.api(cast.alice)
    alice.post("/projects/WEB/issues", {"title": "A", "estimate": 60, "milestone": "1.0"})
    alice.post("/projects/WEB/issues", {"title": "B", "estimate": 30, "milestone": "1.0"})
    alice.post("/projects/WEB/issues", {"title": "C", "estimate": 500})
    alice.post("/issues/WEB-1/worklog", {"time": 80})
    alice.post("/issues/WEB-3/worklog", {"time": 80})
    milestone = cast.web.milestones.get(name="1.0")
    totals = worklog.milestone_totals(cast.alice, milestone)
    assert (totals.estimate, totals.logged, totals.remaining, totals.over) == (90, 80, 10, 0)
    assert Issue.objects.count() == 3


def test_estimate_in_the_query_language(cast):
    alice = cast.api(cast.alice)
    for estimate in (30, 120, 210, None):
        alice.post("/projects/WEB/issues", {"title": "T", "estimate": estimate})

    def keys(q: str) -> list[str]:
        return [i["key"] for i in alice.get("/issues", q=q).json()["items"]]

    assert sorted(keys("estimate:>2h")) == ["WEB-3"]
    assert sorted(keys("estimate:>=2h")) == ["WEB-2", "WEB-3"]
    assert sorted(keys('estimate:<"1h 30m"')) == ["WEB-1"]
    assert keys("estimate:none") == ["WEB-4"]
    assert keys("has:estimate sort:estimate-desc") == ["WEB-3", "WEB-2", "WEB-1"]
    bad = alice.get("/issues", q="estimate:>lots")
    assert bad.status_code in (400, 422) and "not a duration" in bad.content.decode()
