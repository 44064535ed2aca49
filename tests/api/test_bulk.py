"""POST /api/v1/issues/bulk: one change to many issues, each through the actions under its own
row lock, each all or nothing, with a result per issue."""

from __future__ import annotations

import pytest

from docket.issues.bulk import MAX_BULK
from docket.issues.models import IssueEvent
from tests.api.issue_helpers import everything, problem
from tests.factories import make_issue, make_project


@pytest.fixture
def three(cast):
    return [
        make_issue(cast.bob, cast.web, title=f"Issue {n}", labels=["old"] if n else [])
        for n in range(3)
    ]


def _bulk(api, body, status=200):
    response = api.post("/issues/bulk", body)
    assert response.status_code == status, response.content
    return response.json()


def test_a_bulk_edit_changes_every_issue_and_records_history_per_issue(cast, three):
    bob = cast.api(cast.bob)
    body = _bulk(
        bob,
        {
            "issues": ["WEB-1", "WEB-2", "WEB-3"],
            "changes": {"priority": "high", "assignee": "bob"},
            "add_labels": ["triaged"],
            "remove_labels": ["old"],
        },
    )
    assert (body["changed"], body["unchanged"], body["failed"]) == (3, 0, 0)
    assert [r["key"] for r in body["results"]] == ["WEB-1", "WEB-2", "WEB-3"]
    for n in (1, 2, 3):
        issue = bob.get(f"/issues/WEB-{n}").json()
        assert issue["priority"] == "high" and issue["assignee"] == "bob"
        assert issue["labels"] == ["triaged"]
        assert issue["version"] == 2  # one new version per issue, whatever changed
        fields = {e["field"] for e in bob.get(f"/issues/WEB-{n}/history").json()["items"][1:]}
        assert {"priority", "assignee", "labels"} == fields


def test_an_issue_already_so_is_reported_unchanged(cast, three):
    body = _bulk(cast.api(cast.bob), {"issues": ["WEB-2", "WEB-3"], "add_labels": ["old"]})
    assert [(r["ok"], r["changed"], r["message"]) for r in body["results"]] == [
        (True, False, "already so; nothing changed")
    ] * 2


def test_a_transition_moves_each_issue_by_the_workflow(cast, three):
    bob = cast.api(cast.bob)
    body = _bulk(bob, {"issues": ["WEB-1", "WEB-2"], "to": "open"})
    assert body["changed"] == 2
    assert bob.get("/issues/WEB-1").json()["status"] == "open"
    assert bob.get("/issues/WEB-3").json()["status"] == "new"


def test_one_failing_issue_does_not_stop_the_others(cast, three):
    secret = make_project(cast.root, "SEC")
    make_issue(cast.root, secret, title="Not for bob")
    bob = cast.api(cast.bob)
    bob.patch("/issues/WEB-2", {"priority": "low"})  # WEB-2 is now version 2
    body = _bulk(
        bob,
        {
            "issues": ["WEB-1", "WEB-2", "SEC-1", "WEB-99", "WEB-3"],
            "versions": {"WEB-2": 1},
            "changes": {"priority": "highest"},
        },
    )
    outcome = {r["key"]: (r["ok"], r["status"]) for r in body["results"]}
    assert outcome == {
        "WEB-1": (True, 200),
        "WEB-2": (False, 409),  # priority moved since the version bob saw
        "SEC-1": (False, 404),  # not visible: the same answer as missing
        "WEB-99": (False, 404),
        "WEB-3": (True, 200),
    }
    assert (body["changed"], body["failed"]) == (2, 3)
    assert bob.get("/issues/WEB-2").json()["priority"] == "low"
    assert bob.get("/issues/WEB-3").json()["priority"] == "highest"


def test_an_issue_fails_whole_when_one_of_its_changes_is_refused(cast, three):
    # carol (reporter) may relabel her own issues but not reprioritise them: nothing of
    # the issue changes, not even the labels.
    carol = cast.api(cast.carol)
    mine = carol.post("/projects/WEB/issues", {"title": "Carol's"}).json()["key"]
    before = IssueEvent.objects.count()
    body = _bulk(carol, {"issues": [mine], "add_labels": ["x"], "changes": {"priority": "highest"}})
    assert body["results"][0]["status"] == 403
    assert IssueEvent.objects.count() == before


