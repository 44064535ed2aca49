"""Teams on pages (issue 14): a team's queue at /teams/<slug>, the team field on the issue
page, and component leads on the project's components page."""

from __future__ import annotations

from django.test import Client

from docket.accounts.models import Team
from docket.issues import actions as issue_actions
from docket.issues.models import Issue
from docket.projects.models import Component
from tests.factories import make_issue, make_project

HX = {"HTTP_HX_REQUEST": "true"}


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sre(cast) -> Team:
    team = Team.objects.create(slug="sre", name="Site reliability")
    team.members.add(cast.bob)
    return team


def test_a_team_queue_lists_its_open_issues_the_viewer_may_see(cast):
    _sre(cast)
    make_issue(cast.alice, cast.web, title="Disk full", team="sre")
    done = make_issue(cast.alice, cast.web, title="Old outage", team="sre")
    issue_actions.update_issue(actor=cast.alice, issue=done, changes={"status": "closed"})
    make_issue(cast.alice, cast.web, title="Not theirs")
    hidden = make_project(cast.eve, "EVE")
    make_issue(cast.eve, hidden, title="Eve secret", team="sre")

    body = _as(cast.bob).get("/teams/sre").content.decode()
    assert "Site reliability" in body
    assert "Disk full" in body
    assert "Old outage" not in body and "Not theirs" not in body
    assert "Eve secret" not in body  # the gate applies
    everything = _as(cast.bob).get("/teams/sre", {"q": ""}).content.decode()
    assert "Old outage" in everything and "Not theirs" not in everything
    assert "Eve secret" in _as(cast.eve).get("/teams/sre").content.decode()


def test_an_unknown_team_is_a_404_page_and_anonymous_visitors_sign_in(cast):
    assert _as(cast.bob).get("/teams/nope").status_code == 404
    assert Client().get("/teams/nope").status_code == 302


def test_the_issue_page_shows_and_saves_the_team(cast):
    _sre(cast)
    make_issue(cast.alice, cast.web, title="Disk full")
    bob = _as(cast.bob)
    assert "/WEB-1/fields/team?since=1" in bob.get("/WEB-1").content.decode()
    form = bob.get("/WEB-1/fields/team?since=1", **HX).content.decode()
    assert 'value="sre"' in form
    saved = bob.post("/WEB-1/fields/team", {"value": "sre", "version": "1"}, **HX)
    assert saved.status_code == 200, saved.content[:300]
    assert Issue.objects.get().team.slug == "sre"
    refused = bob.post("/WEB-1/fields/team", {"value": "nope", "version": "2"}, **HX)
    assert refused.status_code == 422
    cleared = bob.post("/WEB-1/fields/team", {"value": "", "version": "2"}, **HX)
    assert cleared.status_code == 200 and Issue.objects.get().team is None


def test_project_admins_set_component_leads_on_the_components_page(cast):
    alice = _as(cast.alice)
    added = alice.post("/p/WEB/components", {"add": "1", "name": "api", "lead": "bob"})
    assert added.status_code == 302, added.content[:300]
    assert Component.objects.get(name="api").lead == cast.bob
    page = alice.get("/p/WEB/components").content.decode()
    assert "api" in page and '<option value="bob" selected>' in page
    assert alice.post("/p/WEB/components", {"name": "api", "lead": ""}).status_code == 302
    assert Component.objects.get(name="api").lead is None
    refused = alice.post("/p/WEB/components", {"name": "api", "lead": "carol"})
    assert refused.status_code == 422 and "may be assigned" in refused.content.decode()


def test_others_see_component_leads_but_cannot_change_them(cast):
    Component.objects.create(project=cast.web, name="api", lead=cast.bob)
    dave = _as(cast.dave)
    page = dave.get("/p/WEB/components").content.decode()
    assert "@bob" in page and "Set lead" not in page
    assert dave.post("/p/WEB/components", {"name": "api", "lead": ""}).status_code == 403
    assert Component.objects.get(name="api").lead == cast.bob
    assert _as(cast.eve).get("/p/WEB/components").status_code == 404


def test_the_new_issue_form_offers_teams_and_files_into_one(cast):
    _sre(cast)
    bob = _as(cast.bob)
    assert '<option value="sre">sre</option>' in bob.get("/p/WEB/new").content.decode()
    plain = {"type": "bug", "priority": "medium", "severity": "major"}
    response = bob.post("/p/WEB/new", {"title": "Pager storm", "team": "sre", **plain})
    assert response.status_code == 302, response.content[:300]
    assert Issue.objects.get(title="Pager storm").team.slug == "sre"
    refused = bob.post("/p/WEB/new", {"title": "Lost", "team": "nope", **plain})
    assert refused.status_code == 422 and 'id="team-error"' in refused.content.decode()


def test_the_query_bar_suggests_teams(cast):
    _sre(cast)
    bob = _as(cast.bob)

    def values(q: str) -> list[str]:
        response = bob.get("/issues/suggest", {"q": q})
        assert response.status_code == 200
        return [item["label"] for item in response.json()["items"]]

    assert values("team:s") == ["sre"]
    assert "none" in values("team:")
    assert values("assignee:team:s") == ["team:sre"]
    make_issue(cast.alice, cast.web, title="Disk full", team="sre")
    make_issue(cast.alice, cast.web, title="Elsewhere")
    page = bob.get("/issues/", {"q": 'assignee:"team:sre"'}).content.decode()  # as suggested
    assert "Disk full" in page and "Elsewhere" not in page
