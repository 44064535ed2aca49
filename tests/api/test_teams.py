"""Teams as owners of issues (issue 14): the `team` field through the API, team queues,
renaming teams, and component leads set through the components API."""

from __future__ import annotations

import pytest

from docket.accounts.models import Team
from docket.issues.routing import component_lead
from docket.projects.models import Component
from tests.api.issue_helpers import problem
from tests.factories import UserFactory, make_issue


@pytest.fixture
def sre(cast):
    team = cast.api(cast.root).post("/teams", {"slug": "sre", "name": "SRE"})
    assert team.status_code == 201, team.content
    assert cast.api(cast.root).post("/teams/sre/members", {"user": "bob"}).status_code == 201
    return Team.objects.get(slug="sre")


def test_an_issue_is_routed_to_a_team_and_the_change_is_history(cast, sre):
    bob = cast.api(cast.bob)
    created = bob.post("/projects/WEB/issues", {"title": "Disk full", "team": "sre"})
    assert created.status_code == 201, created.content
    assert created.json()["team"] == "sre"
    moved = bob.patch("/issues/WEB-1", {"team": None})
    assert moved.status_code == 200, moved.content
    assert moved.json()["team"] is None
    assert bob.patch("/issues/WEB-1", {"team": "sre"}).json()["team"] == "sre"
    changes = [
        (e["field"], e["old"], e["new"])
        for e in bob.get("/issues/WEB-1/history").json()["items"]
        if e["kind"] == "changed"
    ]
    assert changes == [("team", "sre", None), ("team", None, "sre")]
    assert bob.get("/issues/WEB-1").json()["team"] == "sre"


def test_an_unknown_team_is_a_422_naming_the_field(cast):
    response = cast.api(cast.bob).post("/projects/WEB/issues", {"title": "x", "team": "nope"})
    assert problem(response, 422)["errors"][0]["field"] == "team"


def test_someone_outside_the_team_may_be_assigned_but_only_if_assignable(cast, sre):
    """Assigning a person who is not in the issue's team is allowed (docs/api.md, Teams);
    the project's rule for assignees still holds for team members."""
    bob = cast.api(cast.bob)
    make_issue(cast.alice, cast.web, title="Outage", team="sre")
    assert bob.patch("/issues/WEB-1", {"assignee": "alice"}).status_code == 200
    UserFactory(username="stranger")
    cast.api(cast.root).post("/teams/sre/members", {"user": "stranger"})
    refused = bob.patch("/issues/WEB-1", {"assignee": "stranger"})
    assert problem(refused, 422)["errors"][0]["field"] == "assignee"


def test_reporters_may_not_change_the_team(cast, sre):
    make_issue(cast.carol, cast.web, title="Mine")
    response = cast.api(cast.carol).patch("/issues/WEB-1", {"team": "sre"})
    assert response.status_code == 403


def test_bulk_edit_routes_many_issues_and_the_queue_lists_them(cast, sre):
    for n in range(3):
        make_issue(cast.alice, cast.web, title=f"Alert {n}")
    bob = cast.api(cast.bob)
    bulk = bob.post("/issues/bulk", {"issues": ["WEB-1", "WEB-2"], "changes": {"team": "sre"}})
    assert bulk.status_code == 200 and bulk.json()["changed"] == 2, bulk.content
    bob.patch("/issues/WEB-2", {"assignee": "bob"})
    queue = bob.get("/issues", q="team:sre is:unassigned").json()["items"]
    assert [i["key"] for i in queue] == ["WEB-1"]
    plate = bob.get("/issues", q="assignee:team:sre sort:key").json()["items"]
    assert [(i["key"], i["team"]) for i in plate] == [("WEB-1", "sre"), ("WEB-2", "sre")]


def test_site_admins_rename_teams_others_may_not(cast, sre):
    renamed = cast.api(cast.root).patch("/teams/sre", {"name": "Site reliability"})
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["name"] == "Site reliability" and renamed.json()["members"] == ["bob"]
    assert cast.api(cast.bob).patch("/teams/sre", {"name": "Ours"}).status_code == 403
    assert cast.api(cast.eve).patch("/teams/sre", {"name": "Ours"}).status_code == 404
    assert cast.api(cast.root).patch("/teams/sre", {"slug": "x"}).status_code == 422


def test_deleting_a_team_empties_its_issues_team(cast, sre):
    make_issue(cast.alice, cast.web, title="Outage", team="sre")
    assert cast.api(cast.root).delete("/teams/sre").status_code == 204
    assert cast.api(cast.bob).get("/issues/WEB-1").json()["team"] is None


# --- component leads ----------------------------------------------------------------------------


def test_project_admins_set_and_clear_component_leads(cast):
    alice = cast.api(cast.alice)
    created = alice.post("/projects/WEB/components", {"name": "api", "lead": "bob"})
    assert created.status_code == 201, created.content
    assert created.json() == {"name": "api", "lead": "bob"}
    alice.post("/projects/WEB/components", {"name": "ui"})
    listed = alice.get("/projects/WEB/components").json()
    assert listed == [{"name": "api", "lead": "bob"}, {"name": "ui", "lead": None}]
    assert component_lead(Component.objects.get(name="api")) == cast.bob

    changed = alice.patch("/projects/WEB/components/ui", {"lead": "alice"})
    assert changed.status_code == 200 and changed.json() == {"name": "ui", "lead": "alice"}
    cleared = alice.patch("/projects/WEB/components/api", {"lead": None})
    assert cleared.json() == {"name": "api", "lead": None}
    assert component_lead(Component.objects.get(name="api")) is None


@pytest.mark.parametrize(
    ("lead", "why"),
    [("carol", "reporter"), ("eve", "no role"), ("nobody", "no such user"), ("gone", "inactive")],
)
def test_a_component_lead_must_be_assignable_in_the_project(cast, lead, why):
    UserFactory(username="gone", is_active=False)
    alice = cast.api(cast.alice)
    alice.post("/projects/WEB/components", {"name": "api"})
    for response in (
        alice.patch("/projects/WEB/components/api", {"lead": lead}),
        alice.post("/projects/WEB/components", {"name": "other", "lead": lead}),
    ):
        assert problem(response, 422)["errors"][0]["field"] == "lead", why


def test_only_project_admins_set_component_leads(cast):
    cast.api(cast.alice).post("/projects/WEB/components", {"name": "api"})
    assert (
        cast.api(cast.bob).patch("/projects/WEB/components/api", {"lead": "bob"}).status_code == 403
    )
    assert (
        cast.api(cast.eve).patch("/projects/WEB/components/api", {"lead": "bob"}).status_code == 404
    )
    missing = cast.api(cast.alice).patch("/projects/WEB/components/nope", {"lead": "bob"})
    assert missing.status_code == 404