def test_a_bad_value_fails_each_issue_with_the_fields_error(cast, three):
    body = _bulk(cast.api(cast.bob), {"issues": ["WEB-1"], "changes": {"assignee": "carol"}})
    result = body["results"][0]
    assert result["status"] == 422
    assert result["errors"] == [{"field": "assignee", "message": "'carol' is not a member of WEB"}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"issues": [], "changes": {"priority": "high"}}, "issues"),
        ({"issues": ["WEB-1"] * (MAX_BULK + 1), "changes": {"priority": "high"}}, "issues"),
        ({"issues": ["WEB-1", "WEB-1"], "changes": {"priority": "high"}}, "issues"),
        ({"issues": ["WEB-1"]}, None),  # nothing to change
        ({"issues": ["WEB-1"], "changes": {"status": "open"}}, "status"),
        ({"issues": ["WEB-1"], "changes": {"labels": ["a"]}}, "labels"),
        ({"issues": ["WEB-1"], "changes": {"priority": "urgent"}}, "priority"),
        ({"issues": ["WEB-1"], "add_labels": ["a"], "remove_labels": ["a"]}, "labels"),
        ({"issues": ["WEB-1"], "versions": {"WEB-1": 0}, "to": "open"}, "versions"),
        ({"issues": ["WEB-1"], "versions": {"WEB-2": 1}, "to": "open"}, "versions"),
    ],
)
def test_a_malformed_bulk_edit_is_refused_whole_and_changes_nothing(cast, three, body, field):
    before = everything()
    refused = problem(cast.api(cast.bob).post("/issues/bulk", body), 422)
    if field:
        assert field in {e["field"] for e in refused.get("errors", [])}, refused
    assert everything() == before


def test_anonymous_and_read_only_callers_change_nothing(cast, anon, three):
    body = {"issues": ["WEB-1"], "changes": {"priority": "high"}}
    problem(anon.post("/issues/bulk", body), 401)
    reader = cast.api(cast.bob, scopes=["read"])
    problem(reader.post("/issues/bulk", body), 403)
    viewer = _bulk(cast.api(cast.dave), body)
    assert viewer["results"][0]["status"] == 403
    assert cast.api(cast.bob).get("/issues/WEB-1").json()["priority"] == "medium"


def test_a_move_takes_the_fields_that_go_with_it_in_one_version(cast, three):
    bob = cast.api(cast.bob)
    _bulk(bob, {"issues": ["WEB-1"], "to": "open"})
    body = _bulk(
        bob,
        {
            "issues": ["WEB-1"],
            "to": "resolved",
            "changes": {"resolution": "duplicate", "priority": "low"},
        },
    )
    assert body["results"][0]["ok"], body
    issue = bob.get("/issues/WEB-1").json()
    assert (issue["status"], issue["resolution"], issue["priority"]) == (
        "resolved",
        "duplicate",
        "low",
    )
    events = bob.get("/issues/WEB-1/history").json()["items"]
    move = [e for e in events if e["new"] in ("resolved", "duplicate")]
    assert len(move) == 2 and move[0]["version"] == move[1]["version"]  # one step


def test_a_move_someone_else_made_meanwhile_is_a_conflict_even_with_other_changes(cast, three):
    bob, alice = cast.api(cast.bob), cast.api(cast.alice)
    alice.patch("/issues/WEB-1", {"status": "open"})  # after bob saw version 1
    body = _bulk(
        bob,
        {
            "issues": ["WEB-1"],
            "versions": {"WEB-1": 1},
            "to": "in progress",
            "changes": {"priority": "high"},
        },
    )
    assert body["results"][0]["status"] == 409
    issue = bob.get("/issues/WEB-1").json()
    assert (issue["status"], issue["priority"]) == ("open", "medium")
