"""Support desks: with `reporters_see_own_only`, reporters and outsiders see only their own
tickets; viewers, members and admins see them all."""

from __future__ import annotations

import pytest
from django.test import Client

from docket.accounts.models import Team
from docket.projects import actions as project_actions
from tests.api.issue_helpers import keys
from tests.factories import UserFactory, make_issue, make_project


@pytest.fixture
def desk(cast):
    """DESK (internal support desk): carol and frank are reporters, dave a viewer, bob a
    member. DESK-1 is carol's ticket, DESK-2 frank's, DESK-3 filed by bob for a customer."""
    frank = UserFactory(username="frank")
    project = make_project(
        cast.alice,
        "DESK",
        visibility="internal",
        members={
            cast.bob: "member",
            cast.carol: "reporter",
            frank: "reporter",
            cast.dave: "viewer",
        },
    )
    project_actions.update_project(
        actor=cast.alice, project=project, changes={"reporters_see_own_only": True}
    )
    make_issue(cast.carol, project, title="My printer is on fire")
    make_issue(frank, project, title="VPN refuses my password")
    make_issue(cast.bob, project, title="Printer fleet audit")
    return project


def _visible(api) -> list[str]:
    return sorted(keys(api.get("/issues", project="DESK")))


def test_a_reporter_sees_only_their_own_tickets(cast, desk):
    carol = cast.api(cast.carol)
    assert _visible(carol) == ["DESK-1"]
    assert carol.get("/issues/DESK-2").status_code == 404
    assert keys(carol.get("/issues", q="printer")) == ["DESK-1"]
    found = carol.get("/search", q="printer").json()["items"]
    assert [h["issue"]["key"] for h in found] == ["DESK-1"]


def test_staff_and_viewers_see_every_ticket(cast, desk):
    for user in (cast.root, cast.alice, cast.bob, cast.dave):
        assert _visible(cast.api(user)) == ["DESK-1", "DESK-2", "DESK-3"]


def test_outsiders_see_no_ticket_of_an_internal_desk(cast, desk, anon):
    assert _visible(cast.api(cast.eve)) == []
    assert cast.api(cast.eve).get("/issues/DESK-3").status_code == 404
    assert anon.get("/issues/DESK-1").status_code == 404


def test_assigned_and_shared_tickets_become_visible_to_a_reporter(cast, desk):
    cast.api(cast.bob).post("/issues/DESK-2/access", {"user": "carol"})
    assert _visible(cast.api(cast.carol)) == ["DESK-1", "DESK-2"]


def test_turning_the_setting_off_opens_the_desk_to_its_readers(cast, desk):
    response = cast.api(cast.alice).patch("/projects/DESK", {"reporters_see_own_only": False})
    assert response.status_code == 200
    assert response.json()["reporters_see_own_only"] is False
    assert _visible(cast.api(cast.carol)) == ["DESK-1", "DESK-2", "DESK-3"]
    assert _visible(cast.api(cast.eve)) == ["DESK-1", "DESK-2", "DESK-3"]


def test_a_public_desk_shows_anonymous_visitors_nothing(cast, desk, anon):
    cast.api(cast.alice).patch("/projects/DESK", {"visibility": "public"})
    assert anon.get("/projects/DESK").status_code == 200
    assert keys(anon.get("/issues", project="DESK")) == []


# --- who a desk's customers may see ---------------------------------------------------------------

EVERYONE = ["alice", "bob", "carol", "dave", "frank"]


def _members(api) -> list[str]:
    response = api.get("/projects/DESK/members")
    assert response.status_code == 200, response.content
    return sorted(m["user"] for m in response.json())


def _members_page(user) -> list[str]:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get("/p/DESK/members")
    assert response.status_code == 200, response.content
    return sorted(m.user.username for m in response.context["memberships"])


def _mentionable(user, key: str) -> list[str]:
    client = Client()
    client.force_login(user)
    response = client.get(f"/{key}/people", {"q": ""})
    assert response.status_code == 200, response.content
    return sorted(p["username"] for p in response.json()["people"])


@pytest.fixture
def public_desk(cast, desk, settings):
    settings.DOCKET_ANONYMOUS_READ = True
    cast.api(cast.alice).patch("/projects/DESK", {"visibility": "public"})
    return desk


def test_a_desks_customers_and_visitors_see_its_staff_and_themselves_only(cast, public_desk, anon):
    staff = ["alice", "bob"]  # admin, member
    assert _members(cast.api(cast.carol)) == sorted([*staff, "carol"])
    assert _members(cast.api(cast.eve)) == staff  # an outsider
    assert _members(anon) == staff
    assert _members_page(cast.carol) == sorted([*staff, "carol"])
    assert _members_page(cast.eve) == staff
    assert _mentionable(cast.carol, "DESK-1") == sorted([*staff, "carol"])


def test_a_desks_staff_viewers_and_site_admins_see_every_member(cast, public_desk):
    for user in (cast.root, cast.alice, cast.bob, cast.dave):
        assert _members(cast.api(user)) == EVERYONE, user.username
        assert _members_page(user) == EVERYONE, user.username
        assert _mentionable(user, "DESK-1") == EVERYONE, user.username


def test_a_customer_sees_their_teams_membership_and_staff_teams(cast, public_desk):
    customers = Team.objects.create(slug="acme", name="Acme staff")
    customers.members.add(cast.carol)
    support = Team.objects.create(slug="l2", name="Second line")
    support.members.add(UserFactory(username="gus"))
    other = Team.objects.create(slug="globex", name="Globex")
    other.members.add(UserFactory(username="hank"))
    for team, role in ((customers, "reporter"), (support, "member"), (other, "reporter")):
        project_actions.set_member(actor=cast.alice, project=public_desk, team=team.slug, role=role)
    shown = cast.api(cast.carol).get("/projects/DESK/members").json()
    assert sorted(m["team"] for m in shown if m["team"]) == ["acme", "l2"]
    assert _mentionable(cast.carol, "DESK-1") == ["alice", "bob", "carol", "gus"]


def test_an_ordinary_projects_readers_still_see_every_member(cast, desk):
    cast.api(cast.alice).patch("/projects/DESK", {"reporters_see_own_only": False})
    assert _members(cast.api(cast.carol)) == EVERYONE
    assert _mentionable(cast.carol, "DESK-1") == EVERYONE


def test_a_customer_cannot_learn_other_customers_names_from_completion_or_mentions(cast, desk):
    """Suggestions for a person field and @mention links show a desk's customer its staff and
    themselves only, as the members list does."""
    carol, bob = Client(), Client()
    carol.force_login(cast.carol)
    bob.force_login(cast.bob)
    suggested = carol.get("/issues/suggest", {"q": "assignee:fr"}).content.decode()
    assert "frank" not in suggested
    assert "frank" in bob.get("/issues/suggest", {"q": "assignee:fr"}).content.decode()
    text = {"body": "cc @frank and @bob"}
    as_carol = carol.post("/DESK-1/preview", text).content.decode()
    as_bob = bob.post("/DESK-1/preview", text).content.decode()
    assert "Issues assigned to frank" not in as_carol and "@frank" in as_carol
    assert "Issues assigned to bob" in as_carol  # staff stay linked
    assert "Issues assigned to frank" in as_bob
