"""Saved filters: personal and shared per project; running them respects the gate."""

from __future__ import annotations

import pytest

from docket.issues.models import SavedFilter
from tests.factories import make_issue, make_project


@pytest.fixture
def issues(cast):
    make_issue(cast.alice, cast.web, title="High one", priority="high")
    make_issue(cast.alice, cast.web, title="Low one", priority="low")
    make_issue(cast.alice, cast.web, title="Hidden high", priority="high", confidential=True)
    return cast


def test_a_personal_filter_is_saved_listed_and_run_by_its_owner_only(issues):
    bob = issues.api(issues.bob)
    created = bob.post("/filters", {"name": "Hot", "query": "priority:>=high sort:key"})
    assert created.status_code == 201, created.content
    saved = created.json()
    assert saved["shared"] is False and saved["owner"] == "bob"
    assert [f["name"] for f in bob.get("/filters").json()] == ["Hot"]
    run = bob.get(f"/filters/{saved['id']}/issues").json()
    assert [i["key"] for i in run["items"]] == ["WEB-1", "WEB-3"]
    carol = issues.api(issues.carol)
    assert carol.get("/filters").json() == []
    assert carol.get(f"/filters/{saved['id']}").status_code == 404
    assert carol.get(f"/filters/{saved['id']}/issues").status_code == 404


def test_a_shared_filter_runs_with_each_readers_own_permissions(issues):
    bob = issues.api(issues.bob)
    saved = bob.post("/filters", {"name": "Hot", "query": "priority:high", "project": "WEB"}).json()
    assert saved["shared"] is True and saved["project"] == "WEB"
    dave = issues.api(issues.dave)  # a viewer: sees the filter, not the confidential issue
    assert [f["id"] for f in dave.get("/filters").json()] == [saved["id"]]
    assert [i["key"] for i in dave.get(f"/filters/{saved['id']}/issues").json()["items"]] == [
        "WEB-1"
    ]
    eve = issues.api(issues.eve)  # an outsider: sees nothing at all
    assert eve.get("/filters").json() == []
    assert eve.get(f"/filters/{saved['id']}/issues").status_code == 404


def test_a_shared_filter_only_looks_inside_its_project(issues):
    other = make_project(issues.bob, "OPS")
    make_issue(issues.bob, other, title="Ops high", priority="high")
    bob = issues.api(issues.bob)
    saved = bob.post("/filters", {"name": "Hot", "query": "priority:high", "project": "WEB"}).json()
    keys = [i["key"] for i in bob.get(f"/filters/{saved['id']}/issues").json()["items"]]
    assert "OPS-1" not in keys and "WEB-1" in keys


def test_viewers_cannot_share_filters_and_bad_queries_are_refused(issues):
    dave = issues.api(issues.dave)
    assert dave.post("/filters", {"name": "x", "query": "", "project": "WEB"}).status_code == 403
    bad = issues.api(issues.bob).post("/filters", {"name": "x", "query": "stauts:open"})
    assert bad.status_code == 400 and bad.json()["suggestion"] == "status"
    assert SavedFilter.objects.count() == 0


def test_names_are_unique_per_owner_and_per_project(issues):
    bob = issues.api(issues.bob)
    assert bob.post("/filters", {"name": "Mine", "query": ""}).status_code == 201
    assert bob.post("/filters", {"name": "Mine", "query": "is:open"}).status_code == 409
    assert bob.post("/filters", {"name": "Mine", "query": "", "project": "WEB"}).status_code == 201
    alice = issues.api(issues.alice)
    assert (
        alice.post("/filters", {"name": "Mine", "query": "", "project": "WEB"}).status_code == 409
    )
    assert SavedFilter.objects.count() == 2


def test_only_the_owner_or_a_project_admin_changes_a_shared_filter(issues):
    bob = issues.api(issues.bob)
    saved = bob.post("/filters", {"name": "Hot", "query": "priority:high", "project": "WEB"}).json()
    path = f"/filters/{saved['id']}"
    assert issues.api(issues.dave).patch(path, {"name": "Mine now"}).status_code == 403
    assert (
        issues.api(issues.alice).patch(path, {"query": "priority:low"}).json()["query"]
        == "priority:low"
    )
    assert bob.patch(path, {"query": "(oops"}).status_code == 400
    assert SavedFilter.objects.get().query == "priority:low"
    assert issues.api(issues.dave).delete(path).status_code == 403
    assert bob.delete(path).status_code == 204
    assert SavedFilter.objects.count() == 0


def test_anonymous_callers_have_no_filters(anon, issues):
    assert anon.get("/filters").json() == []
    assert anon.post("/filters", {"name": "x", "query": ""}).status_code == 401
